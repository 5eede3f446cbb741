import numpy as np
import pytest

from aeutils.common.training import EpochLogger, cosine_adam, fit_autoencoder
from aeutils.core.saving import load_model, save_model
from aeutils.lessons.nb01_basic import build_dense_autoencoder


def test_dense_autoencoder_shapes_and_composition():
    ae, enc, dec = build_dense_autoencoder(8, hidden=(32,))
    x = np.random.default_rng(0).random((5, 28, 28)).astype("float32")
    z = enc.predict(x, verbose=0)
    assert z.shape == (5, 8)
    out = ae.predict(x, verbose=0)
    assert out.shape == (5, 28, 28) and out.min() >= 0 and out.max() <= 1
    np.testing.assert_allclose(dec.predict(z, verbose=0), out, atol=1e-6)
    assert ae.count_params() == enc.count_params() + dec.count_params()
    assert ae.count_params() == (784 * 32 + 32) + (32 * 8 + 8) + (8 * 32 + 32) + (32 * 784 + 784)


def test_linear_autoencoder_has_no_hidden_layers():
    ae, enc, dec = build_dense_autoencoder(4, (10,), hidden=(), activation=None, output_activation=None)
    assert enc.count_params() == 10 * 4 + 4 and dec.count_params() == 4 * 10 + 10


@pytest.mark.parametrize(
    "kwargs, exc, text",
    [
        ({"code_size": 0}, ValueError, "code_size"),
        ({"code_size": 2.0}, TypeError, "code_size"),
        ({"code_size": 2, "input_shape": "28x28"}, TypeError, "input_shape"),
        ({"code_size": 2, "hidden": 5}, TypeError, "hidden"),
        ({"code_size": 2, "hidden": (0,)}, ValueError, "hidden"),
    ],
)
def test_builder_rejects_bad_arguments(kwargs, exc, text):
    with pytest.raises(exc, match=text):
        build_dense_autoencoder(**kwargs)


def test_fit_accepts_extra_callbacks_and_rejects_others():
    import keras

    ae, _, _ = build_dense_autoencoder(2, input_shape=(4,), hidden=())
    x = np.random.default_rng(0).random((64, 4)).astype("float32")
    stop = keras.callbacks.EarlyStopping(patience=0, min_delta=10.0)  # stops after the 2nd epoch
    hist = fit_autoencoder(ae, x, x[:8], epochs=50, batch_size=16, log_every=0, callbacks=[stop])
    assert len(hist.history["loss"]) == 2
    with pytest.raises(TypeError, match="callbacks: expected a list"):
        fit_autoencoder(ae, x, epochs=1, callbacks=["stop"])


def test_fit_reduces_loss_and_logs(capsys):
    rng = np.random.default_rng(0)
    x = (rng.random((256, 6, 6)) > 0.5).astype("float32")
    ae, _, _ = build_dense_autoencoder(4, input_shape=(6, 6), hidden=(16,))
    hist = fit_autoencoder(ae, x, x[:32], epochs=3, batch_size=32, learning_rate=1e-2, seed=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    assert "val_loss" in hist.history
    assert "epoch 3/3" in capsys.readouterr().out


def test_fit_rejects_bad_input():
    ae, _, _ = build_dense_autoencoder(2, input_shape=(4,), hidden=())
    x = np.zeros((8, 4), "float32")
    with pytest.raises(TypeError, match="x_train: expected dtype float"):
        fit_autoencoder(ae, x.astype(int), epochs=1)
    with pytest.raises(ValueError, match="x_val: expected samples of shape"):
        fit_autoencoder(ae, x, np.zeros((2, 5), "float32"), epochs=1)
    with pytest.raises(ValueError, match="y_train: expected 8 targets"):
        fit_autoencoder(ae, x, y_train=x[:3], epochs=1)
    with pytest.raises(ValueError, match="epochs"):
        fit_autoencoder(ae, x, epochs=0)
    with pytest.raises(ValueError, match="x_train: expected finite"):
        fit_autoencoder(ae, np.full((8, 4), np.nan, "float32"), epochs=1)


def test_cosine_adam_and_logger_validate():
    with pytest.raises(ValueError, match="learning_rate"):
        cosine_adam(0, 1, 1)
    with pytest.raises(ValueError, match="every"):
        EpochLogger(every=0)


def test_save_and_load_roundtrip_safe_mode(tmp_path):
    ae, _, _ = build_dense_autoencoder(3, input_shape=(5,), hidden=(7,))
    x = np.random.default_rng(1).random((4, 5)).astype("float32")
    path = save_model(ae, tmp_path / "m.keras")
    again = load_model(path)
    np.testing.assert_allclose(again.predict(x, verbose=0), ae.predict(x, verbose=0), atol=1e-6)
    with pytest.raises(FileExistsError, match="already exists"):
        save_model(ae, path)
    save_model(ae, path, overwrite=True)
    with pytest.raises(ValueError, match="ending in '.keras'"):
        save_model(ae, tmp_path / "m.h5")
    with pytest.raises(FileNotFoundError, match="expected an existing .keras file"):
        load_model(tmp_path / "missing.keras")
    (tmp_path / "bad.keras").write_bytes(b"garbage")
    with pytest.raises(ValueError, match="not a .keras archive"):
        load_model(tmp_path / "bad.keras")


def test_input_mean_centres_and_survives_save(tmp_path):
    mean = np.full((4, 4), 0.5, "float32")
    ae, enc, _ = build_dense_autoencoder(2, input_shape=(4, 4), hidden=(), activation=None, input_mean=mean)
    x = np.random.default_rng(0).random((3, 4, 4)).astype("float32")
    w, b = enc.get_layer("code").get_weights()
    np.testing.assert_allclose(enc.predict(x, verbose=0), (x.reshape(3, 16) - 0.5) @ w + b, atol=1e-5)
    again = load_model(save_model(ae, tmp_path / "c.keras"))
    np.testing.assert_allclose(again.predict(x, verbose=0), ae.predict(x, verbose=0), atol=1e-6)
    with pytest.raises(ValueError, match="input_mean: expected shape"):
        build_dense_autoencoder(2, input_shape=(4, 4), input_mean=np.zeros(3))


def test_training_is_deterministic_after_setup():
    from aeutils.core.runtime import setup

    x = np.random.default_rng(3).random((128, 8, 8)).astype("float32")

    def train_once():
        setup(5, verbose=False)
        ae, _, _ = build_dense_autoencoder(3, input_shape=(8, 8), hidden=(16,))
        fit_autoencoder(ae, x, x[:16], epochs=2, batch_size=32, log_every=0)
        return ae.predict(x[:4], verbose=0)

    np.testing.assert_array_equal(train_once(), train_once())


def test_fit_compares_data_and_model_shapes_up_front():
    ae, _, _ = build_dense_autoencoder(2, input_shape=(4,), hidden=())
    with pytest.raises(ValueError, match=r"x_train: model 'dense_ae' expects samples of shape \(4,\), got \(5,\)"):
        fit_autoencoder(ae, np.zeros((8, 5), "float32"), epochs=1)
    with pytest.raises(ValueError, match="learning_rate"):
        fit_autoencoder(ae, np.zeros((8, 4), "float32"), epochs=1, learning_rate=float("inf"))
    with pytest.raises(ValueError, match="final_fraction"):
        fit_autoencoder(ae, np.zeros((8, 4), "float32"), epochs=1, final_fraction=2.0)
    hist = fit_autoencoder(ae, np.zeros((8, 4), "float32"), epochs=1, learning_rate=np.float32(1e-3), log_every=0)
    assert len(hist.history["loss"]) == 1
