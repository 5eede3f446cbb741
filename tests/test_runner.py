import json

import nbformat
import pytest

from aeutils.runner import main, run_notebook


def _notebook(path, source):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in source])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def test_run_notebook_writes_outputs(tmp_path, capsys):
    src = _notebook(tmp_path / "demo.ipynb", ["x = 6 * 7", "print(x)"])
    seconds = run_notebook(src, tmp_path / "out" / "demo.ipynb", timeout=120)
    assert seconds > 0
    out = nbformat.read(tmp_path / "out" / "demo.ipynb", as_version=4)
    assert out.cells[1].outputs[0]["text"].strip() == "42"
    assert "cell 2/2" in capsys.readouterr().out


def test_run_notebook_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="src: expected a notebook file"):
        run_notebook(tmp_path / "nope.ipynb", tmp_path / "x.ipynb")


def test_main_reports_failure_and_rebuilds_table(tmp_path, monkeypatch, capsys):
    results = tmp_path / "results"
    results.mkdir()
    (results / "00_demo.json").write_text(json.dumps({"mode": "full", "seconds": 1, "metrics": {}}))
    monkeypatch.setattr("aeutils.runner.ROOT", tmp_path)
    bad = _notebook(tmp_path / "99_bad.ipynb", ["raise RuntimeError('boom')"])
    assert main([str(bad), "--timeout", "120"]) == 1
    out = capsys.readouterr().out
    assert "FAILED" in out and "boom" in out and "1 failed" in out
    assert (results / "RESULTS.md").is_file()
