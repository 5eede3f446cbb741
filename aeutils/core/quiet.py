"""Import Keras (and its backend) with the C-level stderr silenced.

TensorFlow prints several ``I0000 ...`` lines to file descriptor 2 while it loads,
before any logging setting can apply; in Jupyter they end up as red text in the
first cell. Importing Keras once here, with descriptor 2 pointed at /dev/null,
keeps them out. Python exceptions are unaffected (they are raised, not printed).
"""
from __future__ import annotations

import os
import sys


def import_keras_quietly():
    """Import ``keras`` with file descriptor 2 redirected to /dev/null; return the module."""
    if "keras" in sys.modules:
        return sys.modules["keras"]
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no real descriptor (embedded interpreters)
        import keras

        return keras
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import keras
        import keras.backend  # noqa: F401  (loads the backend, where the chatter comes from)

        keras.backend.backend()
        if keras.backend.backend() == "tensorflow":
            import tensorflow  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
    return keras
