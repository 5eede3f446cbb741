"""Recording the numbers a notebook produces (introduced in notebook 01).

A notebook creates one :class:`Recorder` and calls :meth:`Recorder.record` for
each named metric. Full runs write ``results/<notebook>.json`` (committed); fast
runs (``AEUTILS_FAST=1``) write to a scratch folder so they never overwrite the
real results. ``make results`` (or ``make run``) rebuilds ``results/RESULTS.md``.
"""
from __future__ import annotations

import json
import math
import numbers
import os
import re
import sys
import tempfile
import time
from pathlib import Path

from .files import atomic_write_text
from .runtime import is_fast


def keras_backend() -> str:
    """The name of the Keras backend this process runs on (``"tensorflow"``, ``"jax"`` or ``"torch"``).

    Keras's own answer once it is imported; before that, the one it would pick from ``KERAS_BACKEND``
    (writing a record does not import a backend).
    """
    keras = sys.modules.get("keras")
    if keras is not None:
        return keras.backend.backend()
    return os.environ.get("KERAS_BACKEND", "tensorflow")

__all__ = ["Recorder", "results_dir", "load_results", "build_results_table", "write_results_table"]

_NAME = re.compile(r"^[A-Za-z0-9_.\-]+$")
ROOT = Path(__file__).resolve().parents[2]


def results_dir(fast: bool | None = None) -> Path:
    """Where records go: ``$AEUTILS_RESULTS_DIR`` if set, else ``results/`` (full)
    or ``<tmp>/aeutils-results-fast`` (fast mode)."""
    if os.environ.get("AEUTILS_RESULTS_DIR"):
        return Path(os.environ["AEUTILS_RESULTS_DIR"])
    fast = is_fast() if fast is None else fast
    if fast:
        return Path(tempfile.gettempdir()) / "aeutils-results-fast"
    return ROOT / "results"


def _jsonable(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"value: expected a real number for metric {name!r}, got {type(value).__name__} {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"value: expected a finite number for metric {name!r}, got {value}")
    return value


class Recorder:
    """Collects a notebook's named metrics and writes them to ``<results>/<notebook>.json``.

    The file holds ``{"mode", "backend", "seconds", "metrics"}``, with ``metrics`` mapping each name to
    ``{"value", "split", "config"}``; ``backend`` is the Keras backend of the run and ``seconds`` the wall
    time since the recorder was made. Each call rewrites the file, so a run that stops half-way still leaves
    the metrics it reached. A new recorder starts an empty file for its notebook.

    Parameters
    ----------
    notebook : str
        The notebook's file stem, e.g. ``"01_basic_autoencoder"``.
    directory : path, optional
        Override :func:`results_dir`.
    """

    def __init__(self, notebook: str, directory: str | os.PathLike | None = None):
        if not isinstance(notebook, str) or not _NAME.match(notebook):
            raise ValueError(f"notebook: expected a file stem like '01_basic_autoencoder', got {notebook!r}")
        self.notebook = notebook
        self.mode = "fast" if is_fast() else "full"
        self.directory = Path(directory) if directory is not None else results_dir()
        self.path = self.directory / f"{notebook}.json"
        self.metrics: dict[str, dict] = {}
        self._start = time.perf_counter()

    def record(self, name: str, value, *, split: str, config: dict | None = None) -> float:
        """Record metric ``name`` measured on ``split`` and return the value.

        ``split`` is "test" or "validation" for quality measures, "train" for
        costs measured while training (e.g. seconds per epoch).
        """
        if not isinstance(name, str) or not _NAME.match(name):
            raise ValueError(f"name: expected letters, digits, '_', '.', '-', got {name!r}")
        if split not in ("test", "validation", "train"):
            raise ValueError(f"split: expected 'test', 'validation' or 'train', got {split!r}")
        config = {} if config is None else config
        if not isinstance(config, dict):
            raise TypeError(f"config: expected a dict, got {type(config).__name__}")
        try:
            json.dumps(config)
        except TypeError as exc:
            raise TypeError(f"config: expected JSON-serialisable values ({exc})") from exc
        value = _jsonable(value, name)
        self.metrics[name] = {"value": value, "split": split, "config": config}
        self.save()
        return value

    def save(self) -> Path:
        """Write the JSON file now (atomically) and return its path."""
        self.directory.mkdir(parents=True, exist_ok=True)
        payload = {
            "mode": self.mode,
            "backend": keras_backend(),
            "seconds": round(time.perf_counter() - self._start, 1),
            "metrics": self.metrics,
        }
        return atomic_write_text(self.path, json.dumps(payload, indent=2, sort_keys=True) + "\n")

    def __repr__(self) -> str:
        return f"Recorder({self.notebook!r}, mode={self.mode!r}, {len(self.metrics)} metrics -> {self.path})"


def load_results(directory: str | os.PathLike | None = None) -> dict[str, dict]:
    """Read every ``*.json`` record in ``directory``; a broken file raises naming it."""
    directory = Path(directory) if directory is not None else results_dir(fast=False)
    out = {}
    for path in sorted(directory.glob("*.json")):
        try:
            data = json.loads(path.read_text())
            data["metrics"]  # noqa: B018 - shape check
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}: not a results record ({type(exc).__name__}: {exc})") from exc
        out[path.stem] = data
    return out


def _fmt(value: float) -> str:
    if value == 0:
        return "0"
    mag = abs(value)
    if mag >= 1000:
        return f"{value:,.0f}"
    if mag >= 1:
        return f"{value:.3f}".rstrip("0").rstrip(".")
    return f"{value:.4g}"


def build_results_table(results: dict[str, dict]) -> str:
    """Return the Markdown of ``RESULTS.md`` for ``results`` (as from :func:`load_results`)."""
    lines = [
        "# Results",
        "",
        "Generated by `make results` (and `make run`) from the `results/*.json` files that the",
        "notebooks write during a full run (`make run`). Do not edit by hand.",
        "",
    ]
    if not results:
        lines.append("No results recorded yet: run `make run`.")
    for stem, data in results.items():
        lines += [
            f"## {stem}",
            "",
            f"Mode: {data.get('mode', '?')}, backend {data.get('backend', 'tensorflow')}, "
            f"wall time {data.get('seconds', float('nan')):.0f} s.",
            "",
            "| metric | value | split | configuration |",
            "| --- | ---: | --- | --- |",
        ]
        for name, m in data["metrics"].items():
            cfg = ", ".join(f"{k}={v}" for k, v in m.get("config", {}).items())
            lines.append(f"| `{name}` | {_fmt(m['value'])} | {m.get('split', '')} | {cfg} |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def write_results_table(directory: str | os.PathLike | None = None) -> Path:
    """Rebuild ``RESULTS.md`` in ``directory`` from its JSON records; return its path."""
    directory = Path(directory) if directory is not None else results_dir(fast=False)
    records = load_results(directory) if directory.is_dir() else {}
    if not records:
        raise FileNotFoundError(f"directory: no results records (*.json) in {str(directory)!r}; RESULTS.md left as it was")
    return atomic_write_text(directory / "RESULTS.md", build_results_table(records))
