"""Run a tiny VAE of notebook 04 through fit / evaluate / predict / .keras save+load on the current backend.

Run in-process by tests/test_nb04_vae.py on the tests' backend; by hand on the other one with
``KERAS_BACKEND=jax python tests/_nb04_backend_check.py`` (the backend is fixed per process).
Prints one line starting with ``OK <backend>`` on success.
"""
import os
import sys
import tempfile

import keras
import numpy as np

import aeutils
from aeutils.lessons.nb04_vae import VAE, build_conv_vae, build_dense_vae, iw_nll_bits, vae_decode, vae_encode

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)
x = (rng.random((128, 8, 8)) < 0.3).astype("float32")
labels = rng.integers(0, 3, 128)
model, _, _ = build_dense_vae(2, input_shape=(8, 8), hidden=(16,), num_classes=3, seed=1, kl_warmup_steps=3)
history = aeutils.fit_autoencoder(model, [x, labels], [x[:64], labels[:64]], loss=None, epochs=2, batch_size=64,
                                  learning_rate=1e-2, log_every=0)
assert {"loss", "kl", "reconstruction", "val_loss", "val_kl"} <= set(history.history), history.history
assert history.history["loss"][-1] < history.history["loss"][0], history.history["loss"]
assert float(keras.ops.convert_to_numpy(model.kl_step)) == 4.0, model.kl_step   # 2 epochs x 2 batches
scores = model.evaluate([x, labels], batch_size=64, verbose=0, return_dict=True)
assert np.isfinite(scores["loss"]) and scores["kl"] >= 0, scores
out = model.predict([x, labels], batch_size=64, verbose=0)
assert out["params"].shape == (128, 8, 8) and out["z"].shape == (128, 2), {k: v.shape for k, v in out.items()}
folder = tempfile.mkdtemp()
loaded = aeutils.load_model(aeutils.save_model(model, os.path.join(folder, "tiny_vae.keras")))
assert isinstance(loaded, VAE) and loaded.num_classes == 3 and loaded.kl_warmup_steps == 3
np.testing.assert_allclose(vae_encode(loaded, x[:8], labels[:8])[0], vae_encode(model, x[:8], labels[:8])[0], atol=1e-5)
z0 = np.zeros((2, 2), "float32")
np.testing.assert_allclose(vae_decode(loaded, z0, labels[:2]), vae_decode(model, z0, labels[:2]), atol=1e-5)

grey = np.round(rng.random((64, 8, 8)) * 255).astype("float32") / 255     # 8-bit levels, discretised logistic
conv, _, _ = build_conv_vae(2, input_shape=(8, 8), filters=(4, 4), dense=8, likelihood="discretized_logistic", seed=2)
aeutils.fit_autoencoder(conv, grey, grey[:16], loss=None, epochs=1, batch_size=32, log_every=0, steps_per_execution=2)
bits = iw_nll_bits(conv, grey[:8], k=4)
assert bits.shape == (8,) and (bits > 0).all(), bits
loaded = aeutils.load_model(aeutils.save_model(conv, os.path.join(folder, "conv.keras")))
np.testing.assert_allclose(vae_encode(loaded, grey[:4])[0], vae_encode(conv, grey[:4])[0], atol=1e-5)
print("OK", keras.backend.backend(), f"loss={scores['loss']:.2f}", file=sys.stdout)
