"""Tests for notebook 11's lesson code (aeutils.lessons.nb11_devices): devices, the replica-scaled losses, the child runs."""
from __future__ import annotations

import contextlib

import keras
import numpy as np
import pytest

from aeutils.core.saving import load_model, save_model
from aeutils.lessons import nb11_devices as D


def test_device_env_sets_backend_and_xla_flag():
    env = D.device_env("jax", 4)
    assert env["KERAS_BACKEND"] == "jax"
    assert env["XLA_FLAGS"] == "--xla_force_host_platform_device_count=4"
    assert D.device_env("tensorflow", 2)["KERAS_BACKEND"] == "tensorflow"


@pytest.mark.parametrize("backend, devices", [("numpy", 2), ("jax", 0), ("jax", 1.5)])
def test_device_env_refuses_bad_arguments(backend, devices):
    with pytest.raises((ValueError, TypeError), match="backend|devices"):
        D.device_env(backend, devices)


def test_max_rel_diff():
    assert D.max_rel_diff([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert D.max_rel_diff([1.0, 2.0], [1.1, 1.0]) == pytest.approx(0.5)
    for reference, other in (([1.0, 2.0], [1.0]), ([], []), ([[1.0, 2.0]], [[1.0, 2.0]])):
        with pytest.raises(ValueError, match="other"):
            D.max_rel_diff(reference, other)


@pytest.mark.parametrize("kind, cls, loss", [("ae", keras.Model, "mse"), ("mean_ae", D.MeanSquaredAE, None),
                                             ("fixed_mean_ae", D.ReplicaMeanSquaredAE, None),
                                             ("fixed_vae", D.ReplicaMeanVAE, None)])
def test_build_model_kinds(kind, cls, loss):
    model, got = D.build_model(kind, code_size=2)
    assert isinstance(model, cls) and got == loss
    assert D.replicas(model) == 1   # no strategy in this process


def test_build_model_refuses_unknown_kind():
    with pytest.raises(ValueError, match="kind"):
        D.build_model("conv")


def test_data_parallel_scope_refuses_no_devices():
    for devices in ([], None, [0, 1]):
        with pytest.raises(ValueError, match="devices"):
            D.data_parallel_scope(devices)


def test_fixed_losses_equal_the_plain_ones_without_replicas():
    x = np.random.default_rng(0).random((4, 28, 28)).astype("float32")
    mean_ae, _ = D.build_model("mean_ae", code_size=2)
    fixed, _ = D.build_model("fixed_mean_ae", code_size=2)
    fixed.set_weights(mean_ae.get_weights())
    y_pred = mean_ae(x)
    a, b = (float(m.compute_loss(x, x, y_pred)) for m in (mean_ae, fixed))
    assert a == pytest.approx(float(np.mean((x - keras.ops.convert_to_numpy(y_pred)) ** 2)), rel=1e-5) and a == b


def test_replica_mean_vae_round_trips(tmp_path):
    model, _ = D.build_model("fixed_vae", code_size=2)
    again = load_model(save_model(model, tmp_path / "v.keras"))
    x = np.full((1, 28, 28), 0.5, "float32")
    assert isinstance(again, D.ReplicaMeanVAE)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(again.encoder(x)), keras.ops.convert_to_numpy(model.encoder(x)),
                               atol=1e-6)


def test_train_curve_records_every_step():
    x = np.random.default_rng(0).random((24, 28, 28)).astype("float32")
    losses = D.train_curve("ae", x, contextlib.nullcontext(), epochs=2, batch_size=8)
    assert len(losses) == 6 and all(np.isfinite(losses))


def test_run_on_devices_refuses_bad_arguments():
    with pytest.raises(ValueError, match="kinds"):
        D.run_on_devices("jax", 2, ["cnn"], epochs=1, n_train=256)
    with pytest.raises(ValueError, match="n_train"):
        D.run_on_devices("jax", 2, ["ae"], epochs=1, n_train=10)


# The child runs themselves (JAX DataParallel on simulated devices, TensorFlow MirroredStrategy with the raw-mean loss
# and its fix) are tested by notebook 11's check cell, which asserts the same properties on the same children: 1 vs 4
# JAX devices within 1e-4 (ae, and the VAE whose compute_loss returns a raw mean), the first TensorFlow step of a
# raw-mean loss doubled on 2 replicas and ReplicaMeanLoss's fix within 1e-4. nbval runs that notebook under both
# `make test` and `make test-jax`, so a unit test here would start the same children a third time (about 40 s).
