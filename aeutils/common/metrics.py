"""Image-quality metrics (introduced in notebook 01; PSNR and SSIM used from notebook 03).

Per-image mean squared error and PSNR/SSIM, using scikit-image's
implementations where it has them. Images are float arrays in [0, 1] of shape
``(N, H, W)`` or ``(N, H, W, C)``; flat ``(N, D)`` works for MSE.
"""
from __future__ import annotations

import numpy as np

from ..core.validation import check_array

__all__ = ["per_image_mse", "mean_mse", "per_image_psnr", "per_image_ssim"]


def _pair(a, b, name_a: str, name_b: str, ndim=(2, 3, 4)):
    a = check_array(a, name_a, ndim=ndim)
    b = check_array(b, name_b, ndim=ndim)
    if a.shape != b.shape:
        # Accept (N, 28, 28) against (N, 28, 28, 1) or flat (N, 784).
        if a.shape[0] == b.shape[0] and a[0].size == b[0].size:
            b = b.reshape(a.shape)
        else:
            raise ValueError(f"{name_b}: expected the shape of {name_a} {a.shape}, got {b.shape}")
    return a, b


def per_image_mse(x_true, x_pred) -> np.ndarray:
    """Return the mean squared error of each image, shape ``(N,)``."""
    a, b = _pair(x_true, x_pred, "x_true", "x_pred")
    diff = a.reshape(len(a), -1).astype(np.float64) - b.reshape(len(b), -1).astype(np.float64)
    return np.mean(diff**2, axis=1)


def mean_mse(x_true, x_pred) -> float:
    """Return the mean over images of the per-image MSE (equal-sized images: the global MSE)."""
    return float(per_image_mse(x_true, x_pred).mean())


def per_image_psnr(x_true, x_pred, data_range: float = 1.0) -> np.ndarray:
    """Return the PSNR (dB) of each image, via ``skimage.metrics.peak_signal_noise_ratio``."""
    from skimage.metrics import peak_signal_noise_ratio

    a, b = _pair(x_true, x_pred, "x_true", "x_pred", ndim=(3, 4))
    if not data_range > 0:
        raise ValueError(f"data_range: expected a positive number, got {data_range}")
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

    a, b = _pair(x_true, x_pred, "x_true", "x_pred", ndim=(3, 4))
    if not data_range > 0:
        raise ValueError(f"data_range: expected a positive number, got {data_range}")
    channel_axis = -1 if a.ndim == 4 else None
    a = a.squeeze(-1) if a.ndim == 4 and a.shape[-1] == 1 else a
    b = b.reshape(a.shape)
    channel_axis = -1 if a.ndim == 4 else None
    return np.array(
        [structural_similarity(a[i], b[i], data_range=data_range, channel_axis=channel_axis) for i in range(len(a))]
    )
