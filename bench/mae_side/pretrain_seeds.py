"""Experiment (validation only): how much do the pretraining seed and 20 rather than 10 epochs move 1%-label fine-tuning?

Each spec ``EPOCHS,SEED`` pretrains notebook 09b's main model with ``pretrain_mae`` (mask ratio 0.75, seeded), then
fine-tunes it with 1 % of the labels at learning rate 1e-3 for fine-tuning seeds 0, 1 and 2 as notebook 09c does
(early stopping on the first 1,000 validation images) and scores the other 4,000 validation images.

    KERAS_BACKEND=jax python bench/mae_side/pretrain_seeds.py 10,0 10,1 20,0 20,1
"""
import sys
import time

import numpy as np
from common import fit_labelled, held_out_accuracy, pretrained_classifier, subset, x_train, x_val

from aeutils.lessons.nb09b_mae import pretrain_mae


def fine_tune(mae, fraction, seed, lr, epochs=40):
    model = pretrained_classifier(mae, seed)
    _, best_epoch = fit_labelled(model, subset(fraction, seed), epochs, lr, seed)
    return round(held_out_accuracy(model), 4), best_epoch


for spec in sys.argv[1:]:
    epochs, seed = (int(v) for v in spec.split(","))
    t = time.perf_counter()
    mae, h = pretrain_mae(x_train, x_val, 0.75, epochs=epochs, seed=seed)
    accs = [fine_tune(mae, 0.01, s, 1e-3) for s in (0, 1, 2)]
    mean = np.mean([a for a, _ in accs])
    print(f"pretrain epochs={epochs} seed={seed}: val masked MSE {h.history['val_loss'][-1]:.4f}; 1% fine-tunes "
          f"(held-out val acc, epochs) {accs}, mean {mean:.4f} ({time.perf_counter() - t:.0f} s)", flush=True)
