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
    assert "25.0 dB" in md
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
