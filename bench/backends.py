"""Which Keras backend trains this project's models faster on this CPU: TensorFlow or JAX?

For each notebook's main model (its own builder from ``aeutils.lessons``, the notebook's batch size and
steps per compiled call) this times training epochs of ``--steps`` steps on the same seeded synthetic data
of the notebook's shapes, once per backend, each backend in its own child process: one warm-up epoch
(compilation), then ``--repeats`` timed epochs, median. For the dense model (notebook 01) and the
convolutional one (notebook 02) it also reports the achieved floating-point rate against a large float32
matrix multiply timed in the same child. FLOPs per training step are *counted* from the layer shapes:
``2 * in * out`` per example for a Dense layer, ``2 * kh * kw * c_in * c_out`` per output position for a
Conv2D (per input position for a Conv2DTranspose), times 3 for training (forward, then the gradients with
respect to the inputs and to the weights); element-wise work and the optimizer are left out, so the
fraction is a slight underestimate.

``--compare`` instead reads the records of ``make run BACKEND=jax NB=01_`` / ``NB=04_`` / ``NB=09b_`` / ``NB=09c_``
(``build/jax/results``)
and puts them beside the committed TensorFlow records (``results/``).

    python bench/backends.py            # a few minutes (backends.json records how long); run it alone
    python bench/backends.py --compare  # after the JAX full runs
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aeutils.core.files import atomic_write_text  # noqa: E402

OUT = ROOT / "bench" / "results" / "backends.json"
BACKENDS = ("tensorflow", "jax")
#: notebook -> what its main model is (the child builds it; see ``_spec``)
NOTEBOOKS = {
    "01": "dense autoencoder 784-1024-64 (batch 256)",
    "02": "convolutional autoencoder, code 32 (batch 128)",
    "03": "residual U-Net denoiser, filters 24-48-96 (batch 32)",
    "04": "dense VAE, code 32, Bernoulli (batch 64, 16 steps per call)",
    "05": "LSTM autoencoder on 35-step ECG beats, 64 units (batch 64)",
    "06": "semantic-hashing autoencoder, 32 bits (batch 256)",
    "07": "Conv1D ECG autoencoder, code 8 (batch 64, 8 steps per call)",
    "08": "I-AutoRec, 943 users, 500 units, masked MSE (batch 256)",
    "08b": "Mult-DAE on 1,682 items (batch 64)",
    "09": "VQ-VAE, 256 codes of 16, filters 24-48 (batch 128, 8 steps per call)",
    "09b": "masked autoencoder (ViT, mask 0.75; batch 256, 8 steps per call)",
    "09c": "ViT classifier on all 16 patches, 10 classes, cross-entropy (batch 64, 4 steps per call)",
    "10": "TopK sparse autoencoder 128 -> 1,024, k 16 (batch 256, 16 steps per call)",
}
PEAK_MODELS = ("01", "02")
NOT_TIMED = {"11": "trains notebook 01's autoencoder and notebook 04's VAE (timed as 01 and 04)"}


def _images(rng, n, channel=False):
    x = rng.random((n, 28, 28), dtype="float32")
    return x[..., None] if channel else x


def _spec(nb, n_steps, rng):
    """``(model, loss, x, y, batch_size, steps_per_execution)`` for notebook ``nb``'s main model."""
    import numpy as np

    if nb == "01":
        from aeutils.lessons.nb01_basic import build_dense_autoencoder

        x = _images(rng, 256 * n_steps)
        return build_dense_autoencoder(64, hidden=(1024,))[0], "mse", x, x, 256, 1
    if nb == "02":
        from aeutils.lessons.nb02_family import build_conv_autoencoder

        x = _images(rng, 128 * n_steps)
        return build_conv_autoencoder(32)[0], "mse", x, x, 128, 1
    if nb == "03":
        from aeutils.lessons.nb03_denoising import build_conv_denoiser

        x = _images(rng, 32 * n_steps, channel=True)
        return build_conv_denoiser(filters=(24, 48, 96), depth=1), "mse", x, x, 32, 1
    if nb == "04":
        from aeutils.lessons.nb04_vae import build_dense_vae

        x = (_images(rng, 64 * n_steps) < 0.5).astype("float32")
        return build_dense_vae(32)[0], None, x, x, 64, 16
    if nb == "05":
        from aeutils.lessons.nb05_sequences import build_lstm_autoencoder

        x = rng.normal(size=(64 * n_steps, 35, 1)).astype("float32")
        return build_lstm_autoencoder(35, 1, units=64, code_size=16)[0], "mse", x, x, 64, 1
    if nb == "06":
        from aeutils.lessons.nb06_search import build_hashing_autoencoder

        x = _images(rng, 256 * n_steps)
        return build_hashing_autoencoder(32)[0], "mse", x, x, 256, 1
    if nb == "07":
        from aeutils.lessons.nb07_anomaly import build_ecg_autoencoder

        model = build_ecg_autoencoder()[0]
        x = rng.normal(size=(64 * n_steps,) + tuple(model.input_shape[1:])).astype("float32")
        return model, "mse", x, x, 64, 8
    if nb == "08":
        from aeutils.lessons.nb08_recsys import MaskedMSE, build_autorec

        x = np.where(rng.random((256 * n_steps, 943)) < 0.06, rng.integers(1, 6, (256 * n_steps, 943)), 0)
        x = x.astype("float32")
        return build_autorec(943, 500, l2=1e-3)[0], MaskedMSE(), x, x, 256, 1
    if nb == "08b":
        from aeutils.lessons.nb08b_ranking import MultinomialNLL, build_mult_dae

        x = (rng.random((64 * n_steps, 1682)) < 0.03).astype("float32")
        return build_mult_dae(1682)[0], MultinomialNLL(), x, x, 64, 1
    if nb == "09":
        from aeutils.lessons.nb09_vq_vae import VectorQuantizer, build_vq_vae

        x = _images(rng, 128 * n_steps, channel=True)
        model = build_vq_vae(VectorQuantizer(256, 16), (24, 48))[0]
        if tuple(model.input_shape[1:]) == (28, 28):
            x = x[..., 0]
        return model, "mse", x, x, 128, 8
    if nb == "09b":
        from aeutils.lessons.nb09b_mae import build_mae

        x = _images(rng, 256 * n_steps)
        return build_mae(0.75), None, x, x, 256, 8
    if nb == "09c":
        import keras

        from aeutils.lessons.nb09b_mae import VIT, build_vit
        from aeutils.lessons.nb09c_fine_tune import build_vit_classifier

        x = _images(rng, 64 * n_steps)
        y = rng.integers(0, 10, len(x))
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        return build_vit_classifier(*build_vit(**VIT)), loss, x, y, 64, 4
    if nb == "10":
        from aeutils.lessons.nb10_sae import SparseAutoencoder

        x = rng.normal(size=(256 * n_steps, 128)).astype("float32")
        model = SparseAutoencoder(128, 1024, k=16, aux_k=64)
        model.build((None, 128))
        return model, "mse", x, x, 256, 16
    raise ValueError(f"nb: expected one of {sorted(NOTEBOOKS)}, got {nb!r}")


def training_flops(model, batch_size):
    """FLOPs of one training step counted over Dense, Conv2D and Conv2DTranspose layers (3 x forward)."""
    import keras
    import numpy as np

    def layers(m):
        for layer in m.layers:
            yield from (layers(layer) if isinstance(layer, keras.Model) else [layer])

    forward = 0
    for layer in layers(model):
        if isinstance(layer, keras.layers.Dense):
            forward += 2 * layer.kernel.shape[0] * layer.kernel.shape[1]
        elif isinstance(layer, (keras.layers.Conv2D, keras.layers.Conv2DTranspose)):
            kh, kw, a, b = layer.kernel.shape   # Conv2D: (kh, kw, in, out); transpose: (kh, kw, out, in)
            spatial = layer.input.shape if isinstance(layer, keras.layers.Conv2DTranspose) else layer.output.shape
            forward += 2 * kh * kw * a * b * int(np.prod(spatial[1:3]))
    return 3 * forward * batch_size


def _epoch_timer():
    """A Keras callback that keeps each epoch's wall time in ``.times``."""
    import keras

    class EpochTimer(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.times = []

        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.times.append(time.perf_counter() - self.start)

    return EpochTimer()


def matmul_gflops(n=2048, repeats=10):
    """This backend's float32 rate on an ``n x n`` matrix product (median of ``repeats``), in GFLOP/s."""
    import keras
    import numpy as np

    a = np.random.default_rng(0).random((n, n), dtype="float32")
    if keras.backend.backend() == "jax":
        import jax

        f = jax.jit(lambda u, v: u @ v)
        a = jax.device_put(a)

        def run():
            f(a, a).block_until_ready()
    else:
        import tensorflow as tf

        f = tf.function(lambda u, v: tf.matmul(u, v))
        a = tf.constant(a)

        def run():
            f(a, a).numpy()
    run()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        run()
        times.append(time.perf_counter() - t)
    return 2 * n**3 / statistics.median(times) / 1e9


def child(notebooks, n_steps, repeats):
    """Time every notebook's model on the current backend; print one JSON line."""
    import keras
    import numpy as np

    import aeutils

    aeutils.setup(0, verbose=False)
    out = {"backend": keras.backend.backend(), "matmul_gflops": matmul_gflops(), "models": {}}
    for nb in notebooks:
        try:
            model, loss, x, y, batch, spe = _spec(nb, n_steps, np.random.default_rng(0))
            model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=loss, steps_per_execution=spe)
            timer = _epoch_timer()
            model.fit(x, y, batch_size=batch, epochs=1 + repeats, shuffle=False, verbose=0, callbacks=[timer])
            epoch_s = statistics.median(timer.times[1:])
            entry = {"epoch_s": epoch_s, "warmup_s": timer.times[0], "steps": n_steps, "batch_size": batch,
                     "steps_per_execution": spe, "repeats": repeats}
            if nb in PEAK_MODELS:
                entry["train_gflop_per_step"] = training_flops(model, batch) / 1e9
                entry["gflops"] = entry["train_gflop_per_step"] * n_steps / epoch_s
            out["models"][nb] = entry
        except Exception as exc:  # a notebook still being written: say so, time the others
            out["models"][nb] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
        print(f"{out['backend']} {nb}: {out['models'][nb]}", file=sys.stderr, flush=True)
    print(json.dumps(out))


def run_child(backend, notebooks, n_steps, repeats):
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=str(ROOT))
    env.pop("XLA_FLAGS", None)
    env.pop("AEUTILS_FAST", None)
    cmd = [sys.executable, __file__, "--child", "--steps", str(n_steps), "--repeats", str(repeats), *notebooks]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1200)
    if done.returncode:
        raise RuntimeError(f"{backend} child failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def summarise(runs):
    """Flat ``tf_epoch_s_NN`` / ``jax_epoch_s_NN`` / ``*_peak_fraction_NN`` metrics from the children's answers."""
    short = {"tensorflow": "tf", "jax": "jax"}
    metrics, missing = {}, {}
    for backend, run in runs.items():
        p = short[backend]
        metrics[f"{p}_matmul_gflops"] = run["matmul_gflops"]
        for nb, m in run["models"].items():
            if "error" in m:
                missing.setdefault(nb, {})[backend] = m["error"]
                continue
            metrics[f"{p}_epoch_s_{nb}"] = m["epoch_s"]
            if "gflops" in m:
                metrics[f"{p}_gflops_{nb}"] = m["gflops"]
                metrics[f"{p}_peak_fraction_{nb}"] = m["gflops"] / run["matmul_gflops"]
    return metrics, missing


def render(data):
    """The Markdown section of bench/RESULTS.md."""
    m, timing = data["metrics"], data["timing"]
    lines = [
        "## Backends: TensorFlow against JAX on this CPU",
        "",
        f"`python bench/backends.py` on {data['machine']} (run alone, under the full-run lock). Each backend in its own",
        f"process; per model one warm-up epoch, then {timing['repeats']} timed epochs of {timing['steps']} steps "
        "(seeded synthetic data of the notebook's shapes, the notebook's batch size and steps per compiled call), median.",
        "",
        "| notebook | main model | TF s/epoch | JAX s/epoch | TF / JAX |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for nb, what in NOTEBOOKS.items():
        tf_s, jax_s = m.get(f"tf_epoch_s_{nb}"), m.get(f"jax_epoch_s_{nb}")
        if tf_s is None or jax_s is None:
            lines.append(f"| {nb} | {what} | — | — | not timed: {data['missing'].get(nb, 'missing')} |")
        else:
            lines.append(f"| {nb} | {what} | {tf_s:.3f} | {jax_s:.3f} | {tf_s / jax_s:.2f} |")
    for nb, why in NOT_TIMED.items():
        lines.append(f"| {nb} | {why} | | | |")
    lines += ["", f"Float32 {timing['matmul_n']} x {timing['matmul_n']} matrix multiply: TensorFlow "
              f"{m['tf_matmul_gflops']:.1f} GFLOP/s, JAX {m['jax_matmul_gflops']:.1f} GFLOP/s. Achieved training rate "
              "(FLOPs counted over Dense and convolution layers, x 3 for the backward pass):", "",
              "| notebook | GFLOP per step | TF GFLOP/s | TF fraction of matmul | JAX GFLOP/s | JAX fraction |",
              "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for nb in PEAK_MODELS:
        if f"tf_gflops_{nb}" in m and f"jax_gflops_{nb}" in m:
            lines.append(f"| {nb} | {data['gflop_per_step'][nb]:.2f} | {m[f'tf_gflops_{nb}']:.1f} | "
                         f"{m[f'tf_peak_fraction_{nb}']:.2f} | {m[f'jax_gflops_{nb}']:.1f} | {m[f'jax_peak_fraction_{nb}']:.2f} |")
    full = data.get("jax_full_runs")
    if full:
        lines += ["", "Full runs on JAX (`make run BACKEND=jax`, records in `build/jax/results/`) against the committed "
                  "TensorFlow records. Each wall time is its own run's, and the two runs of a notebook may come from different "
                  "machines (the README's Backends section says which), so compare wall times only where it says they "
                  "shared one:", "", "| notebook | metric | TensorFlow | JAX |", "| --- | --- | ---: | ---: |"]
        for stem, rows in full.items():
            for name, pair in rows["metrics"].items():
                lines.append(f"| {stem.split('_')[0]} | `{name}` | {pair['tensorflow']:.4g} | {pair['jax']:.4g} |")
            lines.append(f"| {stem.split('_')[0]} | wall time (s) | {rows['seconds']['tensorflow']:.0f} | {rows['seconds']['jax']:.0f} |")
            if rows.get("status", "complete") != "complete":
                lines.append(f"| {stem.split('_')[0]} | JAX run | | {rows['status']} |")
    lines += ["", "GPU: `make run-gpu` (`bench/gpu_run.sh`) is written but has **not been run**: no GPU machine was "
              "available to this project, so no GPU time is claimed."]
    return "\n".join(lines)


def compare_full_runs(stems=("01_basic_autoencoder", "04_variational_autoencoders", "09b_masked_autoencoders",
                             "09c_fine_tuning_with_few_labels")):
    """The JAX full-run records beside the committed TensorFlow ones (metrics both have)."""
    out = {}
    for stem in stems:
        jax_path, status = ROOT / "build" / "jax" / "results" / f"{stem}.json", "complete"
        if not jax_path.exists():   # a run that stopped at a failing cell keeps its record in build/failed/jax/
            jax_path, status = ROOT / "build" / "failed" / "jax" / f"{stem}.json", "failed at a cell; metrics up to it"
        if not jax_path.exists():
            continue
        tf_rec, jax_rec = (json.loads(p.read_text()) for p in (ROOT / "results" / f"{stem}.json", jax_path))
        if jax_rec.get("mode") != "full":
            raise ValueError(f"{jax_path}: expected a full-mode record, got mode {jax_rec.get('mode')!r}")
        shared = [k for k in tf_rec["metrics"] if k in jax_rec["metrics"]]
        out[stem] = {"metrics": {k: {"tensorflow": tf_rec["metrics"][k]["value"], "jax": jax_rec["metrics"][k]["value"]}
                                 for k in shared},
                     "seconds": {"tensorflow": tf_rec["seconds"], "jax": jax_rec["seconds"]}, "status": status}
    return out


def cpu_name(cpuinfo="/proc/cpuinfo"):
    """The CPU's model name (timings differ from one machine to the next), else the architecture."""
    try:
        for line in Path(cpuinfo).read_text().splitlines():
            if line.startswith("model name") and ":" in line:
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def write(data):
    from tools.bench_report import write_section

    OUT.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(OUT, json.dumps(data, indent=2, sort_keys=True) + "\n")
    write_section(ROOT / "bench" / "RESULTS.md", "backends", render(data))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", default=list(NOTEBOOKS))
    parser.add_argument("--steps", type=int, default=32, help="training steps per timed epoch")
    parser.add_argument("--repeats", type=int, default=3, help="timed epochs after the warm-up one")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--compare", action="store_true", help="add the JAX full runs of 01, 04, 09b and 09c to backends.json")
    args = parser.parse_args(argv)
    if args.steps < 1 or args.repeats < 1:
        parser.error(f"--steps and --repeats: expected integers >= 1, got {args.steps} and {args.repeats}")
    unknown = [nb for nb in args.notebooks if nb not in NOTEBOOKS]
    if unknown:
        parser.error(f"notebooks: expected some of {sorted(NOTEBOOKS)}, got {unknown}")
    if args.child:
        return child(args.notebooks, args.steps, args.repeats)
    if args.compare:
        data = json.loads(OUT.read_text())
        # a notebook whose JAX record is not in this checkout keeps the comparison made before
        data["jax_full_runs"] = {**data.get("jax_full_runs", {}), **compare_full_runs()}
        write(data)
        print(f"wrote {OUT} with {sorted(data['jax_full_runs'])}")
        return 0
    start = time.perf_counter()
    runs = {b: run_child(b, args.notebooks, args.steps, args.repeats) for b in BACKENDS}
    metrics, missing = summarise(runs)
    data = {"machine": f"{cpu_name()}, {os.cpu_count()} cores",
            "timing": {"steps": args.steps, "repeats": args.repeats, "matmul_n": 2048},
            "metrics": metrics, "missing": missing, "runs": runs,
            "gflop_per_step": {nb: runs["tensorflow"]["models"][nb].get("train_gflop_per_step")
                               for nb in PEAK_MODELS if nb in runs["tensorflow"]["models"]},
            "seconds": round(time.perf_counter() - start, 1)}
    if OUT.exists():
        data["jax_full_runs"] = json.loads(OUT.read_text()).get("jax_full_runs", {})
    write(data)
    print(render(data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
