"""Experiment (validation only): linear probe then fine-tune (LP-FT) for 1%-label fine-tuning of the MAE.

Each spec ``LP_EPOCHS,LP_LR,FT_LR`` trains the classifier head on the frozen encoder first, then everything.

    python bench/mae_side/lp_ft.py 20,3e-3,1e-3 20,1e-2,3e-4 20,3e-3,3e-4
"""
import sys
import time

import keras
from common import fit_labelled, held_out_accuracy, subset, x_train, x_val

import aeutils
from aeutils.lessons.nb09b_mae import DECODER, VIT, build_mae
from aeutils.lessons.nb09c_fine_tune import build_vit_classifier, copy_model


def run(mae, seed, lp_epochs, lp_lr, ft_lr, fraction=0.01):
    keras.utils.set_random_seed(seed)
    emb, enc = copy_model(mae.embedding), copy_model(mae.encoder)
    model = build_vit_classifier(emb, enc)
    idx = subset(fraction, seed)
    t = time.perf_counter()
    out = {}
    if lp_epochs:
        emb.trainable = enc.trainable = False
        out["lp"] = fit_labelled(model, idx, lp_epochs, lp_lr, seed)
        emb.trainable = enc.trainable = True
    out["ft"] = fit_labelled(model, idx, 40, ft_lr, seed)
    out["heldout_acc"] = round(held_out_accuracy(model), 4)
    out["s"] = round(time.perf_counter() - t)
    return out


mae = build_mae(0.75, VIT, DECODER, seed=0, name="mae")
t = time.perf_counter()
h = aeutils.fit_autoencoder(mae, x_train, x_val, loss=None, seed=0, steps_per_execution=8, epochs=5, batch_size=256,
                            learning_rate=2e-3, log_every=0)
print(f"pretrain {time.perf_counter()-t:.0f} s", flush=True)
for spec in sys.argv[1:]:
    lpe, lplr, ftlr = spec.split(",")
    for seed in (0, 1):
        print(spec, seed, run(mae, seed, int(lpe), float(lplr), float(ftlr)), flush=True)
