import numpy as np
import pytest

from aeutils.core.runtime import Budget, budget, is_fast, setup


def test_is_fast_reads_environment(monkeypatch):
    monkeypatch.setenv("AEUTILS_FAST", "1")
    assert is_fast()
    monkeypatch.setenv("AEUTILS_FAST", "0")
    assert not is_fast()
    monkeypatch.delenv("AEUTILS_FAST")
    assert not is_fast()


def test_budget_full(full_mode):
    b = budget(30, n_train=None, n_test=1000)
    assert b == Budget(False, 30, None, None, 1000)
    assert b.pick(200, 10) == 200


def test_budget_fast_shrinks_but_never_grows(fast_mode):
    b = budget(30, n_test=100, fast_epochs=2, fast_n_test=500)
    assert b.fast and b.epochs == 2
    assert b.n_train == 2048 and b.n_val == 512 and b.n_test == 100
    assert b.pick(200, 10) == 10
    assert budget(1, fast_epochs=3).epochs == 1


def test_budget_slices_with_none(full_mode):
    x = np.arange(10)
    assert len(x[: budget(1).n_train]) == 10


@pytest.mark.parametrize("kwargs", [{"epochs": 0}, {"epochs": 2.5}, {"epochs": 2, "n_train": -1}, {"epochs": 2, "fast_n_val": 0}])
def test_budget_rejects_bad_values(kwargs):
    with pytest.raises((ValueError, TypeError)):
        budget(**kwargs)


def test_setup_seeds_everything_and_reports(capsys, fast_mode):
    import keras

    info = setup(7)
    out = capsys.readouterr().out
    assert info["seed"] == 7 and info["fast"] is True and info["backend"] == keras.backend.backend()
    assert "keras" in out and "fast mode" in out
    a = np.random.rand(3), keras.ops.convert_to_numpy(keras.random.uniform((3,)))
    setup(7, verbose=False)
    b = np.random.rand(3), keras.ops.convert_to_numpy(keras.random.uniform((3,)))
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_setup_rejects_bad_seed():
    with pytest.raises(ValueError, match="seed"):
        setup(-1)


def test_import_aeutils_keeps_stderr_clean():
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", "import aeutils, keras; print(keras.__version__)"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip()
    assert "I0000" not in proc.stderr and "oneDNN" not in proc.stderr
