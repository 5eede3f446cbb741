"""Seeding, versions and the fast-mode budget (introduced in notebook 01).

Every notebook starts with :func:`setup` and asks :func:`budget` how many epochs
and samples to use. ``AEUTILS_FAST=1`` in the environment shrinks the budget so
that the whole notebook series runs as a test in minutes; notebooks never
branch on the mode themselves.
"""
from __future__ import annotations

import os
import platform
import random
from dataclasses import dataclass

import numpy as np

from .validation import check_positive_int

__all__ = ["setup", "is_fast", "budget", "Budget", "FAST_ENV"]

FAST_ENV = "AEUTILS_FAST"


def is_fast() -> bool:
    """Return True when ``AEUTILS_FAST`` is set to a true value (1, true, yes, on)."""
    return os.environ.get(FAST_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def setup(seed: int = 42, *, verbose: bool = True) -> dict:
    """Seed Python, NumPy and Keras, make TensorFlow deterministic, print versions.

    Parameters
    ----------
    seed : int
        Seed for ``random``, NumPy and ``keras.utils.set_random_seed``.
    verbose : bool
        Print a one-line-per-item summary (versions, backend, fast mode).

    Returns
    -------
    dict
        The printed information: versions, backend, seed and ``fast``.
    """
    seed = check_positive_int(seed, "seed", minimum=0)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ["PYTHONHASHSEED"] = str(seed)
    import keras

    random.seed(seed)
    np.random.seed(seed)
    keras.utils.set_random_seed(seed)
    backend = keras.backend.backend()
    info = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "keras": keras.__version__,
        "backend": backend,
        "seed": seed,
        "fast": is_fast(),
    }
    if backend == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
        tf.get_logger().setLevel("ERROR")  # no retracing warnings when many models predict
        info["tensorflow"] = tf.__version__
    elif backend == "jax":
        import jax

        info["jax"] = jax.__version__
    elif backend == "torch":
        import torch

        torch.use_deterministic_algorithms(True, warn_only=True)
        info["torch"] = torch.__version__
    if verbose:
        for key, value in info.items():
            print(f"{key:>10}: {value}")
        if info["fast"]:
            print("  (fast mode: small data and few epochs; numbers are NOT the real results)")
    return info


@dataclass(frozen=True)
class Budget:
    """How much work a notebook may do. ``None`` sample counts mean "all".

    Slice arrays with the counts directly: ``x_train[: B.n_train]`` works for
    ``None`` too. Use :meth:`pick` for any other knob that fast mode shrinks.
    """

    fast: bool
    epochs: int
    n_train: int | None
    n_val: int | None
    n_test: int | None

    def pick(self, full, fast):
        """Return ``full`` normally and ``fast`` under ``AEUTILS_FAST=1``."""
        return fast if self.fast else full


def budget(
    epochs: int,
    *,
    n_train: int | None = None,
    n_val: int | None = None,
    n_test: int | None = None,
    fast_epochs: int = 1,
    fast_n_train: int = 2048,
    fast_n_val: int = 512,
    fast_n_test: int = 512,
) -> Budget:
    """Return the epochs and sample counts to use: the full values, or small ones in fast mode.

    Parameters
    ----------
    epochs : int
        Epochs for a full run.
    n_train, n_val, n_test : int or None
        Sample counts for a full run (``None`` = all).
    fast_epochs, fast_n_train, fast_n_val, fast_n_test : int
        The values used under ``AEUTILS_FAST=1`` (never more than the full ones). The defaults, and most training and
        validation sizes the notebooks pass, are multiples of their batch sizes (2,048 = 8 x 256 = 16 x 128): on JAX a last,
        smaller batch is a new input shape, and XLA compiles the training (or validation) step a second time
        for it, in every model. TensorFlow traces one step for any batch size.
    """
    epochs = check_positive_int(epochs, "epochs")
    fast_epochs = check_positive_int(fast_epochs, "fast_epochs")
    for value, name in ((n_train, "n_train"), (n_val, "n_val"), (n_test, "n_test")):
        if value is not None:
            check_positive_int(value, name)
    for value, name in ((fast_n_train, "fast_n_train"), (fast_n_val, "fast_n_val"), (fast_n_test, "fast_n_test")):
        check_positive_int(value, name)
    if not is_fast():
        return Budget(False, epochs, n_train, n_val, n_test)

    def smaller(full, fast):
        return fast if full is None else min(full, fast)

    return Budget(
        True,
        min(epochs, fast_epochs),
        smaller(n_train, fast_n_train),
        smaller(n_val, fast_n_val),
        smaller(n_test, fast_n_test),
    )
