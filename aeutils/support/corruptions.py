"""Image corruptions for denoising and super-resolution (introduced in notebook 03).

Every function takes a batch of images in [0, 1] of shape ``(N, H, W)`` or
``(N, H, W, C)``, returns a new float32 batch of the same shape (the input is
never modified), is vectorised over the batch and is seeded: the same ``seed``
gives the same corruption, so noisy test sets are reproducible.

* :func:`gaussian_noise`     additive white Gaussian noise, clipped to [0, 1]
* :func:`salt_and_pepper`    a fraction of pixels set to 0 or 1
* :func:`erase_patches`      random square patches overwritten by a constant
* :func:`corrupt`            one of the above by name (``kind``, ``level``)
* :func:`mixed_corruption`   each image gets one corruption drawn from a list
* :func:`downsample`         block averaging by an integer factor (super-resolution input)
"""
from __future__ import annotations

import numbers

import numpy as np

from ..core.validation import check_array, check_choice, check_positive_int, check_probability

__all__ = [
    "KINDS",
    "gaussian_noise",
    "salt_and_pepper",
    "erase_patches",
    "corrupt",
    "mixed_corruption",
    "downsample",
]

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


def gaussian_noise(x, sigma, *, seed, clip: bool = True) -> np.ndarray:
    r"""Return ``x + sigma * n`` with ``n ~ N(0, 1)`` per pixel, clipped to [0, 1] when ``clip``.

    Parameters
    ----------
    x : array (N, H, W) or (N, H, W, C) in [0, 1]
    sigma : float >= 0, or array of shape (N,)
        Noise standard deviation, one value for the batch or one per image.
    seed : int or numpy Generator
    clip : bool
        Clip to the valid range (a real sensor saturates; it also makes the
        noisy image a valid image).
    """
    x = _images(x)
    if isinstance(sigma, numbers.Real) and not isinstance(sigma, bool):
        if not (np.isfinite(sigma) and sigma >= 0):
            raise ValueError(f"sigma: expected a number >= 0, got {sigma!r}")
        s = np.float32(sigma)
    else:
        s = check_array(sigma, "sigma", ndim=1, shape=(len(x),), dtype_kind="f", value_range=(0.0, None))
        s = s.astype(np.float32).reshape((-1,) + (1,) * (x.ndim - 1))
    noise = _rng(seed).standard_normal(x.shape, dtype=np.float32)
    out = x.astype(np.float32) + s * noise
    return np.clip(out, 0.0, 1.0) if clip else out


def salt_and_pepper(x, amount: float, *, seed, salt_fraction: float = 0.5) -> np.ndarray:
    """Return ``x`` with a fraction ``amount`` of pixels set to 1 (salt) or 0 (pepper).

    Each pixel is hit independently with probability ``amount``; a hit pixel
    becomes salt with probability ``salt_fraction``. All channels of a pixel
    are hit together.
    """
    x = _images(x)
    amount = check_probability(amount, "amount")
    salt_fraction = check_probability(salt_fraction, "salt_fraction")
    rng = _rng(seed)
    pix_shape = x.shape[:3] + ((1,) if x.ndim == 4 else ())
    u = rng.random(pix_shape, dtype=np.float32)
    v = rng.random(pix_shape, dtype=np.float32)
    hit = u < amount
    out = x.astype(np.float32, copy=True)
    salt = np.broadcast_to(hit & (v < salt_fraction), x.shape)
    pepper = np.broadcast_to(hit & (v >= salt_fraction), x.shape)
    out[salt] = 1.0
    out[pepper] = 0.0
    return out


def erase_patches(x, n_patches: int, patch_size: int, *, seed, fill: float = 0.5, return_mask: bool = False):
    """Overwrite ``n_patches`` random ``patch_size`` x ``patch_size`` squares of each image with ``fill``.

    Patch positions are uniform over the positions where the patch fits; patches
    may overlap. The default mid-grey ``fill`` keeps a hole visible (and the
    corruption measurable) where it falls on a black background. With ``return_mask`` also return the boolean mask of erased
    pixels, shape ``(N, H, W)``.
    """
    x = _images(x)
    n_patches = check_positive_int(n_patches, "n_patches", minimum=0)
    h, w = x.shape[1], x.shape[2]
    patch_size = check_positive_int(patch_size, "patch_size", maximum=min(h, w))
    if isinstance(fill, bool) or not isinstance(fill, numbers.Real) or not 0.0 <= fill <= 1.0:
        raise ValueError(f"fill: expected a number in [0, 1], got {fill!r}")
    rng = _rng(seed)
    n = len(x)
    top = rng.integers(0, h - patch_size + 1, size=(n, n_patches))
    left = rng.integers(0, w - patch_size + 1, size=(n, n_patches))
    rows = np.arange(h)
    cols = np.arange(w)
    in_rows = (rows[None, None, :] >= top[..., None]) & (rows[None, None, :] < top[..., None] + patch_size)
    in_cols = (cols[None, None, :] >= left[..., None]) & (cols[None, None, :] < left[..., None] + patch_size)
    mask = (in_rows[..., :, None] & in_cols[..., None, :]).any(axis=1)  # (N, H, W)
    out = x.astype(np.float32, copy=True)
    out[np.broadcast_to(mask.reshape(mask.shape + (1,) * (x.ndim - 3)), x.shape)] = np.float32(fill)
    return (out, mask) if return_mask else out


def corrupt(x, kind: str, level, *, seed, patch_size: int = 8, fill: float = 0.5) -> np.ndarray:
    """Apply corruption ``kind`` (a key of :data:`KINDS`) at ``level``.

    ``level`` is sigma for ``"gaussian"``, the hit fraction for ``"salt_pepper"``
    and the number of ``patch_size`` patches for ``"erase"``.
    """
    check_choice(kind, "kind", KINDS)
    if kind == "gaussian":
        return gaussian_noise(x, level, seed=seed)
    if kind == "salt_pepper":
        return salt_and_pepper(x, level, seed=seed)
    return erase_patches(x, level, patch_size, seed=seed, fill=fill)


def mixed_corruption(x, specs, *, seed, return_choice: bool = False, **kwargs):
    """Corrupt each image with one ``(kind, level)`` drawn uniformly from ``specs``.

    Used to train a *blind* denoiser that is not told which corruption it faces.
    With ``return_choice`` also return the index into ``specs`` used for each image.
    """
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
    """Shrink each image by an integer ``factor`` by averaging ``factor`` x ``factor`` blocks.

    Block averaging is what a sensor with bigger pixels records (and what
    ``skimage.transform.downscale_local_mean`` computes). ``H`` and ``W`` must be
    multiples of ``factor``.
    """
    x = _images(x)
    factor = check_positive_int(factor, "factor")
    n, h, w = x.shape[:3]
    if h % factor or w % factor:
        raise ValueError(f"factor: expected a divisor of the image size {h}x{w}, got {factor}")
    rest = x.shape[3:]
    blocks = x.astype(np.float32).reshape((n, h // factor, factor, w // factor, factor) + rest)
    return blocks.mean(axis=(2, 4), dtype=np.float32)
