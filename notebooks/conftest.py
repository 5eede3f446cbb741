"""pytest settings for nbval over the notebooks (project tooling, not a lesson).

`make test` runs the notebooks on several pytest-xdist workers, a whole notebook per worker
(`--dist loadfile`). Workers take notebooks in collection order, so the longest ones go first: a long
notebook started last would run alone at the end while the other workers sit idle. The order is by each
notebook's measured nbval time in fast mode on the backend of the run (`nbval_seconds.json` beside this
file: the sum of its cells' durations from `pytest --durations=0`, in seconds); a notebook missing from that
table is ordered by its last full-run time in `results/NN_name.json` divided by `FULL_TO_FAST` (a rough
proxy), and one without either goes last. The cells of one notebook keep their order.
"""

import json
import os
from functools import cache
from pathlib import Path

RESULTS = Path(__file__).resolve().parents[1] / "results"
FAST_TABLE = Path(__file__).resolve().with_name("nbval_seconds.json")
FULL_TO_FAST = 6.0  # full-run seconds per fast-mode nbval second, roughly (01: 590 s against 95 s on TensorFlow)


@cache
def full_run_seconds(stem: str) -> float:
    """The ``seconds`` of ``results/<stem>.json``, or 0.0 when the record is missing or unreadable."""
    try:
        return float(json.loads((RESULTS / f"{stem}.json").read_text())["seconds"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0.0


@cache
def fast_seconds(backend: str) -> dict:
    """``{notebook stem: nbval seconds}`` measured in fast mode on ``backend`` (empty when the table is unreadable)."""
    try:
        table = json.loads(FAST_TABLE.read_text()).get(backend, {})
        return {str(k): float(v) for k, v in table.items()}
    except (OSError, ValueError, AttributeError, TypeError):
        return {}


def expected_seconds(stem: str, backend: str | None = None) -> float:
    """How long notebook ``stem`` is expected to take under nbval: the table's time, else the full-run proxy."""
    table = fast_seconds(backend or os.environ.get("KERAS_BACKEND", "tensorflow"))
    return table[stem] if stem in table else full_run_seconds(stem) / FULL_TO_FAST


def pytest_collection_modifyitems(items):
    """Longest notebooks first; ``list.sort`` is stable, so the cells of each notebook stay in order."""
    items.sort(key=lambda item: -expected_seconds(item.path.stem))
