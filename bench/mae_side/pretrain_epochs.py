"""Experiment (validation only): does longer pretraining or norm_pix_loss help 1%-label fine-tuning?"""
import sys
import time

import keras
import numpy as np

import aeutils
from aeutils.lessons.nb09b_mae import build_mae, build_vit
from aeutils.lessons.nb09c_fine_tune import build_vit_classifier, copy_model

aeutils.setup(42)
VIT = dict(patch_size=7, dim=64, depth=2, heads=4, mlp_dim=128)
DECODER = dict(dim=32, depth=1, heads=4, mlp_dim=64)
data = aeutils.load_fashion_mnist()
x_train, y_train, x_val, y_val = data.x_train, data.y_train, data.x_val, data.y_val
x_ft_val, y_ft_val = x_val[:1000], y_val[:1000]
def labelled_subset(fraction, seed):
    rng = np.random.default_rng(seed)
    n = max(10, int(round(fraction * len(x_train))))
    return np.sort(np.concatenate([rng.choice(np.flatnonzero(y_train == c), n // 10, replace=False) for c in range(10)]))
def fine_tune(mae, fraction, seed, lr, epochs=40, bs=64):
    keras.utils.set_random_seed(seed)
    parts = (copy_model(mae.embedding), copy_model(mae.encoder)) if mae is not None else build_vit(**VIT, name=f"s{seed}")
    model = build_vit_classifier(*parts)
    idx = labelled_subset(fraction, seed)
    stop = keras.callbacks.EarlyStopping(patience=5, restore_best_weights=True)
    t = time.perf_counter()
    h = aeutils.fit_autoencoder(model, x_train[idx], x_ft_val, y_train=y_train[idx], y_val=y_ft_val, epochs=epochs,
        batch_size=bs, learning_rate=lr, seed=seed, loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        callbacks=[stop], log_every=0, steps_per_execution=4)
    model.compile(metrics=["accuracy"], loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    va = model.evaluate(x_val[1000:], y_val[1000:], verbose=0)
    b = int(np.argmin(h.history["val_loss"]))
    return dict(val_loss=round(h.history["val_loss"][b], 4), heldout_val_acc=round(va[1], 4), ep=b + 1, s=round(time.perf_counter() - t))
for spec in sys.argv[1:]:
    ep, norm = spec.split(",")
    ep, norm = int(ep), norm == "1"
    mae = build_mae(0.75, VIT, DECODER, norm_pix_loss=norm, seed=0, name="mae")
    t = time.perf_counter()
    h = aeutils.fit_autoencoder(mae, x_train, x_val, loss=None, seed=0, steps_per_execution=8, epochs=ep,
                                batch_size=256, learning_rate=2e-3, log_every=0)
    print(f"pretrain epochs={ep} norm={norm}: {time.perf_counter()-t:.0f} s val_loss {h.history['val_loss'][-1]:.4f}", flush=True)
    for seed in (0, 1):
        print("   ft 1% lr1e-3 seed", seed, fine_tune(mae, 0.01, seed, 1e-3), flush=True)
