import numpy as np
import pytest

from aeutils.common.metrics import mean_mse, per_image_mse, per_image_psnr, per_image_ssim


def test_per_image_mse_values_and_shapes():
    a = np.zeros((2, 4, 4), np.float32)
    b = a.copy()
    b[1] = 0.5
    np.testing.assert_allclose(per_image_mse(a, b), [0.0, 0.25])
    np.testing.assert_allclose(per_image_mse(a, b.reshape(2, 16)), [0.0, 0.25])  # flat predictions
    assert mean_mse(a, b) == pytest.approx(0.125)


def test_psnr_matches_definition_and_identical_is_inf():
    a = np.zeros((2, 8, 8))
    b = a.copy()
    b[0] += 0.1
    psnr = per_image_psnr(a, b)
    assert psnr[0] == pytest.approx(20.0)  # 10 log10(1 / 0.01)
    assert np.isinf(psnr[1])


def test_ssim_identical_is_one_and_noise_is_lower():
    rng = np.random.default_rng(0)
    a = rng.random((3, 28, 28))
    noisy = np.clip(a + rng.normal(0, 0.2, a.shape), 0, 1)
    np.testing.assert_allclose(per_image_ssim(a, a), 1.0)
    assert (per_image_ssim(a, noisy) < 0.9).all()
    assert per_image_ssim(a[..., None], noisy[..., None]).shape == (3,)


def test_metric_errors():
    a = np.zeros((2, 4, 4))
    with pytest.raises(ValueError, match="x_pred: expected the shape of x_true"):
        per_image_mse(a, np.zeros((3, 4, 4)))
    with pytest.raises(ValueError, match="x_pred: expected finite values"):
        per_image_mse(a, np.full((2, 4, 4), np.nan))
    with pytest.raises(ValueError, match="x_true: expected a non-empty array"):
        per_image_mse(np.zeros((0, 4, 4)), np.zeros((0, 4, 4)))
    with pytest.raises(ValueError, match="data_range"):
        per_image_psnr(a, a, data_range=0)
    with pytest.raises(ValueError, match="data_range"):
        per_image_ssim(a + 0.1, a, data_range=-1)
    with pytest.raises(ValueError, match="x_true: expected 3 or 4 dimensions"):
        per_image_psnr(np.zeros((2, 16)), np.zeros((2, 16)))


def test_metrics_refuse_silent_nonsense():
    rng = np.random.default_rng(0)
    a = rng.random((2, 28, 28, 1))
    with pytest.raises(ValueError, match="x_pred: expected the shape of x_true"):
        per_image_ssim(a, a.transpose(0, 3, 1, 2))  # channels-first against channels-last
    with pytest.raises(ValueError, match=r"x_true: expected values in \[0.0, 1.0\]"):
        per_image_ssim((a * 255).astype(np.uint8), (a * 255).astype(np.uint8))  # uint8 with data_range=1
    assert per_image_psnr((a * 255).astype(np.uint8), (a * 255).astype(np.uint8), data_range=255).shape == (2,)
    with pytest.raises(ValueError, match="x_pred: expected values in"):
        per_image_psnr(a, a + 1.5)
    with pytest.raises(ValueError, match="7x7"):
        per_image_ssim(np.zeros((2, 5, 5)), np.zeros((2, 5, 5)))
    with pytest.raises(ValueError, match="data_range"):
        per_image_psnr(a, a, data_range=float("inf"))
    assert per_image_psnr(a, a, data_range=np.float32(1.0)).shape == (2,)
