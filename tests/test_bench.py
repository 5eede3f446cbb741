"""Tests for the benchmark scripts' pure helpers (the benchmarks themselves are too slow for unit tests)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def vae_bench():
    return _load("vae_nll_bench")


def test_recipe_name(vae_bench):
    assert vae_bench.recipe_name(0.0, False) == "plain"
    assert vae_bench.recipe_name(5.0, True) == "warm-up 5 + mean bias"
    assert vae_bench.recipe_name(2.5, False) == "warm-up 2.5"


def test_render_markdown_reads_old_and_new_entries(vae_bench):
    old = {"epochs": 200, "backend": "tensorflow", "machine": "m", "train_seconds": 1694.7, "test_neg_elbo": 95.4,
           "test_iw_nll": 90.99, "k": 100, "n_test": 10000}
    new = {"recipe": "warm-up 5 + mean bias", "epochs": 50, "backend": "jax", "machine": "m", "train_seconds": 400.0,
           "test_neg_elbo": 93.8, "test_iw_nll": {"100": 89.2, "1000": 88.5}, "active_units": 30, "n_test": 10000}
    md = vae_bench.render_markdown({"a": old, "b": new})
    rows = [line for line in md.splitlines() if line.startswith("| ") and line[2].isalpha() and "recipe" not in line]
    assert rows == [
        "| plain | 200 | tensorflow | m | 1695 | 95.40 | 90.99 | — | — | 10,000 |",
        "| warm-up 5 + mean bias | 50 | jax | m | 400 | 93.80 | 89.20 | 88.50 | 30 | 10,000 |",
    ]


def test_cli_rejects_bad_arguments(vae_bench, capsys):
    for argv in (["--epochs", "0"], ["--k", "0"], ["--epochs", "3", "--kl-warmup-epochs", "5"]):
        with pytest.raises(SystemExit):
            vae_bench.main(argv)


@pytest.fixture(scope="module")
def denoise_bench():
    return _load("denoise_budget_bench")


def test_denoise_bench_uses_the_notebooks_test_subset_and_noise(denoise_bench):
    from aeutils.support import corruptions

    x_train, (v_noisy, x_val), (t_noisy, x_test) = denoise_bench.notebook_data(n_train=64, n_val=20, n_test=30)
    assert x_train.shape == (64, 28, 28, 1) and x_val.shape == (20, 28, 28, 1) and x_test.shape == (30, 28, 28, 1)
    assert v_noisy.shape == x_val.shape and t_noisy.shape == x_test.shape
    assert not (t_noisy == x_test).all()
    # seeded: notebook 03 draws its sigma 0.2 test noise with seed 201
    assert (t_noisy == corruptions.corrupt(x_test, "gaussian", 0.2, seed=201)).all()
    again = denoise_bench.notebook_data(n_train=64, n_val=20, n_test=30)
    assert (again[2][0] == t_noisy).all() and (again[1][0] == v_noisy).all()


def test_denoise_bench_render_markdown(denoise_bench):
    run = {"epochs": 16, "backend": "tensorflow", "machine": "m", "n_train": 48000, "batch_size": 32,
           "learning_rate": 0.002, "train_seconds": 1170.4, "test_psnr": 25.123, "test_ssim": 0.8912,
           "n_test": 1000, "val_mse_per_epoch": [0.004, 0.0035]}
    short = {**run, "epochs": 4, "train_seconds": 290.0, "test_psnr": 24.482, "val_mse_per_epoch": []}
    wide = {**run, "filters": [32, 64, 128], "parameters": 471233, "test_psnr": 25.5}
    md = denoise_bench.render_markdown({"b": run, "a": short, "c": wide})
    rows = [line for line in md.splitlines() if line.startswith("| ") and line[2].isdigit()]
    assert rows == [
        "| 4 | 24-48-96 | 48,000, 32, 0.002 | tensorflow | m | 290 | 24.48 | 0.891 | — | 1,000 |",
        "| 16 | 24-48-96 | 48,000, 32, 0.002 | tensorflow | m | 1170 | 25.12 | 0.891 | 0.00350 | 1,000 |",
        "| 16 | 32-64-128 | 48,000, 32, 0.002 | tensorflow | m | 1170 | 25.50 | 0.891 | 0.00350 | 1,000 |",
    ]
    assert "target" not in md.lower()   # a benchmark reports what it measures
    assert "reproduces" not in md
    assert "reproduces it exactly" in denoise_bench.render_markdown({"a": short}, notebook_psnr=24.482)
    assert "differs from it by -0.0100 dB" in denoise_bench.render_markdown({"a": short}, notebook_psnr=24.492)


def test_denoise_bench_is_notebook_recipe(denoise_bench):
    run = {"epochs": 8, "filters": [24, 48, 96], "n_train": 48000, "batch_size": 32, "learning_rate": 0.002}
    assert denoise_bench.is_notebook_recipe(run)
    assert denoise_bench.is_notebook_recipe({k: v for k, v in run.items() if k != "filters"})  # older entries
    assert not denoise_bench.is_notebook_recipe({**run, "filters": [32, 64, 128]})
    assert not denoise_bench.is_notebook_recipe({**run, "batch_size": 64})


def test_denoise_bench_run_key_names_what_differs_from_the_notebook(denoise_bench):
    run = {"epochs": 8, "backend": "jax", "filters": [24, 48, 96], "n_train": 48000, "batch_size": 32,
           "learning_rate": 0.002, "test_psnr": 24.6}
    assert denoise_bench.run_key(run) == "8-jax"
    assert denoise_bench.run_key({**run, "filters": [32, 64, 128], "batch_size": 64}) == \
        "8-jax-filters=32-64-128-batch_size=64"


def test_denoise_bench_notebook_value(denoise_bench, tmp_path):
    path = tmp_path / "r.json"
    assert denoise_bench.notebook_value(path) is None            # missing
    path.write_text("{not json")
    assert denoise_bench.notebook_value(path) is None            # corrupt
    path.write_text('{"metrics": {"denoiser_gaussian_0.2_psnr": {"value": 24.5}}}')
    assert denoise_bench.notebook_value(path) == 24.5


def test_denoise_bench_cli_rejects_bad_arguments(denoise_bench):
    for argv in (["--epochs", "0"], ["--batch-size", "0"], ["--n-train", "-1"], ["--learning-rate", "0"],
                 ["--filters", "8"], ["--filters", "8", "0"]):
        with pytest.raises(SystemExit):
            denoise_bench.main(argv)


@pytest.fixture(scope="module")
def search_bench():
    return _load("search_bench")


def test_search_bench_helpers(search_bench):
    import numpy as np

    rng = np.random.default_rng(0)
    images = rng.random((6, 28, 28)).astype("float32")
    out = search_bench.augment(images, rng)
    assert out.shape == (6, 784) and out.min() >= 0 and out.max() <= 1
    components = np.eye(784, dtype="float32")[: search_bench.DIM]
    codes = search_bench.make_codes(10, images, images.reshape(6, -1).mean(0), components, rng, chunk=4)
    assert codes.shape == (10, search_bench.DIM) and codes.dtype == np.float32
    truth = np.arange(20).reshape(2, 10)
    assert search_bench.recall_at_10(truth, truth) == 1.0
    assert search_bench.recall_at_10(truth[:, ::-1] + np.array([[0], [5]]), truth) == 0.75


def test_search_bench_small_run_writes_json_and_markdown(search_bench, tmp_path):
    import json

    out, md = tmp_path / "search.json", tmp_path / "RESULTS.md"
    argv = ["--sizes", "10k", "--queries", "40", "--tune-queries", "40", "--out", str(out), "--md", str(md)]
    assert search_bench.main(argv) == 0
    payload = json.loads(out.read_text())
    assert 0.5 < payload["recall10_10k"] <= 1 and payload["details"]["10k"]["n"] == 10_000
    assert "neighbour recall@10" in md.read_text() and "| 10,000 | IVF" in md.read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["RESULTS.md", "search.json"]
    with pytest.raises(SystemExit):
        search_bench.main(["--sizes", "5k", "--out", str(out), "--md", str(md)])


def test_denoise_bench_runs_the_notebooks_lesson_code(denoise_bench, monkeypatch):
    from aeutils.lessons import nb03_denoising

    assert denoise_bench.build_conv_denoiser is nb03_denoising.build_conv_denoiser
    assert denoise_bench.CorruptedBatches is nb03_denoising.CorruptedBatches
    real = denoise_bench.notebook_data
    monkeypatch.setattr(denoise_bench, "notebook_data", lambda n_train: real(n_train, n_val=16, n_test=24))
    result = denoise_bench.run(1, n_train=64, filters=(4, 8))
    assert result["epochs"] == 1 and result["n_train"] == 64 and result["n_test"] == 24
    assert len(result["train_mse_per_epoch"]) == 1 and result["test_psnr"] > 0


@pytest.fixture(scope="module")
def backends_bench():
    return _load("backends")


def test_backends_bench_counts_dense_and_conv_flops(backends_bench):
    import keras

    x = keras.Input((8, 8, 1))
    h = keras.layers.Conv2D(4, 3, padding="same")(x)              # 2 * 3*3*1*4 per position, 64 positions
    h = keras.layers.Conv2DTranspose(2, 3, strides=2, padding="same")(h)   # 2 * 3*3*4*2 per input position
    y = keras.layers.Dense(5)(keras.layers.Flatten()(h))           # 2 * (16*16*2) * 5
    forward = 2 * 9 * 4 * 64 + 2 * 9 * 4 * 2 * 64 + 2 * 512 * 5
    assert backends_bench.training_flops(keras.Model(x, y), batch_size=3) == 3 * forward * 3


def test_backends_bench_summary_and_table(backends_bench):
    runs = {b: {"matmul_gflops": 10.0, "models": {"01": {"epoch_s": s, "gflops": 2.0, "train_gflop_per_step": 1.0},
                                                  "08b": {"error": "ImportError: x"}}}
            for b, s in (("tensorflow", 2.0), ("jax", 1.0))}
    metrics, missing = backends_bench.summarise(runs)
    assert metrics["tf_epoch_s_01"] == 2.0 and metrics["jax_epoch_s_01"] == 1.0
    assert metrics["tf_peak_fraction_01"] == pytest.approx(0.2) and set(missing) == {"08b"}
    md = backends_bench.render({"machine": "m", "timing": {"steps": 4, "repeats": 3, "matmul_n": 2048},
                                "metrics": metrics, "missing": missing, "gflop_per_step": {"01": 1.0}})
    assert "| 01 | dense autoencoder 784-1024-64 (batch 256) | 2.000 | 1.000 | 2.00 |" in md
    assert "not timed" in md and "not been run" in md


def test_backends_bench_compares_full_runs(backends_bench, tmp_path, monkeypatch):
    import json

    monkeypatch.setattr(backends_bench, "ROOT", tmp_path)
    for folder, value, seconds in (("results", 0.75, 1800.0), ("build/jax/results", 0.74, 1200.0)):
        (tmp_path / folder).mkdir(parents=True)
        record = {"mode": "full", "seconds": seconds, "metrics": {"acc": {"value": value}, "only_" + folder[:3]: {"value": 1}}}
        (tmp_path / folder / "09b_demo.json").write_text(json.dumps(record))
    full = backends_bench.compare_full_runs(("09b_demo", "01_absent"))
    assert full == {"09b_demo": {"metrics": {"acc": {"tensorflow": 0.75, "jax": 0.74}}, "status": "complete",
                                 "seconds": {"tensorflow": 1800.0, "jax": 1200.0}}}
    md = backends_bench.render({"machine": "m", "timing": {"steps": 4, "repeats": 3, "matmul_n": 2048}, "missing": {},
                                "metrics": {"tf_matmul_gflops": 9.0, "jax_matmul_gflops": 9.0}, "gflop_per_step": {},
                                "jax_full_runs": full})
    assert "| 09b | `acc` | 0.75 | 0.74 |" in md and "| 09b | wall time (s) | 1800 | 1200 |" in md


def test_backends_bench_rejects_bad_arguments(backends_bench):
    for argv in (["--steps", "0"], ["99"]):
        with pytest.raises(SystemExit):
            backends_bench.main(argv)


def test_backends_bench_times_09c_on_the_notebooks_classifier(backends_bench):
    import numpy as np

    model, loss, x, y, batch, spe = backends_bench._spec("09c", 2, np.random.default_rng(0))
    assert (len(x), batch, spe) == (128, 64, 4) and y.min() >= 0 and y.max() < 10
    assert tuple(model(x[:2]).shape) == (2, 10) and loss.from_logits


def test_backends_bench_names_the_cpu(backends_bench, tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nmodel name\t: AMD EPYC 7B13\nflags\t: avx2\n")
    assert backends_bench.cpu_name(info) == "AMD EPYC 7B13"
    assert backends_bench.cpu_name(tmp_path / "absent")  # falls back to the architecture


def test_backends_bench_compare_keeps_runs_absent_here(backends_bench, tmp_path, monkeypatch):
    import json

    out = tmp_path / "backends.json"
    out.write_text(json.dumps({"jax_full_runs": {"01_basic_autoencoder": {"kept": True}}}))
    monkeypatch.setattr(backends_bench, "OUT", out)
    monkeypatch.setattr(backends_bench, "compare_full_runs", lambda: {"09c_x": {"new": True}})
    written = {}
    monkeypatch.setattr(backends_bench, "write", lambda data: written.update(data))
    assert backends_bench.main(["--compare"]) == 0
    assert written["jax_full_runs"] == {"01_basic_autoencoder": {"kept": True}, "09c_x": {"new": True}}


def test_mae_side_common_shares_09cs_split_and_copies_the_pretrained_parts():
    import numpy as np

    from aeutils.lessons.nb09b_mae import DECODER, VIT, build_mae
    from aeutils.lessons.nb09c_fine_tune import labelled_subset

    spec = importlib.util.spec_from_file_location("mae_side_common", ROOT / "bench" / "mae_side" / "common.py")
    common = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(common)
    assert common.x_ft_val.shape[0] == 1000 and len(common.x_val) - 1000 > 0  # early stopping and held-out parts
    np.testing.assert_array_equal(common.subset(0.01, 3), labelled_subset(common.y_train, 0.01, 3))
    mae = build_mae(0.75, VIT, DECODER, seed=0)
    model = common.pretrained_classifier(mae, seed=0)
    emb = model.get_layer(mae.embedding.name)
    assert emb is not mae.embedding  # a copy, so fine-tuning leaves the pretrained MAE as it was
    for a, b in zip(emb.get_weights(), mae.embedding.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert model.output_shape == (None, 10)
    val_loss, best_epoch = common.fit_labelled(model, common.subset(0.002, 0), epochs=1, learning_rate=1e-3, seed=0)
    assert np.isfinite(val_loss) and best_epoch == 1
    assert 0.0 <= common.held_out_accuracy(model) <= 1.0
