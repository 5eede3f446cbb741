"""Tests for aeutils.vae (notebook 04)."""
from __future__ import annotations

import importlib.util
import math
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from aeutils import vae

ROOT = Path(__file__).resolve().parent.parent
ops = keras.ops


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    x = (rng.random((64, 8, 8)) < 0.3).astype("float32")
    labels = rng.integers(0, 3, 64)
    return x, labels


@pytest.fixture(scope="module")
def tiny(data):
    keras.utils.set_random_seed(0)
    x, _ = data
    model = vae.build_dense_vae(2, input_shape=(8, 8), hidden=(16,), seed=1)
    vae.fit_vae(model, x, x[:16], epochs=2, batch_size=32, learning_rate=1e-2, log_every=0)
    return model


def np_(t):
    return ops.convert_to_numpy(t)


# ------------------------------------------------------------------ likelihoods and KL
def test_bernoulli_log_likelihood_matches_formula():
    x = np.array([[0.0, 1.0, 1.0]], "float32")
    logits = np.array([[0.3, -1.2, 2.0]], "float32")
    p = 1 / (1 + np.exp(-logits))
    expected = np.sum(x * np.log(p) + (1 - x) * np.log(1 - p))
    got = np_(vae.log_likelihood(x, ops.convert_to_tensor(logits), "bernoulli"))
    np.testing.assert_allclose(got, [expected], rtol=1e-5)


def test_continuous_bernoulli_is_a_normalised_density():
    # integrate p(x | eta) over x in [0, 1] on a fine grid, for several eta including ~0
    grid = np.linspace(0, 1, 20001, dtype="float64")[:, None].astype("float32")
    for eta in (-6.0, -1.0, 0.0, 1e-5, 0.7, 5.0):
        logits = ops.convert_to_tensor(np.full_like(grid, eta))
        dens = np.exp(np_(vae.log_likelihood(grid, logits, "continuous_bernoulli")).astype("float64"))
        assert abs(np.trapezoid(dens, grid[:, 0]) - 1.0) < 2e-3, eta
        mean = float(np_(vae.likelihood_mean(np.array([eta], "float32"), "continuous_bernoulli"))[0])
        assert abs(np.trapezoid(dens * grid[:, 0], grid[:, 0]) - mean) < 2e-3, eta


def test_gaussian_log_likelihood_and_means():
    x = np.array([[0.5, 0.2]], "float32")
    logits = np.zeros((1, 2), "float32")
    got = float(np_(vae.log_likelihood(x, ops.convert_to_tensor(logits), "gaussian", sigma=0.5))[0])
    expected = sum(-0.5 * ((v - 0.5) / 0.5) ** 2 - math.log(0.5) - 0.5 * math.log(2 * math.pi) for v in (0.5, 0.2))
    assert abs(got - expected) < 1e-5
    np.testing.assert_allclose(np_(vae.likelihood_mean(logits, "bernoulli")), 0.5)


def test_gaussian_kl_zero_at_prior_and_positive_elsewhere():
    zero = np_(vae.gaussian_kl(ops.zeros((2, 3)), ops.zeros((2, 3))))
    np.testing.assert_allclose(zero, 0.0, atol=1e-7)
    kl = np_(vae.gaussian_kl(ops.convert_to_tensor([[1.0, 0.0]]), ops.convert_to_tensor([[0.0, math.log(0.25)]])))
    expected = 0.5 * (1.0 + 0.25 - math.log(0.25) - 1.0)
    assert abs(float(kl[0]) - expected) < 1e-6


def test_likelihood_rejects_bad_arguments():
    t = ops.zeros((1, 2))
    with pytest.raises(ValueError, match="likelihood"):
        vae.log_likelihood(t, t, "poisson")
    with pytest.raises(ValueError, match="sigma"):
        vae.log_likelihood(t, t, "gaussian", sigma=0)
    with pytest.raises(ValueError, match="likelihood"):
        vae.likelihood_mean(t, "laplace")


# ------------------------------------------------------------------ builders and model
def test_builders_validate_inputs():
    with pytest.raises(ValueError, match="latent_dim"):
        vae.build_dense_vae(0)
    with pytest.raises(ValueError, match="likelihood"):
        vae.build_dense_vae(2, likelihood="mse")
    with pytest.raises(ValueError, match="beta"):
        vae.build_dense_vae(2, beta=-1.0)
    with pytest.raises(TypeError, match="hidden"):
        vae.build_dense_vae(2, hidden=5)
    with pytest.raises(ValueError, match="input_shape"):
        vae.build_conv_vae(2, input_shape=(30, 30))
    with pytest.raises(TypeError, match="filters"):
        vae.build_conv_vae(2, filters=(8,))
    with pytest.raises(TypeError, match="encoder"):
        vae.VAE("not a model", "nor this", 2)


def test_conv_vae_shapes_and_conditional_inputs(data):
    x, labels = data
    model = vae.build_conv_vae(3, input_shape=(8, 8), filters=(4, 4), dense=8, num_classes=3, seed=2)
    out = model([x[:5], labels[:5]])
    assert tuple(out["logits"].shape) == (5, 8, 8) and tuple(out["z"].shape) == (5, 3)
    z_mean, z_log_var = model.encode(x[:5], labels[:5])
    assert z_mean.shape == (5, 3) and z_log_var.shape == (5, 3)
    assert model.decode(z_mean, labels[:5]).shape == (5, 8, 8)
    with pytest.raises(ValueError, match="labels"):
        model.encode(x[:5])
    with pytest.raises(ValueError, match="labels"):
        model.encode(x[:5], np.array([0, 1, 2, 3, 0]))
    with pytest.raises(ValueError, match="labels"):
        model.encode(x[:5], labels[:4])


def test_fit_vae_trains_and_logs_rate_and_distortion(data):
    keras.utils.set_random_seed(0)
    x, _ = data
    model = vae.build_dense_vae(2, input_shape=(8, 8), hidden=(16,), beta=0.5, seed=1)
    history = vae.fit_vae(model, x, x[:16], epochs=3, batch_size=16, learning_rate=1e-2, log_every=0)
    h = history.history
    assert {"loss", "reconstruction", "kl", "val_loss", "val_reconstruction", "val_kl"} <= set(h)
    assert h["loss"][-1] < h["loss"][0]
    # loss = reconstruction + beta * kl
    assert abs(h["val_loss"][-1] - (h["val_reconstruction"][-1] + 0.5 * h["val_kl"][-1])) < 1e-2


def test_fit_vae_resample_draws_fresh_binary_inputs_reproducibly():
    grey = np.random.default_rng(1).random((48, 8, 8)).astype("float32")
    seen = []

    def binarize(x, seed):
        out = seed.random(x.shape) < x
        seen.append(out[:2].copy())
        return out

    runs = []
    for _ in range(2):
        keras.utils.set_random_seed(0)
        seen.clear()
        model = vae.build_dense_vae(2, input_shape=(8, 8), hidden=(16,), seed=1)
        h = vae.fit_vae(model, grey, (grey > 0.5).astype("float32"), epochs=2, batch_size=16,
                        learning_rate=1e-2, log_every=0, resample=binarize, seed=3, steps_per_execution=2).history
        assert {"loss", "kl", "val_loss"} <= set(h) and all(map(math.isfinite, h["loss"]))
        assert all(set(np.unique(b)) <= {0, 1} for b in seen)
        runs.append((h["loss"], [b.copy() for b in seen]))
    assert runs[0][0] == runs[1][0]                       # same seed, same draws, same training
    assert not np.array_equal(runs[0][1][0], runs[0][1][3])  # a new binarisation in the second epoch
    model = vae.build_dense_vae(2, input_shape=(8, 8), hidden=(16,), num_classes=3, seed=1)
    with pytest.raises(ValueError, match="resample: only for an unconditional"):
        vae.fit_vae(model, grey, labels_train=np.zeros(48, int), epochs=1, resample=binarize)
    with pytest.raises(TypeError, match="resample"):
        vae.fit_vae(vae.build_dense_vae(2, input_shape=(8, 8), hidden=(16,)), grey, epochs=1, resample="binary")


def test_data_mean_starts_the_decoder_at_the_mean_image(data):
    x, _ = data
    mean = x.mean(axis=0)
    model = vae.build_dense_vae(2, input_shape=(8, 8), hidden=(16,), seed=1, data_mean=mean)
    bias = np_(model.decoder.get_layer("logits").bias).reshape(8, 8)
    np.testing.assert_allclose(1 / (1 + np.exp(-bias)), np.clip(mean, 1e-3, 1 - 1e-3), rtol=1e-4)
    plain = vae.build_dense_vae(2, input_shape=(8, 8), hidden=(16,), seed=1)
    assert vae.elbo(model, x).mean() > vae.elbo(plain, x).mean()    # a head start before any training
    with pytest.raises(ValueError, match="data_mean"):
        vae.build_dense_vae(2, input_shape=(8, 8), hidden=(16,), data_mean=mean[:4])
    with pytest.raises(ValueError, match="data_mean"):
        vae.build_dense_vae(2, input_shape=(8, 8), hidden=(16,), data_mean=mean + 1.0)
    with pytest.raises(ValueError, match="data_mean"):
        vae.build_dense_vae(2, input_shape=(8, 8), hidden=(16,), data_mean=np.full((8, 8), np.nan))


def test_kl_warmup_ramps_the_kl_weight_in_training_only(data):
    x, _ = data
    model = vae.build_dense_vae(2, input_shape=(8, 8), hidden=(16,), beta=2.0, seed=1)
    model.kl_warmup_steps = 4
    xb = ops.convert_to_tensor(x[:8])
    y_pred = model(xb, training=True)
    recon = -np_(vae.log_likelihood(xb, y_pred["logits"], "bernoulli"))
    kl = np_(vae.gaussian_kl(y_pred["z_mean"], y_pred["z_log_var"]))
    for step in range(1, 6):    # the weight at training step `step` is beta * min(1, step / 4)
        got = float(np_(model.compute_loss(xb, y_pred=y_pred, training=True)))
        np.testing.assert_allclose(got, np.mean(recon + 2.0 * min(1.0, step / 4) * kl), rtol=1e-5)
    assert float(np_(model.kl_step)) == 5
    got = float(np_(model.compute_loss(xb, y_pred=y_pred, training=False)))   # evaluation: the full ELBO
    np.testing.assert_allclose(got, np.mean(recon + 2.0 * kl), rtol=1e-5)
    assert float(np_(model.kl_step)) == 5
    assert vae.VAE.from_config(model.get_config()).kl_warmup_steps == 4


def test_fit_vae_kl_warmup_epochs_sets_and_restarts_the_ramp(data):
    keras.utils.set_random_seed(0)
    x, _ = data
    model = vae.build_dense_vae(2, input_shape=(8, 8), hidden=(16,), seed=1)
    h = vae.fit_vae(model, x, x[:16], epochs=3, batch_size=16, learning_rate=1e-2, log_every=0,
                    kl_warmup_epochs=1.5, steps_per_execution=2).history
    assert model.kl_warmup_steps == 6 and float(np_(model.kl_step)) == 12   # 4 batches per epoch
    assert all(map(math.isfinite, h["loss"])) and abs(h["val_loss"][-1] - (h["val_reconstruction"][-1] + h["val_kl"][-1])) < 1e-2
    vae.fit_vae(model, x, epochs=1, batch_size=16, log_every=0)    # a new fit restarts the counter, no warm-up
    assert model.kl_warmup_steps == 0 and float(np_(model.kl_step)) == 4
    for bad in (-1, 5, float("nan"), True, "1"):
        with pytest.raises(ValueError, match="kl_warmup_epochs"):
            vae.fit_vae(model, x, epochs=3, kl_warmup_epochs=bad)
    with pytest.raises(ValueError, match="kl_warmup_steps"):
        vae.VAE(model.encoder, model.decoder, 2, kl_warmup_steps=-1)


def test_fit_vae_rejects_bad_inputs(data, tiny):
    x, labels = data
    with pytest.raises(TypeError, match="model"):
        vae.fit_vae(keras.Sequential(), x, epochs=1)
    with pytest.raises(ValueError, match="x_train"):
        vae.fit_vae(tiny, x * 3, epochs=1)
    with pytest.raises(ValueError, match="x_val"):
        vae.fit_vae(tiny, x, np.zeros((4, 7, 7), "float32"), epochs=1)
    with pytest.raises(ValueError, match="labels"):
        vae.fit_vae(tiny, x, labels_train=labels, epochs=1)
    with pytest.raises(ValueError, match="epochs"):
        vae.fit_vae(tiny, x, epochs=0)
    with pytest.raises(ValueError, match="steps_per_execution"):
        vae.fit_vae(tiny, x, epochs=1, steps_per_execution=0)


def test_seeded_sampling_is_reproducible(tiny, data):
    x, _ = data
    a = vae.elbo(tiny, x, seed=3)
    b = vae.elbo(tiny, x, seed=3)
    c = vae.elbo(tiny, x, seed=4)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    np.testing.assert_array_equal(vae.sample_prior(tiny, 4, seed=1), vae.sample_prior(tiny, 4, seed=1))


def test_elbo_parts_and_iw_bound(tiny, data):
    x, _ = data
    e, log_px, kl = vae.elbo(tiny, x, seed=0, return_parts=True)
    np.testing.assert_allclose(e, log_px - kl)
    assert (kl >= 0).all() and np.isfinite(e).all()
    nll_1 = vae.importance_weighted_nll(tiny, x, k=1, batch_size=7, seed=0)
    nll_50 = vae.importance_weighted_nll(tiny, x, k=50, batch_size=7, seed=0)
    assert nll_1.shape == (len(x),)
    # k = 1 is the ELBO in expectation; more samples tighten the bound
    assert abs(nll_1.mean() - (-e.mean())) < 2.0
    assert nll_50.mean() < nll_1.mean()
    assert (nll_50 > 0).all()  # binary data: p(x) <= 1


def test_eval_helpers_reject_bad_inputs(tiny, data):
    x, _ = data
    with pytest.raises(TypeError, match="model"):
        vae.elbo(keras.Sequential(), x)
    with pytest.raises(ValueError, match="x"):
        vae.elbo(tiny, x + 2)
    with pytest.raises(ValueError, match="k"):
        vae.importance_weighted_nll(tiny, x, k=0)
    with pytest.raises(ValueError, match="batch_size"):
        vae.importance_weighted_nll(tiny, x, batch_size=0)
    with pytest.raises(ValueError, match="n"):
        vae.sample_prior(tiny, 0)
    with pytest.raises(ValueError, match="steps"):
        vae.interpolate(tiny, x[0], x[1], steps=1)
    with pytest.raises(ValueError, match="z"):
        tiny.decode(np.zeros((3, 5), "float32"))


def test_interpolate_and_latent_grid(tiny, data):
    x, _ = data
    path = vae.interpolate(tiny, x[0], x[1], steps=5)
    assert path.shape == (5, 8, 8)
    np.testing.assert_allclose(path[0], tiny.reconstruct(x[:1])[0], atol=1e-5)
    np.testing.assert_allclose(path[-1], tiny.reconstruct(x[1:2])[0], atol=1e-5)
    grid, values = vae.latent_grid(tiny, n=4, span=1.5)
    assert grid.shape == (4, 4, 8, 8) and values.shape == (4,)
    assert values[0] < 0 < values[-1] and abs(values[0] + values[-1]) < 1e-6
    # top-left cell is z = (values[0], values[-1])
    np.testing.assert_allclose(grid[0, 0], tiny.decode(np.array([[values[0], values[-1]]], "float32"))[0], atol=1e-6)
    model_3d = vae.build_dense_vae(3, input_shape=(8, 8), hidden=(4,))
    with pytest.raises(ValueError, match="latent_dim"):
        vae.latent_grid(model_3d)


def test_keras_save_and_load_in_process(tiny, data, tmp_path):
    x, _ = data
    path = tmp_path / "vae.keras"
    tiny.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert isinstance(loaded, vae.VAE) and loaded.get_config()["beta"] == tiny.beta
    np.testing.assert_allclose(loaded.encode(x)[0], tiny.encode(x)[0], atol=1e-6)
    np.testing.assert_allclose(vae.elbo(loaded, x, seed=1), vae.elbo(tiny, x, seed=1), atol=1e-4)


# ------------------------------------------------------------------ every installed backend
BACKENDS = [b for b, mod in (("tensorflow", "tensorflow"), ("jax", "jax"), ("torch", "torch"))
            if importlib.util.find_spec(mod) is not None]


def test_tensorflow_is_installed():
    assert "tensorflow" in BACKENDS


def test_fit_evaluate_predict_save_load_on_every_installed_backend():
    """A tiny conditional VAE through fit / evaluate (with validation) / predict / .keras save+load.

    Each backend runs in its own subprocess (the backend is fixed per process); all start at once.
    """
    script = ROOT / "tests" / "_vae_backend_check.py"
    procs = {}
    for backend in BACKENDS:
        env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3",
                   PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        procs[backend] = subprocess.Popen([sys.executable, str(script)], env=env, cwd=ROOT,
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    failures = []
    for backend, proc in procs.items():
        out, err = proc.communicate(timeout=600)
        if proc.returncode != 0 or f"OK {backend}" not in out:
            failures.append(f"{backend}: rc={proc.returncode}\n{out[-2000:]}\n{err[-3000:]}")
    assert not failures, "\n\n".join(failures)
