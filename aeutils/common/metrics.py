"""Image-quality metrics (introduced in notebook 01; PSNR and SSIM used from notebook 03).

Per-image mean squared error and PSNR/SSIM, using scikit-image's
implementations where it has them. Images are arrays of shape ``(N, H, W)`` or ``(N, H, W, C)``
(a trailing channel of 1 may be on one side only; flat ``(N, D)`` works for MSE);
PSNR and SSIM refuse values outside ``[0, data_range]``.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from ..core.validation import check_array

__all__ = ["per_image_mse", "mean_mse", "per_image_psnr", "per_image_ssim"]


def _pair(a, b, name_a: str, name_b: str, ndim=(2, 3, 4), data_range=None, flat_ok=False):
    """Check two image batches against each other; a trailing channel of 1 may be present on one side only."""
    value_range = None if data_range is None else (0.0, data_range)
    a = check_array(a, name_a, ndim=ndim, value_range=value_range)
    b = check_array(b, name_b, ndim=ndim, value_range=value_range)
    if a.shape == b.shape:
        return a, b
    squeeze = lambda s: s[:-1] if len(s) > 2 and s[-1] == 1 else s  # noqa: E731
    same_layout = squeeze(a.shape) == squeeze(b.shape)
    flat = flat_ok and a.shape[0] == b.shape[0] and min(a.ndim, b.ndim) == 2 and a[0].size == b[0].size
    if not (same_layout or flat):
        raise ValueError(f"{name_b}: expected the shape of {name_a} {a.shape} (or the same with a trailing "
                         f"channel of 1), got {b.shape}")
    return a, b.reshape(a.shape)


def _check_range(data_range):
    if isinstance(data_range, bool) or not isinstance(data_range, numbers.Real) or not (
            math.isfinite(data_range) and data_range > 0):
        raise ValueError(f"data_range: expected a finite number > 0 (1.0 for images in [0, 1], 255 for uint8), "
                         f"got {data_range!r}")
    return float(data_range)


def per_image_mse(x_true, x_pred) -> np.ndarray:
    """Return the mean squared error of each image, shape ``(N,)``."""
    a, b = _pair(x_true, x_pred, "x_true", "x_pred", flat_ok=True)
    diff = a.reshape(len(a), -1).astype(np.float64) - b.reshape(len(b), -1).astype(np.float64)
    return np.mean(diff**2, axis=1)


def mean_mse(x_true, x_pred) -> float:
    """Return the mean over images of the per-image MSE (equal-sized images: the global MSE)."""
    return float(per_image_mse(x_true, x_pred).mean())


def per_image_psnr(x_true, x_pred, data_range: float = 1.0) -> np.ndarray:
    """Return the PSNR (dB) of each image, via ``skimage.metrics.peak_signal_noise_ratio``."""
    from skimage.metrics import peak_signal_noise_ratio

    data_range = _check_range(data_range)
    a, b = _pair(x_true, x_pred, "x_true", "x_pred", ndim=(3, 4), data_range=data_range)
    out = np.empty(len(a))
    for i in range(len(a)):
        if np.array_equal(a[i], b[i]):
            out[i] = np.inf
        else:
            out[i] = peak_signal_noise_ratio(a[i], b[i], data_range=data_range)
    return out


def per_image_ssim(x_true, x_pred, data_range: float = 1.0) -> np.ndarray:
    """Return the SSIM of each image, via ``skimage.metrics.structural_similarity``."""
    from skimage.metrics import structural_similarity

    data_range = _check_range(data_range)
    a, b = _pair(x_true, x_pred, "x_true", "x_pred", ndim=(3, 4), data_range=data_range)
    if min(a.shape[1:3]) < 7:
        raise ValueError(f"x_true: SSIM's 7x7 window needs images of at least 7x7 pixels, got {a.shape[1:3]}")
    a = a.squeeze(-1) if a.ndim == 4 and a.shape[-1] == 1 else a
    b = b.reshape(a.shape)
    channel_axis = -1 if a.ndim == 4 else None
    return np.array(
        [structural_similarity(a[i], b[i], data_range=data_range, channel_axis=channel_axis) for i in range(len(a))]
    )
