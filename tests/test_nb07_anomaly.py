"""Tests for the code notebook 07 exports (aeutils.lessons.nb07_anomaly)."""
from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from aeutils.lessons import nb07_anomaly as an  # noqa: E402


def _separable(n=200, seed=0):
    rng = np.random.default_rng(seed)
    labels = (rng.random(n) < 0.3).astype(int)
    return rng.normal(size=n) + 3.0 * labels, labels


def _identity(n_in):
    inp = keras.Input((n_in,))
    return keras.Model(inp, keras.layers.Identity()(inp))


# ------------------------------------------------------------------ reconstruction_errors


def test_reconstruction_errors_identity_is_zero_and_half_is_known():
    x = np.random.default_rng(0).random((7, 5)).astype(np.float32)
    assert np.allclose(an.reconstruction_errors(_identity(5), x), 0.0)
    inp = keras.Input((4,))
    half = keras.Model(inp, keras.layers.Rescaling(0.5)(inp))
    x = np.zeros((3, 4), np.float32)
    x[1] = 1.0
    np.testing.assert_allclose(an.reconstruction_errors(half, x, "mse"), [0.0, 0.25, 0.0], atol=1e-7)
    np.testing.assert_allclose(an.reconstruction_errors(half, x, "mae"), [0.0, 0.5, 0.0], atol=1e-7)


@pytest.mark.parametrize(
    "x, kwargs, err, match",
    [
        (np.zeros(3, np.float32), {}, ValueError, "x: expected 2 or 3 or 4 dimensions"),
        (np.zeros((2, 5), np.int64), {}, TypeError, "x: expected dtype float"),
        (np.zeros((2, 5), np.float32), {"metric": "l3"}, ValueError, "metric"),
        (np.zeros((2, 5), np.float32), {"metric": ["mse"]}, ValueError, "metric"),
        (np.zeros((2, 5), np.float32), {"batch_size": 0}, ValueError, "batch_size"),
        (np.full((2, 5), np.nan, np.float32), {}, ValueError, "x: expected finite"),
    ],
)
def test_reconstruction_errors_bad_inputs(x, kwargs, err, match):
    with pytest.raises(err, match=match):
        an.reconstruction_errors(_identity(5), x, **kwargs)


def test_reconstruction_errors_bad_model_and_shape_mismatch():
    with pytest.raises(TypeError, match="model: expected a Keras model"):
        an.reconstruction_errors(3, np.zeros((2, 2), np.float32))
    inp = keras.Input((4,))
    narrow = keras.Model(inp, keras.layers.Dense(3)(inp))
    with pytest.raises(ValueError, match=r"model: expected reconstructions of shape \(2, 4\)"):
        an.reconstruction_errors(narrow, np.zeros((2, 4), np.float32))


# ------------------------------------------------------------------ thresholds


def test_threshold_rules():
    scores = np.arange(101, dtype=float)
    assert an.percentile_threshold(scores, 90) == pytest.approx(90.0)
    assert an.percentile_threshold(scores, np.float32(90)) == pytest.approx(90.0)   # numpy scalars accepted
    assert an.mean_std_threshold(scores, 0) == pytest.approx(50.0)
    assert an.mean_std_threshold(scores, 1) == pytest.approx(50.0 + scores.std())
    labels = (scores > 80).astype(int)
    t = an.best_f1_threshold(scores, labels)
    assert t == 81.0 and an.evaluate_scores(scores, labels, t)["f1"] == 1.0


def test_best_f1_threshold_beats_other_cuts():
    scores, labels = _separable()
    t = an.best_f1_threshold(scores, labels)
    assert t in scores
    best = an.evaluate_scores(scores, labels, t)["f1"]
    for other in np.unique(scores):
        assert best >= an.evaluate_scores(scores, labels, float(other))["f1"] - 1e-12


@pytest.mark.parametrize(
    "call, err, match",
    [
        (lambda: an.percentile_threshold([0.1, 0.2], 120), ValueError, "q: expected a percentile"),
        (lambda: an.percentile_threshold([0.1, 0.2], "95"), TypeError, "q: expected a finite number"),
        (lambda: an.percentile_threshold([0.1, np.nan], 95), ValueError, "normal_scores: expected finite"),
        (lambda: an.percentile_threshold([], 95), ValueError, "normal_scores: expected a non-empty"),
        (lambda: an.mean_std_threshold([0.1, 0.2], -1), ValueError, "k: expected a finite number >= 0"),
        (lambda: an.mean_std_threshold([0.1, 0.2], float("inf")), ValueError, "k: expected a finite number"),
        (lambda: an.mean_std_threshold(np.zeros((2, 2)), 1), ValueError, "normal_scores: expected 1 dimensions"),
        (lambda: an.best_f1_threshold([0.1, 0.2, 0.3], [0, 0, 0]), ValueError, "both normal"),
        (lambda: an.best_f1_threshold([0.1, 0.2, 0.3], [0, 1, 2]), ValueError, "0/1 labels"),
        (lambda: an.best_f1_threshold([0.1, 0.2, 0.3], [0, 1]), ValueError, r"labels: expected shape \(3\)"),
        (lambda: an.best_f1_threshold(["a", "b"], [0, 1]), TypeError, "scores: expected dtype"),
    ],
)
def test_threshold_bad_inputs(call, err, match):
    with pytest.raises(err, match=match):
        call()


# ------------------------------------------------------------------ evaluation


def test_evaluate_scores_perfect_and_counts():
    scores, labels = np.array([0.1, 0.2, 0.8, 0.9]), np.array([0, 0, 1, 1])
    out = an.evaluate_scores(scores, labels, threshold=0.5)
    assert out["roc_auc"] == 1.0 and out["pr_auc"] == 1.0
    assert out["accuracy"] == out["precision"] == out["recall"] == out["f1"] == 1.0 and out["flagged"] == 0.5
    out = an.evaluate_scores(scores, labels, threshold=0.15)      # flags 3: one false alarm
    assert out["precision"] == pytest.approx(2 / 3) and out["recall"] == 1.0 and out["accuracy"] == 0.75
    out = an.evaluate_scores(scores, labels, threshold=0.8)       # score >= threshold is flagged
    assert out["flagged"] == 0.5
    out = an.evaluate_scores(scores, labels, threshold=1.0)       # flags none
    assert out["precision"] == 0.0 and out["f1"] == 0.0
    assert set(an.evaluate_scores(scores, labels)) == {"roc_auc", "pr_auc"}
    assert an.evaluate_scores(scores, labels.astype(bool))["roc_auc"] == 1.0   # boolean labels accepted


def test_evaluate_scores_bad_inputs():
    with pytest.raises(ValueError, match="both classes"):
        an.evaluate_scores(np.array([0.1, 0.2]), np.array([0, 0]))
    with pytest.raises(ValueError, match=r"labels: expected shape \(2\)"):
        an.evaluate_scores(np.array([0.1, 0.2]), np.array([0, 1, 1]))
    with pytest.raises(TypeError, match="threshold"):
        an.evaluate_scores(np.array([0.1, 0.2]), np.array([0, 1]), threshold="high")
    with pytest.raises(ValueError, match="threshold"):
        an.evaluate_scores(np.array([0.1, 0.2]), np.array([0, 1]), threshold=float("nan"))
    with pytest.raises(TypeError, match="labels: expected dtype"):
        an.evaluate_scores(np.array([0.1, 0.2]), np.array([0.0, 1.0]))


def test_precision_at_top():
    scores = np.array([5.0, 4.0, 3.0, 2.0, 1.0, 0.0, -1.0, -2.0, -3.0, -4.0])
    labels = np.array([1, 0, 1, 0, 0, 0, 0, 0, 0, 0])
    assert an.precision_at_top(scores, labels, 0.2) == 0.5
    assert an.precision_at_top(scores, labels, 0.01) == 1.0   # at least one flagged
    with pytest.raises(ValueError, match="fraction"):
        an.precision_at_top(scores, labels, 1.0)
    with pytest.raises(ValueError, match=r"labels: expected shape \(10\)"):
        an.precision_at_top(scores, labels[:3], 0.2)


# ------------------------------------------------------------------ ECG detectors


def test_ecg_detectors_shapes_and_composition():
    x = np.random.default_rng(0).random((2, 40)).astype(np.float32)
    for ae, enc, dec in (an.build_ecg_autoencoder(length=40, filters=(4,), hidden=8, code_size=3),
                         an.build_tutorial_detector(length=40)):
        z = enc.predict(x, verbose=0)
        out = ae.predict(x, verbose=0)
        assert out.shape == (2, 40) and out.min() >= 0 and out.max() <= 1
        np.testing.assert_allclose(dec.predict(z, verbose=0), out, atol=1e-6)
        assert ae.count_params() == enc.count_params() + dec.count_params()
    assert z.shape == (2, 8)                                   # the tutorial's 8-number code
    assert an.build_tutorial_detector()[0].count_params() == (140 * 32 + 32) + (32 * 16 + 16) + (16 * 8 + 8) \
        + (8 * 16 + 16) + (16 * 32 + 32) + (32 * 140 + 140)


@pytest.mark.parametrize(
    "kwargs, err, match",
    [({"code_size": 0}, ValueError, "code_size"), ({"filters": 16}, TypeError, "filters"),
     ({"filters": (0,)}, ValueError, "filters"), ({"length": 2}, ValueError, "length"),
     ({"kernel_size": 1.5}, TypeError, "kernel_size"), ({"hidden": -1}, ValueError, "hidden")],
)
def test_build_ecg_autoencoder_bad_inputs(kwargs, err, match):
    with pytest.raises(err, match=match):
        an.build_ecg_autoencoder(**kwargs)


def test_build_tutorial_detector_bad_length():
    with pytest.raises(TypeError, match="length"):
        an.build_tutorial_detector("140")


def test_ecg_detector_trains_and_separates():
    import aeutils

    rng = np.random.default_rng(0)
    t = np.linspace(0, 1, 32, dtype=np.float32)
    normal = (0.5 + 0.3 * np.sin(2 * np.pi * (t + rng.random((200, 1)) * 0.05))).astype(np.float32)
    odd = rng.random((20, 32)).astype(np.float32)
    ae, _, _ = an.build_ecg_autoencoder(length=32, filters=(8,), hidden=16, code_size=2)
    aeutils.fit_autoencoder(ae, normal, epochs=30, batch_size=32, learning_rate=1e-2, loss="mae", log_every=0, seed=0)
    scores = an.reconstruction_errors(ae, np.concatenate([normal[:20], odd]), "mae")
    assert an.evaluate_scores(scores, np.r_[np.zeros(20), np.ones(20)].astype(int))["roc_auc"] > 0.95


# ------------------------------------------------------------------ out-of-distribution


@pytest.mark.parametrize("method", ["png", "zlib"])
def test_compressed_bits_orders_by_complexity(method):
    blank = np.zeros((2, 28, 28), np.float32)
    noise = np.random.default_rng(0).random((2, 28, 28)).astype(np.float32)
    b, n = an.compressed_bits(blank, method=method), an.compressed_bits(noise, method=method)
    assert np.all(n > 5 * b) and np.all(n > 8 * 784 * 0.9)      # noise does not compress
    assert b.dtype == np.float64 and np.all(b % 8 == 0)


def test_compressed_bits_png_is_lossless_length():
    import io

    from PIL import Image

    img = (np.arange(28 * 28).reshape(1, 28, 28) % 256 / 255).astype(np.float32)
    bits = an.compressed_bits(img)[0]
    buf = io.BytesIO()
    Image.fromarray(np.round(img[0] * 255).astype(np.uint8), mode="L").save(buf, format="PNG", optimize=True)
    assert bits == 8 * buf.tell()
    buf.seek(0)
    assert np.array_equal(np.asarray(Image.open(buf)), np.round(img[0] * 255).astype(np.uint8))


@pytest.mark.parametrize(
    "images, kwargs, err, match",
    [
        (np.zeros((28, 28), np.float32), {}, ValueError, "images: expected 3 dimensions"),
        (np.full((1, 2, 2), 3.0, np.float32), {}, ValueError, "images: expected values in"),
        (np.zeros((1, 2, 2), np.uint8), {}, TypeError, "images: expected dtype float"),
        (np.zeros((1, 2, 2), np.float32), {"method": "gif"}, ValueError, "method"),
        (None, {}, TypeError, "images: expected an array, got None"),
    ],
)
def test_compressed_bits_bad_inputs(images, kwargs, err, match):
    with pytest.raises(err, match=match):
        an.compressed_bits(images, **kwargs)


# ------------------------------------------------------------------ mislabels


def test_flip_labels_exact_count_and_always_changes():
    y = np.repeat(np.arange(10), 100)
    noisy, flipped = an.flip_labels(y, 0.05, n_classes=10, rng=np.random.default_rng(3))
    assert flipped.sum() == 50
    assert np.all(noisy[flipped] != y[flipped]) and np.all(noisy[~flipped] == y[~flipped])
    assert noisy.min() >= 0 and noisy.max() <= 9 and noisy.dtype == np.int64
    again, flipped2 = an.flip_labels(y, 0.05, n_classes=10, rng=np.random.default_rng(3))
    assert np.array_equal(noisy, again) and np.array_equal(flipped, flipped2)
    assert not np.array_equal(flipped, an.flip_labels(y, 0.05, n_classes=10, rng=np.random.default_rng(4))[1])
    assert np.array_equal(y, np.repeat(np.arange(10), 100))      # the input is not changed


@pytest.mark.parametrize(
    "y, kwargs, err, match",
    [
        (np.array([0.0, 1.0]), {}, TypeError, "y: expected dtype"),
        (np.array([0, -1]), {}, ValueError, "y: expected values in"),
        (np.array([0, 1]), {"fraction": 1.5}, ValueError, "fraction"),
        (np.array([0, 3]), {"n_classes": 2}, ValueError, "n_classes: expected at least 2 and more than"),
        (np.array([0, 0]), {}, ValueError, "n_classes"),
        (np.array([0, 1]), {"rng": 7}, TypeError, "rng: expected a numpy.random.Generator"),
    ],
)
def test_flip_labels_bad_inputs(y, kwargs, err, match):
    kwargs = {"rng": np.random.default_rng(0), **kwargs}
    with pytest.raises(err, match=match):
        an.flip_labels(y, **kwargs)


def test_label_disagreement_scores_finds_flips():
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(3), 100)
    feats = np.array([[0.0, 0.0], [5.0, 0.0], [0.0, 5.0]])[y] + rng.normal(size=(300, 2))
    noisy, flipped = an.flip_labels(y, 0.1, rng=np.random.default_rng(1))
    scores, proba = an.label_disagreement_scores(feats, noisy, n_splits=3, seed=0)
    assert proba.shape == (300, 3) and np.allclose(proba.sum(1), 1)
    assert an.evaluate_scores(scores, flipped)["roc_auc"] > 0.95
    np.testing.assert_array_equal(scores, an.label_disagreement_scores(feats, noisy, n_splits=3, seed=0)[0])


@pytest.mark.parametrize(
    "features, y, kwargs, err, match",
    [
        (np.zeros((6, 2)), np.array([0, 1]), {}, ValueError, r"y_given: expected shape \(6\)"),
        (np.zeros((6, 2)), np.array([0, 0, 0, 0, 0, 1]), {"n_splits": 2}, ValueError, "at least n_splits"),
        (np.zeros(6), np.array([0, 1] * 3), {}, ValueError, "features: expected 2 dimensions"),
        (np.zeros((6, 2)), np.array([0, 1] * 3), {"reg_param": 2.0}, ValueError, "reg_param"),
        (np.zeros((6, 2)), np.array([0, 1] * 3), {"n_splits": 1}, ValueError, "n_splits"),
        (np.zeros((6, 2)), np.array([0, 1] * 3), {"n_splits": 2, "seed": -1}, ValueError, "seed"),
        (np.zeros((6, 2)), np.array([0.0, 1.0] * 3), {}, TypeError, "y_given: expected dtype"),
    ],
)
def test_label_disagreement_scores_bad_inputs(features, y, kwargs, err, match):
    with pytest.raises(err, match=match):
        an.label_disagreement_scores(features, y, **kwargs)
