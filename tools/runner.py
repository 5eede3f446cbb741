"""Execute notebooks in order and rebuild the results table (``make run``).

Full mode writes each notebook's outputs back into it and its metrics into
``results/``; ``--fast`` runs copies under ``build/fast/`` with
``AEUTILS_FAST=1`` so the committed notebooks and results stay untouched.
A notebook and its record are replaced only when every cell ran: a failed or
interrupted run leaves both as they were and keeps the partial notebook and
record under ``build/failed/``. Committed outputs are TensorFlow runs: ``--backend jax``
(or ``KERAS_BACKEND=jax`` in the environment) runs into ``build/jax/`` (notebooks, and
records in ``build/jax/results/``; fast mode: ``build/fast/jax/``), with JAX's persistent
compilation cache in ``build/jax-cache`` unless ``JAX_COMPILATION_CACHE_DIR`` names another.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

from aeutils.core.records import write_results_table

__all__ = ["run_notebook", "strip_backend_noise", "main"]

ROOT = Path(__file__).resolve().parents[1]

# TensorFlow's C++ start-up lines ("I0000 00:00:... port.cc:153] oneDNN ...", the absl preamble),
# which it writes to stderr before any logging setting applies.
_ANSI = re.compile(r"\x1b\[[0-9;]*m")  # terminal colours in nbclient's error text
_NOISE = re.compile(
    r"^(WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|[IWE]\d{4} [\d:.]+\s+\d+ [\w.]+:\d+\] .*)$"
)


def strip_backend_noise(nb) -> int:
    """Remove TensorFlow's C++ start-up log lines from a notebook's stderr outputs; return lines removed.

    Only stderr stream outputs are touched, and only lines in the glog format TensorFlow uses
    before its logging settings apply; everything a cell prints itself is kept.
    """
    removed = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        kept = []
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                lines = out["text"].splitlines(keepends=True)
                clean = [line for line in lines if not _NOISE.match(line.rstrip("\n"))]
                removed += len(lines) - len(clean)
                if not "".join(clean).strip():
                    continue
                out["text"] = "".join(clean)
            kept.append(out)
        cell["outputs"] = kept
    return removed


def _atomic_write_notebook(nb, dest: Path) -> None:
    import nbformat

    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            nbformat.write(nb, fh)
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def run_notebook(src: Path, dest: Path, timeout: int = 3600, failed_dest: Path | None = None) -> float:
    """Execute notebook ``src`` (cwd = its folder) and write it to ``dest``; return seconds taken.

    ``dest`` is written (atomically) only when every cell ran. When a cell fails or the run is
    interrupted, ``dest`` is left untouched; the partial notebook goes to ``failed_dest`` (if given)
    and the error is raised again.
    """
    import nbformat
    from nbclient import NotebookClient

    src, dest = Path(src), Path(dest)
    if not src.is_file():
        raise FileNotFoundError(f"src: expected a notebook file, got {str(src)!r}")
    nb = nbformat.read(src, as_version=4)
    n_code = sum(c.cell_type == "code" for c in nb.cells)
    done = [0]

    def on_cell_executed(cell, cell_index, execute_reply):
        if cell.cell_type == "code":
            done[0] += 1
            print(f"\r   cell {done[0]}/{n_code} ({time.perf_counter() - start:5.0f} s)", end="", flush=True)

    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(src.parent)}},
        on_cell_executed=on_cell_executed,
    )
    start = time.perf_counter()
    try:
        client.execute()
    except BaseException as exc:
        print()
        if failed_dest is not None:
            strip_backend_noise(nb)
            _atomic_write_notebook(nb, Path(failed_dest))
            print(f"   partial notebook kept at {failed_dest}; {dest} is unchanged", flush=True)
        # nbclient (0.11) catches SIGINT/SIGTERM itself, shuts the kernel down and lets the cell fail with
        # another error; the future its handler leaves behind tells an interrupt from a failing cell.
        if not isinstance(exc, KeyboardInterrupt) and hasattr(client, "_async_cleanup_kernel_future"):
            raise KeyboardInterrupt("interrupted by a signal") from exc
        raise
    print()
    strip_backend_noise(nb)
    _atomic_write_notebook(nb, dest)
    return time.perf_counter() - start


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _keep(staging: Path, failed_dir: Path) -> None:
    """Move a failed run's partial records beside its partial notebook."""
    for record in staging.glob("*.json"):
        os.replace(record, _mkdir(failed_dir) / record.name)
    shutil.rmtree(staging, ignore_errors=True)


def _jax_cache_env() -> None:
    """Give JAX kernels the persistent compilation cache of ``make test-jax`` (build/jax-cache) unless one is set.

    A model built again with the same shapes (the next seed, the next row of a table) then loads its compiled
    XLA program instead of compiling it again.
    """
    if "JAX_COMPILATION_CACHE_DIR" not in os.environ:
        os.environ["JAX_COMPILATION_CACHE_DIR"] = str(ROOT / "build" / "jax-cache")
        os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
        os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "-1")


def main(argv=None) -> int:
    """Command-line entry: ``python -m tools.runner [--fast] NOTEBOOK...``."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--fast", action="store_true", help="fast mode, into build/fast/")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds allowed per cell")
    parser.add_argument("--backend", choices=("tensorflow", "jax", "torch"), default=None,
                        help="Keras backend (default: $KERAS_BACKEND or tensorflow); others run into build/<backend>/")
    args = parser.parse_args(argv)
    backend = args.backend or os.environ.get("KERAS_BACKEND") or "tensorflow"
    if backend not in ("tensorflow", "jax", "torch"):
        parser.error(f"KERAS_BACKEND: expected tensorflow, jax or torch, got {backend!r}")
    os.environ["KERAS_BACKEND"] = backend  # the kernels inherit it
    if backend == "jax":
        _jax_cache_env()
    other = "" if backend == "tensorflow" else backend
    if args.fast or other:
        if args.fast:
            os.environ["AEUTILS_FAST"] = "1"
        else:
            os.environ.pop("AEUTILS_FAST", None)
        out_dir = ROOT / "build" / ("fast" if args.fast else "") / other
        results = out_dir / "results"
        os.environ["AEUTILS_RESULTS_DIR"] = str(results)
        for nb in args.notebooks:  # notebooks may read small files beside them
            shutil.copytree(nb.parent, out_dir, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.ipynb"))
    else:
        os.environ.pop("AEUTILS_FAST", None)
        out_dir = None
        results = ROOT / "results"
    failed_dir = ROOT / "build" / "failed" / other
    interrupted = []

    def on_sigint(signum, frame):
        interrupted.append(signum)
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, on_sigint)
    total = time.perf_counter()
    failed = []
    for i, nb in enumerate(args.notebooks, 1):
        dest = (out_dir / nb.name) if out_dir else nb
        print(f"[{i}/{len(args.notebooks)}] {nb.name} ({'fast' if args.fast else 'full'} mode, {backend}) ...", flush=True)
        # The notebook's Recorder writes into a staging folder; its record replaces results/ only on success.
        staging = Path(tempfile.mkdtemp(prefix="records-", dir=_mkdir(ROOT / "build")))
        os.environ["AEUTILS_RESULTS_DIR"] = str(staging)
        try:
            seconds = run_notebook(nb, dest, timeout=args.timeout, failed_dest=failed_dir / nb.name)
        except BaseException as exc:
            _keep(staging, failed_dir)
            # nbclient may turn Ctrl-C into another exception: the flag set by the handler decides
            if interrupted or isinstance(exc, KeyboardInterrupt):
                print(f"   INTERRUPTED: {dest} and {results} are unchanged; stopping", flush=True)
                return 130
            if not isinstance(exc, Exception):
                raise
            # report, keep going, fail at the end
            print(f"   FAILED: {type(exc).__name__}: {_ANSI.sub('', str(exc))[-2000:]}", flush=True)
            failed.append(nb.name)
            continue
        for record in sorted(staging.glob("*.json")):
            _mkdir(results)
            shutil.copy2(record, results / f".{record.name}.tmp")
            os.replace(results / f".{record.name}.tmp", results / record.name)
        shutil.rmtree(staging, ignore_errors=True)
        print(f"   done in {seconds:.0f} s -> {dest}", flush=True)
    if results.exists() and any(results.glob("*.json")):
        print(f"results table: {write_results_table(results)}")
    print(f"total {time.perf_counter() - total:.0f} s; {len(failed)} failed {failed if failed else ''}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
