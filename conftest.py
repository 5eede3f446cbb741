"""Pytest set-up shared by the unit tests and nbval.

* Datasets: if no Keras cache holds them, copy ``../shared/datasets/keras`` (the
  offline copy) to a writable temporary folder and point ``KERAS_HOME`` there,
  before any notebook kernel starts (kernels inherit the environment).
* Fast-mode results go to a scratch folder, never to ``results/``.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent
SHARED = ROOT.parent / "shared" / "datasets" / "keras"


def _has_data(home: Path) -> bool:
    return (home / "datasets" / "fashion-mnist" / "train-images-idx3-ubyte.gz").is_file()


def pytest_configure(config):
    home = os.environ.get("KERAS_HOME")
    default = Path.home() / ".keras"
    if home and _has_data(Path(home)):
        pass
    elif not home and _has_data(default):
        pass
    elif SHARED.is_dir():
        tmp = Path(tempfile.mkdtemp(prefix="aeutils-keras-")) / "keras"
        shutil.copytree(SHARED, tmp)
        for path in tmp.rglob("*"):
            path.chmod(path.stat().st_mode | 0o200)
        tmp.chmod(tmp.stat().st_mode | 0o200)
        os.environ["KERAS_HOME"] = str(tmp)
    if "AEUTILS_RESULTS_DIR" not in os.environ:
        os.environ["AEUTILS_RESULTS_DIR"] = tempfile.mkdtemp(prefix="aeutils-results-")
