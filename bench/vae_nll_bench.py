"""Benchmark: the binarized-MNIST NLL of notebook 04's VAE as a function of the training epochs.

Notebook 04 trains a dense VAE (512-256 hidden units, 32-d code, Bernoulli decoder) on
dynamically binarized MNIST for as many epochs as its 10-minute CPU budget allows and
reports the importance-weighted test NLL. This script trains the same recipe for any
number of epochs, so the epochs the 89.0-nat target needs can be measured, on the CPU
here or on a GPU machine (any Keras backend, e.g. ``KERAS_BACKEND=jax``)::

    KERAS_HOME=... PYTHONPATH=$PWD python bench/vae_nll_bench.py --epochs 200

Recipe (as in the notebook): ``aeutils.load_mnist()`` (55,000 training, 5,000 validation
and 10,000 test images); validation and test images binarized once by drawing from
``numpy.random.default_rng(2026)`` (training, then validation, then test images, in the
notebook's order, so the test digits are the notebook's); training images binarized afresh
for every batch (notebook 03's fresh-noise batches, ``CorruptedBatches``, seed 2026); Adam with cosine decay from 2e-3,
batch 64; the decoder's output bias starts at the logit of the mean training digit
(``data_mean``) and the KL weight is warmed up over the first 5 epochs
(``kl_warmup_steps``); the bounds for several k use the first k of one set of draws.
``--plain`` drops both (the recipe before 2026-11-27), so their
effect can be measured. The weights start from another random state than in the notebook (which trains
other models first), so the numbers are the recipe's, not the notebook's model's.

Each run adds an entry, keyed by its epoch count, backend and recipe, to
``bench/results/vae_nll.json`` and rewrites the ``vae-nll`` section of ``bench/RESULTS.md``.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aeutils  # noqa: E402
from aeutils.core.files import atomic_write_text  # noqa: E402
from aeutils.lessons.nb03_denoising import CorruptedBatches  # noqa: E402
from aeutils.lessons.nb04_vae import (  # noqa: E402
    binarize,
    build_dense_vae,
    elbo,
    importance_weighted_nll,
    log_importance_weights,
    vae_encode,
)
from tools.bench_report import write_section  # noqa: E402


def run(epochs: int, ks: list[int], batch_size: int, learning_rate: float, n_test: int | None,
        warmup_epochs: float, data_mean: bool) -> dict:
    """Train the recipe for ``epochs`` epochs; return the measurements."""
    import keras

    aeutils.setup(42)
    mn = aeutils.load_mnist()
    rng = np.random.default_rng(2026)
    binarize(mn.x_train, rng)  # drawn and discarded, as in the notebook, so that the test digits match it
    mb_val, mb_test = binarize(mn.x_val, rng), binarize(mn.x_test, rng)[:n_test]
    batches = CorruptedBatches(mn.x_train, lambda x, seed: binarize(x, seed), batch_size=batch_size, seed=2026)
    mean = mn.x_train.mean(axis=0) if data_mean else None
    model, _, _ = build_dense_vae(32, hidden=(512, 256), likelihood="bernoulli", seed=2, data_mean=mean,
                                  kl_warmup_steps=round(warmup_epochs * len(batches)))
    start = time.perf_counter()
    history = aeutils.fit_autoencoder(model, batches, mb_val, loss=None, epochs=epochs, learning_rate=learning_rate,
                                      log_every=max(1, epochs // 20), prefix="bench ", steps_per_execution=16)
    train_s = time.perf_counter() - start
    start = time.perf_counter()
    neg_elbo = -elbo(model, mb_test, seed=0)
    log_w = log_importance_weights(model, mb_test, k=max(ks), batch_size=100, seed=0)
    nll = {str(k): float(importance_weighted_nll(log_w, k).mean()) for k in ks}   # the first k of the same draws
    z_mean, _ = vae_encode(model, mb_test)
    return {
        "recipe": recipe_name(warmup_epochs, data_mean),
        "epochs": epochs,
        "backend": keras.backend.backend(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores",
        "batch_size": batch_size,
        "learning_rate": learning_rate,
        "n_test": len(mb_test),
        "train_seconds": round(train_s, 1),
        "eval_seconds": round(time.perf_counter() - start, 1),
        "test_neg_elbo": float(neg_elbo.mean()),
        "test_iw_nll": nll,
        "active_units": int((z_mean.var(axis=0) > 0.01).sum()),
        "train_neg_elbo_per_epoch": [round(float(v), 3) for v in history.history["loss"]],
        "val_neg_elbo_per_epoch": [round(float(v), 3) for v in history.history["val_loss"]],
    }


def recipe_name(warmup_epochs: float, data_mean: bool) -> str:
    """A short label of the training recipe, e.g. ``"warm-up 5 + mean bias"`` or ``"plain"``."""
    parts = ([f"warm-up {warmup_epochs:g}"] if warmup_epochs else []) + (["mean bias"] if data_mean else [])
    return " + ".join(parts) or "plain"


def render_markdown(runs: dict) -> str:
    """The ``vae-nll`` section of ``bench/RESULTS.md`` for all recorded ``runs``."""
    lines = [
        "## Binarized-MNIST VAE: test NLL against training epochs (`bench/vae_nll_bench.py`)",
        "",
        "Notebook 04's model (dense VAE 512-256, z = 32, Bernoulli decoder, dynamic binarization, batch 64, "
        "Adam 2e-3 with cosine decay) trained for a given number of epochs, with or without the KL warm-up and the "
        "mean-digit output bias (recipe); importance-weighted NLL on the notebook's binarized test digits with k "
        "importance samples; active units: latent dimensions whose posterior mean varies across test digits "
        "(variance > 0.01). Target of the project: at most 89.0 nats (pythae: VAE 89.8, IWAE 86.8).",
        "",
        "| recipe | epochs | backend | machine | train s | test -ELBO | IW-NLL k=100 | IW-NLL k=1000 | active units | test images |",
        "| --- | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]

    def cell(value, fmt="{:.2f}"):
        return "—" if value is None else fmt.format(value)

    for r in sorted(runs.values(), key=lambda r: (r.get("recipe", "plain"), r["epochs"], r["backend"])):
        nll = r["test_iw_nll"] if isinstance(r["test_iw_nll"], dict) else {str(r["k"]): r["test_iw_nll"]}
        lines.append(
            f"| {r.get('recipe', 'plain')} | {r['epochs']} | {r['backend']} | {r['machine']} | {r['train_seconds']:.0f} | "
            f"{r['test_neg_elbo']:.2f} | {cell(nll.get('100'))} | {cell(nll.get('1000'))} | "
            f"{cell(r.get('active_units'), '{}')} | {r['n_test']:,} |"
        )
    lines += ["", "Per-epoch training and validation -ELBO curves are in `bench/results/vae_nll.json` "
              "(training curves for runs recorded after 2026-11-27)."]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--k", type=int, nargs="+", default=[100, 1000], help="importance samples per test image")
    parser.add_argument("--kl-warmup-epochs", type=float, default=5.0)
    parser.add_argument("--plain", action="store_true", help="no KL warm-up, zero output bias (the old recipe)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--learning-rate", type=float, default=2e-3)
    parser.add_argument("--n-test", type=int, default=None, help="first N test images (default: all 10,000)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "vae_nll.json")
    parser.add_argument("--md", type=Path, default=ROOT / "bench" / "RESULTS.md")
    args = parser.parse_args(argv)
    if args.epochs < 1 or min(args.k) < 1 or args.batch_size < 1:
        parser.error(f"--epochs, --k and --batch-size must be >= 1, got {args.epochs}, {args.k}, {args.batch_size}")
    if not 0 <= args.kl_warmup_epochs <= args.epochs:
        parser.error(f"--kl-warmup-epochs must be between 0 and --epochs, got {args.kl_warmup_epochs}")
    warmup = 0.0 if args.plain else args.kl_warmup_epochs
    result = run(args.epochs, args.k, args.batch_size, args.learning_rate, args.n_test, warmup, not args.plain)
    runs = json.loads(args.out.read_text()) if args.out.exists() else {}
    runs[f"{result['epochs']}-{result['backend']}-{result['recipe']}"] = result
    atomic_write_text(args.out, json.dumps(runs, indent=2) + "\n")
    write_section(args.md, "vae-nll", render_markdown(runs))
    print(f"{args.epochs} epochs, {result['recipe']}: test IW-NLL {result['test_iw_nll']} nats; "
          f"wrote {args.out} and {args.md}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
