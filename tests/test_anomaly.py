"""Tests for aeutils.anomaly (notebook 07)."""
from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from aeutils import anomaly as an  # noqa: E402


def _separable(n=200, seed=0):
    rng = np.random.default_rng(seed)
    labels = (rng.random(n) < 0.3).astype(int)
    scores = rng.normal(size=n) + 3.0 * labels
    return scores, labels


# ------------------------------------------------------------------ reconstruction_errors


def test_reconstruction_errors_mse_and_mae_with_callable():
    x = np.zeros((3, 2, 2), dtype=np.float32)
    x[1] = 1.0

    def half(a):
        return a * 0.5

    mse = an.reconstruction_errors(half, x, metric="mse")
    mae = an.reconstruction_errors(half, x, metric="mae")
    np.testing.assert_allclose(mse, [0.0, 0.25, 0.0])
    np.testing.assert_allclose(mae, [0.0, 0.5, 0.0])


def test_reconstruction_errors_keras_identity_model_is_zero():
    inp = keras.Input((5,))
    model = keras.Model(inp, keras.layers.Identity()(inp))
    x = np.random.default_rng(0).random((7, 5)).astype(np.float32)
    assert np.allclose(an.reconstruction_errors(model, x), 0.0)


@pytest.mark.parametrize(
    "kwargs, err, match",
    [
        ({"x": np.zeros(3, np.float32)}, ValueError, "x: expected a batch"),
        ({"x": np.zeros((2, 2), np.int64)}, TypeError, "x: expected dtype float"),
        ({"x": np.zeros((2, 2), np.float32), "metric": "l3"}, ValueError, "metric"),
        ({"x": np.zeros((2, 2), np.float32), "batch_size": 0}, ValueError, "batch_size"),
    ],
)
def test_reconstruction_errors_bad_inputs(kwargs, err, match):
    with pytest.raises(err, match=match):
        an.reconstruction_errors(lambda a: a, **kwargs)


def test_reconstruction_errors_bad_model():
    with pytest.raises(TypeError, match="model"):
        an.reconstruction_errors(3, np.zeros((2, 2), np.float32))


# ------------------------------------------------------------------ thresholds


def test_select_threshold_rules():
    scores = np.arange(101, dtype=float)
    assert an.select_threshold(scores, "percentile", q=90) == pytest.approx(90.0)
    assert an.select_threshold(scores, "mean_std", k=0) == pytest.approx(50.0)
    assert an.select_threshold(scores, "mean_std", k=1) == pytest.approx(50.0 + scores.std())
    labels = (scores > 80).astype(int)
    # normal scores only when labels are given
    assert an.select_threshold(scores, "percentile", labels=labels, q=100) == pytest.approx(80.0)
    t = an.select_threshold(scores, "best_f1", labels=labels)
    assert 80.0 <= t < 81.0
    assert an.evaluate_scores(scores, labels, t)["f1"] == 1.0


def test_select_threshold_best_f1_on_noisy_scores_beats_extremes():
    scores, labels = _separable()
    t = an.select_threshold(scores, "best_f1", labels=labels)
    best = an.evaluate_scores(scores, labels, t)["f1"]
    for other in (scores.min() - 1, np.median(scores), scores.max() - 1e-9):
        assert best >= an.evaluate_scores(scores, labels, float(other))["f1"]


@pytest.mark.parametrize(
    "kwargs, err, match",
    [
        ({"rule": "median"}, ValueError, "rule"),
        ({"rule": "best_f1"}, ValueError, "labels: the 'best_f1' rule needs"),
        ({"rule": "best_f1", "labels": np.zeros(4, int)}, ValueError, "both normal"),
        ({"rule": "percentile", "q": 120}, ValueError, "q: expected a percentile"),
        ({"rule": "percentile", "q": "95"}, TypeError, "q: expected a finite number"),
        ({"rule": "mean_std", "k": -1}, ValueError, "k: expected a number >= 0"),
        ({"labels": np.array([0, 1, 2, 0])}, ValueError, "0/1 labels"),
        ({"labels": np.array([0, 1])}, ValueError, "expected 4 labels"),
        ({"labels": np.ones(4, int)}, ValueError, "at least one normal"),
    ],
)
def test_select_threshold_bad_inputs(kwargs, err, match):
    with pytest.raises(err, match=match):
        an.select_threshold(np.array([0.1, 0.2, 0.3, 0.4]), **kwargs)


def test_select_threshold_rejects_bad_scores():
    with pytest.raises(ValueError, match="scores: expected 1 dimensions"):
        an.select_threshold(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="scores: expected finite"):
        an.select_threshold(np.array([0.0, np.nan]))


# ------------------------------------------------------------------ evaluation


def test_evaluate_scores_perfect_and_counts():
    scores = np.array([0.1, 0.2, 0.8, 0.9])
    labels = np.array([0, 0, 1, 1])
    out = an.evaluate_scores(scores, labels, threshold=0.5)
    assert out["roc_auc"] == 1.0 and out["pr_auc"] == 1.0
    assert out["accuracy"] == out["precision"] == out["recall"] == out["f1"] == 1.0
    assert out["flagged"] == 0.5
    out = an.evaluate_scores(scores, labels, threshold=0.15)  # flags 3: one false alarm
    assert out["precision"] == pytest.approx(2 / 3) and out["recall"] == 1.0 and out["accuracy"] == 0.75
    out = an.evaluate_scores(scores, labels, threshold=1.0)  # flags none
    assert out["precision"] == 0.0 and out["f1"] == 0.0
    assert set(an.evaluate_scores(scores, labels)) == {"roc_auc", "pr_auc"}


def test_evaluate_scores_bad_inputs():
    with pytest.raises(ValueError, match="both classes"):
        an.evaluate_scores(np.array([0.1, 0.2]), np.array([0, 0]))
    with pytest.raises(ValueError, match="labels: expected 2 labels"):
        an.evaluate_scores(np.array([0.1, 0.2]), np.array([0, 1, 1]))
    with pytest.raises(TypeError, match="threshold"):
        an.evaluate_scores(np.array([0.1, 0.2]), np.array([0, 1]), threshold="high")
    with pytest.raises(TypeError, match="labels: expected dtype"):
        an.evaluate_scores(np.array([0.1, 0.2]), np.array([0.0, 1.0]))


def test_precision_at_top():
    scores = np.array([5.0, 4.0, 3.0, 2.0, 1.0, 0.0, -1.0, -2.0, -3.0, -4.0])
    labels = np.array([1, 0, 1, 0, 0, 0, 0, 0, 0, 0])
    assert an.precision_at_top(scores, labels, 0.2) == 0.5
    assert an.precision_at_top(scores, labels, 0.01) == 1.0  # at least one flagged
    with pytest.raises(ValueError, match="fraction"):
        an.precision_at_top(scores, labels, 1.0)


def test_minmax_fit():
    assert an.minmax_fit(np.array([[1.0, 3.0], [2.0, -1.0]])) == (-1.0, 3.0)
    with pytest.raises(ValueError, match="non-zero range"):
        an.minmax_fit(np.ones((2, 2)))
    with pytest.raises(TypeError, match="x_train"):
        an.minmax_fit("abc")


# ------------------------------------------------------------------ models


def test_build_ecg_autoencoder_shapes_and_bad_inputs():
    ae, enc, dec = an.build_ecg_autoencoder(length=40, filters=(4,), hidden=8, code_size=3)
    x = np.random.default_rng(0).random((2, 40)).astype(np.float32)
    assert enc.predict(x, verbose=0).shape == (2, 3)
    out = ae.predict(x, verbose=0)
    assert out.shape == (2, 40) and out.min() >= 0 and out.max() <= 1
    with pytest.raises(ValueError, match="code_size"):
        an.build_ecg_autoencoder(code_size=0)
    with pytest.raises(TypeError, match="filters"):
        an.build_ecg_autoencoder(filters=16)


def test_negative_elbo_bits_is_a_reproducible_bound_that_training_lowers():
    from aeutils import vae as V

    rng = np.random.default_rng(0)
    x = (rng.random((64, 6, 6)) < 0.2).astype(np.float32)
    keras.utils.set_random_seed(0)
    model = V.build_dense_vae(2, input_shape=(6, 6), hidden=(16,), likelihood="bernoulli", seed=3)
    before = an.negative_elbo_bits(model, x, n_samples=2, seed=1)
    assert before.shape == (64,) and np.all(before > 0)
    np.testing.assert_allclose(before, an.negative_elbo_bits(model, x, n_samples=2, seed=1))
    nats = -(V.elbo(model, x, seed=1) + V.elbo(model, x, seed=2)) / 2
    np.testing.assert_allclose(before, nats / np.log(2.0), rtol=1e-6)   # the same bound, in bits
    V.fit_vae(model, x, epochs=30, batch_size=32, learning_rate=1e-2, log_every=0)
    assert an.negative_elbo_bits(model, x, n_samples=2, seed=1).mean() < before.mean()


def test_negative_elbo_bits_bad_inputs():
    from aeutils import vae as V

    with pytest.raises(TypeError, match="model: expected an aeutils.vae.VAE"):
        an.negative_elbo_bits(object(), np.zeros((1, 2, 2), np.float32))
    model = V.build_dense_vae(2, input_shape=(4, 4), hidden=(8,))
    with pytest.raises(ValueError, match=r"x: expected values in \[0.0, 1.0\]"):
        an.negative_elbo_bits(model, np.full((1, 4, 4), 2.0, np.float32))
    with pytest.raises(ValueError, match="n_samples"):
        an.negative_elbo_bits(model, np.zeros((1, 4, 4), np.float32), n_samples=0)


# ------------------------------------------------------------------ out-of-distribution


@pytest.mark.parametrize("method", ["png", "zlib"])
def test_compressed_bits_orders_by_complexity(method):
    rng = np.random.default_rng(0)
    blank = np.zeros((2, 28, 28), np.float32)
    noise = rng.random((2, 28, 28)).astype(np.float32)
    b, n = an.compressed_bits(blank, method=method), an.compressed_bits(noise, method=method)
    assert np.all(n > 5 * b)
    assert b.dtype == np.float64 and np.all(b % 8 == 0)


def test_compressed_bits_bad_inputs():
    with pytest.raises(ValueError, match="images: expected 3 dimensions"):
        an.compressed_bits(np.zeros((28, 28), np.float32))
    with pytest.raises(ValueError, match="images: expected values in"):
        an.compressed_bits(np.full((1, 2, 2), 3.0, np.float32))
    with pytest.raises(ValueError, match="method"):
        an.compressed_bits(np.zeros((1, 2, 2), np.float32), method="gif")


def test_complexity_corrected_score():
    np.testing.assert_allclose(an.complexity_corrected_score([10.0, 20.0], [4.0, 30.0]), [6.0, -10.0])
    with pytest.raises(ValueError, match="complexity_bits: expected 2 values"):
        an.complexity_corrected_score([1.0, 2.0], [1.0])


# ------------------------------------------------------------------ mislabels and novelty


def test_flip_labels_exact_count_and_always_changes():
    y = np.repeat(np.arange(10), 100)
    noisy, flipped = an.flip_labels(y, 0.05, n_classes=10, seed=3)
    assert flipped.sum() == 50
    assert np.all(noisy[flipped] != y[flipped]) and np.all(noisy[~flipped] == y[~flipped])
    assert noisy.min() >= 0 and noisy.max() <= 9
    again, flipped2 = an.flip_labels(y, 0.05, n_classes=10, seed=3)
    assert np.array_equal(noisy, again) and np.array_equal(flipped, flipped2)
    assert not np.array_equal(flipped, an.flip_labels(y, 0.05, n_classes=10, seed=4)[1])


@pytest.mark.parametrize(
    "y, kwargs, err, match",
    [
        (np.array([0.0, 1.0]), {}, TypeError, "y: expected dtype"),
        (np.array([0, -1]), {}, ValueError, "non-negative"),
        (np.array([0, 1]), {"fraction": 1.5}, ValueError, "fraction"),
        (np.array([0, 3]), {"n_classes": 2}, ValueError, "n_classes: expected more than"),
        (np.array([0, 0]), {}, ValueError, "at least two classes"),
        (np.array([0, 1]), {"seed": -1}, ValueError, "seed"),
    ],
)
def test_flip_labels_bad_inputs(y, kwargs, err, match):
    with pytest.raises(err, match=match):
        an.flip_labels(y, **kwargs)


@pytest.mark.parametrize("classifier", ["qda", "logistic"])
def test_label_disagreement_scores_finds_flips(classifier):
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(3), 100)
    centres = np.array([[0.0, 0.0], [5.0, 0.0], [0.0, 5.0]])
    feats = centres[y] + rng.normal(size=(300, 2))
    noisy, flipped = an.flip_labels(y, 0.1, seed=1)
    scores, proba = an.label_disagreement_scores(feats, noisy, classifier=classifier, n_splits=3, seed=0)
    assert proba.shape == (300, 3) and np.allclose(proba.sum(1), 1)
    assert an.evaluate_scores(scores, flipped.astype(int))["roc_auc"] > 0.95


def test_label_disagreement_scores_bad_inputs():
    feats = np.zeros((6, 2))
    with pytest.raises(ValueError, match="y_given: expected 6 labels"):
        an.label_disagreement_scores(feats, np.array([0, 1]))
    with pytest.raises(ValueError, match="at least n_splits"):
        an.label_disagreement_scores(feats, np.array([0, 0, 0, 0, 0, 1]), n_splits=2)
    with pytest.raises(ValueError, match="C: expected a positive"):
        an.label_disagreement_scores(feats, np.array([0, 1] * 3), n_splits=2, C=0.0)
    with pytest.raises(ValueError, match="features: expected 2 dimensions"):
        an.label_disagreement_scores(np.zeros(6), np.array([0, 1] * 3))
    with pytest.raises(ValueError, match="classifier"):
        an.label_disagreement_scores(feats, np.array([0, 1] * 3), classifier="svm")
    with pytest.raises(ValueError, match="reg_param"):
        an.label_disagreement_scores(feats, np.array([0, 1] * 3), reg_param=2.0)


def test_holdout_split():
    x = np.arange(12, dtype=np.float32).reshape(6, 2)
    y = np.array([0, 1, 2, 1, 0, 1])
    rest, only = an.holdout_split(x, y, 1)
    assert rest.shape == (3, 2) and only.shape == (3, 2)
    with pytest.raises(ValueError, match="does not occur"):
        an.holdout_split(x, y, 7)
    with pytest.raises(ValueError, match="nothing would be left"):
        an.holdout_split(x[:1], y[:1], 0)
    with pytest.raises(ValueError, match="y: expected 6 labels"):
        an.holdout_split(x, y[:2], 0)
