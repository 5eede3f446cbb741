"""Variational autoencoders in plain Keras 3 (introduced in notebook 04).

The :class:`VAE` is a ``keras.Model`` whose loss lives in :meth:`VAE.compute_loss`
(no TensorFlow-only ``train_step``, no symbolic ``add_loss``), so ``fit``,
``evaluate`` with validation data, ``predict`` and ``.keras`` saving work the
same on the TensorFlow, JAX and PyTorch backends. Everything inside the model
is written with ``keras.ops`` and ``keras.random``.

* Encoder ``q(z|x) = N(mu(x), diag(exp(log_var(x))))``, prior ``p(z) = N(0, I)``.
* Reparameterisation: ``z = mu + exp(log_var / 2) * eps`` with ``eps`` drawn
  from a :class:`keras.random.SeedGenerator` owned by the model.
* Likelihoods ``p(x|z)``: ``"bernoulli"`` (binary pixels), ``"continuous_bernoulli"``
  (pixels in [0, 1], a proper density) and ``"gaussian"`` (fixed ``sigma``: MSE
  with the right constant). The decoder always returns logits; the mean image is
  :func:`likelihood_mean` of them.
* Loss: ``reconstruction + beta * KL`` per example, in nats, with the analytic KL; an
  optional linear KL warm-up (``kl_warmup_steps``, ``fit_vae(kl_warmup_epochs=...)``)
  keeps latent units from collapsing onto the prior early in training.
* Optional class-conditional variant (``num_classes > 0``): the model's input is
  ``[images, integer_labels]`` and both networks see the one-hot label.

Evaluation helpers (:func:`elbo`, :func:`importance_weighted_nll`) work in nats
per example, batch the work and use ``keras.ops`` only.
"""
from __future__ import annotations

import math
import numbers

import keras
import numpy as np
from keras import ops

from .core.validation import check_array, check_choice, check_positive_int

__all__ = [
    "LIKELIHOODS",
    "VAE",
    "build_dense_vae",
    "build_conv_vae",
    "fit_vae",
    "log_likelihood",
    "likelihood_mean",
    "gaussian_kl",
    "elbo",
    "importance_weighted_nll",
    "sample_prior",
    "interpolate",
    "latent_grid",
]

LIKELIHOODS = ("bernoulli", "continuous_bernoulli", "gaussian")
_LOG_2PI = math.log(2.0 * math.pi)


def _check_nonneg(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{name}: expected a finite number >= 0, got {value!r}")
    return float(value)


def _check_pos(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name}: expected a finite number > 0, got {value!r}")
    return float(value)


# ---------------------------------------------------------------- likelihoods
def _cb_log_norm(logits):
    """log C(lambda) of the continuous Bernoulli, written in the logits eta.

    With lambda = sigmoid(eta): C = eta / tanh(eta / 2), an even function with
    C -> 2 as eta -> 0 (where the Taylor series log 2 + eta^2 / 12 is used).
    """
    a = ops.abs(logits)
    small = a < 1e-3
    safe = ops.where(small, ops.ones_like(a), a)
    exact = ops.log(safe) - ops.log(ops.tanh(safe / 2.0))
    taylor = math.log(2.0) + ops.square(a) / 12.0
    return ops.where(small, taylor, exact)


def log_likelihood(x, logits, likelihood: str = "bernoulli", sigma: float = 0.1):
    """Return ``log p(x|z)`` summed over all pixels: one value per example, in nats.

    Parameters
    ----------
    x : tensor (batch, ...)
        Data, in [0, 1] (binary for ``"bernoulli"``).
    logits : tensor like ``x``
        The decoder's output.
    likelihood : {"bernoulli", "continuous_bernoulli", "gaussian"}
        Observation model; ``"gaussian"`` uses mean ``sigmoid(logits)`` and a fixed ``sigma``.
    sigma : float
        Standard deviation of the Gaussian likelihood.
    """
    check_choice(likelihood, "likelihood", LIKELIHOODS)
    sigma = _check_pos(sigma, "sigma")
    x = ops.convert_to_tensor(x, dtype=logits.dtype)
    if likelihood == "gaussian":
        mean = ops.sigmoid(logits)
        per_pixel = -0.5 * ops.square((x - mean) / sigma) - math.log(sigma) - 0.5 * _LOG_2PI
    else:
        # x * eta - softplus(eta) == x log(lambda) + (1 - x) log(1 - lambda), computed stably.
        per_pixel = x * logits - ops.softplus(logits)
        if likelihood == "continuous_bernoulli":
            per_pixel = per_pixel + _cb_log_norm(logits)
    axes = tuple(range(1, len(per_pixel.shape)))
    return ops.sum(per_pixel, axis=axes)


def likelihood_mean(logits, likelihood: str = "bernoulli"):
    """Return the mean image ``E[x|z]`` for decoder ``logits`` (a tensor, or an array).

    For the Bernoulli and Gaussian likelihoods it is ``sigmoid(logits)``; the
    continuous Bernoulli's mean is ``sigmoid(eta) / tanh(eta / 2) - 1 / eta``
    (0.5 at ``eta = 0``), which differs from its parameter ``lambda``.
    """
    check_choice(likelihood, "likelihood", LIKELIHOODS)
    logits = ops.convert_to_tensor(logits, dtype="float32")
    lam = ops.sigmoid(logits)
    if likelihood != "continuous_bernoulli":
        return lam
    small = ops.abs(logits) < 1e-3
    safe = ops.where(small, ops.ones_like(logits), logits)
    exact = lam / ops.tanh(safe / 2.0) - 1.0 / safe
    return ops.where(small, 0.5 + logits / 12.0, exact)


def gaussian_kl(z_mean, z_log_var):
    """Analytic ``KL(N(mu, diag(exp(log_var))) || N(0, I))`` per example, in nats.

    ``KL = 1/2 * sum(mu^2 + exp(log_var) - log_var - 1)`` over the latent axis.
    """
    return 0.5 * ops.sum(ops.square(z_mean) + ops.exp(z_log_var) - z_log_var - 1.0, axis=-1)


def _log_normal(z, mean, log_var):
    return -0.5 * ops.sum(_LOG_2PI + log_var + ops.square(z - mean) / ops.exp(log_var), axis=-1)


# ---------------------------------------------------------------- the model
@keras.saving.register_keras_serializable(package="aeutils")
class VAE(keras.Model):
    """A variational autoencoder with its loss in ``compute_loss``.

    Parameters
    ----------
    encoder : keras.Model
        Maps images (or ``[images, one_hot]`` when ``num_classes > 0``) to a
        ``(batch, 2 * latent_dim)`` tensor: the mean, then the log-variance.
    decoder : keras.Model
        Maps ``z`` (or ``[z, one_hot]``) to logits with the images' shape.
    latent_dim : int
        Size of ``z``.
    likelihood : {"bernoulli", "continuous_bernoulli", "gaussian"}
        Observation model ``p(x|z)``.
    beta : float
        Weight of the KL term (1 = the ELBO; other values give a beta-VAE).
    sigma : float
        Standard deviation of the ``"gaussian"`` likelihood.
    num_classes : int
        0 for an unconditional VAE; otherwise the number of classes of a
        conditional VAE whose input is ``[images, integer_labels]``.
    seed : int
        Seed of the generator that draws ``eps`` in the reparameterisation.
    kl_warmup_steps : int
        KL annealing ("warm-up", Bowman et al. 2016; Sønderby et al. 2016): during
        the first ``kl_warmup_steps`` training steps the KL weight ramps linearly
        from ``beta / kl_warmup_steps`` up to ``beta``, so the encoder learns to put
        information into the code before the KL term pushes unused units back to the
        prior. 0 (the default) trains on the ELBO from the first step. Evaluation
        (``evaluate``, validation losses) always uses the full weight ``beta``.

    Calling the model returns a dict: ``z_mean``, ``z_log_var``, ``z`` (one
    sample, drawn with the reparameterisation trick in training *and* in
    inference, so that ``evaluate`` reports the ELBO with sampled ``z``) and
    ``logits`` (decoded from that ``z``). ``fit`` logs ``loss``
    (reconstruction + beta * KL), ``reconstruction`` (distortion, nats) and
    ``kl`` (rate, nats), all averaged per example. During a KL warm-up the
    training ``loss`` is the annealed objective, not yet the ELBO.
    """

    def __init__(
        self,
        encoder,
        decoder,
        latent_dim: int,
        likelihood: str = "bernoulli",
        beta: float = 1.0,
        sigma: float = 0.1,
        num_classes: int = 0,
        seed: int = 0,
        kl_warmup_steps: int = 0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if not isinstance(encoder, keras.Model):
            raise TypeError(f"encoder: expected a keras.Model, got {type(encoder).__name__}")
        if not isinstance(decoder, keras.Model):
            raise TypeError(f"decoder: expected a keras.Model, got {type(decoder).__name__}")
        self.encoder = encoder
        self.decoder = decoder
        self.latent_dim = check_positive_int(latent_dim, "latent_dim")
        self.likelihood = check_choice(likelihood, "likelihood", LIKELIHOODS)
        self.beta = _check_nonneg(beta, "beta")
        self.sigma = _check_pos(sigma, "sigma")
        self.num_classes = check_positive_int(num_classes, "num_classes", minimum=0)
        self.seed = check_positive_int(seed, "seed", minimum=0)
        self.seed_generator = keras.random.SeedGenerator(self.seed)
        self.kl_warmup_steps = check_positive_int(kl_warmup_steps, "kl_warmup_steps", minimum=0)
        # Training steps taken so far (drives the KL warm-up; a variable, so it works inside compiled steps).
        self.kl_step = keras.Variable(0.0, trainable=False, dtype="float32", name="kl_step")
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction")
        self.kl_tracker = keras.metrics.Mean(name="kl")

    # -- pieces -------------------------------------------------------------
    def _split(self, inputs):
        if self.num_classes:
            if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
                raise ValueError("inputs: a conditional VAE expects [images, integer_labels]")
            x, labels = inputs
            one_hot = ops.one_hot(ops.cast(ops.reshape(labels, (-1,)), "int32"), self.num_classes)
            return x, one_hot
        if isinstance(inputs, (list, tuple)):
            inputs = inputs[0]
        return inputs, None

    def encode_tensors(self, x, one_hot=None):
        """Return ``(z_mean, z_log_var)`` tensors for a batch of images."""
        h = self.encoder([x, one_hot] if self.num_classes else x)
        return h[:, : self.latent_dim], h[:, self.latent_dim :]

    def decode_tensors(self, z, one_hot=None):
        """Return decoder logits for a batch of codes."""
        return self.decoder([z, one_hot] if self.num_classes else z)

    def call(self, inputs, training=False):
        x, one_hot = self._split(inputs)
        z_mean, z_log_var = self.encode_tensors(x, one_hot)
        eps = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
        z = z_mean + ops.exp(0.5 * z_log_var) * eps
        logits = self.decode_tensors(z, one_hot)
        return {"z_mean": z_mean, "z_log_var": z_log_var, "z": z, "logits": logits}

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """Mean over the batch of ``-log p(x|z) + beta * KL(q(z|x) || p(z))``, in nats."""
        images, _ = self._split(x)
        recon = -log_likelihood(images, y_pred["logits"], self.likelihood, self.sigma)
        kl = gaussian_kl(y_pred["z_mean"], y_pred["z_log_var"])
        self.reconstruction_tracker.update_state(recon)
        self.kl_tracker.update_state(kl)
        kl_weight = self.beta
        if training:
            self.kl_step.assign_add(1.0)
            if self.kl_warmup_steps:
                kl_weight = self.beta * ops.minimum(1.0, self.kl_step / float(self.kl_warmup_steps))
        loss = ops.mean(recon + kl_weight * kl)
        extra = self.losses  # e.g. weight regularisers in the sub-models
        if extra:
            loss = loss + ops.sum(ops.stack(extra))
        return loss

    def compute_output_spec(self, inputs, training=False):
        x, _ = self._split(inputs)
        batch = x.shape[0]
        spec = keras.KerasTensor((batch, self.latent_dim), dtype="float32")
        return {
            "z_mean": spec,
            "z_log_var": spec,
            "z": spec,
            "logits": keras.KerasTensor(tuple(x.shape), dtype="float32"),
        }

    # -- NumPy conveniences ---------------------------------------------------
    def _batches(self, n, batch_size):
        for start in range(0, n, batch_size):
            yield slice(start, min(start + batch_size, n))

    def _labels_arg(self, labels, n):
        if not self.num_classes:
            if labels is not None:
                raise ValueError("labels: this VAE is not conditional (num_classes=0); pass labels=None")
            return None
        if labels is None:
            raise ValueError(f"labels: a conditional VAE needs {n} integer labels, got None")
        labels = check_array(labels, "labels", ndim=1, dtype_kind="iu", value_range=(0, self.num_classes - 1))
        if len(labels) != n:
            raise ValueError(f"labels: expected {n} labels, got {len(labels)}")
        return labels

    def encode(self, x, labels=None, batch_size: int = 1000):
        """Return NumPy ``(z_mean, z_log_var)`` for images ``x`` (and ``labels`` if conditional)."""
        x = check_array(x, "x", dtype_kind="f")
        labels = self._labels_arg(labels, len(x))
        batch_size = check_positive_int(batch_size, "batch_size")
        means, log_vars = [], []
        for s in self._batches(len(x), batch_size):
            oh = None if labels is None else ops.one_hot(ops.convert_to_tensor(labels[s], "int32"), self.num_classes)
            m, lv = self.encode_tensors(ops.convert_to_tensor(x[s]), oh)
            means.append(ops.convert_to_numpy(m))
            log_vars.append(ops.convert_to_numpy(lv))
        return np.concatenate(means), np.concatenate(log_vars)

    def decode(self, z, labels=None, batch_size: int = 1000):
        """Return the mean images ``E[x|z]`` (NumPy) for codes ``z`` (and ``labels`` if conditional)."""
        z = check_array(z, "z", ndim=2, shape=(None, self.latent_dim), dtype_kind="f")
        labels = self._labels_arg(labels, len(z))
        batch_size = check_positive_int(batch_size, "batch_size")
        out = []
        for s in self._batches(len(z), batch_size):
            oh = None if labels is None else ops.one_hot(ops.convert_to_tensor(labels[s], "int32"), self.num_classes)
            logits = self.decode_tensors(ops.convert_to_tensor(z[s].astype("float32")), oh)
            out.append(ops.convert_to_numpy(likelihood_mean(logits, self.likelihood)))
        return np.concatenate(out)

    def reconstruct(self, x, labels=None, batch_size: int = 1000):
        """Decode the posterior means of ``x``: the VAE's deterministic reconstructions."""
        z_mean, _ = self.encode(x, labels, batch_size)
        return self.decode(z_mean, labels, batch_size)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "encoder": keras.saving.serialize_keras_object(self.encoder),
                "decoder": keras.saving.serialize_keras_object(self.decoder),
                "latent_dim": self.latent_dim,
                "likelihood": self.likelihood,
                "beta": self.beta,
                "sigma": self.sigma,
                "num_classes": self.num_classes,
                "seed": self.seed,
                "kl_warmup_steps": self.kl_warmup_steps,
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["encoder"] = keras.saving.deserialize_keras_object(config["encoder"])
        config["decoder"] = keras.saving.deserialize_keras_object(config["decoder"])
        return cls(**config)


# ---------------------------------------------------------------- builders
def _decoder_inputs(latent_dim, num_classes):
    """Return the decoder's inputs (``z``, plus a one-hot label when conditional) and its first tensor."""
    z_in = keras.Input((latent_dim,), name="z")
    if not num_classes:
        return z_in, z_in
    yd_in = keras.Input((num_classes,), name="label")
    return [z_in, yd_in], keras.layers.Concatenate()([z_in, yd_in])


def _check_shape(input_shape):
    if not isinstance(input_shape, (tuple, list)) or not input_shape:
        raise TypeError(f"input_shape: expected a non-empty tuple of positive ints, got {input_shape!r}")
    return tuple(check_positive_int(d, "input_shape") for d in input_shape)


def _vae_common(latent_dim, num_classes, likelihood, beta, sigma, seed):
    latent_dim = check_positive_int(latent_dim, "latent_dim")
    num_classes = check_positive_int(num_classes, "num_classes", minimum=0)
    check_choice(likelihood, "likelihood", LIKELIHOODS)
    _check_nonneg(beta, "beta")
    _check_pos(sigma, "sigma")
    check_positive_int(seed, "seed", minimum=0)
    return latent_dim, num_classes


def build_dense_vae(
    latent_dim: int,
    input_shape: tuple[int, ...] = (28, 28),
    hidden: tuple[int, ...] = (512, 256),
    *,
    num_classes: int = 0,
    likelihood: str = "bernoulli",
    beta: float = 1.0,
    sigma: float = 0.1,
    seed: int = 0,
    data_mean=None,
    name: str = "dense_vae",
) -> VAE:
    """Build a :class:`VAE` with fully connected encoder and (mirrored) decoder.

    Parameters
    ----------
    latent_dim : int
        Size of ``z``.
    input_shape : tuple of int
        Shape of one image, e.g. ``(28, 28)``.
    hidden : tuple of int
        Encoder hidden widths (ReLU); the decoder mirrors them.
    num_classes : int
        > 0 for a conditional VAE (the one-hot label joins both networks' inputs).
    likelihood, beta, sigma, seed : see :class:`VAE`.
    data_mean : array of shape ``input_shape`` with values in [0, 1], optional
        The training images' mean. The decoder's output bias then starts at its logit,
        so the untrained decoder already draws the average image and the first training
        steps need not learn it. Pair it with a KL warm-up (``fit_vae(kl_warmup_epochs=...)``):
        a decoder that already explains the average image without any code makes it
        even cheaper for the KL term to switch latent units off.
    """
    latent_dim, num_classes = _vae_common(latent_dim, num_classes, likelihood, beta, sigma, seed)
    input_shape = _check_shape(input_shape)
    if data_mean is not None:
        data_mean = check_array(data_mean, "data_mean", dtype_kind="fiu", value_range=(0.0, 1.0))
        if data_mean.shape != input_shape:
            raise ValueError(f"data_mean: expected one image of shape {input_shape}, got shape {data_mean.shape}")
    if not isinstance(hidden, (tuple, list)) or not hidden:
        raise TypeError(f"hidden: expected a non-empty tuple of layer widths, got {hidden!r}")
    hidden = tuple(check_positive_int(h, "hidden") for h in hidden)
    n_in = int(np.prod(input_shape))

    x_in = keras.Input(input_shape, name="image")
    h = keras.layers.Flatten()(x_in)
    enc_inputs = x_in
    if num_classes:
        y_in = keras.Input((num_classes,), name="label")
        h = keras.layers.Concatenate()([h, y_in])
        enc_inputs = [x_in, y_in]
    for i, width in enumerate(hidden):
        h = keras.layers.Dense(width, activation="relu", name=f"enc_{i}")(h)
    stats = keras.layers.Dense(2 * latent_dim, name="z_stats")(h)
    encoder = keras.Model(enc_inputs, stats, name=f"{name}_encoder")

    dec_inputs, h = _decoder_inputs(latent_dim, num_classes)
    for i, width in enumerate(reversed(hidden)):
        h = keras.layers.Dense(width, activation="relu", name=f"dec_{i}")(h)
    out = keras.layers.Dense(n_in, name="logits")
    logits = keras.layers.Reshape(input_shape)(out(h))
    decoder = keras.Model(dec_inputs, logits, name=f"{name}_decoder")
    if data_mean is not None:
        p = np.clip(data_mean.reshape(n_in).astype("float64"), 1e-3, 1.0 - 1e-3)
        out.bias.assign(np.log(p / (1.0 - p)).astype("float32"))
    return VAE(encoder, decoder, latent_dim, likelihood, beta, sigma, num_classes, seed, name=name)


def build_conv_vae(
    latent_dim: int,
    input_shape: tuple[int, int] = (28, 28),
    filters: tuple[int, int] = (32, 64),
    dense: int = 256,
    *,
    num_classes: int = 0,
    likelihood: str = "bernoulli",
    beta: float = 1.0,
    sigma: float = 0.1,
    seed: int = 0,
    name: str = "conv_vae",
) -> VAE:
    """Build a convolutional :class:`VAE` for one-channel images whose sides divide by 4.

    The encoder is two stride-2 3x3 convolutions (``filters``), then a dense layer
    of width ``dense``; the decoder mirrors it with transposed convolutions and
    ends in a 3x3 convolution giving one logit per pixel.
    """
    latent_dim, num_classes = _vae_common(latent_dim, num_classes, likelihood, beta, sigma, seed)
    input_shape = _check_shape(input_shape)
    if len(input_shape) != 2 or input_shape[0] % 4 or input_shape[1] % 4:
        raise ValueError(f"input_shape: expected (height, width) with both divisible by 4, got {input_shape}")
    if not isinstance(filters, (tuple, list)) or len(filters) != 2:
        raise TypeError(f"filters: expected two filter counts, got {filters!r}")
    f1, f2 = (check_positive_int(f, "filters") for f in filters)
    dense = check_positive_int(dense, "dense")
    h4, w4 = input_shape[0] // 4, input_shape[1] // 4

    x_in = keras.Input(input_shape, name="image")
    h = keras.layers.Reshape((*input_shape, 1))(x_in)
    h = keras.layers.Conv2D(f1, 3, strides=2, padding="same", activation="relu", name="enc_conv_0")(h)
    h = keras.layers.Conv2D(f2, 3, strides=2, padding="same", activation="relu", name="enc_conv_1")(h)
    h = keras.layers.Flatten()(h)
    enc_inputs = x_in
    if num_classes:
        y_in = keras.Input((num_classes,), name="label")
        h = keras.layers.Concatenate()([h, y_in])
        enc_inputs = [x_in, y_in]
    h = keras.layers.Dense(dense, activation="relu", name="enc_dense")(h)
    stats = keras.layers.Dense(2 * latent_dim, name="z_stats")(h)
    encoder = keras.Model(enc_inputs, stats, name=f"{name}_encoder")

    dec_inputs, h = _decoder_inputs(latent_dim, num_classes)
    h = keras.layers.Dense(dense, activation="relu", name="dec_dense")(h)
    h = keras.layers.Dense(h4 * w4 * f2, activation="relu", name="dec_grid")(h)
    h = keras.layers.Reshape((h4, w4, f2))(h)
    h = keras.layers.Conv2DTranspose(f2, 3, strides=2, padding="same", activation="relu", name="dec_up_0")(h)
    h = keras.layers.Conv2DTranspose(f1, 3, strides=2, padding="same", activation="relu", name="dec_up_1")(h)
    h = keras.layers.Conv2D(1, 3, padding="same", name="logits")(h)
    logits = keras.layers.Reshape(input_shape)(h)
    decoder = keras.Model(dec_inputs, logits, name=f"{name}_decoder")
    return VAE(encoder, decoder, latent_dim, likelihood, beta, sigma, num_classes, seed, name=name)


# ---------------------------------------------------------------- training
def fit_vae(
    model,
    x_train,
    x_val=None,
    *,
    labels_train=None,
    labels_val=None,
    epochs: int,
    batch_size: int = 128,
    learning_rate: float = 1e-3,
    log_every: int = 1,
    prefix: str = "",
    resample=None,
    seed: int = 0,
    steps_per_execution: int = 1,
    kl_warmup_epochs: float = 0.0,
):
    """Compile ``model`` with cosine-decayed Adam and fit it; one printed line per ``log_every`` epochs.

    Parameters
    ----------
    model : VAE
    x_train, x_val : float arrays in [0, 1]
        Training and (optional) validation images.
    labels_train, labels_val : int arrays, only for a conditional VAE
    epochs, batch_size, learning_rate : the training budget.
    log_every : int
        Print every ``log_every`` epochs (0: silent).
    resample : callable ``resample(x, seed=numpy.random.Generator) -> array like x``, optional
        Draw the training input afresh for every batch from ``x_train`` (unconditional VAEs
        only). Notebook 04 passes grey-level MNIST and a stochastic binarisation,
        ``lambda x, seed: seed.random(x.shape) < x``, so every epoch sees new binary images
        (dynamic binarisation, as in the IWAE paper) and the model cannot memorise one draw.
    seed : int
        Seeds the batch order and the draws of ``resample``.
    steps_per_execution : int
        Training steps per compiled call (Keras's ``compile`` option); more steps per call
        cut the per-step overhead of small models on a CPU without changing the arithmetic.
    kl_warmup_epochs : float >= 0
        Ramp the KL weight linearly from ~0 to ``beta`` over this many epochs (sets the
        model's ``kl_warmup_steps``; see :class:`VAE`). Each call restarts the ramp, as it
        restarts the learning-rate schedule. 0 (the default): no warm-up.

    Returns
    -------
    keras.callbacks.History with ``loss``, ``reconstruction``, ``kl`` (and ``val_*``).
    """
    from .common.training import CorruptedBatches, EpochLogger, cosine_adam

    model = _check_vae(model)
    x_train, labels_train = _check_x(model, x_train, labels_train, "x_train")
    epochs = check_positive_int(epochs, "epochs")
    batch_size = check_positive_int(batch_size, "batch_size")
    log_every = check_positive_int(log_every, "log_every", minimum=0)
    train = [x_train, labels_train] if model.num_classes else x_train
    validation = None
    if x_val is not None:
        x_val, labels_val = _check_x(model, x_val, labels_val, "x_val")
        if x_val.shape[1:] != x_train.shape[1:]:
            raise ValueError(f"x_val: expected samples of shape {x_train.shape[1:]} like x_train, got {x_val.shape[1:]}")
        validation = ([x_val, labels_val] if model.num_classes else x_val,)
    seed = check_positive_int(seed, "seed", minimum=0)
    spe = check_positive_int(steps_per_execution, "steps_per_execution")
    if isinstance(kl_warmup_epochs, bool) or not isinstance(kl_warmup_epochs, numbers.Real) \
            or not math.isfinite(kl_warmup_epochs) or not 0 <= kl_warmup_epochs <= epochs:
        raise ValueError(f"kl_warmup_epochs: expected a number between 0 and epochs={epochs}, got {kl_warmup_epochs!r}")
    callbacks = [EpochLogger(log_every, prefix)] if log_every else []
    if resample is not None:
        if model.num_classes:
            raise ValueError("resample: only for an unconditional VAE (a conditional one also takes labels)")
        if not callable(resample):
            raise TypeError(f"resample: expected a callable resample(x, seed=rng), got {type(resample).__name__}")
        # (input, x_train) pairs: compute_loss scores the drawn input and ignores the second array.
        batches = CorruptedBatches(x_train, resample, batch_size=batch_size, seed=seed)
        _start_warmup(model, kl_warmup_epochs, len(batches))
        model.compile(optimizer=cosine_adam(learning_rate, epochs, len(batches)), steps_per_execution=spe)
        return model.fit(batches, validation_data=validation, epochs=epochs, verbose=0, callbacks=callbacks)
    steps = math.ceil(len(x_train) / batch_size)
    _start_warmup(model, kl_warmup_epochs, steps)
    model.compile(optimizer=cosine_adam(learning_rate, epochs, steps), steps_per_execution=spe)
    return model.fit(train, validation_data=validation, epochs=epochs, batch_size=batch_size,
                     shuffle=True, verbose=0, callbacks=callbacks)


def _start_warmup(model, warmup_epochs, steps_per_epoch):
    model.kl_warmup_steps = int(round(warmup_epochs * steps_per_epoch))
    model.kl_step.assign(0.0)


# ---------------------------------------------------------------- evaluation
def _check_vae(model):
    if not isinstance(model, VAE):
        raise TypeError(f"model: expected an aeutils.vae.VAE, got {type(model).__name__}")
    return model


def _check_x(model, x, labels, name="x"):
    x = check_array(x, name, dtype_kind="f", value_range=(0.0, 1.0))
    labels = model._labels_arg(labels, len(x))
    return x.astype("float32", copy=False), labels


def _one_hot(model, labels, s, repeat=1):
    if labels is None:
        return None
    lab = np.repeat(labels[s], repeat) if repeat > 1 else labels[s]
    return ops.one_hot(ops.convert_to_tensor(lab, "int32"), model.num_classes)


def elbo(model, x, labels=None, *, batch_size: int = 500, seed: int = 0, return_parts: bool = False):
    """Per-example ELBO in nats, with one *sampled* ``z`` per example (not the mean).

    ``ELBO(x) = log p(x|z) - KL(q(z|x) || p(z))`` with ``z ~ q(z|x)``; it is a
    lower bound on ``log p(x)``, so ``-ELBO`` upper-bounds the NLL.

    Parameters
    ----------
    model : VAE
    x : array (n, ...) in [0, 1]
    labels : int array (n,), only for a conditional VAE
    batch_size : int
    seed : int
        Seeds the draws of ``z``: the same seed gives the same numbers.
    return_parts : bool
        Also return the per-example reconstruction log-likelihood and KL.

    Returns
    -------
    elbo : float array (n,)  (and ``log_px_z, kl`` when ``return_parts``)
    """
    model = _check_vae(model)
    x, labels = _check_x(model, x, labels)
    batch_size = check_positive_int(batch_size, "batch_size")
    gen = keras.random.SeedGenerator(check_positive_int(seed, "seed", minimum=0))
    rec_all, kl_all = [], []
    for s in model._batches(len(x), batch_size):
        xb = ops.convert_to_tensor(x[s])
        oh = _one_hot(model, labels, s)
        mean, log_var = model.encode_tensors(xb, oh)
        z = mean + ops.exp(0.5 * log_var) * keras.random.normal(ops.shape(mean), seed=gen)
        rec = log_likelihood(xb, model.decode_tensors(z, oh), model.likelihood, model.sigma)
        rec_all.append(ops.convert_to_numpy(rec))
        kl_all.append(ops.convert_to_numpy(gaussian_kl(mean, log_var)))
    rec, kl = np.concatenate(rec_all).astype("float64"), np.concatenate(kl_all).astype("float64")
    return (rec - kl, rec, kl) if return_parts else rec - kl


def importance_weighted_nll(model, x, labels=None, *, k: int = 100, batch_size: int = 50, seed: int = 0):
    """Importance-weighted estimate of ``-log p(x)`` per example, in nats (Burda et al., 2016).

    ``log p(x) >= log (1/k) sum_i p(x, z_i) / q(z_i|x)`` with ``z_i ~ q(z|x)``:
    the bound tightens as ``k`` grows (``k = 1`` is the ELBO). Works on
    ``batch_size`` examples at a time, i.e. ``batch_size * k`` decoder passes.

    Parameters
    ----------
    model : VAE
    x : array (n, ...) in [0, 1]
    labels : int array (n,), only for a conditional VAE
    k : int
        Importance samples per example.
    batch_size : int
        Examples per step.
    seed : int
        Seeds the draws: the same seed gives the same numbers.

    Returns
    -------
    float array (n,) : the estimated negative log-likelihood of each example.
    """
    model = _check_vae(model)
    x, labels = _check_x(model, x, labels)
    k = check_positive_int(k, "k")
    batch_size = check_positive_int(batch_size, "batch_size")
    gen = keras.random.SeedGenerator(check_positive_int(seed, "seed", minimum=0))
    d = model.latent_dim
    out = []
    for s in model._batches(len(x), batch_size):
        xb = ops.convert_to_tensor(x[s])
        n = xb.shape[0]
        mean, log_var = model.encode_tensors(xb, _one_hot(model, labels, s))
        eps = keras.random.normal((n, k, d), seed=gen)
        z = ops.expand_dims(mean, 1) + ops.exp(0.5 * ops.expand_dims(log_var, 1)) * eps  # (n, k, d)
        log_q = _log_normal(z, ops.expand_dims(mean, 1), ops.expand_dims(log_var, 1))  # (n, k)
        log_prior = -0.5 * ops.sum(_LOG_2PI + ops.square(z), axis=-1)
        logits = model.decode_tensors(ops.reshape(z, (n * k, d)), _one_hot(model, labels, s, repeat=k))
        x_rep = ops.repeat(xb, k, axis=0)
        log_px = ops.reshape(log_likelihood(x_rep, logits, model.likelihood, model.sigma), (n, k))
        log_w = log_px + log_prior - log_q
        log_px_est = ops.logsumexp(log_w, axis=1) - math.log(k)
        out.append(ops.convert_to_numpy(-log_px_est))
    return np.concatenate(out).astype("float64")


# ---------------------------------------------------------------- generation
def sample_prior(model, n: int, labels=None, *, seed: int = 0):
    """Draw ``n`` codes from the prior ``N(0, I)`` and return the decoded mean images."""
    model = _check_vae(model)
    n = check_positive_int(n, "n")
    rng = np.random.default_rng(check_positive_int(seed, "seed", minimum=0))
    z = rng.standard_normal((n, model.latent_dim)).astype("float32")
    return model.decode(z, labels)


def interpolate(model, x_a, x_b, steps: int = 8, labels=None):
    """Decode ``steps`` codes on the straight line between the posterior means of images ``x_a`` and ``x_b``.

    ``labels`` (conditional VAE only) is one int class used along the whole path.
    """
    model = _check_vae(model)
    steps = check_positive_int(steps, "steps", minimum=2)
    pair = check_array(np.stack([np.asarray(x_a), np.asarray(x_b)]), "x_a, x_b", dtype_kind="f", value_range=(0, 1))
    lab = None if labels is None else np.full(2, check_positive_int(labels, "labels", minimum=0), dtype="int64")
    z_mean, _ = model.encode(pair.astype("float32"), lab)
    t = np.linspace(0.0, 1.0, steps, dtype="float32")[:, None]
    path = (1.0 - t) * z_mean[0] + t * z_mean[1]
    path_labels = None if lab is None else np.full(steps, lab[0])
    return model.decode(path.astype("float32"), path_labels)


def latent_grid(model, n: int = 15, span: float = 2.0):
    """Decode an ``n x n`` grid of 2-D codes spaced by the prior's quantiles (Kingma and Welling's manifold).

    Returns ``(images (n, n, ...), grid values (n,))``; the grid runs over the normal
    quantiles in ``[Phi(-span), Phi(span)]`` so that it covers the prior's bulk evenly.
    """
    from statistics import NormalDist

    model = _check_vae(model)
    if model.latent_dim != 2:
        raise ValueError(f"model: expected a VAE with latent_dim=2, got latent_dim={model.latent_dim}")
    n = check_positive_int(n, "n", minimum=2)
    span = _check_pos(span, "span")
    nd = NormalDist()
    lo, hi = nd.cdf(-span), nd.cdf(span)
    values = np.array([nd.inv_cdf(p) for p in np.linspace(lo, hi, n)], dtype="float32")
    zz = np.array([[yv, xv] for yv in values[::-1] for xv in values], dtype="float32")
    # grid[i, j]: row i goes from high to low z_1 (top to bottom), column j from low to high z_0
    zz = zz[:, ::-1].copy()
    images = model.decode(zz)
    return images.reshape(n, n, *images.shape[1:]), values
