import keras
import numpy as np
import pytest
from keras import ops

from aeutils import family as F
from aeutils.core.saving import load_model, save_model
from aeutils.lessons.nb01_basic import build_dense_autoencoder

SHAPE = (8, 8)


def _x(n=24, seed=0, shape=SHAPE):
    return np.random.default_rng(seed).random((n,) + shape).astype("float32")


BUILDERS = {
    "deep": lambda: build_dense_autoencoder(4, SHAPE, hidden=(16, 8), input_mean=_x().mean(0)),
    "tied": lambda: F.build_tied_autoencoder(4, SHAPE, hidden=(16, 8), mean=_x().mean(0)),
    "sparse_l1": lambda: F.build_sparse_autoencoder(32, SHAPE, sparsity="l1", weight=1e-3),
    "sparse_kl": lambda: F.build_sparse_autoencoder(32, SHAPE, hidden=(16,), sparsity="kl", target=0.1),
    "overcomplete": lambda: F.build_sparse_autoencoder(32, SHAPE, sparsity=None),
    "contractive": lambda: F.build_contractive_autoencoder(4, SHAPE, weight=0.1, decoder_hidden=(16,)),
    "conv": lambda: F.build_conv_autoencoder(4, SHAPE, filters=(4, 8), mean=_x().mean(0)),
}


@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_builders_compose_train_and_roundtrip_safe_mode(kind, tmp_path):
    keras.utils.set_random_seed(0)
    ae, enc, dec = BUILDERS[kind]()
    x = _x()
    ae.compile(optimizer="adam", loss="mse")
    ae.fit(x, x, epochs=1, batch_size=8, verbose=0)
    out = ae.predict(x, verbose=0)
    assert out.shape == x.shape and out.min() >= 0 and out.max() <= 1
    z = enc.predict(x, verbose=0)
    np.testing.assert_allclose(dec.predict(z, verbose=0), out, atol=1e-5)
    path = save_model(ae, tmp_path / f"{kind}.keras")
    again = load_model(path)  # safe_mode=True; custom objects found through registration
    np.testing.assert_array_equal(again.predict(x, verbose=0), out)


def test_tied_model_halves_weights_and_stays_tied_after_loading(tmp_path):
    ae, enc, _ = F.build_tied_autoencoder(4, SHAPE, hidden=(16, 8))
    deep, _, _ = build_dense_autoencoder(4, SHAPE, hidden=(16, 8))
    kernels = 64 * 16 + 16 * 8 + 8 * 4
    assert deep.count_params() - ae.count_params() == kernels
    again = load_model(save_model(ae, tmp_path / "tied.keras"))
    layer = again.get_layer("tied_0")
    layer.kernel.assign(ops.zeros_like(layer.kernel))  # one kernel drives both directions
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


def test_center_subtracts_mean_and_checks_shape():
    mean = np.full((2, 3), 0.25, "float32")
    out = F.Center(mean)(np.ones((4, 2, 3), "float32"))
    np.testing.assert_allclose(np.asarray(out), 0.75)
    with pytest.raises(ValueError, match="mean: expected shape"):
        F.Center(np.zeros(5))(np.ones((1, 2, 3), "float32"))
    with pytest.raises(TypeError, match="mean: expected"):
        F.Center("zero")


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
    with pytest.raises(ValueError, match="target"):
        F.KLSparsity(target=1.0)
    with pytest.raises(ValueError, match="weight"):
        F.KLSparsity(weight=-1)


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


def test_sparse_penalties_lower_mean_activation():
    x = _x(256, shape=(6, 6))
    acts = {}
    for sparsity, weight in ((None, 0.0), ("l1", 3e-2), ("kl", 1.0)):
        keras.utils.set_random_seed(0)
        ae, enc, _ = F.build_sparse_autoencoder(64, (6, 6), sparsity=sparsity, weight=weight, target=0.05)
        ae.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse")
        ae.fit(x, x, epochs=15, batch_size=64, verbose=0)
        acts[sparsity] = F.mean_activation(F.encode(enc, x))
    assert acts["l1"] < acts[None] / 2 and acts["kl"] < acts[None] / 2


@pytest.mark.parametrize(
    "builder, kwargs, exc, text",
    [
        (F.build_tied_autoencoder, {"code_size": 0}, ValueError, "code_size"),
        (F.build_tied_autoencoder, {"hidden": 3}, TypeError, "hidden"),
        (F.build_tied_autoencoder, {"mean": np.zeros(5, "float32")}, ValueError, "mean: expected shape"),
        (F.build_tied_autoencoder, {"code_size": 1.5}, TypeError, "code_size"),
        (F.build_sparse_autoencoder, {"sparsity": "l2"}, ValueError, "sparsity"),
        (F.build_sparse_autoencoder, {"weight": -1.0}, ValueError, "weight"),
        (F.build_sparse_autoencoder, {"target": 0.0}, ValueError, "target"),
        (F.build_contractive_autoencoder, {"weight": "big"}, TypeError, "weight"),
        (F.build_contractive_autoencoder, {"decoder_hidden": (0,)}, ValueError, "decoder_hidden"),
        (F.build_conv_autoencoder, {"input_shape": (30, 30)}, ValueError, "divisible by 4"),
        (F.build_conv_autoencoder, {"filters": (8, 0)}, ValueError, "filters"),
        (F.build_conv_autoencoder, {"kernel_size": 0}, ValueError, "kernel_size"),
        (F.build_conv_autoencoder, {"input_shape": (28,)}, ValueError, r"\(H, W\)"),
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


def test_mean_activation_and_encode():
    assert F.mean_activation(np.array([[0.0, -1.0], [0.5, 0.5]])) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="codes: expected 2 dimensions"):
        F.mean_activation(np.zeros(3))
    with pytest.raises(TypeError, match="encoder: expected a Keras model"):
        F.encode("enc", np.zeros((2, 3), "float32"))
    with pytest.raises(TypeError, match="x: expected dtype float"):
        F.encode(keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]), np.zeros((2, 3), int))


def test_code_sensitivity_is_scale_free_and_orders_models():
    x = _x(200, shape=(10,))
    inp = keras.Input((10,))
    ident = keras.Model(inp, keras.layers.Identity()(inp))
    scaled = keras.Model(inp, keras.layers.Rescaling(7.0)(inp))
    s1 = F.code_sensitivity(ident, x, noise_std=0.05)
    assert 0 < s1 < 1
    assert F.code_sensitivity(scaled, x, noise_std=0.05) == pytest.approx(s1, rel=1e-5)
    assert F.code_sensitivity(ident, x, noise_std=0.05) == s1  # seeded
    with pytest.raises(ValueError, match="noise_std"):
        F.code_sensitivity(ident, x, noise_std=0)
    with pytest.raises(ValueError, match="at least 2 samples"):
        F.code_sensitivity(ident, x[:1])
    const = keras.Model(inp, keras.layers.Lambda(lambda t: t * 0.0)(inp))
    with pytest.raises(ValueError, match="same code"):
        F.code_sensitivity(const, x)


def test_probe_accuracy_separable_and_validation():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 300)
    feats = np.eye(3)[y] * 3 + rng.normal(0, 0.3, (300, 3))
    acc = F.probe_accuracy(feats[:200], y[:200], feats[200:], y[200:])
    assert acc > 0.95
    noise = rng.normal(size=(300, 3))
    assert F.probe_accuracy(noise[:200], y[:200], noise[200:], y[200:]) < 0.6
    with pytest.raises(ValueError, match="test_features: expected 3 features"):
        F.probe_accuracy(feats[:200], y[:200], feats[200:, :2], y[200:])
    with pytest.raises(ValueError, match="train_labels: expected shape"):
        F.probe_accuracy(feats[:200], y[:100], feats[200:], y[200:])
    with pytest.raises(TypeError, match="train_labels: expected dtype"):
        F.probe_accuracy(feats[:200], y[:200].astype(float), feats[200:], y[200:])
    with pytest.raises(ValueError, match="at least 2 classes"):
        F.probe_accuracy(feats[:200], np.zeros(200, int), feats[200:], y[200:])
    with pytest.raises(ValueError, match="C: expected"):
        F.probe_accuracy(feats[:200], y[:200], feats[200:], y[200:], C=0)


def test_jacobian_frobenius_matches_closed_forms():
    x = _x(32)
    # linear encoder: J = W^T for every input, so ||J||_F^2 = sum W^2
    lin_in = keras.Input(SHAPE)
    lin = keras.Model(lin_in, keras.layers.Dense(3, name="lin")(keras.layers.Flatten()(lin_in)))
    w = np.asarray(lin.get_layer("lin").kernel)
    est = F.jacobian_frobenius(lin, x, probes=400, seed=1)
    np.testing.assert_allclose(est.mean(), np.sum(w ** 2), rtol=0.1)
    # sigmoid dense encoder: the contractive layer's closed-form penalty
    keras.utils.set_random_seed(0)
    _, enc, _ = F.build_contractive_autoencoder(4, SHAPE, weight=0.1, decoder_hidden=(8,))
    codes = F.encode(enc, x)
    closed = float(ops.convert_to_numpy(F.contractive_penalty(ops.convert_to_tensor(codes), enc.get_layer("code").kernel)))
    est = F.jacobian_frobenius(enc, x, probes=400, seed=2)
    np.testing.assert_allclose(est.mean(), closed, rtol=0.1)
    np.testing.assert_array_equal(est, F.jacobian_frobenius(enc, x, probes=400, seed=2))   # seeded


def test_jacobian_frobenius_bad_inputs():
    _, enc, _ = F.build_contractive_autoencoder(4, SHAPE, decoder_hidden=(8,))
    with pytest.raises(ValueError, match="x: expected a non-empty array"):
        F.jacobian_frobenius(enc, _x()[:0])
    with pytest.raises(ValueError, match="step"):
        F.jacobian_frobenius(enc, _x(), step=0.0)
    with pytest.raises(ValueError, match="probes"):
        F.jacobian_frobenius(enc, _x(), probes=0)
    with pytest.raises(TypeError, match="encoder"):
        F.jacobian_frobenius(object(), _x())
