import importlib.util
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("nb_conftest", ROOT / "notebooks" / "conftest.py")
conftest = importlib.util.module_from_spec(spec)
spec.loader.exec_module(conftest)


def test_longest_notebooks_first_and_cells_keep_their_order(tmp_path, monkeypatch):
    (tmp_path / "01_short.json").write_text('{"seconds": 10}')
    (tmp_path / "02_long.json").write_text('{"seconds": 500}')
    (tmp_path / "03_broken.json").write_text("{not json")
    monkeypatch.setattr(conftest, "RESULTS", tmp_path)
    conftest.full_run_seconds.cache_clear()
    items = [SimpleNamespace(path=Path(f"notebooks/{nb}.ipynb"), cell=i)
             for nb in ("01_short", "02_long", "03_broken", "04_missing") for i in range(3)]
    conftest.pytest_collection_modifyitems(items)
    assert [(it.path.stem, it.cell) for it in items] == [
        (nb, i) for nb in ("02_long", "01_short", "03_broken", "04_missing") for i in range(3)]
    assert conftest.full_run_seconds("03_broken") == 0.0 == conftest.full_run_seconds("04_missing")
    conftest.full_run_seconds.cache_clear()


def test_every_committed_notebook_has_a_record_to_order_by():
    for nb in sorted((ROOT / "notebooks").glob("[0-9][0-9]*_*.ipynb")):
        assert conftest.full_run_seconds(nb.stem) > 0, nb.name
