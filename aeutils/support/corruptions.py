"""Seeded image corruptions for denoising and super-resolution (support code of notebook 03).

Every function takes a batch of images in [0, 1] of shape ``(N, H, W)`` or ``(N, H, W, C)``, returns
a new float32 batch (the input is never modified) and is seeded: the same ``seed`` (an int or a
``numpy.random.Generator``) gives the same corruption, so noisy test sets are reproducible.
Gaussian and salt-and-pepper noise come from ``skimage.util.random_noise``, block averaging from
``skimage.transform.downscale_local_mean``; erased patches (no library has them) are written here.

* :func:`gaussian_noise`, :func:`salt_and_pepper`, :func:`erase_patches`
* :func:`corrupt`            one of the above by name (``kind``, ``level``)
* :func:`mixed_corruption`   each image gets one ``(kind, level)`` drawn from a list
* :func:`downsample`         block averaging by an integer factor (super-resolution input)
"""
from __future__ import annotations

import math
import numbers

import numpy as np
from sklearn.utils import check_scalar

from ..core.validation import check_array, check_choice, check_positive_int

__all__ = ["KINDS", "gaussian_noise", "salt_and_pepper", "erase_patches", "corrupt", "mixed_corruption", "downsample"]

#: Corruption names accepted by :func:`corrupt`, with the meaning of ``level``.
KINDS = {
    "gaussian": "noise standard deviation sigma (pixel values in [0, 1])",
    "salt_pepper": "fraction of pixels replaced by 0 or 1",
    "erase": "number of erased square patches",
}


def _images(x, name="x"):
    return check_array(x, name, ndim=(3, 4), dtype_kind="f", value_range=(0.0, 1.0))


def _rng(seed):
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(check_positive_int(seed, "seed", minimum=0))


def _number(value, name, low=0.0, high=None, integer=False):
    """``sklearn.utils.check_scalar`` plus what it lets through: booleans and NaN."""
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an instance of {kind.__name__}, not bool.")
    check_scalar(value, name, kind, min_val=low, max_val=high)
    if not math.isfinite(value):
        raise ValueError(f"{name} == {value}, must be a finite number.")
    return int(value) if integer else float(value)


def gaussian_noise(x, sigma, *, seed, clip: bool = True) -> np.ndarray:
    """Return ``x + sigma * n`` with ``n ~ N(0, 1)`` per pixel (``random_noise(mode="gaussian")``),
    clipped to [0, 1] when ``clip`` (a real sensor saturates; the noisy image stays a valid image)."""
    x = _images(x)
    sigma = _number(sigma, "sigma")
    from skimage.util import random_noise

    return random_noise(x, mode="gaussian", var=sigma**2, rng=_rng(seed), clip=bool(clip)).astype(np.float32)


def salt_and_pepper(x, amount: float, *, seed, salt_fraction: float = 0.5) -> np.ndarray:
    """Return ``x`` with each value hit with probability ``amount`` and set to 1 (salt, probability
    ``salt_fraction``) or 0 (pepper), by ``random_noise(mode="s&p")``."""
    x = _images(x)
    amount = _number(amount, "amount", high=1.0)
    salt_fraction = _number(salt_fraction, "salt_fraction", high=1.0)
    from skimage.util import random_noise

    return random_noise(x, mode="s&p", amount=amount, salt_vs_pepper=salt_fraction, rng=_rng(seed)).astype(np.float32)


def erase_patches(x, n_patches: int, patch_size: int, *, seed, fill: float = 0.5, return_mask: bool = False):
    """Overwrite ``n_patches`` random ``patch_size`` x ``patch_size`` squares of each image with ``fill``.

    Positions are uniform where the patch fits; patches may overlap. The mid-grey default keeps a hole
    visible on a black background. With ``return_mask`` also return the erased pixels, shape ``(N, H, W)``.
    """
    x = _images(x)
    n_patches = _number(n_patches, "n_patches", integer=True)
    h, w = x.shape[1], x.shape[2]
    patch_size = _number(patch_size, "patch_size", low=1, high=min(h, w), integer=True)
    fill = _number(fill, "fill", high=1.0)
    rng = _rng(seed)
    top = rng.integers(0, h - patch_size + 1, size=(len(x), n_patches))
    left = rng.integers(0, w - patch_size + 1, size=(len(x), n_patches))
    rows, cols = np.arange(h), np.arange(w)
    in_rows = (rows >= top[..., None]) & (rows < top[..., None] + patch_size)       # (N, P, H)
    in_cols = (cols >= left[..., None]) & (cols < left[..., None] + patch_size)     # (N, P, W)
    mask = (in_rows[..., :, None] & in_cols[..., None, :]).any(axis=1)              # (N, H, W)
    out = x.astype(np.float32, copy=True)
    out[np.broadcast_to(mask.reshape(mask.shape + (1,) * (x.ndim - 3)), x.shape)] = np.float32(fill)
    return (out, mask) if return_mask else out


def corrupt(x, kind: str, level, *, seed, patch_size: int = 8, fill: float = 0.5) -> np.ndarray:
    """Apply corruption ``kind`` (a key of :data:`KINDS`) at ``level``: sigma for ``"gaussian"``, the hit
    fraction for ``"salt_pepper"``, the number of ``patch_size`` patches for ``"erase"``."""
    check_choice(kind, "kind", KINDS)
    if kind == "gaussian":
        return gaussian_noise(x, _number(level, "level"), seed=seed)
    if kind == "salt_pepper":
        return salt_and_pepper(x, _number(level, "level", high=1.0), seed=seed)
    return erase_patches(x, _number(level, "level", integer=True), patch_size, seed=seed, fill=fill)


def mixed_corruption(x, specs, *, seed, return_choice: bool = False, **kwargs):
    """Corrupt each image with one ``(kind, level)`` drawn uniformly from ``specs`` (a blind denoiser's
    training data). With ``return_choice`` also return the index into ``specs`` used for each image."""
    x = _images(x)
    if not isinstance(specs, (list, tuple)) or not specs:
        raise ValueError(f"specs: expected a non-empty list of (kind, level) pairs, got {specs!r}")
    for i, spec in enumerate(specs):
        if not (isinstance(spec, (list, tuple)) and len(spec) == 2):
            raise ValueError(f"specs[{i}]: expected a (kind, level) pair, got {spec!r}")
        check_choice(spec[0], f"specs[{i}][0]", KINDS)
    rng = _rng(seed)
    choice = rng.integers(0, len(specs), size=len(x))
    out = np.empty(x.shape, dtype=np.float32)
    for i, (kind, level) in enumerate(specs):
        sel = np.flatnonzero(choice == i)
        if len(sel):
            out[sel] = corrupt(x[sel], kind, level, seed=rng, **kwargs)
    return (out, choice) if return_choice else out


def downsample(x, factor: int) -> np.ndarray:
    """Shrink each image by an integer ``factor``, averaging ``factor`` x ``factor`` blocks (what a sensor
    with bigger pixels records) with ``skimage.transform.downscale_local_mean``."""
    x = _images(x)
    factor = check_positive_int(factor, "factor")
    h, w = x.shape[1:3]
    if h % factor or w % factor:
        raise ValueError(f"factor: expected a divisor of the image size {h}x{w}, got {factor}")
    from skimage.transform import downscale_local_mean

    return downscale_local_mean(x, (1, factor, factor) + (1,) * (x.ndim - 3)).astype(np.float32)
