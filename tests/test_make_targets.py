"""The Makefile's test-jax line: what CI runs on the second backend (read with ``make -n``, nothing is run)."""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_test_jax_runs_fast_mode_on_jax_with_cache_and_cheaper_xla_compiles():
    out = subprocess.run(["make", "-n", "test-jax"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    line = next(row for row in out.splitlines() if "pytest" in row)
    for part in ("KERAS_BACKEND=jax", "AEUTILS_FAST=1", f"JAX_COMPILATION_CACHE_DIR={ROOT}/build/jax-cache",
                 "--nbval-lax", "notebooks/"):
        assert part in line, (part, line)
    # level 1 first, then the caller's own XLA_FLAGS, so that a level set by the caller wins
    assert 'XLA_FLAGS="--xla_backend_optimization_level=1 $XLA_FLAGS"' in line, line


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
@pytest.mark.parametrize("target", ["test", "test-jax", "unit", "nbval"])
def test_test_targets_give_openblas_one_thread_unless_the_caller_sets_it(target):
    out = subprocess.run(["make", "-n", target], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    lines = [row for row in out.splitlines() if "pytest" in row]
    assert lines and all(row.startswith("OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1} ") for row in lines), lines


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_full_runs_keep_openblas_default():
    out = subprocess.run(["make", "-n", "run", "NB=01_"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert "OPENBLAS_NUM_THREADS" not in out and "tools.runner" in out
