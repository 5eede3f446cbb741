"""Notebook 09's exported lesson code: the vector quantisers, the VQ-VAE builder, code usage and the PixelCNN prior."""
import math

import keras
import numpy as np
import pytest
from keras import ops

import aeutils
from aeutils.lessons.nb09_vq_vae import (
    EMAVectorQuantizer,
    MaskedConv2D,
    VectorQuantizer,
    build_pixelcnn,
    build_vq_vae,
    code_usage,
    decode_codes,
    encode_codes,
    prior_bits,
    sample_codes,
)

SQUARE = np.array([[0, 0], [1, 0], [0, 1], [1, 1]], "float32")


def _quantizer(cls=VectorQuantizer, **kwargs):
    vq = cls(4, 2, **kwargs)
    vq.build((None, 2))
    vq.codebook.assign(SQUARE)
    if cls is EMAVectorQuantizer:
        vq.ema_sum.assign(SQUARE)
    return vq


def test_vector_quantizer_picks_nearest_entries_adds_losses_and_serializes():
    vq = _quantizer()
    z = np.array([[0.9, 0.2], [0.1, 0.1], [0.4, 0.8]], "float32")
    np.testing.assert_array_equal(ops.convert_to_numpy(vq.indices(z)), [1, 0, 2])
    out = ops.convert_to_numpy(vq(z))
    np.testing.assert_allclose(out, SQUARE[[1, 0, 2]], atol=1e-6)
    assert float(vq.losses[0]) == pytest.approx(1.25 * np.mean((z - out) ** 2), rel=1e-5)
    assert vq.codebook.trainable
    clone = keras.layers.deserialize(keras.layers.serialize(vq))
    assert isinstance(clone, VectorQuantizer) and clone.get_config() == vq.get_config()
    cos = _quantizer(l2_normalize=True)  # by angle: (3, 0.1) is closest in direction to (1, 0)
    assert int(ops.convert_to_numpy(cos.indices(np.array([[3.0, 0.1]], "float32")))[0]) == 1


def test_vector_quantizer_refuses_bad_arguments():
    for kwargs, exc, text in [({"num_codes": 1, "code_dim": 2}, ValueError, "num_codes"),
                              ({"num_codes": 4, "code_dim": 0}, ValueError, "code_dim"),
                              ({"num_codes": 4, "code_dim": 2, "beta": -1.0}, ValueError, "beta"),
                              ({"num_codes": 4, "code_dim": 2, "beta": "big"}, TypeError, "beta")]:
        with pytest.raises(exc, match=text):
            VectorQuantizer(**kwargs)
    with pytest.raises(ValueError, match="code_dim=2"):
        VectorQuantizer(4, 2)(np.zeros((3, 5), "float32"))


def test_ema_quantizer_moves_entries_to_assigned_means_and_restarts_dead_codes():
    vq = _quantizer(EMAVectorQuantizer, decay=0.5)
    assert not vq.codebook.trainable
    z = np.array([[0.8, 0.0], [1.2, 0.0]], "float32")  # both go to entry 1, mean (1, 0): it stays
    vq(z, training=True)
    np.testing.assert_allclose(ops.convert_to_numpy(vq.codebook)[1], [1.0, 0.0], atol=1e-3)
    vq(np.array([[0.6, 0.0]], "float32"), training=True)  # entry 1 moves towards 0.6
    assert ops.convert_to_numpy(vq.codebook)[1, 0] < 0.99
    np.testing.assert_allclose(ops.convert_to_numpy(vq.codebook)[[0, 2, 3]], SQUARE[[0, 2, 3]], atol=1e-3)  # unused
    dead = _quantizer(EMAVectorQuantizer, decay=0.5, restart_below=0.9)
    batch = np.array([[5.0, 5.0], [5.0, 5.0]], "float32")  # all go to entry 3; the others decay below 0.9
    dead(batch, training=True)
    np.testing.assert_allclose(ops.convert_to_numpy(dead.codebook)[[0, 1, 2]], 5.0, atol=1e-3)
    for kwargs, text in [({"decay": 1.5}, "decay"), ({"restart_below": 0.0}, "restart_below")]:
        with pytest.raises(ValueError, match=text):
            EMAVectorQuantizer(4, 2, **kwargs)


def test_build_vq_vae_trains_and_round_trips_with_safe_mode(tmp_path):
    keras.utils.set_random_seed(0)
    model, encoder, decoder = build_vq_vae(EMAVectorQuantizer(16, 4, restart_below=0.5, name="quantizer"), (4, 8))
    assert model.output_shape == (None, 28, 28) and encoder.output_shape == (None, 7, 7, 4)
    x = np.random.default_rng(0).random((16, 28, 28)).astype("float32")
    aeutils.fit_autoencoder(model, x, epochs=1, batch_size=8, log_every=0, seed=0)
    again = aeutils.load_model(aeutils.save_model(model, tmp_path / "vq.keras"))
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-5)
    q = model.get_layer("quantizer")
    np.testing.assert_allclose(ops.convert_to_numpy(again.get_layer("quantizer").ema_count), ops.convert_to_numpy(q.ema_count))
    codes = encode_codes(encoder, q, x)
    assert codes.shape == (16, 7, 7) and codes.dtype == np.int64 and 0 <= codes.min() and codes.max() < 16
    np.testing.assert_allclose(decode_codes(decoder, q, codes), model.predict(x, verbose=0), atol=1e-5)
    with pytest.raises(TypeError, match="quantizer"):
        build_vq_vae(keras.layers.Dense(4))
    with pytest.raises(ValueError, match="filters"):
        build_vq_vae(VectorQuantizer(16, 4), (4, 8, 16))
    with pytest.raises(ValueError, match="codes"):
        decode_codes(decoder, q, np.full((1, 7, 7), 16))
    with pytest.raises(ValueError, match="x"):
        encode_codes(encoder, q, x[:, :14])


def test_code_usage_fraction_and_perplexity():
    assert code_usage(np.zeros(10, int), 4) == (0.25, 1.0)
    usage, perplexity = code_usage(np.array([[0, 1], [2, 3]]), 8)
    assert usage == 0.5 and perplexity == pytest.approx(4.0)
    for codes, exc, text in [(np.array([0, 4]), ValueError, "codes"), (np.array([-1]), ValueError, "codes"),
                             (np.array([0.5]), TypeError, "codes"), (np.array([], int), ValueError, "codes")]:
        with pytest.raises(exc, match=text):
            code_usage(codes, 4)


def test_masked_conv_sees_only_earlier_positions():
    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).random((1, 5, 5, 3)).astype("float32")
    for mask_type, centre_seen in (("A", False), ("B", True)):
        layer = MaskedConv2D(4, 3, mask_type)
        y = x.copy()
        y[0, 2, 2] += 1.0
        diff = np.abs(ops.convert_to_numpy(layer(x) - layer(y))).max(axis=-1)[0] > 1e-6
        order = np.arange(25).reshape(5, 5)
        assert not diff[order < order[2, 2]].any() and bool(diff[2, 2]) == centre_seen
    with pytest.raises(ValueError, match="kernel_size"):
        MaskedConv2D(4, 4)
    with pytest.raises(ValueError, match="mask_type"):
        MaskedConv2D(4, 3, "C")


def test_prior_bits_of_a_uniform_prior_and_sampling():
    prior = build_pixelcnn(8, grid=(3, 3), width=8, blocks=1)
    assert prior.output_shape == (None, 3, 3, 8)
    logits = prior.get_layer("logits")
    logits.set_weights([np.zeros_like(w) for w in logits.get_weights()])  # every index equally likely
    codes = np.random.default_rng(0).integers(0, 8, (5, 3, 3))
    np.testing.assert_allclose(prior_bits(prior, codes), 9 * math.log2(8), rtol=1e-5)
    a, b = sample_codes(prior, 4, np.random.default_rng(1), grid=(3, 3)), sample_codes(prior, 4, np.random.default_rng(1), grid=(3, 3))
    assert a.shape == (4, 3, 3) and 0 <= a.min() and a.max() < 8
    np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="codes"):
        prior_bits(prior, np.full((1, 3, 3), 8))
    with pytest.raises(TypeError, match="rng"):
        sample_codes(prior, 2, 0, grid=(3, 3))
    with pytest.raises(ValueError, match="temperature"):
        sample_codes(prior, 2, np.random.default_rng(0), grid=(3, 3), temperature=0.0)
    with pytest.raises(ValueError, match="grid"):
        build_pixelcnn(8, grid=(3, 3, 3))
