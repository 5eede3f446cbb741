"""Execute notebooks in order and rebuild the results table (``make run``).

Full mode writes each notebook's outputs back into it and its metrics into
``results/``; ``--fast`` runs copies under ``build/fast/`` with
``AEUTILS_FAST=1`` so the committed notebooks and results stay untouched.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import time
from pathlib import Path

from aeutils.core.records import write_results_table

__all__ = ["run_notebook", "strip_backend_noise", "main"]

ROOT = Path(__file__).resolve().parents[1]

# TensorFlow's C++ start-up lines ("I0000 00:00:... port.cc:153] oneDNN ...", the absl preamble),
# which it writes to stderr before any logging setting applies.
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


def run_notebook(src: Path, dest: Path, timeout: int = 3600) -> float:
    """Execute notebook ``src`` (cwd = its folder), write it to ``dest``; return seconds taken."""
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
    finally:
        print()
        strip_backend_noise(nb)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_suffix(".ipynb.tmp")
        nbformat.write(nb, tmp)
        os.replace(tmp, dest)
    return time.perf_counter() - start


def main(argv=None) -> int:
    """Command-line entry: ``python -m aeutils.runner [--fast] NOTEBOOK...``."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--fast", action="store_true", help="fast mode, into build/fast/")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds allowed per cell")
    args = parser.parse_args(argv)
    if args.fast:
        os.environ["AEUTILS_FAST"] = "1"
        out_dir = ROOT / "build" / "fast"
        results = out_dir / "results"
        os.environ["AEUTILS_RESULTS_DIR"] = str(results)
        for nb in args.notebooks:  # notebooks may read small files beside them
            shutil.copytree(nb.parent, out_dir, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.ipynb"))
    else:
        os.environ.pop("AEUTILS_FAST", None)
        out_dir = None
        results = ROOT / "results"
    total = time.perf_counter()
    failed = []
    for i, nb in enumerate(args.notebooks, 1):
        dest = (out_dir / nb.name) if out_dir else nb
        print(f"[{i}/{len(args.notebooks)}] {nb.name} ({'fast' if args.fast else 'full'} mode) ...", flush=True)
        try:
            seconds = run_notebook(nb, dest, timeout=args.timeout)
        except Exception as exc:  # report, keep going, fail at the end
            print(f"   FAILED: {type(exc).__name__}: {str(exc)[-2000:]}", flush=True)
            failed.append(nb.name)
            continue
        print(f"   done in {seconds:.0f} s -> {dest}", flush=True)
    if results.exists():
        print(f"results table: {write_results_table(results)}")
    print(f"total {time.perf_counter() - total:.0f} s; {len(failed)} failed {failed if failed else ''}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
