"""Saving and loading ``.keras`` model files (plumbing: every notebook that keeps a model uses it)."""
from __future__ import annotations

import keras

__all__ = ["save_model", "load_model"]


def save_model(model, path, *, overwrite: bool = False):
    """Save a Keras model to a ``.keras`` file; refuse to replace an existing file unless ``overwrite``."""
    from pathlib import Path

    path = Path(path)
    if path.suffix != ".keras":
        raise ValueError(f"path: expected a file name ending in '.keras', got {str(path)!r}")
    if not hasattr(model, "save"):
        raise TypeError(f"model: expected a Keras model, got {type(model).__name__}")
    if path.exists() and not overwrite:
        raise FileExistsError(f"path: {str(path)!r} already exists; pass overwrite=True to replace it")
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save(path, overwrite=True)
    return path


def load_model(path, custom_objects=None):
    """Load a ``.keras`` model with ``safe_mode=True``; clear errors for missing or corrupt files."""
    import zipfile
    from pathlib import Path

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"path: expected an existing .keras file, got {str(path)!r}")
    if not zipfile.is_zipfile(path):
        raise ValueError(f"path: {str(path)!r} is not a .keras archive (corrupt or another format)")
    try:
        return keras.saving.load_model(path, custom_objects=custom_objects, safe_mode=True)
    except Exception as exc:
        raise ValueError(f"path: could not load {str(path)!r} as a Keras model ({type(exc).__name__}: {exc})") from exc
