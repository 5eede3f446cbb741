"""Saving and loading ``.keras`` model files (plumbing: every notebook that keeps a model uses it)."""
from __future__ import annotations

import keras

from .files import atomic_path, check_path

__all__ = ["save_model", "load_model"]


def save_model(model, path, *, overwrite: bool = False):
    """Save a Keras model to a ``.keras`` file; refuse to replace an existing file unless ``overwrite``.

    The model is written to a temporary file beside ``path`` and moved into place when complete, so a save
    that fails leaves no partial or empty file behind and an existing file untouched.
    """
    path = check_path(path, suffix=".keras")
    if not isinstance(model, keras.Model):
        raise TypeError(f"model: expected a Keras model, got {type(model).__name__}")
    with atomic_path(path, overwrite=overwrite) as tmp:  # a failed save leaves the old file as it was
        model.save(tmp)
    return path


def load_model(path, custom_objects=None):
    """Load a ``.keras`` model with ``safe_mode=True``; clear errors for missing or corrupt files."""
    import zipfile

    path = check_path(path, suffix=".keras")
    if not path.is_file():
        raise FileNotFoundError(f"path: expected an existing .keras file, got {str(path)!r}")
    if not zipfile.is_zipfile(path):
        raise ValueError(f"path: {str(path)!r} is not a .keras archive (corrupt or another format)")
    try:
        return keras.saving.load_model(path, custom_objects=custom_objects, safe_mode=True)
    except Exception as exc:
        raise ValueError(f"path: could not load {str(path)!r} as a Keras model ({type(exc).__name__}: {exc})") from exc
