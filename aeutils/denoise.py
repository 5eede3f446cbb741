"""Denoising and super-resolution networks and their classical baselines (introduced in notebook 03).

* :func:`build_conv_denoiser`      a small convolutional encoder-decoder with a U-Net skip
  connection and a residual output (it predicts the correction, not the image)
* :func:`build_super_resolution`   the same network behind a fixed upsampling layer
* :class:`CorruptedBatches`        (from :mod:`aeutils.training`) a ``keras.utils.PyDataset``
  that draws fresh, seeded corruptions of clean images every epoch (noisy input, clean target)
* :func:`train_restorer`           Adam + cosine decay on :class:`CorruptedBatches`
* :func:`restore`                  run a model on *corrupted* images, refusing clean ones
* :func:`apply_baseline` / :func:`tune_baseline`   scikit-image's Gaussian,
  median, total-variation and non-local-means filters, with a parameter grid
  searched on validation images
* :func:`upsample`                 nearest-neighbour and bicubic upsampling baselines
* :func:`quality`                  mean PSNR and SSIM (scikit-image) of a batch
"""
from __future__ import annotations

import numbers

import keras
import numpy as np

from .common.metrics import per_image_psnr, per_image_ssim
from .common.training import CorruptedBatches  # noqa: F401  (re-exported: notebook 03 introduces it)
from .core.validation import check_array, check_choice, check_positive_int

__all__ = [
    "build_conv_denoiser",
    "build_super_resolution",
    "CorruptedBatches",
    "train_restorer",
    "restore",
    "BASELINES",
    "DEFAULT_GRIDS",
    "apply_baseline",
    "tune_baseline",
    "upsample",
    "quality",
]


def _check_filters(filters):
    if not isinstance(filters, (list, tuple)) or not 2 <= len(filters) <= 4:
        raise ValueError(f"filters: expected 2 to 4 channel counts (one per resolution level), got {filters!r}")
    return tuple(check_positive_int(f, f"filters[{i}]") for i, f in enumerate(filters))


def _denoiser_body(x, filters, depth, batch_norm=False):
    def conv(h, f, name, strides=1):
        h = keras.layers.Conv2D(f, 3, strides=strides, padding="same", use_bias=not batch_norm, name=name)(h)
        if batch_norm:
            h = keras.layers.BatchNormalization(name=f"{name}_bn")(h)
        return keras.layers.ReLU(name=f"{name}_relu")(h)

    h = conv(x, filters[0], "enc0_conv1")
    skips = [conv(h, filters[0], "enc0_conv2")]
    h = skips[0]
    for level, f in enumerate(filters[1:], start=1):
        h = conv(h, f, f"down{level}", strides=2)
        if level < len(filters) - 1:
            h = conv(h, f, f"enc{level}_conv")
            skips.append(h)
    for i in range(depth):
        h = conv(h, filters[-1], f"mid_conv{i + 1}")
    for level in range(len(filters) - 2, -1, -1):
        h = keras.layers.Conv2DTranspose(filters[level], 3, strides=2, padding="same", activation="relu",
                                         name=f"up{level}")(h)
        h = keras.layers.Concatenate(name=f"skip{level}")([h, skips[level]])
        h = conv(h, filters[level], f"dec{level}_conv")
    return h


def build_conv_denoiser(input_shape=(28, 28, 1), filters=(24, 48), depth: int = 1, residual: bool = True,
                        batch_norm: bool = False, name: str = "denoiser"):
    """Return a convolutional encoder-decoder (a small U-Net) that maps a corrupted image to a clean one.

    One resolution level per entry of ``filters``. Encoder: two 3x3
    convolutions at full resolution, then for each further level a strided
    convolution that halves the resolution (plus one convolution, except at the
    coarsest level, which gets ``depth`` convolutions instead); coarse units see
    a wide neighbourhood cheaply. Decoder: transposed convolutions back up, each
    followed by concatenation with the encoder features of the same resolution
    (U-Net skip connections, so fine detail need not pass through the
    bottleneck) and a convolution.

    With ``residual`` the output is ``clip(x + r(x), 0, 1)``: the network only
    learns the correction ``r``, which for noise is the negated noise (the DnCNN
    idea). Otherwise the last layer is a sigmoid that draws the image itself.

    Parameters
    ----------
    input_shape : (H, W, C), H and W multiples of ``2 ** (len(filters) - 1)``
    filters : 2 to 4 channel counts, full resolution first
    depth : int >= 0, convolutions at the coarsest level
    residual : bool
    batch_norm : bool, batch normalisation after each convolution of the body
    name : str
    """
    if not (isinstance(input_shape, (list, tuple)) and len(input_shape) == 3):
        raise ValueError(f"input_shape: expected (H, W, C), got {input_shape!r}")
    h, w, c = (check_positive_int(v, f"input_shape[{i}]") for i, v in enumerate(input_shape))
    filters = _check_filters(filters)
    step = 2 ** (len(filters) - 1)
    if h % step or w % step:
        raise ValueError(f"input_shape: expected H and W multiples of {step} for {len(filters)} levels, got {input_shape!r}")
    depth = check_positive_int(depth, "depth", minimum=0)
    inp = keras.Input((h, w, c), name="corrupted")
    body = _denoiser_body(inp, filters, depth, bool(batch_norm))
    if residual:
        r = keras.layers.Conv2D(c, 3, padding="same", name="correction")(body)
        out = keras.layers.Add(name="add_input")([inp, r])
        out = keras.layers.ReLU(max_value=1.0, name="clip01")(out)
    else:
        out = keras.layers.Conv2D(c, 3, padding="same", activation="sigmoid", name="restored")(body)
    return keras.Model(inp, out, name=name)


def build_super_resolution(factor: int, output_shape=(28, 28, 1), filters=(24, 48), depth: int = 1,
                           interpolation: str = "bilinear", name: str | None = None):
    """Return a network mapping ``(H/factor, W/factor, C)`` images to ``(H, W, C)``.

    A fixed ``UpSampling2D`` layer enlarges the input by ``factor`` (``interpolation``
    as in Keras), then the residual encoder-decoder of :func:`build_conv_denoiser`
    adds the detail the interpolation cannot know.
    """
    factor = check_positive_int(factor, "factor", minimum=2)
    if not (isinstance(output_shape, (list, tuple)) and len(output_shape) == 3):
        raise ValueError(f"output_shape: expected (H, W, C), got {output_shape!r}")
    h, w, c = (check_positive_int(v, f"output_shape[{i}]") for i, v in enumerate(output_shape))
    if h % factor or w % factor:
        raise ValueError(f"factor: expected a divisor of the output size {h}x{w}, got {factor}")
    check_choice(interpolation, "interpolation", ("nearest", "bilinear", "bicubic"))
    inp = keras.Input((h // factor, w // factor, c), name="low_res")
    up = keras.layers.UpSampling2D(factor, interpolation=interpolation, name="upsample")(inp)
    inner = build_conv_denoiser((h, w, c), filters=filters, depth=depth, residual=True, name="refine")
    out = inner(up)
    return keras.Model(inp, out, name=name or f"super_resolution_x{factor}")


def train_restorer(model, clean_train, corrupt, *, validation, epochs: int, batch_size: int = 64,
                   learning_rate: float = 3e-3, seed: int = 0, log_every: int = 1, prefix: str = ""):
    """Train ``model`` to map ``corrupt(clean)`` back to ``clean``, with fresh corruptions every epoch.

    Parameters
    ----------
    model : keras.Model
    clean_train : array (N, H, W, C) in [0, 1]
    corrupt : callable ``corrupt(x, seed=rng)`` (see :class:`CorruptedBatches`)
    validation : (corrupted, clean) pair of fixed validation arrays
    epochs, batch_size, learning_rate : the budget (Adam with cosine decay)
    seed : int, seeds Keras and the corruptions
    log_every : int, print one line every ``log_every`` epochs (0: silent)

    Returns
    -------
    keras.callbacks.History
    """
    from .common.training import EpochLogger, cosine_adam

    if not (isinstance(validation, (list, tuple)) and len(validation) == 2):
        raise ValueError("validation: expected a (corrupted, clean) pair of arrays")
    v_in = check_array(validation[0], "validation[0]", ndim=4, dtype_kind="f")
    v_out = check_array(validation[1], "validation[1]", ndim=4, dtype_kind="f")
    if v_in.shape != v_out.shape:
        raise ValueError(f"validation[1]: expected the shape of validation[0] {v_in.shape}, got {v_out.shape}")
    if np.array_equal(v_in, v_out):
        raise ValueError("validation: the corrupted images equal the clean ones; pass corrupted inputs")
    epochs = check_positive_int(epochs, "epochs")
    seed = check_positive_int(seed, "seed", minimum=0)
    log_every = check_positive_int(log_every, "log_every", minimum=0)
    batches = CorruptedBatches(clean_train, corrupt, batch_size=batch_size, seed=seed)
    keras.utils.set_random_seed(seed)
    model.compile(optimizer=cosine_adam(learning_rate, epochs, len(batches)), loss="mse")
    callbacks = [EpochLogger(log_every, prefix)] if log_every else []
    return model.fit(batches, validation_data=(v_in, v_out), epochs=epochs, verbose=0, callbacks=callbacks)


def restore(model, corrupted, clean=None, *, batch_size: int = 500) -> np.ndarray:
    """Return ``model``'s restoration of the ``corrupted`` images.

    Pass the matching ``clean`` images to guard against a classic mistake (made
    in the TensorFlow denoising tutorial): feeding the *clean* test images to the
    denoiser and then admiring how clean its output is. A ``ValueError`` is
    raised when the input is identical to ``clean``.
    """
    corrupted = check_array(corrupted, "corrupted", ndim=4, dtype_kind="f", value_range=(0.0, 1.0))
    if clean is not None:
        clean = check_array(clean, "clean", dtype_kind="f")
        if clean.shape != corrupted.shape:
            raise ValueError(f"clean: expected the shape of corrupted {corrupted.shape}, got {clean.shape}")
        if np.array_equal(clean, corrupted):
            raise ValueError("corrupted: these are the clean images; a denoiser must be fed the corrupted ones")
    batch_size = check_positive_int(batch_size, "batch_size")
    return np.asarray(model.predict(corrupted, batch_size=batch_size, verbose=0), dtype=np.float32)


# --- classical baselines -------------------------------------------------------------------------

#: The scikit-image baselines and the name of the parameter each one is tuned on.
BASELINES = {
    "gaussian filter": "sigma",
    "median filter": "size",
    "total variation": "weight",
    "non-local means": "h",
}

#: Short default grids (validation search is a full pass of the filter per value).
DEFAULT_GRIDS = {
    "gaussian filter": (0.5, 0.75, 1.0, 1.5),
    "median filter": (2, 3, 5),
    "total variation": (0.05, 0.1, 0.2, 0.3),
    "non-local means": (0.05, 0.1, 0.2, 0.3),
}


def _stack(x, name):
    x = check_array(x, name, ndim=(3, 4), dtype_kind="f", value_range=(0.0, 1.0))
    if x.ndim == 4:
        if x.shape[-1] != 1:
            raise ValueError(f"{name}: expected grey images (N, H, W) or (N, H, W, 1), got shape {x.shape}")
        x = x[..., 0]
    return x.astype(np.float32)


def apply_baseline(method: str, x, value) -> np.ndarray:
    """Denoise each image of ``x`` with a scikit-image filter; return the same shape as ``x``.

    ``method`` is a key of :data:`BASELINES`; ``value`` its parameter:
    Gaussian blur ``sigma`` (pixels), median footprint ``size`` (pixels),
    total-variation (Chambolle) ``weight``, non-local-means filter strength ``h``
    (patches 3x3 searched within 4 pixels, fast mode).
    """
    from skimage.filters import gaussian, median
    from skimage.restoration import denoise_nl_means, denoise_tv_chambolle

    check_choice(method, "method", BASELINES)
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value > 0:
        raise ValueError(f"value: expected a positive number for {BASELINES[method]}, got {value!r}")
    shape = np.shape(x)
    imgs = _stack(x, "x")
    if method == "gaussian filter":
        out = gaussian(imgs, sigma=(0, value, value), mode="nearest", preserve_range=True)
    elif method == "median filter":
        size = check_positive_int(value, "value")
        out = median(imgs, footprint=np.ones((1, size, size), dtype=bool), mode="nearest")
    elif method == "total variation":
        out = denoise_tv_chambolle(imgs, weight=float(value), channel_axis=0)
    else:
        out = np.stack([
            denoise_nl_means(im, h=float(value), patch_size=3, patch_distance=4, fast_mode=True) for im in imgs
        ])
    return np.clip(out, 0.0, 1.0).astype(np.float32).reshape(shape)


def tune_baseline(method: str, corrupted, clean, grid=None):
    """Pick the parameter of baseline ``method`` that gives the best mean PSNR.

    Pass *validation* images here, never test images: choosing a parameter on the
    test set would make the baseline look better than it is on new data.

    Returns
    -------
    (best_value, scores) where ``scores`` maps each grid value to its mean PSNR.
    """
    check_choice(method, "method", BASELINES)
    corrupted = _stack(corrupted, "corrupted")
    clean = _stack(clean, "clean")
    if corrupted.shape != clean.shape:
        raise ValueError(f"clean: expected the shape of corrupted {corrupted.shape}, got {clean.shape}")
    grid = DEFAULT_GRIDS[method] if grid is None else grid
    if not isinstance(grid, (list, tuple)) or not grid:
        raise ValueError(f"grid: expected a non-empty list of parameter values, got {grid!r}")
    scores = {v: float(per_image_psnr(clean, apply_baseline(method, corrupted, v)).mean()) for v in grid}
    best = max(scores, key=scores.get)
    return best, scores


def upsample(x, factor: int, method: str = "bicubic") -> np.ndarray:
    """Enlarge each image by ``factor`` with scikit-image's ``resize``: ``"nearest"`` (order 0)
    or ``"bicubic"`` (cubic spline, order 3), clipped to [0, 1]."""
    from skimage.transform import resize

    imgs = _stack(x, "x")
    factor = check_positive_int(factor, "factor", minimum=2)
    order = {"nearest": 0, "bicubic": 3}[check_choice(method, "method", ("nearest", "bicubic"))]
    n, h, w = imgs.shape
    out = resize(imgs, (n, h * factor, w * factor), order=order, mode="edge", anti_aliasing=False)
    out = np.clip(out, 0.0, 1.0).astype(np.float32)
    return out[..., None] if np.ndim(x) == 4 else out


def quality(clean, restored) -> dict:
    """Return ``{"psnr": mean dB, "ssim": mean SSIM}`` of ``restored`` against ``clean`` (scikit-image)."""
    clean = _stack(clean, "clean")
    restored = _stack(restored, "restored")
    if restored.shape != clean.shape:
        raise ValueError(f"restored: expected the shape of clean {clean.shape}, got {restored.shape}")
    return {
        "psnr": float(per_image_psnr(clean, restored).mean()),
        "ssim": float(per_image_ssim(clean, restored).mean()),
    }
