"""Tests for notebook 04's exported VAE (aeutils.lessons.nb04_vae)."""
from __future__ import annotations

import importlib.util
import math
import runpy
from pathlib import Path

import keras
import numpy as np
import pytest
from scipy.stats import norm

import aeutils
from aeutils.lessons import nb04_vae as V
from aeutils.lessons.nb03_denoising import CorruptedBatches

ROOT = Path(__file__).resolve().parent.parent
ops = keras.ops


def np_(t):
    return ops.convert_to_numpy(t)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    return (rng.random((64, 8, 8)) < 0.3).astype("float32"), rng.integers(0, 3, 64)


@pytest.fixture(scope="module")
def grey():
    return np.round(np.random.default_rng(1).random((32, 8, 8)) * 255).astype("float32") / 255


@pytest.fixture(scope="module")
def tiny(data):
    keras.utils.set_random_seed(0)
    x, _ = data
    model, _, _ = V.build_dense_vae(2, input_shape=(8, 8), hidden=(16,), seed=1)
    aeutils.fit_autoencoder(model, x, x[:16], loss=None, epochs=2, batch_size=32, learning_rate=1e-2, log_every=0)
    return model


# ------------------------------------------------------------------ likelihoods, KL, sampling
def test_bernoulli_log_likelihood_matches_formula():
    x = np.array([[0.0, 1.0, 1.0]], "float32")
    logits = np.array([[0.3, -1.2, 2.0]], "float32")
    p = 1 / (1 + np.exp(-logits))
    expected = np.sum(x * np.log(p) + (1 - x) * np.log(1 - p))
    got = np_(V.log_likelihood(x, ops.convert_to_tensor(logits), "bernoulli"))
    np.testing.assert_allclose(got, [expected], rtol=1e-5)
    np.testing.assert_allclose(np_(V.decoder_mean(logits, "bernoulli")), p, rtol=1e-6)


@pytest.mark.parametrize("loc, log_scale", [(0.3, -3.0), (0.0, -6.0), (1.2, -1.0), (0.5, -7.0), (-0.4, 0.5)])
def test_discretized_logistic_is_a_distribution_over_256_levels(loc, log_scale):
    levels = ops.convert_to_tensor((np.arange(256) / 255).astype("float32")[:, None])
    params = ops.convert_to_tensor(np.full((256, 1, 2), [loc, log_scale], "float32"))
    log_p = np_(V.log_likelihood(levels, params, "discretized_logistic")).astype("float64")
    assert (log_p <= 1e-6).all() and abs(np.exp(log_p).sum() - 1) < 1e-4
    # an inner level's probability is the logistic's mass on its bin
    s, k = math.exp(log_scale), 100
    cdf = lambda v: 1 / (1 + math.exp(-(v - loc) / s))  # noqa: E731
    expected = cdf((k + 0.5) / 255) - cdf((k - 0.5) / 255)
    if expected > 1e-4:
        assert abs(math.exp(log_p[k]) - expected) < 1e-4 * max(1.0, expected * 10)


def test_decoder_mean_of_the_logistic_is_its_clipped_location():
    params = np.array([[[-0.2, 0.0], [0.4, -1.0], [1.3, 2.0]]], "float32")
    np.testing.assert_allclose(np_(V.decoder_mean(params, "discretized_logistic")), [[0.0, 0.4, 1.0]], atol=1e-6)


def test_likelihood_functions_reject_unknown_likelihoods():
    t = ops.zeros((1, 2))
    for call in (lambda: V.log_likelihood(t, t, "gaussian"), lambda: V.decoder_mean(t, "poisson")):
        with pytest.raises(ValueError, match="likelihood"):
            call()


def test_gaussian_kl_closed_form():
    np.testing.assert_allclose(np_(V.gaussian_kl(ops.zeros((2, 3)), ops.zeros((2, 3)))), 0.0, atol=1e-7)
    kl = np_(V.gaussian_kl(ops.convert_to_tensor([[1.0, 0.0]]), ops.convert_to_tensor([[0.0, math.log(0.25)]])))
    assert abs(float(kl[0]) - 0.5 * (1.0 + 0.25 - math.log(0.25) - 1.0)) < 1e-6


def test_sampling_layer_is_seeded_and_serializable():
    mean, log_var = ops.ones((5000, 2)), ops.full((5000, 2), math.log(0.25))
    a, b = np_(V.Sampling(seed=3)(mean, log_var)), np_(V.Sampling(seed=3)(mean, log_var))
    np.testing.assert_array_equal(a, b)
    assert abs(a.mean() - 1) < 0.03 and abs(a.std() - 0.5) < 0.03
    assert V.Sampling.from_config(V.Sampling(seed=4).get_config()).seed == 4
    with pytest.raises(ValueError, match="seed"):
        V.Sampling(seed=-1)


# ------------------------------------------------------------------ the model and its builders
def test_construction_compares_shapes_with_code_size():
    enc = keras.Sequential([keras.Input((8, 8)), keras.layers.Flatten(), keras.layers.Dense(5)])
    _, e, d = V.build_dense_vae(2, input_shape=(8, 8), hidden=(4,))
    with pytest.raises(ValueError, match=r"encoder: expected 2 \* code_size = 4 outputs .* got 5"):
        V.VAE(enc, d, 2)
    with pytest.raises(ValueError, match="encoder: expected 2 \\* code_size = 6"):
        V.VAE(e, d, 3)
    with pytest.raises(ValueError, match="decoder: expected outputs of shape \\(8, 8, 2\\)"):
        V.VAE(e, d, 2, likelihood="discretized_logistic")
    dec3 = keras.Sequential([keras.Input((3,)), keras.layers.Dense(64), keras.layers.Reshape((8, 8))])
    enc6 = keras.Sequential([keras.Input((8, 8)), keras.layers.Flatten(), keras.layers.Dense(4)])
    with pytest.raises(ValueError, match="decoder: expected code_size = 2 inputs, got 3"):
        V.VAE(enc6, dec3, 2)
    with pytest.raises(TypeError, match="encoder"):
        V.VAE("not a model", d, 2)
    with pytest.raises(ValueError, match="beta"):
        V.VAE(e, d, 2, beta=-1.0)
    with pytest.raises(ValueError, match="kl_warmup_steps"):
        V.VAE(e, d, 2, kl_warmup_steps=-1)


def test_builders_validate_inputs():
    with pytest.raises(ValueError, match="code_size"):
        V.build_dense_vae(0)
    with pytest.raises(ValueError, match="likelihood"):
        V.build_dense_vae(2, likelihood="mse")
    with pytest.raises(TypeError, match="hidden"):
        V.build_dense_vae(2, hidden=5)
    with pytest.raises(ValueError, match="input_shape"):
        V.build_conv_vae(2, input_shape=(30, 30))
    with pytest.raises(ValueError, match="filters"):
        V.build_conv_vae(2, filters=(8,))
    with pytest.raises(ValueError, match="data_mean"):
        V.build_dense_vae(2, input_shape=(8, 8), hidden=(4,), data_mean=np.ones((4, 4)))
    with pytest.raises(ValueError, match="data_mean"):
        V.build_dense_vae(2, input_shape=(8, 8), hidden=(4,), data_mean=np.full((8, 8), 2.0))


def test_builders_return_the_triple_and_shapes(data):
    x, labels = data
    for likelihood, extra in (("bernoulli", ()), ("discretized_logistic", (2,))):
        model, enc, dec = V.build_conv_vae(3, input_shape=(8, 8), filters=(4, 4), dense=8, likelihood=likelihood)
        assert enc.output_shape == (None, 6) and dec.output_shape == (None, 8, 8, *extra)
        assert tuple(model(x[:5])["params"].shape) == (5, 8, 8, *extra)
    cvae, _, _ = V.build_dense_vae(3, input_shape=(8, 8), hidden=(8,), num_classes=3)
    z_mean, z_log_var = V.vae_encode(cvae, x[:5], labels[:5])
    assert z_mean.shape == (5, 3) and z_log_var.shape == (5, 3)
    assert V.vae_decode(cvae, z_mean, labels[:5]).shape == (5, 8, 8)
    with pytest.raises(ValueError, match="inputs: a conditional VAE expects"):
        cvae(x[:5])


def test_data_mean_starts_the_decoder_at_the_mean_image(data, grey):
    x, _ = data
    mean = x.mean(axis=0)
    model, _, dec = V.build_dense_vae(2, input_shape=(8, 8), hidden=(16,), seed=1, data_mean=mean)
    bias = np_(dec.get_layer("params").bias).reshape(8, 8)
    np.testing.assert_allclose(1 / (1 + np.exp(-bias)), np.clip(mean, 1e-3, 1 - 1e-3), rtol=1e-4)
    plain, _, _ = V.build_dense_vae(2, input_shape=(8, 8), hidden=(16,), seed=1)
    assert V.elbo(model, x).mean() > V.elbo(plain, x).mean()    # a head start before any training
    g_mean = grey.mean(axis=0)
    dl, _, dec = V.build_dense_vae(2, input_shape=(8, 8), hidden=(4,), likelihood="discretized_logistic",
                                   data_mean=g_mean)
    np.testing.assert_allclose(np_(dec.get_layer("params").bias).reshape(8, 8, 2)[..., 0],
                               np.clip(g_mean, 1e-3, 1 - 1e-3), rtol=1e-5)


def test_fit_logs_rate_and_distortion_with_loss_none(data):
    keras.utils.set_random_seed(0)
    x, _ = data
    model, _, _ = V.build_dense_vae(2, input_shape=(8, 8), hidden=(16,), beta=0.5, seed=1)
    h = aeutils.fit_autoencoder(model, x, x[:16], loss=None, epochs=3, batch_size=16, learning_rate=1e-2,
                                log_every=0).history
    assert {"loss", "reconstruction", "kl", "val_loss", "val_reconstruction", "val_kl"} <= set(h)
    assert h["loss"][-1] < h["loss"][0]
    assert abs(h["val_loss"][-1] - (h["val_reconstruction"][-1] + 0.5 * h["val_kl"][-1])) < 1e-2


def test_kl_warmup_ramps_the_kl_weight_in_training_only(data):
    x, _ = data
    model, _, _ = V.build_dense_vae(2, input_shape=(8, 8), hidden=(16,), beta=2.0, seed=1, kl_warmup_steps=4)
    xb = ops.convert_to_tensor(x[:8])
    y_pred = model(xb)
    recon = -np_(V.log_likelihood(xb, y_pred["params"], "bernoulli"))
    kl = np_(V.gaussian_kl(y_pred["z_mean"], y_pred["z_log_var"]))
    for step in range(1, 6):    # the weight at training step `step` is beta * min(1, step / 4)
        got = float(np_(model.compute_loss(xb, y_pred=y_pred, training=True)))
        np.testing.assert_allclose(got, np.mean(recon + 2.0 * min(1.0, step / 4) * kl), rtol=1e-5)
    got = float(np_(model.compute_loss(xb, y_pred=y_pred, training=False)))   # evaluation: the full ELBO
    np.testing.assert_allclose(got, np.mean(recon + 2.0 * kl), rtol=1e-5)
    assert float(np_(model.kl_step)) == 5
    assert V.VAE.from_config(model.get_config()).kl_warmup_steps == 4


def test_fresh_binarisation_batches_train_reproducibly():
    grey_mnist = np.random.default_rng(1).random((48, 8, 8)).astype("float32")
    runs = []
    for _ in range(2):
        keras.utils.set_random_seed(0)
        batches = CorruptedBatches(grey_mnist, lambda x, seed: V.binarize(x, seed), batch_size=16, seed=3)
        first = batches[0][0].copy()
        model, _, _ = V.build_dense_vae(2, input_shape=(8, 8), hidden=(16,), seed=1)
        h = aeutils.fit_autoencoder(model, batches, (grey_mnist > 0.5).astype("float32"), loss=None, epochs=2,
                                    learning_rate=1e-2, log_every=0, steps_per_execution=2).history
        assert set(np.unique(first)) <= {0.0, 1.0} and all(map(math.isfinite, h["loss"]))
        runs.append(h["loss"])
    assert runs[0] == runs[1]


def test_binarize_and_levels():
    x = np.array([[0.0, 1.0, 0.5]], "float32")
    draws = np.stack([V.binarize(x, np.random.default_rng(i)) for i in range(2000)])
    assert draws[:, 0, 0].max() == 0 and draws[:, 0, 1].min() == 1 and abs(draws[:, 0, 2].mean() - 0.5) < 0.05
    np.testing.assert_array_equal(V.to_levels(np.array([0, 1 / 255, 1], "float32")), [0, 1, 255])
    with pytest.raises(TypeError, match="rng"):
        V.binarize(x, 3)
    with pytest.raises(ValueError, match="x"):
        V.binarize(x + 1, np.random.default_rng(0))
    with pytest.raises(ValueError, match="x"):
        V.to_levels(np.array([1.5]))


# ------------------------------------------------------------------ evaluation
def test_seeded_elbo_and_sampling_are_reproducible(tiny, data):
    x, _ = data
    np.testing.assert_array_equal(V.elbo(tiny, x, seed=3), V.elbo(tiny, x, seed=3))
    assert not np.array_equal(V.elbo(tiny, x, seed=3), V.elbo(tiny, x, seed=4))
    np.testing.assert_array_equal(V.sample_prior(tiny, 4, rng=np.random.default_rng(1)),
                                  V.sample_prior(tiny, 4, rng=np.random.default_rng(1)))
    with pytest.raises(TypeError, match="rng"):
        V.sample_prior(tiny, 4, rng=1)


def test_elbo_parts_and_importance_weighted_bound(tiny, data):
    x, _ = data
    e, log_px, kl = V.elbo(tiny, x, seed=0, return_parts=True)
    np.testing.assert_allclose(e, log_px - kl)
    assert (kl >= 0).all() and np.isfinite(e).all()
    log_w = V.log_importance_weights(tiny, x, k=50, batch_size=7, seed=0)
    assert log_w.shape == (len(x), 50)
    nll_1, nll_50 = V.importance_weighted_nll(log_w, 1), V.importance_weighted_nll(log_w)
    np.testing.assert_allclose(nll_1, -log_w[:, 0])
    assert abs(nll_1.mean() + e.mean()) < 2.0 and nll_50.mean() < nll_1.mean()
    assert (nll_50 > 0).all()  # binary data: P(x) <= 1
    bits = V.iw_nll_bits(tiny, x, k=50, batch_size=7, seed=0)
    np.testing.assert_allclose(bits, nll_50 / math.log(2), rtol=1e-9)


def test_importance_weights_match_a_direct_computation(tiny, data):
    x, _ = data
    log_w = V.log_importance_weights(tiny, x[:3], k=4, seed=5)
    z_mean, z_log_var = V.vae_encode(tiny, x[:3])
    # recompute with the same draws: the Sampling layer with seed 5 draws eps for the repeated (3 * 4, 2) batch
    eps_gen = V.Sampling(seed=5)
    z = np_(eps_gen(ops.convert_to_tensor(np.repeat(z_mean, 4, 0)), ops.convert_to_tensor(np.repeat(z_log_var, 4, 0))))
    logits = np_(tiny.decoder(ops.convert_to_tensor(z)))
    xr = np.repeat(x[:3], 4, 0).reshape(12, -1)
    log_px = (xr * logits.reshape(12, -1) - np.logaddexp(0, logits.reshape(12, -1))).sum(1)
    sd = np.exp(0.5 * np.repeat(z_log_var, 4, 0))
    log_q = norm.logpdf(z, np.repeat(z_mean, 4, 0), sd).sum(1)
    np.testing.assert_allclose(log_w.ravel(), log_px + norm.logpdf(z).sum(1) - log_q, rtol=1e-4, atol=1e-3)


def test_scoring_refuses_data_the_likelihood_cannot_score(tiny, data, grey):
    x, _ = data
    with pytest.raises(ValueError, match="binary pixels"):
        V.elbo(tiny, grey)
    dl, _, _ = V.build_dense_vae(2, input_shape=(8, 8), hidden=(4,), likelihood="discretized_logistic")
    with pytest.raises(ValueError, match="8-bit grey levels"):
        V.iw_nll_bits(dl, grey * 0.999, k=2)
    assert (V.iw_nll_bits(dl, grey, k=2) > 0).all()
    V.vae_encode(tiny, grey)        # encoding grey images is fine: only scoring is restricted


def test_eval_helpers_reject_bad_inputs(tiny, data):
    x, labels = data
    with pytest.raises(TypeError, match="model"):
        V.elbo(keras.Sequential(), x)
    with pytest.raises(ValueError, match="x"):
        V.elbo(tiny, x + 2)
    with pytest.raises(ValueError, match="x: expected shape"):
        V.elbo(tiny, np.zeros((4, 7, 7), "float32"))
    with pytest.raises(ValueError, match="k"):
        V.log_importance_weights(tiny, x, k=0)
    with pytest.raises(ValueError, match="k"):
        V.importance_weighted_nll(np.zeros((3, 4)), k=5)
    with pytest.raises(ValueError, match="batch_size"):
        V.log_importance_weights(tiny, x, batch_size=0)
    with pytest.raises(ValueError, match="labels"):
        V.vae_encode(tiny, x, labels)
    with pytest.raises(ValueError, match="n"):
        V.sample_prior(tiny, 0, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="steps"):
        V.interpolate(tiny, x[0], x[1], steps=1)
    with pytest.raises(ValueError, match="z"):
        V.vae_decode(tiny, np.zeros((3, 5), "float32"))
    cvae, _, _ = V.build_dense_vae(2, input_shape=(8, 8), hidden=(4,), num_classes=3)
    with pytest.raises(ValueError, match="labels"):
        V.vae_encode(cvae, x[:5], np.array([0, 1, 2, 3, 0]))
    with pytest.raises(ValueError, match="labels"):
        V.vae_encode(cvae, x[:5], labels[:4])
    with pytest.raises(TypeError, match="labels"):
        V.vae_encode(cvae, x[:5])


def test_interpolate_and_latent_grid(tiny, data):
    x, _ = data
    path = V.interpolate(tiny, x[0], x[1], steps=5)
    means = V.vae_decode(tiny, V.vae_encode(tiny, x[:2])[0])
    assert path.shape == (5, 8, 8)
    np.testing.assert_allclose(path[[0, -1]], means, atol=1e-5)
    grid, values = V.latent_grid(tiny, n=4, span=1.5)
    assert grid.shape == (4, 4, 8, 8) and values.shape == (4,)
    np.testing.assert_allclose(values, norm.ppf(np.linspace(norm.cdf(-1.5), norm.cdf(1.5), 4)), rtol=1e-6)
    top_left = V.vae_decode(tiny, np.array([[values[0], values[-1]]], "float32"))[0]   # z0 low, z1 high
    np.testing.assert_allclose(grid[0, 0], top_left, atol=1e-6)
    model_3d, _, _ = V.build_dense_vae(3, input_shape=(8, 8), hidden=(4,))
    with pytest.raises(ValueError, match="code_size=2"):
        V.latent_grid(model_3d)
    with pytest.raises(ValueError, match="span"):
        V.latent_grid(tiny, span=0)


def test_pixel_histogram_baseline():
    levels = np.array([[0, 0], [0, 255], [3, 255]], np.uint8).reshape(3, 2, 1)
    log_p = V.fit_pixel_histogram(levels, alpha=1.0)
    assert log_p.shape == (2, 256)
    np.testing.assert_allclose(np.exp(log_p).sum(axis=1), 1.0)
    np.testing.assert_allclose(np.exp(log_p[0, 0]), 3 / (3 + 256))       # two zeros seen + 1, of 3 + 256
    bits = V.histogram_nll_bits(log_p, levels)
    np.testing.assert_allclose(bits[0], -(log_p[0, 0] + log_p[1, 0]) / math.log(2))
    with pytest.raises(ValueError, match="alpha"):
        V.fit_pixel_histogram(levels, alpha=0)
    with pytest.raises(TypeError, match="levels"):
        V.fit_pixel_histogram(levels.astype("float32"))
    with pytest.raises(ValueError, match="levels"):
        V.histogram_nll_bits(log_p, np.zeros((2, 3), np.uint8))


def test_keras_save_and_load_in_process(tiny, data, tmp_path):
    x, _ = data
    loaded = aeutils.load_model(aeutils.save_model(tiny, tmp_path / "vae.keras"))
    assert isinstance(loaded, V.VAE) and loaded.get_config()["beta"] == tiny.beta
    np.testing.assert_allclose(V.vae_encode(loaded, x)[0], V.vae_encode(tiny, x)[0], atol=1e-6)
    np.testing.assert_allclose(V.elbo(loaded, x, seed=1), V.elbo(tiny, x, seed=1), atol=1e-4)


# ------------------------------------------------------------------ TensorFlow and JAX
BACKENDS = [b for b in ("tensorflow", "jax") if importlib.util.find_spec(b) is not None]


def test_both_backends_are_installed():
    assert BACKENDS == ["tensorflow", "jax"]


def test_fit_evaluate_predict_save_load_on_this_backend(capsys):
    """Tiny VAEs through fit / evaluate / predict / .keras save+load on this process's backend. The other backend
    is covered by notebook 04 itself under `make test-jax` (nbval on JAX), which trains, evaluates, saves and
    loads the same VAE classes; a subprocess here would repeat that at about 30 s of start-up and compiles.
    `KERAS_BACKEND=jax python tests/_nb04_backend_check.py` runs this check on JAX by hand."""
    script = ROOT / "tests" / "_nb04_backend_check.py"
    here = keras.backend.backend()
    assert here in BACKENDS
    runpy.run_path(str(script), run_name="__main__")
    out = capsys.readouterr().out
    assert f"OK {here}" in out, out[-2000:]
