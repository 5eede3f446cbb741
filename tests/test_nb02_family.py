"""Tests of notebook 02's exported lesson code (aeutils.lessons.nb02_family)."""
import keras
import numpy as np
import pytest
from keras import ops

from aeutils.core.saving import load_model, save_model
from aeutils.core.validation import check_number
from aeutils.lessons import nb02_family as F
from aeutils.lessons.nb01_basic import build_dense_autoencoder

SHAPE = (8, 8)


def _x(n=24, seed=0, shape=SHAPE):
    return np.random.default_rng(seed).random((n,) + shape).astype("float32")


BUILDERS = {
    "deep": lambda: build_dense_autoencoder(4, SHAPE, hidden=(16, 8), input_mean=_x().mean(0)),
    "tied": lambda: F.build_tied_autoencoder(4, SHAPE, hidden=(16, 8), input_mean=_x().mean(0)),
    "sparse_l1": lambda: F.build_sparse_autoencoder(32, SHAPE, sparsity="l1", weight=1e-3),
    "sparse_kl": lambda: F.build_sparse_autoencoder(32, SHAPE, hidden=(16,), sparsity="kl", target=0.1,
                                                    input_mean=_x().mean(0)),
    "wide": lambda: F.build_sparse_autoencoder(32, SHAPE, sparsity=None),
    "contractive": lambda: F.build_contractive_autoencoder(4, SHAPE, weight=0.1, decoder_hidden=(16,),
                                                           input_mean=_x().mean(0)),
    "conv": lambda: F.build_conv_autoencoder(4, SHAPE, filters=(4, 8), input_mean=_x().mean(0)),
    "conv_dense": lambda: F.build_conv_autoencoder(4, SHAPE, filters=(4, 8), dense=16),
    "conv_rgb": lambda: F.build_conv_autoencoder(4, SHAPE + (3,), filters=(4,)),
}


@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_builders_compose_train_and_roundtrip_safe_mode(kind, tmp_path):
    keras.utils.set_random_seed(0)
    ae, enc, dec = BUILDERS[kind]()
    x = _x(shape=ae.input_shape[1:])
    ae.compile(optimizer="adam", loss="mse")
    ae.fit(x, x, epochs=1, batch_size=8, verbose=0)
    out = ae.predict(x, verbose=0)
    assert out.shape == x.shape and out.min() >= 0 and out.max() <= 1
    z = enc.predict(x, verbose=0)
    np.testing.assert_allclose(dec.predict(z, verbose=0), out, atol=1e-5)
    path = save_model(ae, tmp_path / f"{kind}.keras")
    again = load_model(path)  # safe_mode=True; the custom objects are found through registration
    np.testing.assert_array_equal(again.predict(x, verbose=0), out)


def test_centring_is_a_normalization_layer_subtracting_the_mean():
    mean = _x().mean(0)
    ae, enc, _ = F.build_tied_autoencoder(4, SHAPE, hidden=(8,), input_mean=mean)
    layer = enc.get_layer("center")
    assert isinstance(layer, keras.layers.Normalization)
    inputs = keras.Input(SHAPE)
    centred = keras.Model(inputs, F.centred_pixels(inputs, mean))
    np.testing.assert_allclose(centred.predict(_x(3), verbose=0), (_x(3) - mean).reshape(3, -1), atol=1e-6)
    flat = keras.Model(inputs, F.centred_pixels(inputs))
    assert flat.output_shape == (None, 64)
    with pytest.raises(ValueError, match="input_mean: expected shape"):
        F.centred_pixels(keras.Input(SHAPE), np.zeros(5))


def test_conv_autoencoder_reproduces_notebook_06s_layout():
    ae, enc, dec = F.build_conv_autoencoder(32, filters=(16, 32), dense=256)
    assert ae.count_params() == 830_881  # two stride-2 convolutions, a 256-unit dense layer, a 32-number code
    assert [layer.name for layer in enc.layers if layer.weights] == ["conv_0", "conv_1", "enc_dense", "code"]
    plain, _, _ = F.build_conv_autoencoder(32)
    assert plain.count_params() == 241_441 and plain.output_shape == (None, 28, 28)


def test_tied_model_halves_weights_and_stays_tied_after_loading(tmp_path):
    ae, enc, _ = F.build_tied_autoencoder(4, SHAPE, hidden=(16, 8))
    deep, _, _ = build_dense_autoencoder(4, SHAPE, hidden=(16, 8))
    kernels = 64 * 16 + 16 * 8 + 8 * 4
    assert deep.count_params() - ae.count_params() == kernels
    again = load_model(save_model(ae, tmp_path / "tied.keras"))
    layer = again.get_layer("tied_0")
    layer.kernel.assign(np.zeros(layer.kernel.shape, "float32"))  # one kernel drives both directions
    out = again.predict(_x(4), verbose=0)
    bias = 1 / (1 + np.exp(-np.asarray(layer.transpose_bias)))
    # With W1 = 0 the code and hidden layers see only biases: every image decodes the same.
    np.testing.assert_allclose(out, np.broadcast_to(out[0], out.shape), atol=1e-6)
    np.testing.assert_allclose(out[0].ravel(), bias, atol=1e-6)


def test_tied_dense_transpose_uses_transposed_kernel():
    layer = F.TiedDense(3, activation=None, transpose_activation=None)
    x = np.ones((2, 5), "float32")
    y = layer(x)
    w = np.asarray(layer.kernel)
    np.testing.assert_allclose(np.asarray(y), x @ w, atol=1e-6)
    z = np.asarray(layer(np.ones((2, 3), "float32"), transpose=True))
    np.testing.assert_allclose(z, np.ones((2, 3)) @ w.T, atol=1e-6)
    again = F.TiedDense.from_config(layer.get_config())
    assert again.units == 3


def test_kl_divergence_matches_formula_and_regulariser():
    rates = np.array([0.05, 0.2, 0.5], "float32")
    p = 0.05
    want = np.sum(p * np.log(p / rates) + (1 - p) * np.log((1 - p) / (1 - rates)))
    assert float(F.kl_divergence(p, rates)) == pytest.approx(want, rel=1e-5)
    assert float(F.kl_divergence(p, np.full(3, p, "float32"))) == pytest.approx(0, abs=1e-6)
    acts = np.tile(rates, (10, 1))
    reg = F.KLSparsity(target=p, weight=2.0)
    # Keras divides activity penalties by the batch size; the regulariser pre-multiplies.
    assert float(reg(acts)) / 10 == pytest.approx(2 * want, rel=1e-5)
    assert F.KLSparsity.from_config(reg.get_config()).target == p
    assert F.KLSparsity(weight=np.float32(0.5)).weight == 0.5  # numpy scalars are numbers too


def test_contractive_penalty_equals_numerical_jacobian_norm():
    rng = np.random.default_rng(0)
    w = rng.normal(size=(5, 3)).astype("float64")
    b = rng.normal(size=3)
    x = rng.normal(size=(4, 5))

    def f(v):
        return 1 / (1 + np.exp(-(v @ w + b)))

    eps = 1e-6
    norms = []
    for xi in x:
        jac = np.stack([(f(xi + eps * e) - f(xi - eps * e)) / (2 * eps) for e in np.eye(5)])
        norms.append(np.sum(jac**2))
    got = float(F.contractive_penalty(ops.convert_to_tensor(f(x)), ops.convert_to_tensor(w)))
    assert got == pytest.approx(np.mean(norms), rel=1e-5)
    with pytest.raises(ValueError, match="codes, kernel"):
        F.contractive_penalty(ops.ones((2, 3)), ops.ones((5, 4)))


def test_contractive_layer_adds_loss_only_with_weight():
    x = np.ones((2, 6), "float32")
    layer = F.ContractiveDense(3, weight=0.5)
    layer(x)
    assert len(layer.losses) == 1 and float(layer.losses[0]) > 0
    plain = F.ContractiveDense(3, weight=0)
    plain(x)
    assert len(plain.losses) == 0
    assert F.ContractiveDense.from_config(layer.get_config()).weight == 0.5


def test_sparse_penalties_lower_mean_activation():
    x = _x(256, shape=(6, 6))
    acts = {}
    for sparsity, weight in ((None, 0.0), ("l1", 3e-2), ("kl", 1.0)):
        keras.utils.set_random_seed(0)
        ae, enc, _ = F.build_sparse_autoencoder(64, (6, 6), sparsity=sparsity, weight=weight, target=0.05)
        ae.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse")
        ae.fit(x, x, epochs=15, batch_size=64, verbose=0)
        acts[sparsity] = float(enc.predict(x, verbose=0).mean())
    assert acts["l1"] < acts[None] / 2 and acts["kl"] < acts[None] / 2


@pytest.mark.parametrize(
    "builder, kwargs, exc, text",
    [
        (F.build_tied_autoencoder, {"code_size": 0}, ValueError, "code_size"),
        (F.build_tied_autoencoder, {"code_size": 4, "hidden": 3}, TypeError, "hidden"),
        (F.build_tied_autoencoder, {"code_size": 4, "input_mean": np.zeros(5, "float32")}, ValueError,
         "input_mean: expected shape"),
        (F.build_tied_autoencoder, {"code_size": 1.5}, TypeError, "code_size"),
        (F.build_tied_autoencoder, {"code_size": 4, "input_shape": None}, TypeError, "input_shape"),
        (F.build_sparse_autoencoder, {"code_size": 4, "sparsity": "l2"}, ValueError, "sparsity"),
        (F.build_sparse_autoencoder, {"code_size": 4, "sparsity": ["kl"]}, ValueError, "sparsity"),
        (F.build_sparse_autoencoder, {"code_size": 4, "weight": -1.0}, ValueError, "weight"),
        (F.build_sparse_autoencoder, {"code_size": 4, "weight": float("inf")}, ValueError, "weight"),
        (F.build_sparse_autoencoder, {"code_size": 4, "weight": True}, TypeError, "weight"),
        (F.build_sparse_autoencoder, {"code_size": 4, "target": 0.0}, ValueError, "target"),
        (F.build_sparse_autoencoder, {"code_size": 4, "input_mean": np.full(SHAPE, np.nan)}, ValueError,
         "input_mean"),
        (F.build_contractive_autoencoder, {"code_size": 4, "weight": "big"}, TypeError, "weight"),
        (F.build_contractive_autoencoder, {"code_size": 4, "decoder_hidden": (0,)}, ValueError, "decoder_hidden"),
        (F.build_conv_autoencoder, {"code_size": 4, "input_shape": (30, 30)}, ValueError, "divisible by 4"),
        (F.build_conv_autoencoder, {"code_size": 4, "filters": (8, 0)}, ValueError, "filters"),
        (F.build_conv_autoencoder, {"code_size": 4, "filters": ()}, ValueError, "filters"),
        (F.build_conv_autoencoder, {"code_size": 4, "filters": 8}, TypeError, "filters"),
        (F.build_conv_autoencoder, {"code_size": 4, "dense": 0}, ValueError, "dense"),
        (F.build_conv_autoencoder, {"code_size": 4, "kernel_size": 0}, ValueError, "kernel_size"),
        (F.build_conv_autoencoder, {"code_size": 4, "input_shape": (28,)}, ValueError, r"\(H, W\)"),
        (F.build_conv_autoencoder, {"code_size": 4, "input_mean": np.zeros((28, 28, 1))}, ValueError, "input_mean"),
    ],
)
def test_builders_reject_bad_arguments(builder, kwargs, exc, text):
    with pytest.raises(exc, match=text):
        builder(**kwargs)


def test_layers_reject_bad_arguments():
    with pytest.raises(ValueError, match="units"):
        F.TiedDense(0)
    with pytest.raises(ValueError, match="units"):
        F.ContractiveDense(0)
    with pytest.raises(ValueError, match="weight"):
        F.ContractiveDense(3, weight=float("nan"))
    with pytest.raises(ValueError, match="target"):
        F.KLSparsity(target=1.0)
    with pytest.raises(ValueError, match="weight"):
        F.KLSparsity(weight=-1)
    with pytest.raises(ValueError, match="target"):
        F.kl_divergence(0.0, np.ones(3, "float32") / 2)


def test_check_number():
    assert check_number(np.float32(0.5), "w") == 0.5 and check_number(3, "w", minimum=0) == 3.0
    with pytest.raises(TypeError, match="w: expected a finite number, got bool"):
        check_number(True, "w")
    with pytest.raises(ValueError, match="w: expected a finite number >= 0, got -1.0"):
        check_number(-1, "w", minimum=0)
    with pytest.raises(ValueError, match="w: expected a finite number > 0, got 0.0"):
        check_number(0.0, "w", positive=True)
    with pytest.raises(ValueError, match="w: expected a finite number, got nan"):
        check_number(float("nan"), "w")


def _identity(width=10):
    inp = keras.Input((width,))
    return keras.Model(inp, keras.layers.Identity()(inp))


def test_code_sensitivity_is_scale_free_and_seeded():
    x = _x(200, shape=(10,))
    inp = keras.Input((10,))
    scaled = keras.Model(inp, keras.layers.Rescaling(7.0)(inp))
    s1 = F.code_sensitivity(_identity(), x, noise_std=0.05)
    assert 0 < s1 < 1
    assert F.code_sensitivity(scaled, x, noise_std=0.05) == pytest.approx(s1, rel=1e-5)
    assert F.code_sensitivity(_identity(), x, noise_std=0.05) == s1  # seeded
    assert F.code_sensitivity(_identity(), x, noise_std=0.5) > s1


def test_code_sensitivity_bad_inputs():
    x = _x(20, shape=(10,))
    with pytest.raises(ValueError, match="noise_std"):
        F.code_sensitivity(_identity(), x, noise_std=0)
    with pytest.raises(ValueError, match="at least 2 samples"):
        F.code_sensitivity(_identity(), x[:1])
    with pytest.raises(ValueError, match=r"x: expected shape \(any, 10\), got \(20, 8\)"):
        F.code_sensitivity(_identity(), x[:, :8])
    with pytest.raises(TypeError, match="encoder: expected a Keras model"):
        F.code_sensitivity("enc", x)
    with pytest.raises(TypeError, match="x: expected dtype float"):
        F.code_sensitivity(_identity(), x.astype(int))
    with pytest.raises(TypeError, match="seed"):
        F.code_sensitivity(_identity(), x, seed=0.5)
    inp = keras.Input((10,))
    const = keras.Model(inp, keras.layers.Rescaling(0.0)(inp))
    with pytest.raises(ValueError, match="same code"):
        F.code_sensitivity(const, x)


def test_jacobian_frobenius_matches_closed_forms():
    x = _x(512)  # many inputs, few probes each: the same number of draws in few predict calls
    # linear encoder: J = W^T for every input, so ||J||_F^2 = sum W^2
    lin_in = keras.Input(SHAPE)
    lin = keras.Model(lin_in, keras.layers.Dense(3, name="lin")(keras.layers.Flatten()(lin_in)))
    w = np.asarray(lin.get_layer("lin").kernel)
    est = F.jacobian_frobenius(lin, x, probes=25, seed=1)
    np.testing.assert_allclose(est.mean(), np.sum(w**2), rtol=0.1)
    # sigmoid dense encoder: the contractive layer's closed-form penalty
    keras.utils.set_random_seed(0)
    _, enc, _ = F.build_contractive_autoencoder(4, SHAPE, weight=0.1, decoder_hidden=(8,))
    codes = enc.predict(x, verbose=0)
    closed = float(F.contractive_penalty(ops.convert_to_tensor(codes), enc.get_layer("code").kernel))
    est = F.jacobian_frobenius(enc, x, probes=25, seed=2)
    np.testing.assert_allclose(est.mean(), closed, rtol=0.1)
    np.testing.assert_array_equal(est, F.jacobian_frobenius(enc, x, probes=25, seed=2))  # seeded


def test_jacobian_frobenius_bad_inputs():
    _, enc, _ = F.build_contractive_autoencoder(4, SHAPE, decoder_hidden=(8,))
    with pytest.raises(ValueError, match="x: expected a non-empty array"):
        F.jacobian_frobenius(enc, _x()[:0])
    with pytest.raises(ValueError, match="x: expected shape"):
        F.jacobian_frobenius(enc, _x(shape=(4, 4)))
    with pytest.raises(ValueError, match="step"):
        F.jacobian_frobenius(enc, _x(), step=0.0)
    with pytest.raises(ValueError, match="probes"):
        F.jacobian_frobenius(enc, _x(), probes=0)
    with pytest.raises(TypeError, match="encoder"):
        F.jacobian_frobenius(object(), _x())
