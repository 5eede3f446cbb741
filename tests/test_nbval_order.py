import importlib.util
import json
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("nb_conftest", ROOT / "notebooks" / "conftest.py")
conftest = importlib.util.module_from_spec(spec)
spec.loader.exec_module(conftest)


def _clear():
    conftest.full_run_seconds.cache_clear()
    conftest.fast_seconds.cache_clear()


def test_longest_notebooks_first_and_cells_keep_their_order(tmp_path, monkeypatch):
    (tmp_path / "01_short.json").write_text('{"seconds": 60}')
    (tmp_path / "02_long.json").write_text('{"seconds": 3000}')
    (tmp_path / "03_broken.json").write_text("{not json")
    (tmp_path / "table.json").write_text(json.dumps({"jax": {"05_table": 100.0}, "tensorflow": {"05_table": 1.0}}))
    monkeypatch.setattr(conftest, "RESULTS", tmp_path)
    monkeypatch.setattr(conftest, "FAST_TABLE", tmp_path / "table.json")
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    _clear()
    stems = ("01_short", "02_long", "03_broken", "04_missing", "05_table")
    items = [SimpleNamespace(path=Path(f"notebooks/{nb}.ipynb"), cell=i) for nb in stems for i in range(3)]
    conftest.pytest_collection_modifyitems(items)
    # 02: 3000 / 6 = 500 s by the proxy; 05: 100 s from the JAX table; 01: 10 s by the proxy; no record: last
    assert [(it.path.stem, it.cell) for it in items] == [
        (nb, i) for nb in ("02_long", "05_table", "01_short", "03_broken", "04_missing") for i in range(3)]
    assert conftest.full_run_seconds("03_broken") == 0.0 == conftest.full_run_seconds("04_missing")
    assert conftest.expected_seconds("05_table", "tensorflow") == 1.0   # each backend has its own column
    (tmp_path / "table.json").write_text("[not a table")
    _clear()
    assert conftest.fast_seconds("jax") == {} and conftest.expected_seconds("02_long") == 500.0
    _clear()


def test_every_committed_notebook_has_a_time_to_order_by():
    _clear()
    for nb in sorted((ROOT / "notebooks").glob("[0-9][0-9]*_*.ipynb")):
        assert conftest.full_run_seconds(nb.stem) > 0, nb.name
        for backend in ("tensorflow", "jax"):
            assert nb.stem in conftest.fast_seconds(backend), (backend, nb.name)
