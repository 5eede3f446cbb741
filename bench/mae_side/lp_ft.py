"""Experiment (validation only): linear probe then fine-tune (LP-FT) for 1%-label fine-tuning of the MAE."""
import sys
import time

import keras
import numpy as np

import aeutils
from aeutils.lessons.nb09b_mae import build_mae
from aeutils.lessons.nb09c_fine_tune import build_vit_classifier, copy_model

aeutils.setup(42)
VIT = dict(patch_size=7, dim=64, depth=2, heads=4, mlp_dim=128)
DECODER = dict(dim=32, depth=1, heads=4, mlp_dim=64)
data = aeutils.load_fashion_mnist()
x_train, y_train, x_val, y_val = data.x_train, data.y_train, data.x_val, data.y_val
x_ft_val, y_ft_val = x_val[:1000], y_val[:1000]
CE = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
def labelled_subset(fraction, seed):
    rng = np.random.default_rng(seed)
    n = max(10, int(round(fraction * len(x_train))))
    return np.sort(np.concatenate([rng.choice(np.flatnonzero(y_train == c), n // 10, replace=False) for c in range(10)]))
def stage(model, idx, epochs, lr, seed):
    stop = keras.callbacks.EarlyStopping(patience=5, restore_best_weights=True)
    h = aeutils.fit_autoencoder(model, x_train[idx], x_ft_val, y_train=y_train[idx], y_val=y_ft_val, epochs=epochs,
        batch_size=64, learning_rate=lr, seed=seed, loss=CE, callbacks=[stop], log_every=0, steps_per_execution=4)
    b = int(np.argmin(h.history["val_loss"]))
    return h.history["val_loss"][b], b + 1
def run(mae, seed, lp_epochs, lp_lr, ft_lr, fraction=0.01):
    keras.utils.set_random_seed(seed)
    emb, enc = copy_model(mae.embedding), copy_model(mae.encoder)
    model = build_vit_classifier(emb, enc)
    idx = labelled_subset(fraction, seed)
    t = time.perf_counter()
    out = {}
    if lp_epochs:
        emb.trainable = enc.trainable = False
        out["lp"] = stage(model, idx, lp_epochs, lp_lr, seed)
        emb.trainable = enc.trainable = True
    out["ft"] = stage(model, idx, 40, ft_lr, seed)
    model.compile(metrics=["accuracy"], loss=CE)
    out["heldout_acc"] = round(model.evaluate(x_val[1000:], y_val[1000:], verbose=0)[1], 4)
    out["s"] = round(time.perf_counter() - t)
    return out
mae = build_mae(0.75, VIT, DECODER, seed=0, name="mae")
t = time.perf_counter()
h = aeutils.fit_autoencoder(mae, x_train, x_val, loss=None, seed=0, steps_per_execution=8, epochs=5, batch_size=256, learning_rate=2e-3, log_every=0)
print(f"pretrain {time.perf_counter()-t:.0f} s", flush=True)
for spec in sys.argv[1:]:
    lpe, lplr, ftlr = spec.split(",")
    for seed in (0, 1):
        print(spec, seed, run(mae, seed, int(lpe), float(lplr), float(ftlr)), flush=True)
