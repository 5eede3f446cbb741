"""Tests for aeutils.support.corruptions (support code of notebook 03)."""
from __future__ import annotations

import numpy as np
import pytest

from aeutils.support import corruptions as C


@pytest.fixture
def imgs():
    rng = np.random.default_rng(0)
    return rng.random((64, 28, 28), dtype=np.float32)


def test_gaussian_noise_statistics_seed_and_clip(imgs):
    half = np.full((200, 28, 28), 0.5, dtype=np.float32)
    noisy = C.gaussian_noise(half, 0.1, seed=1)
    assert noisy.shape == half.shape and noisy.dtype == np.float32
    assert abs(float((noisy - half).std()) - 0.1) < 0.005
    assert abs(float((noisy - half).mean())) < 0.002
    np.testing.assert_array_equal(noisy, C.gaussian_noise(half, 0.1, seed=1))
    assert not np.array_equal(noisy, C.gaussian_noise(half, 0.1, seed=2))
    big = C.gaussian_noise(imgs, 1.0, seed=0)
    assert big.min() >= 0.0 and big.max() <= 1.0
    unclipped = C.gaussian_noise(imgs, 1.0, seed=0, clip=False)
    assert unclipped.min() < 0.0 and unclipped.max() > 1.0
    np.testing.assert_array_equal(C.gaussian_noise(imgs, 0.0, seed=0), imgs)


def test_gaussian_noise_4d_and_scikit_image(imgs):
    from skimage.util import random_noise

    noisy = C.gaussian_noise(imgs[..., None], 0.2, seed=3, clip=False)
    assert noisy.shape == (64, 28, 28, 1) and noisy.dtype == np.float32
    expected = random_noise(imgs[..., None], mode="gaussian", var=0.04, rng=np.random.default_rng(3), clip=False)
    np.testing.assert_allclose(noisy, expected, rtol=1e-6)


def test_gaussian_noise_does_not_modify_input(imgs):
    before = imgs.copy()
    C.gaussian_noise(imgs, 0.3, seed=0)
    C.salt_and_pepper(imgs, 0.3, seed=0)
    C.erase_patches(imgs, 2, 5, seed=0)
    np.testing.assert_array_equal(before, imgs)


@pytest.mark.parametrize(
    "kwargs, err",
    [
        (dict(sigma=-0.1, seed=0), ValueError),
        (dict(sigma=float("nan"), seed=0), ValueError),
        (dict(sigma=float("inf"), seed=0), ValueError),
        (dict(sigma=np.ones(3, dtype=np.float32), seed=0), TypeError),
        (dict(sigma=True, seed=0), TypeError),
        (dict(sigma=0.1, seed=-1), ValueError),
        (dict(sigma=0.1, seed=1.5), TypeError),
    ],
)
def test_gaussian_noise_rejects_bad_args(imgs, kwargs, err):
    with pytest.raises(err):
        C.gaussian_noise(imgs, **kwargs)


def test_images_are_validated():
    with pytest.raises(ValueError, match="x: expected values in"):
        C.gaussian_noise(np.full((2, 4, 4), 2.0, dtype=np.float32), 0.1, seed=0)
    with pytest.raises(ValueError, match="dimensions"):
        C.salt_and_pepper(np.zeros((4, 4), dtype=np.float32), 0.1, seed=0)
    with pytest.raises(TypeError, match="dtype"):
        C.downsample(np.zeros((2, 4, 4), dtype=np.uint8), 2)


def test_salt_and_pepper_fraction_and_values(imgs):
    mid = np.full((100, 28, 28), 0.5, dtype=np.float32)
    out = C.salt_and_pepper(mid, 0.2, seed=0)
    hit = out != 0.5
    assert abs(float(hit.mean()) - 0.2) < 0.01
    assert set(np.unique(out[hit]).tolist()) == {0.0, 1.0}
    assert abs(float((out[hit] == 1.0).mean()) - 0.5) < 0.03
    only_salt = C.salt_and_pepper(mid, 0.2, seed=0, salt_fraction=1.0)
    assert set(np.unique(only_salt).tolist()) == {0.5, 1.0}
    np.testing.assert_array_equal(out, C.salt_and_pepper(mid, 0.2, seed=0))
    grey4 = C.salt_and_pepper(mid[:4, ..., None], 0.2, seed=1)
    assert grey4.shape == (4, 28, 28, 1) and grey4.dtype == np.float32
    with pytest.raises(ValueError, match="amount"):
        C.salt_and_pepper(imgs, 1.5, seed=0)
    with pytest.raises(ValueError, match="salt_fraction"):
        C.salt_and_pepper(imgs, 0.1, seed=0, salt_fraction=-0.1)


def test_erase_patches_mask_matches_and_sizes(imgs):
    out, mask = C.erase_patches(imgs, 1, 6, seed=0, fill=0.25, return_mask=True)
    assert mask.shape == (64, 28, 28) and mask.dtype == bool
    assert (mask.sum(axis=(1, 2)) == 36).all()
    np.testing.assert_array_equal(out[mask], 0.25)
    np.testing.assert_array_equal(out[~mask], imgs[~mask])
    out2, mask2 = C.erase_patches(imgs, 3, 6, seed=0, return_mask=True)
    assert (mask2.sum(axis=(1, 2)) >= 36).all() and (mask2.sum(axis=(1, 2)) <= 108).all()
    assert mask2.sum() > mask.sum()
    np.testing.assert_array_equal(C.erase_patches(imgs, 0, 6, seed=0), imgs)
    out4 = C.erase_patches(imgs[..., None], 2, 4, seed=5)
    assert out4.shape == (64, 28, 28, 1)
    np.testing.assert_array_equal(out4[..., 0], C.erase_patches(imgs, 2, 4, seed=5))
    # whole-image patch erases everything
    assert (C.erase_patches(imgs, 1, 28, seed=0) == 0.5).all()


@pytest.mark.parametrize(
    "args, kwargs, err",
    [
        ((1, 0), {}, ValueError),
        ((1, 29), {}, ValueError),
        ((-1, 3), {}, ValueError),
        ((1.0, 3), {}, TypeError),
        ((1, 3), {"fill": 1.5}, ValueError),
    ],
)
def test_erase_patches_rejects_bad_args(imgs, args, kwargs, err):
    with pytest.raises(err):
        C.erase_patches(imgs, *args, seed=0, **kwargs)


def test_corrupt_dispatch_and_mixed(imgs):
    np.testing.assert_array_equal(C.corrupt(imgs, "gaussian", 0.2, seed=4), C.gaussian_noise(imgs, 0.2, seed=4))
    np.testing.assert_array_equal(C.corrupt(imgs, "salt_pepper", 0.1, seed=4), C.salt_and_pepper(imgs, 0.1, seed=4))
    np.testing.assert_array_equal(
        C.corrupt(imgs, "erase", 2, seed=4, patch_size=5), C.erase_patches(imgs, 2, 5, seed=4)
    )
    with pytest.raises(ValueError, match="kind"):
        C.corrupt(imgs, "blur", 1, seed=0)
    specs = [("gaussian", 0.0), ("erase", 1)]
    out, choice = C.mixed_corruption(imgs, specs, seed=0, return_choice=True, patch_size=28)
    assert set(choice.tolist()) == {0, 1}
    np.testing.assert_array_equal(out[choice == 0], imgs[choice == 0])
    assert (out[choice == 1] == 0.5).all()
    np.testing.assert_array_equal(out, C.mixed_corruption(imgs, specs, seed=0, patch_size=28))
    with pytest.raises(ValueError, match="specs"):
        C.mixed_corruption(imgs, [], seed=0)
    with pytest.raises(ValueError, match=r"specs\[0\]"):
        C.mixed_corruption(imgs, [("gaussian",)], seed=0)
    with pytest.raises(ValueError, match=r"specs\[1\]\[0\]"):
        C.mixed_corruption(imgs, [("gaussian", 0.1), ("noise", 1)], seed=0)


def test_downsample_block_mean(imgs):
    small = C.downsample(imgs, 2)
    assert small.shape == (64, 14, 14) and small.dtype == np.float32
    np.testing.assert_allclose(small[3, 2, 5], imgs[3, 4:6, 10:12].mean(), rtol=1e-6)
    assert C.downsample(imgs[..., None], 4).shape == (64, 7, 7, 1)
    np.testing.assert_allclose(C.downsample(imgs, 28)[:, 0, 0], imgs.mean(axis=(1, 2)), rtol=1e-5)
    with pytest.raises(ValueError, match="factor"):
        C.downsample(imgs, 3)
    with pytest.raises(ValueError, match="factor"):
        C.downsample(imgs, 0)


@pytest.mark.parametrize(
    "kind, level, err",
    [
        ("gaussian", -0.1, ValueError),
        ("gaussian", float("nan"), ValueError),
        ("gaussian", "0.1", TypeError),
        ("salt_pepper", 1.5, ValueError),
        ("salt_pepper", None, TypeError),
        ("erase", 2.5, TypeError),
        ("erase", -1, ValueError),
        ("erase", True, TypeError),
    ],
)
def test_corrupt_names_level_not_the_inner_argument(imgs, kind, level, err):
    with pytest.raises(err, match=r"^level\b"):
        C.corrupt(imgs, kind, level, seed=0)


def test_numpy_scalars_are_accepted(imgs):
    np.testing.assert_allclose(C.corrupt(imgs, "gaussian", np.float32(0.1), seed=0),
                               C.corrupt(imgs, "gaussian", 0.1, seed=0), atol=1e-6)
    np.testing.assert_array_equal(C.corrupt(imgs, "erase", np.int64(2), seed=0), C.corrupt(imgs, "erase", 2, seed=0))
