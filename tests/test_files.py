"""Nothing lost: atomic writes for records, tables and model files."""
import numpy as np
import pytest

from aeutils.core.files import atomic_path, atomic_write_text, check_path
from aeutils.core.records import write_results_table
from aeutils.core.saving import load_model, save_model
from aeutils.lessons.nb01_basic import build_dense_autoencoder


def test_atomic_write_replaces_only_when_complete(tmp_path):
    target = tmp_path / "a.txt"
    atomic_write_text(target, "old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("interrupted")
    assert target.read_text() == "old" and list(tmp_path.iterdir()) == [target]
    with pytest.raises(FileExistsError, match="already exists"):
        atomic_write_text(target, "new", overwrite=False)
    atomic_write_text(target, "new")
    assert target.read_text() == "new"


def test_two_writers_get_distinct_temporary_names(tmp_path):
    with atomic_path(tmp_path / "x.json") as a, atomic_path(tmp_path / "x.json") as b:
        assert a != b and a.suffix == b.suffix == ".json"
        a.write_text("1")
        b.write_text("2")
    assert (tmp_path / "x.json").read_text() == "1"  # the outer writer finished last


@pytest.mark.parametrize("bad", [None, 3, b"x", ""])
def test_check_path_refuses_non_paths(bad):
    with pytest.raises(TypeError, match="path: expected a file path"):
        check_path(bad)


def test_failed_model_save_keeps_the_old_file(tmp_path, monkeypatch):
    ae, _, _ = build_dense_autoencoder(2, input_shape=(4,), hidden=())
    path = save_model(ae, tmp_path / "m.keras")
    before = path.read_bytes()

    def broken_save(self, filepath, *args, **kwargs):
        open(filepath, "wb").close()  # Keras opens the target before serialising
        raise OSError("disk full")

    monkeypatch.setattr(type(ae), "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        save_model(ae, path, overwrite=True)
    assert path.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["m.keras"]
    with pytest.raises(OSError):
        save_model(ae, tmp_path / "new.keras")
    assert not (tmp_path / "new.keras").exists()  # no 0-byte file to block a retry
    monkeypatch.undo()
    x = np.ones((1, 4), "float32")
    np.testing.assert_allclose(load_model(save_model(ae, tmp_path / "new.keras")).predict(x, verbose=0),
                               ae.predict(x, verbose=0), atol=1e-6)
    with pytest.raises(TypeError, match="path: expected a file path"):
        save_model(ae, None)


def test_results_table_is_not_replaced_by_an_empty_one(tmp_path):
    (tmp_path / "RESULTS.md").write_text("keep me")
    with pytest.raises(FileNotFoundError, match="no results records"):
        write_results_table(tmp_path)
    assert (tmp_path / "RESULTS.md").read_text() == "keep me"
