"""Model builders for dense autoencoders (introduced in notebook 01).

Notebook 01 builds the first autoencoder layer by layer; these builders make the
same models with clear parameters so that later notebooks can reuse them.
Every builder returns ``(autoencoder, encoder, decoder)``: three Keras models
sharing layers, where ``autoencoder(x) == decoder(encoder(x))``.
"""
from __future__ import annotations

import keras
import numpy as np

from .validation import check_array, check_positive_int

__all__ = ["build_dense_autoencoder", "build_linear_autoencoder", "count_params", "save_model", "load_model"]


def _check_shape(input_shape, name="input_shape"):
    if not isinstance(input_shape, (tuple, list)) or not input_shape:
        raise TypeError(f"{name}: expected a non-empty tuple of positive ints, got {input_shape!r}")
    for d in input_shape:
        check_positive_int(d, name)
    return tuple(int(d) for d in input_shape)


def build_dense_autoencoder(
    code_size: int,
    input_shape: tuple[int, ...] = (28, 28),
    hidden: tuple[int, ...] = (512, 256),
    activation: str | None = "relu",
    code_activation: str | None = None,
    output_activation: str | None = "sigmoid",
    input_mean=None,
    name: str = "dense_ae",
):
    """Build a dense (fully connected) undercomplete autoencoder.

    Parameters
    ----------
    code_size : int
        Width of the bottleneck: the size of the latent code.
    input_shape : tuple of int
        Shape of one input, e.g. ``(28, 28)``; flattened inside the encoder and
        restored by the decoder.
    hidden : tuple of int
        Widths of the encoder's hidden layers; the decoder mirrors them.
    activation : str or None
        Activation of the hidden layers (``None``: linear).
    code_activation : str or None
        Activation of the code layer (``None``: linear).
    output_activation : str or None
        ``"sigmoid"`` for pixels in [0, 1]; ``None`` for unbounded data.
    input_mean : array, optional
        The training set's mean input (shape ``input_shape``). When given, the
        encoder first subtracts it (a ``Normalization`` layer with unit
        variance), which centres the data as PCA does and speeds up training.

    Returns
    -------
    autoencoder, encoder, decoder : keras.Model
    """
    code_size = check_positive_int(code_size, "code_size")
    input_shape = _check_shape(input_shape)
    if not isinstance(hidden, (tuple, list)):
        raise TypeError(f"hidden: expected a tuple of layer widths, got {hidden!r}")
    hidden = tuple(check_positive_int(h, "hidden") for h in hidden)
    n_in = 1
    for d in input_shape:
        n_in *= d

    inputs = keras.Input(input_shape, name="image")
    h = keras.layers.Flatten()(inputs)
    if input_mean is not None:
        mean = check_array(input_mean, "input_mean", dtype_kind="fiu")
        if mean.size != n_in:
            raise ValueError(f"input_mean: expected {n_in} values (one per input feature), got shape {mean.shape}")
        mean = mean.reshape(n_in).astype("float32")
        h = keras.layers.Normalization(mean=mean, variance=np.ones_like(mean), name="center")(h)
    for i, width in enumerate(hidden):
        h = keras.layers.Dense(width, activation=activation, name=f"enc_{i}")(h)
    code = keras.layers.Dense(code_size, activation=code_activation, name="code")(h)
    encoder = keras.Model(inputs, code, name=f"{name}_encoder")

    code_in = keras.Input((code_size,), name="code_in")
    h = code_in
    for i, width in enumerate(reversed(hidden)):
        h = keras.layers.Dense(width, activation=activation, name=f"dec_{i}")(h)
    h = keras.layers.Dense(n_in, activation=output_activation, name="pixels")(h)
    outputs = keras.layers.Reshape(input_shape)(h)
    decoder = keras.Model(code_in, outputs, name=f"{name}_decoder")

    autoencoder = keras.Model(inputs, decoder(encoder(inputs)), name=name)
    return autoencoder, encoder, decoder


def build_linear_autoencoder(code_size: int, input_shape: tuple[int, ...] = (28, 28), name: str = "linear_ae"):
    """Build a linear autoencoder (no hidden layers, no activations).

    Trained with MSE it learns the same subspace as PCA with ``code_size``
    components (Baldi and Hornik, 1989), though not the same basis.
    """
    return build_dense_autoencoder(
        code_size, input_shape, hidden=(), activation=None, output_activation=None, name=name
    )


def count_params(model) -> int:
    """Return the number of trainable parameters of a Keras model."""
    if not hasattr(model, "trainable_weights"):
        raise TypeError(f"model: expected a Keras model, got {type(model).__name__}")
    return int(sum(int(keras.ops.size(w)) for w in model.trainable_weights))


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
