import json
import os

import nbformat
import pytest

from tools.runner import main, run_notebook


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
    monkeypatch.setattr("tools.runner.ROOT", tmp_path)
    bad = _notebook(tmp_path / "99_bad.ipynb", ["raise RuntimeError('boom')"])
    assert main([str(bad), "--timeout", "120"]) == 1
    out = capsys.readouterr().out
    assert "FAILED" in out and "boom" in out and "1 failed" in out
    assert (results / "RESULTS.md").is_file()


def test_failed_run_leaves_notebook_and_record_untouched(tmp_path, monkeypatch, capsys):
    results = tmp_path / "results"
    results.mkdir()
    record = results / "98_demo.json"
    record.write_text(json.dumps({"mode": "full", "seconds": 1, "metrics": {"a": {"value": 1.0}}}))
    monkeypatch.setattr("tools.runner.ROOT", tmp_path)
    cells = ["import aeutils", "rec = aeutils.Recorder('98_demo')", "rec.record('a', 2.0, split='test')", "raise RuntimeError('boom')"]
    nb = _notebook(tmp_path / "98_demo.ipynb", cells)
    before_nb, before_rec = nb.read_bytes(), record.read_bytes()
    assert main([str(nb), "--timeout", "120"]) == 1
    out = capsys.readouterr().out
    assert nb.read_bytes() == before_nb and record.read_bytes() == before_rec
    assert (tmp_path / "build" / "failed" / "98_demo.ipynb").is_file()
    assert json.loads((tmp_path / "build" / "failed" / "98_demo.json").read_text())["metrics"]["a"]["value"] == 2.0
    assert "partial notebook kept at" in out and "\x1b[" not in out


def test_strip_backend_noise_keeps_real_output():
    from tools.runner import strip_backend_noise

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x")])
    noise = (
        "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
        "I0000 00:00:1795772565.965245    2699 port.cc:153] oneDNN custom operations are on.\n"
        "E0000 00:00:1795772714.582993    2928 cuda_platform.cc:52] failed call to cuInit\n"
    )
    nb.cells[0].outputs = [
        nbformat.v4.new_output("stream", name="stderr", text=noise),
        nbformat.v4.new_output("stream", name="stderr", text=noise + "UserWarning: real warning\n"),
        nbformat.v4.new_output("stream", name="stdout", text="I0000 00:00:1.0 1 a.cc:1] printed on purpose\n"),
    ]
    assert strip_backend_noise(nb) == 6
    outs = nb.cells[0].outputs
    assert len(outs) == 2 and outs[0]["text"] == "UserWarning: real warning\n"
    assert outs[1]["name"] == "stdout"


def test_sigint_leaves_notebook_and_record_untouched(tmp_path):
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    results = tmp_path / "results"
    results.mkdir()
    record = results / "97_demo.json"
    record.write_text(json.dumps({"mode": "full", "seconds": 1, "metrics": {"a": {"value": 1.0}}}))
    cells = ["import aeutils", "rec = aeutils.Recorder('97_demo')\nrec.record('a', 2.0, split='test')",
             "import time\ntime.sleep(120)"]
    nb = _notebook(tmp_path / "97_demo.ipynb", cells)
    before_nb, before_rec = nb.read_bytes(), record.read_bytes()
    code = (f"import sys, pathlib, tools.runner as r; r.ROOT = pathlib.Path({str(tmp_path)!r}); "
            f"sys.exit(r.main([{str(nb)!r}, '--timeout', '300']))")
    proc = subprocess.Popen([sys.executable, "-u", "-c", code], cwd=root, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env={**os.environ, "PYTHONPATH": str(root)})
    seen, deadline = "", time.time() + 120
    while "cell 2/3" not in seen and time.time() < deadline:  # the sleeping cell is running
        seen += proc.stdout.read(1)
    proc.send_signal(signal.SIGINT)
    out = seen + proc.communicate(timeout=120)[0]
    assert proc.returncode == 130
    assert "INTERRUPTED" in out
    assert nb.read_bytes() == before_nb and record.read_bytes() == before_rec
    assert (tmp_path / "build" / "failed" / "97_demo.ipynb").is_file()


def test_backend_run_goes_to_its_own_folder(tmp_path, monkeypatch, capsys):
    results = tmp_path / "results"
    results.mkdir()
    monkeypatch.setattr("tools.runner.ROOT", tmp_path)
    for name in ("KERAS_BACKEND", "AEUTILS_RESULTS_DIR", "AEUTILS_FAST", "JAX_COMPILATION_CACHE_DIR",
                 "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES"):
        monkeypatch.delenv(name, raising=False)   # main sets them; restored afterwards
    nb = _notebook(tmp_path / "97_demo.ipynb", ["import os", "print(os.environ['KERAS_BACKEND'], "
                                                "os.environ['JAX_COMPILATION_CACHE_DIR'])"])
    before = nb.read_bytes()
    assert main([str(nb), "--backend", "jax", "--timeout", "120"]) == 0
    assert nb.read_bytes() == before and not list(results.glob("*.json"))   # committed files untouched
    out = nbformat.read(tmp_path / "build" / "jax" / "97_demo.ipynb", as_version=4)
    assert out.cells[1].outputs[0]["text"].split() == ["jax", str(tmp_path / "build" / "jax-cache")]  # shared cache
    assert "full mode, jax" in capsys.readouterr().out


def test_backend_must_be_known(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_BACKEND", "numpyy")
    nb = _notebook(tmp_path / "96_demo.ipynb", ["1"])
    with pytest.raises(SystemExit):
        main([str(nb)])
