import json

import keras
import pytest

from aeutils.core.records import (
    Recorder,
    build_results_table,
    load_results,
    results_dir,
    write_results_table,
)
from tools.bench_report import write_section


def test_recorder_writes_schema(tmp_path, full_mode):
    rec = Recorder("01_demo", directory=tmp_path)
    assert rec.record("ae_test_mse_code64", 0.0069, split="test", config={"epochs": 20}) == 0.0069
    data = json.loads((tmp_path / "01_demo.json").read_text())
    assert data["mode"] == "full" and data["seconds"] >= 0 and data["backend"] == keras.backend.backend()
    assert data["metrics"]["ae_test_mse_code64"] == {"value": 0.0069, "split": "test", "config": {"epochs": 20}}
    assert "01_demo" in repr(rec)


def test_fast_mode_goes_to_scratch(monkeypatch):
    monkeypatch.delenv("AEUTILS_RESULTS_DIR", raising=False)
    monkeypatch.setenv("AEUTILS_FAST", "1")
    assert "aeutils-results-fast" in str(results_dir())
    assert Recorder("x").mode == "fast"
    monkeypatch.delenv("AEUTILS_FAST")
    assert results_dir().name == "results"


@pytest.mark.parametrize(
    "kwargs, exc, text",
    [
        ({"name": "bad name", "value": 1.0, "split": "test"}, ValueError, "name:"),
        ({"name": "m", "value": 1.0, "split": "val"}, ValueError, "split: expected 'test', 'validation' or 'train'"),
        ({"name": "m", "value": "1", "split": "test"}, TypeError, "value: expected a real number"),
        ({"name": "m", "value": float("nan"), "split": "test"}, ValueError, "finite"),
        ({"name": "m", "value": 1.0, "split": "test", "config": [1]}, TypeError, "config: expected a dict"),
        ({"name": "m", "value": 1.0, "split": "test", "config": {"f": object()}}, TypeError, "JSON"),
    ],
)
def test_record_rejects_bad_input(tmp_path, kwargs, exc, text):
    rec = Recorder("nb", directory=tmp_path)
    with pytest.raises(exc, match=text):
        rec.record(**kwargs)


def test_recorder_rejects_bad_notebook_name(tmp_path):
    with pytest.raises(ValueError, match="notebook:"):
        Recorder("../evil", directory=tmp_path)


def test_results_table(tmp_path):
    rec = Recorder("02_demo", directory=tmp_path)
    rec.record("probe_accuracy_pixels", 0.8412, split="test")
    rec.record("big", 12345.6, split="validation", config={"k": 5})
    path = write_results_table(tmp_path)
    text = path.read_text()
    assert "## 02_demo" in text and "`probe_accuracy_pixels` | 0.8412 | test" in text
    assert "12,346" in text and "k=5" in text and f"backend {keras.backend.backend()}" in text
    assert "No results recorded" in build_results_table({})


def test_load_results_names_broken_file(tmp_path):
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ValueError, match="bad.json: not a results record"):
        load_results(tmp_path)


def test_write_section_appends_replaces_and_keeps_other_sections(tmp_path):
    md = tmp_path / "RESULTS.md"
    write_section(md, "search", "## Search\nold")
    write_section(md, "vae-nll", "## VAE\nfirst")
    write_section(md, "search", "## Search\nnew")
    text = md.read_text()
    assert "old" not in text and "new" in text and "first" in text
    assert text.index("## Search") < text.index("## VAE")          # replaced in place, not moved
    assert text.count("<!-- search:begin -->") == 1
    md.write_text("# Benchmarks\n\nintro by hand\n")
    write_section(md, "search", "table")
    assert md.read_text().startswith("# Benchmarks\n\nintro by hand\n")   # hand-written text is kept


def test_write_section_bad_inputs(tmp_path):
    with pytest.raises(ValueError, match="key"):
        write_section(tmp_path / "a.md", "has space", "x")
    with pytest.raises(TypeError, match="text"):
        write_section(tmp_path / "a.md", "k", 3)
    broken = tmp_path / "b.md"
    broken.write_text("<!-- k:begin -->\nno end\n")
    with pytest.raises(ValueError, match="unbalanced"):
        write_section(broken, "k", "x")
    assert broken.read_text() == "<!-- k:begin -->\nno end\n"   # nothing overwritten


def test_keras_backend_without_importing_keras(monkeypatch):
    import sys

    from aeutils.core.records import keras_backend

    assert keras_backend() == keras.backend.backend()
    monkeypatch.delitem(sys.modules, "keras")
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    assert keras_backend() == "jax"
    monkeypatch.delenv("KERAS_BACKEND")
    assert keras_backend() == "tensorflow"
