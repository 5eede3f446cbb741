"""Notebook 10's exported lesson code: toy data and model, TopK, AuxK, the sparse autoencoder and its metrics."""
import numpy as np
import pytest
from keras import ops

import aeutils
from aeutils.lessons.nb10_sae import (
    SparseAutoencoder,
    accuracy_recovered,
    aux_k_loss,
    build_toy_model,
    class_purity,
    fraction_of_variance_unexplained,
    importance_mse,
    sae_call,
    sae_metrics,
    sparse_features,
    topk_activation,
    train_sae,
)


def test_sparse_features_density_and_validation():
    x = sparse_features(4000, 10, 0.1, np.random.default_rng(0))
    assert x.shape == (4000, 10) and x.dtype == np.float32 and x.min() >= 0 and x.max() <= 1
    assert abs((x > 0).mean() - 0.1) < 0.02
    assert (sparse_features(5, 3, 1, np.random.default_rng(0)) > 0).all()
    with pytest.raises(ValueError, match="density"):
        sparse_features(5, 3, 0.0, np.random.default_rng(0))
    with pytest.raises(TypeError, match="rng"):
        sparse_features(5, 3, 0.5, 0)
    with pytest.raises(ValueError, match="n_features"):
        sparse_features(5, 0, 0.5, np.random.default_rng(0))


def test_toy_model_and_importance_loss():
    model = build_toy_model(6, 2)
    assert model.output_shape == (None, 6) and model.get_layer("w").kernel.shape == (6, 2)
    out = ops.convert_to_numpy(model(np.ones((3, 6), "float32")))
    assert (out >= 0).all()
    loss = importance_mse([1.0, 0.0])
    value = ops.convert_to_numpy(loss(np.array([[1.0, 1.0]], "float32"), np.array([[0.0, 0.0]], "float32")))
    assert value == pytest.approx([0.5])
    with pytest.raises(ValueError, match="m"):
        build_toy_model(6, 0)


def test_topk_activation_keeps_k_largest_positive():
    pre = np.array([[0.5, -1.0, 2.0, 0.1, 1.5], [-0.3, -0.2, -0.1, 0.0, -2.0]], "float32")
    z = ops.convert_to_numpy(topk_activation(pre, 2))
    np.testing.assert_allclose(z, [[0, 0, 2.0, 0, 1.5], [0, 0, 0, 0, 0]])
    with pytest.raises(ValueError, match="k"):
        topk_activation(pre, 6)


def test_aux_k_loss_uses_only_dead_latents():
    w_dec = np.eye(3, dtype="float32")
    residual = np.array([[1.0, 2.0, 0.0]], "float32")
    pre = np.array([[5.0, 2.0, 1.0]], "float32")
    no_dead = aux_k_loss(residual, pre, np.array([False, False, False]), w_dec, 1)
    assert float(ops.convert_to_numpy(no_dead)) == 0.0
    # latent 1 dead: it reconstructs the second coordinate exactly, the first stays unexplained: 1 / 5
    one_dead = aux_k_loss(residual, pre, np.array([False, True, False]), w_dec, 1)
    assert float(ops.convert_to_numpy(one_dead)) == pytest.approx(1 / 5)


def test_sparse_autoencoder_init_constraint_and_saving(tmp_path):
    sae = SparseAutoencoder(6, 24, k=3, aux_k=4, seed=1)
    w_dec = ops.convert_to_numpy(sae.w_dec)
    np.testing.assert_allclose(np.linalg.norm(w_dec, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(ops.convert_to_numpy(sae.w_enc), w_dec.T)
    x = np.random.default_rng(0).normal(size=(5, 6)).astype("float32")
    assert ((ops.convert_to_numpy(sae.encode(x)) > 0).sum(1) <= 3).all()
    assert SparseAutoencoder.call is sae_call and sae(x).shape == (5, 6)
    path = aeutils.save_model(sae, tmp_path / "sae.keras")
    loaded = aeutils.load_model(path)
    assert loaded.k == 3 and loaded.aux_k == 4
    np.testing.assert_allclose(ops.convert_to_numpy(loaded(x)), ops.convert_to_numpy(sae(x)), atol=1e-6)
    for kwargs, text in [({"k": 25}, "k"), ({"l1": -1.0}, "l1"), ({"aux_k": 30}, "aux_k"), ({"dead_after": 0}, "dead_after")]:
        with pytest.raises(ValueError, match=text):
            SparseAutoencoder(6, 24, **kwargs)


def test_train_sae_unit_norm_after_training_and_metrics():
    x = np.random.default_rng(0).normal(size=(256, 8)).astype("float32")
    sae = train_sae(x, 32, k=4, aux_k=4, dead_after=64, epochs=2, batch_size=64)
    np.testing.assert_allclose(np.linalg.norm(ops.convert_to_numpy(sae.w_dec), axis=1), 1.0, atol=1e-4)
    metrics, z = sae_metrics(sae, x)
    assert z.shape == (256, 32) and metrics["L0"] <= 4 and 0 <= metrics["dead fraction"] <= 1
    assert 0 <= metrics["FVU"] < 1.5
    assert float(ops.convert_to_numpy(sae.since_fired).max()) >= 0
    l1 = train_sae(x, 16, l1=0.01, epochs=1, batch_size=64)
    assert l1.k is None and l1(x).shape == x.shape
    with pytest.raises(ValueError, match="x"):
        sae_metrics(sae, x[:, :5])
    with pytest.raises(ValueError, match="x"):
        train_sae(x[0], 8, epochs=1)


def test_fvu_accuracy_recovered_and_purity():
    x = np.array([[1.0, 0.0], [3.0, 2.0]], "float32")
    assert fraction_of_variance_unexplained(x, x) == 0.0
    assert fraction_of_variance_unexplained(x, np.repeat(x.mean(0, keepdims=True), 2, 0)) == pytest.approx(1.0)
    assert accuracy_recovered(0.86, 0.86, 0.1) == pytest.approx(1.0) and accuracy_recovered(0.1, 0.86, 0.1) == 0.0
    with pytest.raises(ValueError, match="clean"):
        accuracy_recovered(0.5, 0.1, 0.1)
    with pytest.raises(ValueError, match="x_hat"):
        fraction_of_variance_unexplained(x, x[:1])
    acts = np.array([[1.0, 1.0, 0.0], [0.0, 1.0, 0.0], [0.0, 2.0, 0.0]], "float32")
    purity = class_purity(acts, np.array([0, 0, 1]), 2)
    assert purity[0] == 1.0 and purity[1] == pytest.approx(0.5) and np.isnan(purity[2])
    with pytest.raises(ValueError, match="acts"):
        class_purity(-acts, np.array([0, 0, 1]), 2)
    with pytest.raises(ValueError, match="labels"):
        class_purity(acts, np.array([0, 0, 2]), 2)

