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
