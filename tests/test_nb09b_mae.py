"""Notebook 09b's exported lesson code: patches, the ViT, random masking, the masked autoencoder, probes."""
import keras
import numpy as np
import pytest
from keras import ops

import aeutils
from aeutils.lessons.nb09b_mae import (
    MaskedAutoencoder,
    Patches,
    PositionEmbedding,
    TransformerBlock,
    build_mae,
    build_mae_decoder,
    build_vit,
    fit_probe,
    linear_probe,
    masked_patch_mse,
    patch_targets,
    patchify,
    pretrain_mae,
    random_masking,
    unpatchify,
    visible_count,
    vit_features,
)

SMALL = dict(patch_size=4, dim=8, depth=1, heads=2, mlp_dim=16)
SMALL_DEC = dict(dim=8, depth=1, heads=2, mlp_dim=16)


def images(n=6, seed=0):
    return np.random.default_rng(seed).random((n, 8, 8)).astype("float32")


def test_patchify_round_trip_order_and_errors():
    x = images(2)
    p = ops.convert_to_numpy(patchify(x, 4))
    assert p.shape == (2, 4, 16) and np.array_equal(p[0, 1], x[0, :4, 4:].ravel())  # row by row
    np.testing.assert_array_equal(ops.convert_to_numpy(unpatchify(p, (8, 8))), x)
    np.testing.assert_array_equal(ops.convert_to_numpy(Patches(4)(x)), p)
    with pytest.raises(ValueError, match="images: expected .* divisible by patch_size=3"):
        patchify(x, 3)
    with pytest.raises(ValueError, match="patch_size"):
        patchify(x, 0)
    with pytest.raises(ValueError, match="patches: expected"):
        unpatchify(p, (12, 12))


def test_position_embedding_and_transformer_block():
    tokens = np.zeros((2, 3, 8), "float32")
    pe = PositionEmbedding()
    out = ops.convert_to_numpy(pe(tokens))
    assert out.shape == (2, 3, 8) and np.allclose(out[0], out[1]) and not np.allclose(out[0, 0], out[0, 1])
    with pytest.raises(ValueError, match="input_shape: expected a fixed sequence length"):
        PositionEmbedding().build((None, None, 8))
    block = TransformerBlock(8, 2, 16)
    assert tuple(block(np.ones((2, 5, 8), "float32")).shape) == (2, 5, 8)
    assert TransformerBlock.from_config(block.get_config()).mlp_dim == 16
    with pytest.raises(ValueError, match="heads: expected a divisor of dim=8"):
        TransformerBlock(8, 3)


def test_build_vit_shapes_any_token_count_and_errors():
    embedding, encoder = build_vit((8, 8), **SMALL)
    tokens = embedding(images(3))
    assert tuple(tokens.shape) == (3, 4, 8) and tuple(encoder(tokens[:, :2]).shape) == (3, 2, 8)
    with pytest.raises(ValueError, match="depth"):
        build_vit((8, 8), **{**SMALL, "depth": 0})


def test_visible_count_and_random_masking():
    assert [visible_count(16, r) for r in (0.5, 0.75, 0.9)] == [8, 4, 2] and visible_count(4, 0.99) == 1
    with pytest.raises(ValueError, match="mask_ratio"):
        visible_count(16, 1.0)
    toy = np.arange(12, dtype="float32").reshape(2, 6, 1)
    visible, order = random_masking(toy, 3, seed=1)
    o, v = ops.convert_to_numpy(order), ops.convert_to_numpy(visible)[..., 0]
    assert (np.sort(o, 1) == np.arange(6)).all() and np.array_equal(v, np.take_along_axis(toy[..., 0], o[:, :3], 1))
    with pytest.raises(ValueError, match="n_visible"):
        random_masking(toy, 7)
    with pytest.raises(ValueError, match="tokens: expected a batch of sequences"):
        random_masking(toy[0], 2)


def test_decoder_targets_and_masked_loss():
    dec = build_mae_decoder(4, 16, 8, **SMALL_DEC)
    assert dec.output_shape == (None, 4, 16)
    x = images(2)
    t = ops.convert_to_numpy(patch_targets(x, 4, normalise=True))
    assert np.allclose(t.mean(-1), 0, atol=1e-5) and np.allclose(t.std(-1), 1, atol=1e-2)
    target, pred = np.zeros((1, 2, 3), "float32"), np.array([[[1, 1, 1], [5, 5, 5]]], "float32")
    assert float(masked_patch_mse(target, pred, np.array([[1.0, 0.0]]))) == pytest.approx(1.0)
    assert float(masked_patch_mse(target, pred, np.array([[0.0, 1.0]]))) == pytest.approx(25.0)


def test_mae_masks_trains_and_round_trips(tmp_path):
    keras.utils.set_random_seed(0)
    mae = build_mae(0.5, {"image_shape": (8, 8), **SMALL}, SMALL_DEC, seed=1)
    out = mae(images(3))
    assert tuple(out["patches"].shape) == (3, 4, 16) and (ops.convert_to_numpy(out["mask"]).sum(1) == 2).all()
    x = images(64, seed=2)
    history = aeutils.fit_autoencoder(mae, x, x[:16], loss=None, epochs=3, batch_size=16, learning_rate=1e-2, log_every=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    path = aeutils.save_model(mae, tmp_path / "mae.keras")
    loaded = aeutils.load_model(path)
    assert isinstance(loaded, MaskedAutoencoder) and loaded.mask_ratio == 0.5 and loaded.n_visible == 2
    np.testing.assert_allclose(vit_features(loaded.embedding, loaded.encoder, x[:4]),
                               vit_features(mae.embedding, mae.encoder, x[:4]), atol=1e-5)
    with pytest.raises(ValueError, match="decoder: expected input tokens"):
        MaskedAutoencoder(mae.embedding, mae.encoder, build_mae_decoder(5, 16, 8, **SMALL_DEC))


def test_vit_features_shapes_and_errors():
    embedding, encoder = build_vit((8, 8), **SMALL)
    f = vit_features(embedding, encoder, images(5), batch_size=2)
    assert f.shape == (5, 8)
    with pytest.raises(ValueError, match="images: expected at least one image"):
        vit_features(embedding, encoder, images(0))


def test_pretrain_mae_uses_the_notebook_settings():
    x = np.random.default_rng(0).uniform(size=(32, 28, 28)).astype("float32")
    model, history = pretrain_mae(x, x[:8], 0.75, epochs=1, norm_pix_loss=True)
    assert isinstance(model, MaskedAutoencoder) and model.n_visible == 4 and model.norm_pix_loss
    assert model.encoder.count_params() > 0 and model.seconds > 0 and len(history.history["val_loss"]) == 1
    with pytest.raises(ValueError, match="mask_ratio"):
        pretrain_mae(x, x[:8], 1.5, epochs=1)


def test_linear_probe_chooses_an_inner_c_and_checks_shapes():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 300)
    x = rng.normal(size=(300, 5)) + np.eye(3, 5)[y] * 1.5
    result = linear_probe(x[:150], y[:150], x[150:225], y[150:225], x[225:], y[225:], grid=(1.0,))
    assert min(result["grid"]) <= result["C"] <= max(result["grid"]) and len(result["grid"]) >= 2
    assert result["test_accuracy"] > 0.6 and fit_probe(x, y, 1.0).score(x, y) > 0.6
    with pytest.raises(ValueError, match="val, test: expected 5 features"):
        linear_probe(x, y, x[:, :4], y, x, y)
