"""Training helpers shared by the notebooks (introduced in notebook 01).

``fit_autoencoder`` is the training loop notebook 01 writes out in full:
Adam with a cosine learning-rate decay, a fixed batch size, validation data
for the curves, and one printed line per epoch so long runs show progress.
"""
from __future__ import annotations

import math
import numbers
import time

import keras

from ..core.validation import check_array, check_positive_int, check_probability

__all__ = ["fit_autoencoder", "cosine_adam", "EpochLogger"]


def cosine_adam(learning_rate: float, epochs: int, steps_per_epoch: int, final_fraction: float = 0.02):
    """Return an Adam optimizer whose learning rate decays along a cosine to ``final_fraction``."""
    if isinstance(learning_rate, bool) or not isinstance(learning_rate, numbers.Real) or not (
            math.isfinite(learning_rate) and learning_rate > 0):
        raise ValueError(f"learning_rate: expected a finite number > 0, got {learning_rate!r}")
    final_fraction = check_probability(final_fraction, "final_fraction")
    epochs = check_positive_int(epochs, "epochs")
    steps_per_epoch = check_positive_int(steps_per_epoch, "steps_per_epoch")
    schedule = keras.optimizers.schedules.CosineDecay(
        float(learning_rate), decay_steps=epochs * steps_per_epoch, alpha=final_fraction
    )
    return keras.optimizers.Adam(schedule)


class EpochLogger(keras.callbacks.Callback):
    """Print one short line every ``every`` epochs: epoch, losses and elapsed seconds."""

    def __init__(self, every: int = 1, prefix: str = ""):
        super().__init__()
        self.every = check_positive_int(every, "every")
        self.prefix = prefix

    def on_train_begin(self, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        total = self.params.get("epochs", 0)
        if (epoch + 1) % self.every and epoch + 1 != total:
            return
        parts = " ".join(f"{k}={v:.5f}" for k, v in (logs or {}).items() if "learning_rate" not in k)
        print(f"{self.prefix}epoch {epoch + 1}/{total} {parts} ({time.perf_counter() - self._start:.0f} s)", flush=True)


def fit_autoencoder(
    model,
    x_train,
    x_val=None,
    *,
    y_train=None,
    y_val=None,
    epochs: int,
    batch_size: int = 256,
    learning_rate: float = 2e-3,
    final_fraction: float = 0.02,
    loss="mse",
    log_every: int = 1,
    prefix: str = "",
    seed: int | None = None,
    callbacks: list | None = None,
    steps_per_execution: int = 1,
):
    """Compile ``model`` with Adam + cosine decay and fit it: the one training entry point of the notebooks.

    Parameters
    ----------
    model : keras.Model
        The autoencoder (or any model trained the same way).
    x_train : array, list of arrays, or keras.utils.PyDataset
        Training inputs. The targets default to the inputs themselves (``y_train`` overrides them, e.g.
        clean targets for noisy inputs). A ``PyDataset`` (e.g. notebook 03's ``CorruptedBatches``) yields its own
        ``(inputs, targets)`` batches, so ``y_train`` and ``batch_size`` do not apply.
    x_val, y_val : arrays, optional
        Validation inputs and targets (``y_val`` defaults to ``x_val``), for the ``val_*`` curves.
    epochs, batch_size, learning_rate : the training budget.
    final_fraction : float in [0, 1]
        The learning rate decays along a cosine to ``final_fraction * learning_rate``.
    loss : str, keras loss or None
        Reconstruction loss (``"mse"`` by default); ``None`` for a model that computes its own loss in
        ``compute_loss`` (the VAE of notebook 04).
    log_every : int
        Print a line every ``log_every`` epochs (0 for silence).
    seed : int, optional
        Re-seed Keras before training, for reproducible comparisons.
    callbacks : list of keras.callbacks.Callback, optional
        Extra callbacks, e.g. ``keras.callbacks.EarlyStopping(restore_best_weights=True)``.
    steps_per_execution : int
        Training steps per compiled call; more cut the per-step overhead of small models on a CPU.

    Returns
    -------
    keras.callbacks.History
    """
    dataset = isinstance(x_train, keras.utils.PyDataset)
    if dataset:
        if y_train is not None:
            raise ValueError("y_train: a PyDataset yields its own targets; pass y_train=None")
        steps = len(x_train)
    else:
        multi = isinstance(x_train, (list, tuple))
        inputs = [check_array(x, "x_train", dtype_kind="fiub") for x in x_train] if multi else [
            check_array(x_train, "x_train", dtype_kind="f")]
        n = len(inputs[0])
        if any(len(x) != n for x in inputs):
            raise ValueError(f"x_train: expected arrays of one length, got {[len(x) for x in inputs]}")
        y_train = x_train if y_train is None else check_array(y_train, "y_train", dtype_kind="fiu")  # int targets: class ids
        n_y = len(y_train[0]) if isinstance(y_train, (list, tuple)) else len(y_train)  # list inputs as targets
        if n_y != n:
            raise ValueError(f"y_train: expected {n} targets like x_train, got {n_y}")
        batch_size = check_positive_int(batch_size, "batch_size")
        steps = math.ceil(n / batch_size)
        _check_model_inputs(model, inputs)
    validation = None
    if x_val is not None:
        if isinstance(x_val, (list, tuple)):
            x_val = [check_array(x, "x_val", dtype_kind="fiub") for x in x_val]
        else:
            x_val = check_array(x_val, "x_val", dtype_kind="f")
            if not dataset and not multi and x_val.shape[1:] != inputs[0].shape[1:]:
                raise ValueError(f"x_val: expected samples of shape {inputs[0].shape[1:]} like x_train, got {x_val.shape[1:]}")
        y_val = x_val if y_val is None else check_array(y_val, "y_val", dtype_kind="fiu")
        validation = (x_val, y_val)
    epochs = check_positive_int(epochs, "epochs")
    spe = check_positive_int(steps_per_execution, "steps_per_execution")
    if callbacks is not None and not all(isinstance(c, keras.callbacks.Callback) for c in callbacks):
        raise TypeError(f"callbacks: expected a list of keras.callbacks.Callback, got {callbacks!r}")
    callbacks = ([EpochLogger(log_every, prefix)] if log_every else []) + list(callbacks or [])
    if seed is not None:
        keras.utils.set_random_seed(check_positive_int(seed, "seed", minimum=0))
    model.compile(optimizer=cosine_adam(learning_rate, epochs, steps, final_fraction), loss=loss, steps_per_execution=spe)
    if dataset:
        return model.fit(x_train, validation_data=validation, epochs=epochs, verbose=0, callbacks=callbacks)
    return model.fit(x_train, y_train, validation_data=validation, epochs=epochs, batch_size=batch_size,
                     shuffle=True, verbose=0, callbacks=callbacks)


def _check_model_inputs(model, inputs):
    """Compare the data's per-sample shapes with a functional model's inputs before Keras does, cryptically."""
    if not isinstance(model, keras.Model):
        raise TypeError(f"model: expected a keras.Model, got {type(model).__name__}")
    try:
        expected = model.input_shape
    except (AttributeError, ValueError):  # a subclassed model that is not built yet: Keras checks later
        return
    expected = expected if isinstance(expected, list) else [expected]
    if len(expected) != len(inputs):
        raise ValueError(f"x_train: model {model.name!r} takes {len(expected)} inputs, got {len(inputs)} arrays")
    for shape, x in zip(expected, inputs):
        want = tuple(shape[1:])
        if len(want) != x.ndim - 1 or any(w is not None and w != g for w, g in zip(want, x.shape[1:])):
            raise ValueError(f"x_train: model {model.name!r} expects samples of shape {want}, got {x.shape[1:]}")
