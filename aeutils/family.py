"""The autoencoder family: tied, sparse, contractive and convolutional (introduced in notebook 02).

The plain deep (stacked) dense autoencoder is :func:`aeutils.lessons.nb01_basic.build_dense_autoencoder`
from notebook 01, given more or wider ``hidden`` layers.

Builders return ``(autoencoder, encoder, decoder)`` like :mod:`aeutils.models`,
with ``autoencoder(x) == decoder(encoder(x))``. Every custom piece is a
registered, serializable Keras object written with ``keras.ops`` only, so the
models save to ``.keras``, load back with ``safe_mode=True`` and run on the
TensorFlow, JAX and PyTorch backends:

* :class:`Center`       subtracts a fixed mean image (stored as a weight);
* :class:`TiedDense`    one kernel used forwards in the encoder and transposed
  in the decoder (the serializable form of a ``DenseTranspose`` layer);
* :class:`KLSparsity`   KL-divergence sparsity activity regulariser;
* :class:`ContractiveDense` sigmoid dense layer adding the closed-form
  contractive penalty :func:`contractive_penalty`.

Measures: :func:`mean_activation`, :func:`code_sensitivity`,
:func:`jacobian_frobenius` (a forward-only estimate of any encoder's Jacobian
norm) and the logistic-regression probe :func:`probe_accuracy`.
"""
from __future__ import annotations

import math

import keras
import numpy as np
from keras import ops

from .core.validation import check_array, check_choice, check_int_tuple, check_positive_int, check_probability

__all__ = [
    "Center",
    "TiedDense",
    "KLSparsity",
    "ContractiveDense",
    "contractive_penalty",
    "kl_divergence",
    "build_tied_autoencoder",
    "build_sparse_autoencoder",
    "build_contractive_autoencoder",
    "build_conv_autoencoder",
    "encode",
    "mean_activation",
    "code_sensitivity",
    "jacobian_frobenius",
    "probe_accuracy",
    "CUSTOM_OBJECTS",
]


def _check_nonneg(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise TypeError(f"{name}: expected a number >= 0, got {type(value).__name__} {value!r}")
    value = float(value)
    if not (value >= 0 and math.isfinite(value)):
        raise ValueError(f"{name}: expected a finite number >= 0, got {value}")
    return value


def _check_hidden(hidden, name="hidden"):
    if not isinstance(hidden, (tuple, list)):
        raise TypeError(f"{name}: expected a tuple of layer widths, got {hidden!r}")
    return tuple(check_positive_int(h, name) for h in hidden)


# --------------------------------------------------------------------------- layers


@keras.saving.register_keras_serializable(package="aeutils")
class Center(keras.layers.Layer):
    """Subtract a fixed mean (e.g. the training set's mean image) from the input.

    The mean is a non-trainable weight, so it is saved with the model and a
    loaded model needs no extra data. ``mean=None`` starts at zero (the value a
    loaded model's weights then overwrite).
    """

    def __init__(self, mean=None, **kwargs):
        super().__init__(**kwargs)
        self._init_mean = None if mean is None else check_array(mean, "mean", dtype_kind="fiu").astype("float32")

    def build(self, input_shape):
        shape = tuple(input_shape[1:])
        if self._init_mean is not None and self._init_mean.shape != shape:
            raise ValueError(f"mean: expected shape {shape} like one input, got {self._init_mean.shape}")
        self.mean = self.add_weight(shape=shape, initializer="zeros", trainable=False, name="mean")
        if self._init_mean is not None:
            self.mean.assign(self._init_mean)

    def call(self, inputs):
        return inputs - ops.cast(self.mean, inputs.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        # The mean itself travels as a weight, not in the config.
        return super().get_config()


@keras.saving.register_keras_serializable(package="aeutils")
class TiedDense(keras.layers.Layer):
    """A dense layer whose kernel is reused, transposed, by the decoder (tied weights).

    ``layer(x)`` computes ``activation(x @ W + b)``; ``layer(z, transpose=True)``
    computes ``transpose_activation(z @ W.T + b_t)`` with its own bias ``b_t``.
    Calling the *same* layer twice in a functional model shares ``W`` and
    survives ``.keras`` saving, unlike a ``DenseTranspose(dense)`` layer that
    holds a reference to another layer (which would come back as a copy).

    Parameters
    ----------
    units : int
        Output width of the forward direction.
    activation, transpose_activation : str or None
        Activations of the forward and the transposed directions.
    """

    def __init__(self, units, activation=None, transpose_activation=None, **kwargs):
        super().__init__(**kwargs)
        self.units = check_positive_int(units, "units")
        self.activation = keras.activations.get(activation)
        self.transpose_activation = keras.activations.get(transpose_activation)

    def build(self, input_shape):
        n_in = int(input_shape[-1])
        self.kernel = self.add_weight(shape=(n_in, self.units), initializer="glorot_uniform", name="kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")
        self.transpose_bias = self.add_weight(shape=(n_in,), initializer="zeros", name="transpose_bias")

    def call(self, inputs, transpose=False):
        if transpose:
            return self.transpose_activation(ops.matmul(inputs, ops.transpose(self.kernel)) + self.transpose_bias)
        return self.activation(ops.matmul(inputs, self.kernel) + self.bias)

    def get_config(self):
        config = super().get_config()
        config.update(
            units=self.units,
            activation=keras.activations.serialize(self.activation),
            transpose_activation=keras.activations.serialize(self.transpose_activation),
        )
        return config


def kl_divergence(target, rates):
    """Return ``sum_j KL(target || rates_j)`` for Bernoulli rates, with ``keras.ops``.

    ``KL(p || q) = p log(p/q) + (1-p) log((1-p)/(1-q))``; ``rates`` are clipped
    to ``[1e-6, 1 - 1e-6]`` so that dead or saturated units give a large but
    finite penalty.
    """
    target = check_probability(target, "target", inclusive=False)
    q = ops.clip(rates, 1e-6, 1.0 - 1e-6)
    p = ops.cast(target, q.dtype)
    return ops.sum(p * ops.log(p / q) + (1.0 - p) * ops.log((1.0 - p) / (1.0 - q)))


@keras.saving.register_keras_serializable(package="aeutils")
class KLSparsity(keras.regularizers.Regularizer):
    """Activity regulariser pushing each unit's mean activation towards ``target``.

    Penalty ``weight * sum_j KL(target || mean_batch(h_j))`` for activations in
    (0, 1) (sigmoid codes). Use it as ``activity_regularizer=``: Keras divides
    activity penalties by the batch size, so this one multiplies by it first.
    """

    def __init__(self, target=0.05, weight=0.1):
        self.target = check_probability(target, "target", inclusive=False)
        self.weight = _check_nonneg(weight, "weight")

    def __call__(self, activations):
        rates = ops.mean(activations, axis=0)
        batch = ops.cast(ops.shape(activations)[0], activations.dtype)
        return ops.cast(self.weight, activations.dtype) * kl_divergence(self.target, rates) * batch

    def get_config(self):
        return {"target": self.target, "weight": self.weight}


def contractive_penalty(codes, kernel):
    """Return the mean over the batch of ``||J||_F^2`` for a sigmoid dense layer.

    For ``h = sigmoid(x @ W + b)`` the Jacobian is ``dh_j/dx_i = h_j (1 - h_j) W_ij``,
    so ``||J||_F^2 = sum_j (h_j (1 - h_j))^2 sum_i W_ij^2``. ``codes`` has shape
    ``(batch, units)`` and ``kernel`` shape ``(inputs, units)``.
    """
    if len(codes.shape) != 2 or len(kernel.shape) != 2 or codes.shape[-1] != kernel.shape[-1]:
        raise ValueError(
            f"codes, kernel: expected shapes (batch, units) and (inputs, units), got {codes.shape} and {kernel.shape}"
        )
    slope = codes * (1.0 - codes)
    return ops.mean(ops.sum(ops.square(slope) * ops.sum(ops.square(kernel), axis=0), axis=1))


@keras.saving.register_keras_serializable(package="aeutils")
class ContractiveDense(keras.layers.Layer):
    """Sigmoid dense layer that adds ``weight * ||dh/dx||_F^2`` (batch mean) to the loss.

    The penalty is :func:`contractive_penalty`, in closed form, so it needs no
    backend-specific autodiff. ``weight=0`` gives a plain sigmoid dense layer.
    """

    def __init__(self, units, weight=1e-2, **kwargs):
        super().__init__(**kwargs)
        self.units = check_positive_int(units, "units")
        self.weight = _check_nonneg(weight, "weight")

    def build(self, input_shape):
        n_in = int(input_shape[-1])
        self.kernel = self.add_weight(shape=(n_in, self.units), initializer="glorot_uniform", name="kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def call(self, inputs):
        codes = ops.sigmoid(ops.matmul(inputs, self.kernel) + self.bias)
        if self.weight > 0:
            self.add_loss(ops.cast(self.weight, codes.dtype) * contractive_penalty(codes, self.kernel))
        return codes

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        config = super().get_config()
        config.update(units=self.units, weight=self.weight)
        return config


CUSTOM_OBJECTS = {
    "Center": Center,
    "TiedDense": TiedDense,
    "KLSparsity": KLSparsity,
    "ContractiveDense": ContractiveDense,
}


# --------------------------------------------------------------------------- builders


def _prepare(code_size, input_shape, mean):
    code_size = check_positive_int(code_size, "code_size")
    input_shape = check_int_tuple(input_shape, "input_shape", allow_empty=False)
    if mean is not None:
        mean = check_array(mean, "mean", shape=input_shape, dtype_kind="fiu")
    return code_size, input_shape, int(np.prod(input_shape)), mean


def _dense_decoder(code_size, hidden, n_in, input_shape, activation, name):
    code_in = keras.Input((code_size,), name="code_in")
    h = code_in
    for i, width in enumerate(reversed(hidden)):
        h = keras.layers.Dense(width, activation=activation, name=f"dec_{i}")(h)
    h = keras.layers.Dense(n_in, activation="sigmoid", name="pixels")(h)
    return keras.Model(code_in, keras.layers.Reshape(input_shape)(h), name=f"{name}_decoder")


def _assemble(encoder, decoder, input_shape, name):
    inputs = keras.Input(input_shape, name="image")
    return keras.Model(inputs, decoder(encoder(inputs)), name=name), encoder, decoder


def build_tied_autoencoder(
    code_size: int = 32,
    input_shape=(28, 28),
    hidden=(512, 256),
    mean=None,
    activation: str = "relu",
    code_activation: str | None = None,
    name: str = "tied_ae",
):
    """Build a deep dense autoencoder whose decoder reuses the encoder's kernels transposed.

    Same parameters as :func:`aeutils.lessons.nb01_basic.build_dense_autoencoder` (``mean``: the
    mean image, subtracted first by a :class:`Center` layer); each encoder layer is a
    :class:`TiedDense` called forwards in the encoder and with
    ``transpose=True`` in the decoder, so the model has about half the weights.
    """
    code_size, input_shape, n_in, mean = _prepare(code_size, input_shape, mean)
    hidden = _check_hidden(hidden)
    widths = hidden + (code_size,)
    # Going back down, layer i's transposed output feeds layer i-1: it gets the
    # hidden activation, except the first layer which produces the pixels.
    layers = [
        TiedDense(
            w,
            activation=activation if i < len(hidden) else code_activation,
            transpose_activation="sigmoid" if i == 0 else activation,
            name="code" if i == len(hidden) else f"tied_{i}",
        )
        for i, w in enumerate(widths)
    ]
    inputs = keras.Input(input_shape, name="image")
    h = inputs if mean is None else Center(mean, name="center")(inputs)
    h = keras.layers.Flatten()(h)
    for layer in layers:
        h = layer(h)
    encoder = keras.Model(inputs, h, name=f"{name}_encoder")

    def decode(z):
        for layer in reversed(layers):
            z = layer(z, transpose=True)
        return keras.layers.Reshape(input_shape)(z)

    code_in = keras.Input((code_size,), name="code_in")
    decoder = keras.Model(code_in, decode(code_in), name=f"{name}_decoder")
    # One flat graph (not decoder(encoder(x))): each shared layer is stored once
    # in the .keras file, which keeps the tying when the model is loaded.
    autoencoder = keras.Model(inputs, decode(h), name=name)
    return autoencoder, encoder, decoder


def build_sparse_autoencoder(
    code_size: int = 1024,
    input_shape=(28, 28),
    hidden=(),
    sparsity: str | None = "kl",
    weight: float = 0.1,
    target: float = 0.05,
    mean=None,
    name: str = "sparse_ae",
):
    """Build a dense autoencoder with a sigmoid code kept sparse by a penalty.

    Parameters
    ----------
    code_size : int
        Code width; sparse codes are usually *overcomplete* (wider than needed).
    hidden : tuple of int
        Encoder hidden widths (ReLU) before the code; the decoder mirrors them.
    sparsity : {"kl", "l1", None}
        ``"kl"``: :class:`KLSparsity` towards ``target``; ``"l1"``: an L1 activity
        penalty ``weight * mean_batch(sum_j h_j)``; ``None``: unregularised.
    weight : float
        Strength of the penalty.
    target : float
        Target mean activation for ``"kl"``.
    mean : array, optional
        Mean image subtracted first by a :class:`Center` layer.
    """
    code_size, input_shape, n_in, mean = _prepare(code_size, input_shape, mean)
    hidden = _check_hidden(hidden)
    if sparsity is not None:
        check_choice(sparsity, "sparsity", {"kl", "l1"})
    weight = _check_nonneg(weight, "weight")
    target = check_probability(target, "target", inclusive=False)
    regularizer = {None: None, "l1": keras.regularizers.L1(weight), "kl": KLSparsity(target, weight)}[sparsity]
    inputs = keras.Input(input_shape, name="image")
    h = inputs if mean is None else Center(mean, name="center")(inputs)
    h = keras.layers.Flatten()(h)
    for i, width in enumerate(hidden):
        h = keras.layers.Dense(width, activation="relu", name=f"enc_{i}")(h)
    code = keras.layers.Dense(code_size, activation="sigmoid", activity_regularizer=regularizer, name="code")(h)
    encoder = keras.Model(inputs, code, name=f"{name}_encoder")
    decoder = _dense_decoder(code_size, hidden, n_in, input_shape, "relu", name)
    return _assemble(encoder, decoder, input_shape, name)


def build_contractive_autoencoder(
    code_size: int = 32,
    input_shape=(28, 28),
    weight: float = 1e-2,
    decoder_hidden=(512,),
    mean=None,
    name: str = "contractive_ae",
):
    """Build an autoencoder with a one-layer sigmoid encoder and a contractive penalty.

    The encoder is a single :class:`ContractiveDense` layer on the (optionally
    centred) pixels, so the closed-form penalty is exactly the squared
    Frobenius norm of the whole encoder's Jacobian. ``weight=0`` builds the
    same model unregularised (the fair "plain" baseline). The decoder is dense
    with ReLU ``decoder_hidden`` layers and a sigmoid output.
    """
    code_size, input_shape, n_in, mean = _prepare(code_size, input_shape, mean)
    weight = _check_nonneg(weight, "weight")
    decoder_hidden = _check_hidden(decoder_hidden, "decoder_hidden")
    inputs = keras.Input(input_shape, name="image")
    h = inputs if mean is None else Center(mean, name="center")(inputs)
    h = keras.layers.Flatten()(h)
    code = ContractiveDense(code_size, weight=weight, name="code")(h)
    encoder = keras.Model(inputs, code, name=f"{name}_encoder")
    decoder = _dense_decoder(code_size, tuple(reversed(decoder_hidden)), n_in, input_shape, "relu", name)
    return _assemble(encoder, decoder, input_shape, name)


def build_conv_autoencoder(
    code_size: int = 32,
    input_shape=(28, 28),
    filters=(32, 64),
    kernel_size: int = 3,
    mean=None,
    name: str = "conv_ae",
):
    """Build a convolutional autoencoder: strided Conv2D down, Conv2DTranspose up.

    Each entry of ``filters`` is a ``Conv2D(stride 2)`` halving the image side
    (28 -> 14 -> 7), then a dense code; the decoder mirrors it with a dense layer
    and ``Conv2DTranspose(stride 2)`` layers back to ``filters[0]`` channels at
    half size, then a last ``Conv2DTranspose`` to the image's channels with a
    sigmoid. ``input_shape`` is ``(H, W)`` or ``(H, W, C)`` with ``H`` and
    ``W`` divisible by ``2 ** len(filters)``.
    """
    code_size, input_shape, n_in, mean = _prepare(code_size, input_shape, mean)
    filters = _check_hidden(filters, "filters")
    kernel_size = check_positive_int(kernel_size, "kernel_size")
    if len(input_shape) not in (2, 3):
        raise ValueError(f"input_shape: expected (H, W) or (H, W, C), got {input_shape}")
    side = 2 ** len(filters)
    if input_shape[0] % side or input_shape[1] % side:
        raise ValueError(f"input_shape: expected H and W divisible by {side} for {len(filters)} strided layers, got {input_shape}")
    channels = input_shape[2] if len(input_shape) == 3 else 1
    inputs = keras.Input(input_shape, name="image")
    h = inputs if mean is None else Center(mean, name="center")(inputs)
    h = keras.layers.Reshape(input_shape[:2] + (channels,))(h)
    for i, f in enumerate(filters):
        h = keras.layers.Conv2D(f, kernel_size, strides=2, padding="same", activation="relu", name=f"conv_{i}")(h)
    small = (input_shape[0] // side, input_shape[1] // side, filters[-1])
    h = keras.layers.Flatten()(h)
    code = keras.layers.Dense(code_size, name="code")(h)
    encoder = keras.Model(inputs, code, name=f"{name}_encoder")

    code_in = keras.Input((code_size,), name="code_in")
    h = keras.layers.Dense(int(np.prod(small)), activation="relu", name="dec_dense")(code_in)
    h = keras.layers.Reshape(small)(h)
    for i, f in enumerate(reversed(filters[:-1])):
        h = keras.layers.Conv2DTranspose(
            f, kernel_size, strides=2, padding="same", activation="relu", name=f"deconv_{i}"
        )(h)
    h = keras.layers.Conv2DTranspose(
        channels, kernel_size, strides=2, padding="same", activation="sigmoid", name="pixels"
    )(h)
    decoder = keras.Model(code_in, keras.layers.Reshape(input_shape)(h), name=f"{name}_decoder")
    return _assemble(encoder, decoder, input_shape, name)


# --------------------------------------------------------------------------- measures


def encode(encoder, x, batch_size: int = 1024) -> np.ndarray:
    """Return ``encoder``'s codes for ``x`` as a float32 array of shape ``(N, code_size)``."""
    if not hasattr(encoder, "predict"):
        raise TypeError(f"encoder: expected a Keras model, got {type(encoder).__name__}")
    x = check_array(x, "x", dtype_kind="f")
    batch_size = check_positive_int(batch_size, "batch_size")
    codes = np.asarray(encoder.predict(x, batch_size=batch_size, verbose=0), dtype="float32")
    return codes.reshape(len(codes), -1)


def mean_activation(codes) -> float:
    """Return the mean absolute code value over images and units (for sigmoid codes: the firing rate)."""
    codes = check_array(codes, "codes", ndim=2, dtype_kind="fiu")
    return float(np.mean(np.abs(codes)))


def code_sensitivity(encoder, x, noise_std: float = 0.05, seed: int = 0, batch_size: int = 1024) -> float:
    """How far the code moves under a small input perturbation, relative to how far it moves between images.

    Returns ``mean_i ||f(x_i + e_i) - f(x_i)|| / mean_i ||f(x_i) - f(x_pi(i))||``
    with Gaussian noise ``e_i`` of standard deviation ``noise_std`` and ``pi``
    a random pairing of images. The ratio does not depend on the scale of the
    code, so different models can be compared: 0 means the code ignores the
    noise, 1 means the noise moves it as far as changing the image does.
    """
    x = check_array(x, "x", dtype_kind="f")
    if len(x) < 2:
        raise ValueError(f"x: expected at least 2 samples, got {len(x)}")
    noise_std = _check_nonneg(noise_std, "noise_std")
    if noise_std == 0:
        raise ValueError("noise_std: expected a number > 0, got 0.0")
    seed = check_positive_int(seed, "seed", minimum=0)
    rng = np.random.default_rng(seed)
    noisy = (x + rng.normal(0.0, noise_std, size=x.shape)).astype(x.dtype)
    z = encode(encoder, x, batch_size)
    z_noisy = encode(encoder, noisy, batch_size)
    perm = rng.permutation(len(x))
    same = perm == np.arange(len(x))
    perm[same] = (perm[same] + 1) % len(x)
    moved = np.linalg.norm(z_noisy - z, axis=1).mean()
    spread = np.linalg.norm(z[perm] - z, axis=1).mean()
    if spread == 0:
        raise ValueError("encoder: every image has the same code, the sensitivity ratio is undefined")
    return float(moved / spread)


def jacobian_frobenius(encoder, x, *, step: float = 1e-2, probes: int = 8, seed: int = 0, batch_size: int = 1024):
    """Estimate ``||J_f(x)||_F^2`` per sample for ANY encoder ``f``, by central finite differences.

    For a random direction ``v ~ N(0, I)``, ``E ||J v||^2 = ||J||_F^2``, and
    ``J v ~ (f(x + s v) - f(x - s v)) / (2 s)`` for a small ``step`` ``s``. The
    estimate averages ``probes`` directions drawn from ``numpy.random.default_rng(seed)``.
    It needs only forward passes, so it works for every encoder (dense, convolutional)
    on every Keras backend, with no backend-specific autodiff. Notebook 02 uses it
    to check the closed-form penalty of :func:`contractive_penalty`.

    Returns
    -------
    float64 array (N,)
    """
    x = check_array(x, "x", dtype_kind="f")
    step = _check_nonneg(step, "step")
    if step == 0:
        raise ValueError("step: expected a number > 0, got 0.0")
    probes = check_positive_int(probes, "probes")
    seed = check_positive_int(seed, "seed", minimum=0)
    if not hasattr(encoder, "predict"):
        raise TypeError(f"encoder: expected a Keras model, got {type(encoder).__name__}")
    rng = np.random.default_rng(seed)
    total = np.zeros(len(x))
    per_call = max(1, 32768 // len(x))  # probes evaluated together in one predict call
    for first in range(0, probes, per_call):
        k = min(per_call, probes - first)
        v = rng.standard_normal((k, *x.shape)).astype(x.dtype)
        both = np.concatenate([x[None] + step * v, x[None] - step * v]).reshape(2 * k * len(x), *x.shape[1:])
        codes = encode(encoder, both, batch_size).astype("float64").reshape(2, k, len(x), -1)
        total += np.sum(((codes[0] - codes[1]) / (2 * step)) ** 2, axis=-1).sum(axis=0)
    return total / probes


def probe_accuracy(train_features, train_labels, test_features, test_labels, *, C: float = 1.0, max_iter: int = 300) -> float:
    """Accuracy of a logistic-regression probe (scikit-learn) trained on frozen features.

    Features are flattened and standardised with the training statistics; the
    probe is multinomial logistic regression with L2 strength ``1/C``. A higher
    accuracy means the classes are more linearly separable in the features.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    xtr = check_array(train_features, "train_features", dtype_kind="fiu")
    xte = check_array(test_features, "test_features", dtype_kind="fiu")
    xtr = xtr.reshape(len(xtr), -1)
    xte = xte.reshape(len(xte), -1)
    if xtr.shape[1] != xte.shape[1]:
        raise ValueError(f"test_features: expected {xtr.shape[1]} features like train_features, got {xte.shape[1]}")
    ytr = check_array(train_labels, "train_labels", ndim=1, shape=(len(xtr),), dtype_kind="iu")
    yte = check_array(test_labels, "test_labels", ndim=1, shape=(len(xte),), dtype_kind="iu")
    if len(np.unique(ytr)) < 2:
        raise ValueError("train_labels: expected at least 2 classes, got 1")
    C = _check_nonneg(C, "C")
    if C == 0:
        raise ValueError("C: expected a number > 0, got 0.0")
    max_iter = check_positive_int(max_iter, "max_iter")
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    probe = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=max_iter))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        probe.fit(xtr.astype("float64"), ytr)
    return float(probe.score(xte.astype("float64"), yte))
