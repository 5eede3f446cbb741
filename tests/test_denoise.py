"""Tests for aeutils.denoise (notebook 03)."""
from __future__ import annotations

import keras
import numpy as np
import pytest

from aeutils import denoise as D
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
    three = D.build_conv_denoiser(filters=(4, 8, 8), depth=1, batch_norm=True)
    assert three.output_shape == (None, 28, 28, 1)
    assert any(isinstance(layer, keras.layers.BatchNormalization) for layer in three.layers)
    assert "skip1" in [layer.name for layer in three.layers]
    plain = D.build_conv_denoiser((16, 12, 2), filters=(4, 8), depth=0, residual=False)
    assert plain.output_shape == (None, 16, 12, 2)
    assert plain.layers[-1].activation.__name__ == "sigmoid"


@pytest.mark.parametrize(
    "kwargs, err",
    [
        (dict(input_shape=(27, 28, 1)), ValueError),
        (dict(input_shape=(28, 28)), ValueError),
        (dict(filters=(32,)), ValueError),
        (dict(filters=(8, 8, 8, 8, 8)), ValueError),
        (dict(input_shape=(26, 28, 1), filters=(8, 8, 8)), ValueError),
        (dict(filters=(32, 0)), ValueError),
        (dict(depth=-1), ValueError),
        (dict(depth=1.5), TypeError),
    ],
)
def test_build_conv_denoiser_rejects_bad_args(kwargs, err):
    with pytest.raises(err):
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
    with pytest.raises(ValueError, match="factor"):
        D.build_super_resolution(3)
    with pytest.raises(ValueError, match="factor"):
        D.build_super_resolution(1)
    with pytest.raises(ValueError, match="interpolation"):
        D.build_super_resolution(2, interpolation="area")


def test_corrupted_batches_fresh_seeded_noise():
    clean = _shapes(10)[..., None]
    make = lambda s: D.CorruptedBatches(clean, lambda x, seed: C.gaussian_noise(x, 0.2, seed=seed), batch_size=4, seed=s)  # noqa: E731
    ds = make(0)
    assert len(ds) == 3
    xb, yb = ds[0]
    assert xb.shape == (4, 28, 28, 1) and xb.dtype == np.float32
    assert not np.array_equal(xb, yb)
    assert ds[2][0].shape == (2, 28, 28, 1)
    again = make(0)
    np.testing.assert_array_equal(again[1][0], ds[1][0])
    seen = np.sort(np.concatenate([ds[i][1] for i in range(len(ds))]).reshape(10, -1), axis=0)
    np.testing.assert_array_equal(seen, np.sort(clean.reshape(10, -1), axis=0))  # every image once per epoch
    first = ds[0]
    ds.on_epoch_end()
    assert not np.array_equal(ds[0][0], first[0])  # new order and new noise
    with pytest.raises(IndexError):
        ds[3]
    with pytest.raises(TypeError, match="corrupt"):
        D.CorruptedBatches(clean, "noise")
    with pytest.raises(ValueError, match="clean"):
        D.CorruptedBatches(clean[:, 0, 0, 0], lambda x, seed: x)   # one number per sample
    with pytest.raises(ValueError, match="clean"):
        D.CorruptedBatches(clean[:0], lambda x, seed: x)
    flat = D.CorruptedBatches(clean[..., 0].reshape(len(clean), -1), lambda x, seed: x * 0.5, batch_size=4)
    noisy, target = flat[0]
    assert noisy.shape == target.shape == (4, clean[0].size)   # any sample shape, not only images
    bad = D.CorruptedBatches(clean, lambda x, seed: x[:, :10], batch_size=4)
    with pytest.raises(ValueError, match="corrupt: expected an output of shape"):
        bad[0]


def test_train_restorer_learns_and_restore_guards_against_clean_inputs():
    clean = _shapes(128)[..., None]
    val = _shapes(16, seed=3)[..., None]
    noisy_val = C.gaussian_noise(val, 0.2, seed=2)
    m = D.build_conv_denoiser(filters=(8, 16), depth=0)
    hist = D.train_restorer(m, clean, lambda x, seed: C.gaussian_noise(x, 0.2, seed=seed),
                            validation=(noisy_val, val), epochs=3, batch_size=32, learning_rate=3e-3, log_every=0)
    assert len(hist.history["val_loss"]) == 3
    test = _shapes(32, seed=9)[..., None]
    noisy = C.gaussian_noise(test, 0.2, seed=1)
    before = D.quality(test, noisy)["psnr"]
    after = D.quality(test, D.restore(m, noisy, test))["psnr"]
    assert after > before + 2.0
    with pytest.raises(ValueError, match="clean images"):
        D.restore(m, test, test)  # the tutorial bug
    with pytest.raises(ValueError, match="clean"):
        D.restore(m, noisy, test[:3])
    assert D.restore(m, noisy).shape == noisy.shape
    with pytest.raises(ValueError, match="corrupted"):
        D.restore(m, noisy[..., 0])
    with pytest.raises(ValueError, match="validation"):
        D.train_restorer(m, clean, lambda x, seed: x, validation=(val, val), epochs=1)
    with pytest.raises(ValueError, match="validation"):
        D.train_restorer(m, clean, lambda x, seed: x, validation=noisy_val, epochs=1)
    with pytest.raises(ValueError, match="epochs"):
        D.train_restorer(m, clean, lambda x, seed: x, validation=(noisy_val, val), epochs=0)


@pytest.mark.parametrize("method", list(D.BASELINES))
def test_baselines_denoise_and_keep_shape(method):
    clean = _shapes(12)
    noisy = C.gaussian_noise(clean, 0.2, seed=0)
    value = {"gaussian filter": 1.0, "median filter": 3, "total variation": 0.2, "non-local means": 0.2}[method]
    out = D.apply_baseline(method, noisy, value)
    assert out.shape == noisy.shape and out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() <= 1.0
    assert D.quality(clean, out)["psnr"] > D.quality(clean, noisy)["psnr"] + 2.0
    out4 = D.apply_baseline(method, noisy[..., None], value)
    assert out4.shape == (12, 28, 28, 1)
    np.testing.assert_allclose(out4[..., 0], out, atol=1e-6)


def test_gaussian_baseline_treats_images_independently():
    clean = _shapes(4)
    alone = D.apply_baseline("gaussian filter", clean[1:2], 1.0)
    together = D.apply_baseline("gaussian filter", clean, 1.0)
    np.testing.assert_allclose(together[1:2], alone, atol=1e-6)


def test_apply_baseline_rejects_bad_args():
    x = _shapes(2)
    with pytest.raises(ValueError, match="method"):
        D.apply_baseline("wiener", x, 1.0)
    with pytest.raises(ValueError, match="value"):
        D.apply_baseline("gaussian filter", x, 0)
    with pytest.raises(TypeError):
        D.apply_baseline("median filter", x, 2.5)
    with pytest.raises(ValueError, match="grey"):
        D.apply_baseline("gaussian filter", np.zeros((2, 8, 8, 3), dtype=np.float32), 1.0)


def test_tune_baseline_picks_the_best_grid_value():
    clean = _shapes(16)
    noisy = C.gaussian_noise(clean, 0.3, seed=0)
    best, scores = D.tune_baseline("gaussian filter", noisy, clean, grid=[0.1, 1.0, 6.0])
    assert set(scores) == {0.1, 1.0, 6.0}
    assert best == max(scores, key=scores.get) == 1.0
    sp = C.salt_and_pepper(clean, 0.2, seed=0)
    best_med, _ = D.tune_baseline("median filter", sp, clean)
    assert best_med in D.DEFAULT_GRIDS["median filter"]
    with pytest.raises(ValueError, match="grid"):
        D.tune_baseline("gaussian filter", noisy, clean, grid=[])
    with pytest.raises(ValueError, match="clean"):
        D.tune_baseline("gaussian filter", noisy, clean[:3])


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


def test_quality_matches_known_values():
    clean = np.full((2, 16, 16), 0.5, dtype=np.float32)
    off = clean + np.float32(0.1)
    q = D.quality(clean, off)
    assert abs(q["psnr"] - 20.0) < 1e-3
    assert D.quality(clean[..., None], off[..., None])["psnr"] == pytest.approx(q["psnr"])
    with pytest.raises(ValueError, match="restored"):
        D.quality(clean, off[:1])
    with pytest.raises(ValueError, match="restored"):
        D.quality(clean, clean + 1.0)
