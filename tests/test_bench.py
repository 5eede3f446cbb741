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
