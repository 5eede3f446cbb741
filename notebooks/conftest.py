"""pytest settings for nbval over the notebooks (project tooling, not a lesson).

`make test` runs the notebooks on several pytest-xdist workers, a whole notebook per worker
(`--dist loadfile`). Workers take notebooks in collection order, so the longest ones go first: a long
notebook started last would run alone at the end while the other workers sit idle. The order is by each
notebook's last full-run time in `results/NN_name.json` (a proxy for its fast-mode time; a notebook without
a record goes last); the cells of one notebook keep their order.
"""

import json
from functools import cache
from pathlib import Path

RESULTS = Path(__file__).resolve().parents[1] / "results"


@cache
def full_run_seconds(stem: str) -> float:
    """The ``seconds`` of ``results/<stem>.json``, or 0.0 when the record is missing or unreadable."""
    try:
        return float(json.loads((RESULTS / f"{stem}.json").read_text())["seconds"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0.0


def pytest_collection_modifyitems(items):
    """Longest notebooks first; ``list.sort`` is stable, so the cells of each notebook stay in order."""
    items.sort(key=lambda item: -full_run_seconds(item.path.stem))
