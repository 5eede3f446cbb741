"""Run a tiny VAE through fit / evaluate / predict / .keras save+load on the current backend.

Used by tests/test_vae.py in a subprocess with KERAS_BACKEND set (the backend is
fixed per process). Prints one line starting with ``OK`` on success.
"""
import os
import sys
import tempfile

import keras
import numpy as np

from aeutils import vae

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)
x = (rng.random((128, 8, 8)) < 0.3).astype("float32")
labels = rng.integers(0, 3, 128)
model = vae.build_dense_vae(2, input_shape=(8, 8), hidden=(16,), num_classes=3, seed=1)
model.kl_warmup_steps = 3        # exercises the KL warm-up's step counter inside compiled steps
model.compile(optimizer=keras.optimizers.Adam(1e-2))
history = model.fit([x, labels], validation_data=([x[:64], labels[:64]],), epochs=2, batch_size=64, verbose=0)
assert {"loss", "kl", "reconstruction", "val_loss", "val_kl"} <= set(history.history), history.history
assert history.history["loss"][-1] < history.history["loss"][0], history.history["loss"]
assert float(keras.ops.convert_to_numpy(model.kl_step)) == 4.0, model.kl_step   # 2 epochs x 2 batches
scores = model.evaluate([x, labels], batch_size=64, verbose=0, return_dict=True)
assert np.isfinite(scores["loss"]) and scores["kl"] >= 0, scores
out = model.predict([x, labels], batch_size=64, verbose=0)
assert out["logits"].shape == (128, 8, 8) and out["z"].shape == (128, 2), {k: v.shape for k, v in out.items()}
path = os.path.join(tempfile.mkdtemp(), "tiny_vae.keras")
model.save(path)
loaded = keras.saving.load_model(path, safe_mode=True)
assert isinstance(loaded, vae.VAE) and loaded.num_classes == 3 and loaded.likelihood == "bernoulli"
assert loaded.kl_warmup_steps == 3
np.testing.assert_allclose(loaded.encode(x[:8], labels[:8])[0], model.encode(x[:8], labels[:8])[0], atol=1e-5)
np.testing.assert_allclose(loaded.decode(np.zeros((2, 2), "float32"), labels[:2]),
                           model.decode(np.zeros((2, 2), "float32"), labels[:2]), atol=1e-5)
print("OK", keras.backend.backend(), f"loss={scores['loss']:.2f}", file=sys.stdout)
