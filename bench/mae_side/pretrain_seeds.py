"""Experiment (validation only): how much do the pretraining seed and 20 rather than 10 epochs move 1%-label fine-tuning?

Each spec ``EPOCHS,SEED`` pretrains notebook 09b's main model with ``pretrain_mae`` (mask ratio 0.75, seeded), then
fine-tunes it with 1 % of the labels at learning rate 1e-3 for fine-tuning seeds 0, 1 and 2 as notebook 09c does
(early stopping on the first 1,000 validation images) and scores the other 4,000 validation images.

    KERAS_BACKEND=jax python bench/mae_side/pretrain_seeds.py 10,0 10,1 20,0 20,1
"""
import sys
import time

import keras
import numpy as np

import aeutils
from aeutils.lessons.nb09b_mae import VIT, build_vit, pretrain_mae
from aeutils.lessons.nb09c_fine_tune import build_vit_classifier, copy_model

aeutils.setup(42)
data = aeutils.load_fashion_mnist()
x_train, y_train, x_val, y_val = data.x_train, data.y_train, data.x_val, data.y_val
x_ft_val, y_ft_val = x_val[:1000], y_val[:1000]
LOSS = keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def labelled_subset(fraction, seed):
    rng = np.random.default_rng(seed)
    n = max(10, int(round(fraction * len(x_train))))
    return np.sort(np.concatenate([rng.choice(np.flatnonzero(y_train == c), n // 10, replace=False) for c in range(10)]))


def fine_tune(mae, fraction, seed, lr, epochs=40):
    keras.utils.set_random_seed(seed)
    parts = (copy_model(mae.embedding), copy_model(mae.encoder)) if mae is not None else build_vit(**VIT, name=f"s{seed}")
    model = build_vit_classifier(*parts)
    idx = labelled_subset(fraction, seed)
    stop = keras.callbacks.EarlyStopping(patience=5, restore_best_weights=True)
    h = aeutils.fit_autoencoder(model, x_train[idx], x_ft_val, y_train=y_train[idx], y_val=y_ft_val, epochs=epochs,
                                batch_size=64, learning_rate=lr, seed=seed, loss=LOSS, callbacks=[stop], log_every=0,
                                steps_per_execution=4)
    acc = float((model.predict(x_val[1000:], batch_size=1000, verbose=0).argmax(1) == y_val[1000:]).mean())
    return round(acc, 4), int(np.argmin(h.history["val_loss"])) + 1


for spec in sys.argv[1:]:
    epochs, seed = (int(v) for v in spec.split(","))
    t = time.perf_counter()
    mae, h = pretrain_mae(x_train, x_val, 0.75, epochs=epochs, seed=seed)
    accs = [fine_tune(mae, 0.01, s, 1e-3) for s in (0, 1, 2)]
    mean = np.mean([a for a, _ in accs])
    print(f"pretrain epochs={epochs} seed={seed}: val masked MSE {h.history['val_loss'][-1]:.4f}; 1% fine-tunes "
          f"(held-out val acc, epochs) {accs}, mean {mean:.4f} ({time.perf_counter() - t:.0f} s)", flush=True)
