"""Experiment (validation only): does longer pretraining or norm_pix_loss help 1%-label fine-tuning?

Each spec ``EPOCHS,NORM`` pretrains a fresh mask-ratio-0.75 MAE (``NORM`` 1: per-patch normalised targets), then
fine-tunes it with 1 % of the labels at learning rate 1e-3 for seeds 0 and 1.

    python bench/mae_side/pretrain_epochs.py 5,0 5,1 10,0
"""
import sys
import time

from common import fit_labelled, held_out_accuracy, pretrained_classifier, subset, x_train, x_val

import aeutils
from aeutils.lessons.nb09b_mae import DECODER, VIT, build_mae


def fine_tune(mae, fraction, seed, lr, epochs=40, bs=64):
    model = pretrained_classifier(mae, seed)
    t = time.perf_counter()
    val_loss, best_epoch = fit_labelled(model, subset(fraction, seed), epochs, lr, seed, batch_size=bs)
    return dict(val_loss=round(val_loss, 4), heldout_val_acc=round(held_out_accuracy(model), 4), ep=best_epoch,
                s=round(time.perf_counter() - t))


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
