"""Tests for notebook 03's exported lesson code (aeutils.lessons.nb03_denoising)."""
from __future__ import annotations

import keras
import numpy as np
import pytest

import aeutils
from aeutils.lessons import nb03_denoising as D
from aeutils.support import corruptions as C


def _shapes(n=48, seed=0):
    """Simple piecewise-constant images: a bright rectangle on a dark background."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n, 28, 28), dtype=np.float32)
    for i in range(n):
        r, c = rng.integers(2, 14, size=2)
        h, w = rng.integers(6, 13, size=2)
        x[i, r:r + h, c:c + w] = rng.uniform(0.5, 1.0)
    return x


def test_build_conv_denoiser_shapes_residual_and_range():
    m = D.build_conv_denoiser(filters=(4, 8), depth=1)
    assert m.input_shape == (None, 28, 28, 1) and m.output_shape == (None, 28, 28, 1)
    x = np.random.default_rng(0).random((3, 28, 28, 1), dtype=np.float32)
    y = np.asarray(m.predict(x, verbose=0))
    assert y.min() >= 0.0 and y.max() <= 1.0
    # zero the correction: a residual denoiser then returns its input unchanged
    layer = m.get_layer("correction")
    layer.set_weights([np.zeros_like(w) for w in layer.get_weights()])
    np.testing.assert_allclose(np.asarray(m.predict(x, verbose=0)), x, atol=1e-6)
    three = D.build_conv_denoiser(filters=(4, 8, 8), depth=1)
    assert three.output_shape == (None, 28, 28, 1)
    assert {"skip0", "skip1"} <= {layer.name for layer in three.layers}
    plain = D.build_conv_denoiser((16, 12, 2), filters=(4, 8), depth=0, residual=False)
    assert plain.output_shape == (None, 16, 12, 2)
    assert plain.layers[-1].activation.__name__ == "sigmoid"


def test_notebook_denoiser_size():
    assert D.build_conv_denoiser(filters=(24, 48, 96), depth=1).count_params() == 265_297


@pytest.mark.parametrize(
    "kwargs, err, text",
    [
        (dict(input_shape=(27, 28, 1)), ValueError, "input_shape"),
        (dict(input_shape=(28, 28)), ValueError, "input_shape"),
        (dict(input_shape=None), ValueError, "input_shape"),
        (dict(filters=(32,)), ValueError, "filters"),
        (dict(filters=(8, 8, 8, 8, 8)), ValueError, "filters"),
        (dict(filters=8), TypeError, "filters"),
        (dict(input_shape=(26, 28, 1), filters=(8, 8, 8)), ValueError, "input_shape"),
        (dict(filters=(32, 0)), ValueError, "filters"),
        (dict(depth=-1), ValueError, "depth"),
        (dict(depth=1.5), TypeError, "depth"),
    ],
)
def test_build_conv_denoiser_rejects_bad_args(kwargs, err, text):
    with pytest.raises(err, match=text):
        D.build_conv_denoiser(**kwargs)


def test_build_super_resolution_shapes_and_save_roundtrip(tmp_path):
    m2 = D.build_super_resolution(2, filters=(4, 8), depth=0)
    assert m2.input_shape == (None, 14, 14, 1) and m2.output_shape == (None, 28, 28, 1)
    m4 = D.build_super_resolution(4, filters=(4, 8), depth=0, interpolation="bicubic")
    assert m4.input_shape == (None, 7, 7, 1) and m4.output_shape == (None, 28, 28, 1)
    x = np.random.default_rng(1).random((2, 7, 7, 1), dtype=np.float32)
    path = tmp_path / "sr.keras"
    m4.save(path)
    again = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_allclose(np.asarray(again.predict(x, verbose=0)), np.asarray(m4.predict(x, verbose=0)), atol=1e-6)
    for bad, text in ((3, "factor"), (1, "factor")):
        with pytest.raises(ValueError, match=text):
            D.build_super_resolution(bad)
    with pytest.raises(ValueError, match="interpolation"):
        D.build_super_resolution(2, interpolation="area")
    with pytest.raises(ValueError, match="output_shape"):
        D.build_super_resolution(2, output_shape=(28, 28))


def _noise(x, seed):
    return C.gaussian_noise(x, 0.2, seed=seed)


def test_corrupted_batches_fresh_seeded_noise():
    clean = _shapes(10)[..., None]
    ds = D.CorruptedBatches(clean, _noise, batch_size=4, seed=0)
    assert len(ds) == 3
    xb, yb = ds[0]
    assert xb.shape == (4, 28, 28, 1) and xb.dtype == np.float32
    assert not np.array_equal(xb, yb)
    assert ds[2][0].shape == (2, 28, 28, 1)
    np.testing.assert_array_equal(D.CorruptedBatches(clean, _noise, batch_size=4, seed=0)[1][0], ds[1][0])
    seen = np.sort(np.concatenate([ds[i][1] for i in range(len(ds))]).reshape(10, -1), axis=0)
    np.testing.assert_array_equal(seen, np.sort(clean.reshape(10, -1), axis=0))  # every image once per epoch
    first = ds[0]
    ds.on_epoch_end()
    assert not np.array_equal(ds[0][0], first[0])  # new order and new noise
    with pytest.raises(IndexError):
        ds[3]
    flat = D.CorruptedBatches(clean[..., 0].reshape(len(clean), -1), lambda x, seed: x * 0.5, batch_size=4)
    noisy, target = flat[0]
    assert noisy.shape == target.shape == (4, clean[0].size)   # any sample shape, not only images
    binary = D.CorruptedBatches(clean, lambda x, seed: seed.random(x.shape) < x, batch_size=4)[0][0]
    assert binary.dtype == np.float32 and set(np.unique(binary).tolist()) <= {0.0, 1.0}   # notebook 04's use


@pytest.mark.parametrize(
    "clean, corrupt, err, text",
    [
        ("x", _noise, TypeError, "clean"),
        (np.zeros(10, np.float32), _noise, ValueError, "clean"),            # one number per sample
        (np.zeros((0, 4, 4), np.float32), _noise, ValueError, "clean"),
        (np.full((4, 4, 4), 2.0, np.float32), _noise, ValueError, "clean"),
        (np.zeros((4, 4, 4), np.float32), "noise", TypeError, "corrupt"),
    ],
)
def test_corrupted_batches_rejects_bad_args(clean, corrupt, err, text):
    with pytest.raises(err, match=text):
        D.CorruptedBatches(clean, corrupt)


@pytest.mark.parametrize(
    "corrupt, text",
    [
        (lambda x, seed: x[:, :10], "corrupt: expected an output of shape"),
        (lambda x, seed: np.full(x.shape, np.nan, np.float32), "corrupt: expected finite numbers"),
        (lambda x, seed: x / 0.0, "corrupt: expected finite numbers"),
        (lambda x, seed: np.full(x.shape, "a"), "corrupt: expected finite numbers"),
    ],
)
def test_corrupted_batches_refuse_bad_corruptions(corrupt, text):
    with pytest.raises(ValueError, match=text), np.errstate(all="ignore"):
        D.CorruptedBatches(_shapes(8), corrupt, batch_size=4)[0]


def test_fit_autoencoder_on_batches_learns_and_restore_guards_against_clean_inputs():
    clean = _shapes(128)[..., None]
    val = _shapes(16, seed=3)[..., None]
    noisy_val = C.gaussian_noise(val, 0.2, seed=2)
    m = D.build_conv_denoiser(filters=(8, 16), depth=0)
    hist = aeutils.fit_autoencoder(m, D.CorruptedBatches(clean, _noise, batch_size=32, seed=0), noisy_val,
                                   y_val=val, epochs=3, learning_rate=3e-3, log_every=0, seed=0)
    assert len(hist.history["val_loss"]) == 3
    test = _shapes(32, seed=9)[..., None]
    noisy = C.gaussian_noise(test, 0.2, seed=1)
    assert D.quality(test, D.restore(m, noisy, test))["psnr"] > D.quality(test, noisy)["psnr"] + 2.0
    with pytest.raises(ValueError, match="clean images"):
        D.restore(m, test, test)  # the tutorial bug
    with pytest.raises(ValueError, match="clean"):
        D.restore(m, noisy, test[:3])
    assert D.restore(m, noisy).shape == noisy.shape
    with pytest.raises(ValueError, match="corrupted"):
        D.restore(m, noisy[..., 0])
    with pytest.raises(ValueError, match="corrupted: expected images of shape"):
        D.restore(m, noisy[:, :14, :14])
    with pytest.raises(ValueError, match="batch_size"):
        D.restore(m, noisy, batch_size=0)


@pytest.mark.parametrize("method", list(D.BASELINES))
def test_baselines_denoise_and_keep_shape(method):
    clean = _shapes(4 if method == "bm3d" else 12)
    noisy = C.gaussian_noise(clean, 0.2, seed=0)
    value = {"gaussian filter": 1.0, "median filter": 3, "total variation": 0.2, "non-local means": 0.2,
             "bm3d": 0.2}[method]
    out = D.apply_baseline(method, noisy, value)
    assert out.shape == noisy.shape and out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() <= 1.0
    assert D.quality(clean, out)["psnr"] > D.quality(clean, noisy)["psnr"] + 2.0
    out4 = D.apply_baseline(method, noisy[..., None], value)
    assert out4.shape == noisy.shape + (1,)
    np.testing.assert_allclose(out4[..., 0], out, atol=1e-6)   # deterministic, layout-independent


def test_baselines_treat_images_independently():
    clean = _shapes(4)
    for method, value in (("gaussian filter", 1.0), ("bm3d", 0.2)):
        together = D.apply_baseline(method, clean, value)
        np.testing.assert_allclose(together[1:2], D.apply_baseline(method, clean[1:2], value), atol=1e-6)


@pytest.mark.parametrize(
    "method, x, value, err, text",
    [
        ("wiener", _shapes(2), 1.0, ValueError, "method"),
        (["bm3d"], _shapes(2), 1.0, ValueError, "method"),
        ("gaussian filter", _shapes(2), 0, ValueError, "value"),
        ("gaussian filter", _shapes(2), float("nan"), ValueError, "value"),
        ("gaussian filter", _shapes(2), "1", ValueError, "value"),
        ("median filter", _shapes(2), 2.5, TypeError, "value"),
        ("gaussian filter", np.zeros((2, 8, 8, 3), np.float32), 1.0, ValueError, "grey"),
        ("gaussian filter", _shapes(2) * 255, 1.0, ValueError, "x: expected values in"),
    ],
)
def test_apply_baseline_rejects_bad_args(method, x, value, err, text):
    with pytest.raises(err, match=text):
        D.apply_baseline(method, x, value)


def test_tune_baseline_picks_the_best_grid_value_and_refuses_clean_inputs():
    clean = _shapes(16)
    noisy = C.gaussian_noise(clean, 0.3, seed=0)
    best, scores = D.tune_baseline("gaussian filter", noisy, clean, grid=[0.1, 1.0, 6.0])
    assert set(scores) == {0.1, 1.0, 6.0}
    assert best == max(scores, key=scores.get) == 1.0
    best_med, _ = D.tune_baseline("median filter", C.salt_and_pepper(clean, 0.2, seed=0), clean)
    assert best_med in D.GRIDS["median filter"]
    with pytest.raises(ValueError, match="corrupted: these are the clean images"):
        D.tune_baseline("gaussian filter", clean, clean)
    with pytest.raises(ValueError, match="grid"):
        D.tune_baseline("gaussian filter", noisy, clean, grid=[])
    with pytest.raises(ValueError, match="grid"):
        D.tune_baseline("bm3d", noisy, clean)   # BM3D's grid depends on the noise level: no default
    with pytest.raises(ValueError, match="clean"):
        D.tune_baseline("gaussian filter", noisy, clean[:3])


def test_default_grids_bracket_their_values():
    for method, grid in D.GRIDS.items():
        assert method in D.BASELINES and list(grid) == sorted(set(grid)) and len(grid) >= 5


def test_upsample_nearest_inverts_block_structure_and_bicubic_beats_it():
    clean = _shapes(16)
    blocky = np.repeat(np.repeat(C.downsample(clean, 2), 2, axis=1), 2, axis=2)
    np.testing.assert_allclose(D.upsample(C.downsample(clean, 2), 2, "nearest"), blocky, atol=1e-6)
    smooth = np.clip(np.cumsum(np.ones((4, 28, 28), np.float32), axis=2) / 28, 0, 1)
    small = C.downsample(smooth, 4)
    assert D.quality(smooth, D.upsample(small, 4, "bicubic"))["psnr"] > D.quality(smooth, D.upsample(small, 4, "nearest"))["psnr"]
    assert D.upsample(small[..., None], 4).shape == (4, 28, 28, 1)
    with pytest.raises(ValueError, match="method"):
        D.upsample(small, 2, "lanczos")
    with pytest.raises(ValueError, match="factor"):
        D.upsample(small, 1)


def test_quality_matches_known_values_and_names_its_arguments():
    clean = np.full((2, 16, 16), 0.5, dtype=np.float32)
    off = clean + np.float32(0.1)
    q = D.quality(clean, off)
    assert abs(q["psnr"] - 20.0) < 1e-3
    assert D.quality(clean[..., None], off[..., None])["psnr"] == pytest.approx(q["psnr"])
    with pytest.raises(ValueError, match="restored"):
        D.quality(clean, off[:1])
    with pytest.raises(ValueError, match="restored"):
        D.quality(clean, clean + 1.0)
    with pytest.raises(ValueError, match="restored"):
        D.quality(clean, clean[..., None])
    with pytest.raises(TypeError, match="clean"):
        D.quality((clean * 255).astype(np.uint8), off)
    assert D.quality(clean, clean)["psnr"] == 60.0                      # exact: counted as max_psnr, not inf
    assert D.quality(clean, clean, max_psnr=100.0)["psnr"] == 100.0
