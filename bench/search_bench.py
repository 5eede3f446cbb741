"""Benchmark: exact versus approximate nearest-neighbour search at 10k, 100k and 1M vectors.

Run from the repository root (it takes a few minutes on two cores)::

    KERAS_HOME=... PYTHONPATH=$PWD python bench/search_bench.py

The vectors are 32-dimensional codes of *augmented* Fashion-MNIST images: a
PCA with 32 components (the optimal linear autoencoder, fitted on the 55,000
training images) encodes training images that were randomly shifted by up to
2 pixels, mirrored left-right with probability 1/2, scaled in brightness by a
factor in [0.8, 1.2] and given Gaussian pixel noise (sigma 0.03). The 10k and
100k databases are the first 10,000 and 100,000 of the 1M vectors. Queries are
codes of augmented *test* images (never in a database): one set tunes the
approximate index, another, disjoint, measures it.

For each size the script builds an exact index (brute force, FAISS
``IndexFlatL2``) and an approximate one (an IVF index, ``IndexIVFFlat``, with
about sqrt(N) cells trained on a sample of 64 vectors per cell; ``--approx hnsw``
for HNSW), picks the smallest
``nprobe`` (or ``efSearch``) whose recall@10 on the tuning queries reaches
``--target`` and then, on the measurement queries, records

* ``recall10_<size>``: the *neighbour* recall@10, the mean fraction of the exact 10
  nearest neighbours that the approximate index returns (not the label-based recall@k
  of notebook 06's retrieval metrics);
* ``exact_latency_ms_<size>`` and ``approx_latency_ms_<size>``: median latency
  of one query at a time (batch size 1), in milliseconds.

Both indexes use the same number of FAISS threads (``--threads``, default 1)
so that the comparison is fair. Results go to ``bench/results/search.json``
and ``bench/RESULTS.md``.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aeutils.core.data import load_fashion_mnist  # noqa: E402
from aeutils.core.files import atomic_write_text  # noqa: E402
from aeutils.support.vector_index import VectorIndex, set_threads  # noqa: E402
from tools.bench_report import write_section  # noqa: E402

SIZES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000}
DIM = 32


def augment(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Random shift (up to 2 px), left-right flip, brightness scale and pixel noise; returns (n, 784)."""
    n = len(images)
    padded = np.pad(images, ((0, 0), (2, 2), (2, 2)))
    out = np.empty((n, 28, 28), dtype=np.float32)
    dy, dx = rng.integers(0, 5, n), rng.integers(0, 5, n)
    for sy in range(5):
        for sx in range(5):
            sel = np.flatnonzero((dy == sy) & (dx == sx))
            out[sel] = padded[sel, sy : sy + 28, sx : sx + 28]
    flip = rng.random(n) < 0.5
    out[flip] = out[flip, :, ::-1]
    out *= rng.uniform(0.8, 1.2, (n, 1, 1)).astype(np.float32)
    out += 0.03 * rng.standard_normal(out.shape, dtype=np.float32)
    np.clip(out, 0.0, 1.0, out=out)
    return out.reshape(n, -1)


def make_codes(n: int, sources: np.ndarray, mean: np.ndarray, components: np.ndarray, rng, chunk: int = 20_000):
    """PCA codes of ``n`` augmented images drawn (with replacement) from ``sources``."""
    codes = np.empty((n, DIM), dtype=np.float32)
    for start in range(0, n, chunk):
        stop = min(start + chunk, n)
        pick = rng.integers(0, len(sources), stop - start)
        codes[start:stop] = (augment(sources[pick], rng) - mean) @ components.T
    return codes


def median_latency_ms(index, queries: np.ndarray, k: int = 10) -> float:
    """Median wall time of searching one query at a time."""
    index.search(queries[:5], k)  # warm-up
    times = np.empty(len(queries))
    for i in range(len(queries)):
        t = time.perf_counter()
        index.search(queries[i : i + 1], k)
        times[i] = time.perf_counter() - t
    return float(np.median(times) * 1000)


def recall_at_10(found: np.ndarray, truth: np.ndarray) -> float:
    """Mean over queries of |found ∩ truth| / 10."""
    return float(np.mean([len(np.intersect1d(a, b)) / truth.shape[1] for a, b in zip(found, truth)]))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10k,100k,1m", help="comma-separated subset of 10k,100k,1m")
    parser.add_argument("--approx", choices=["ivf", "hnsw"], default="ivf")
    parser.add_argument("--threads", type=int, default=1, help="FAISS threads for every index")
    parser.add_argument("--queries", type=int, default=1000, help="measurement queries")
    parser.add_argument("--tune-queries", type=int, default=500)
    parser.add_argument("--target", type=float, default=0.96, help="recall@10 the tuning aims for")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "search.json")
    parser.add_argument("--md", type=Path, default=ROOT / "bench" / "RESULTS.md")
    args = parser.parse_args(argv)
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    for s in sizes:
        if s not in SIZES:
            parser.error(f"--sizes: expected names from {list(SIZES)}, got {s!r}")

    set_threads(args.threads)
    rng = np.random.default_rng(args.seed)
    t0 = time.perf_counter()
    data = load_fashion_mnist()
    train = data.x_train.reshape(len(data.x_train), -1)
    # PCA by SVD of the centred training images: the 32-unit linear autoencoder's subspace
    mean = train.mean(axis=0)
    centred = train - mean
    _, vecs = np.linalg.eigh((centred.T @ centred).astype(np.float64))
    components = vecs[:, ::-1][:, :DIM].T.astype(np.float32)  # top eigenvectors of the covariance
    t_pca = time.perf_counter() - t0
    n_max = max(SIZES[s] for s in sizes)
    database = make_codes(n_max, data.x_train, mean, components, rng)
    queries = make_codes(args.queries + args.tune_queries, data.x_test, mean, components, rng)
    tune_q, test_q = queries[: args.tune_queries], queries[args.tune_queries :]
    print(f"data: {n_max:,} database and {len(queries)} query codes in {time.perf_counter() - t0:.0f} s "
          f"(PCA and loading {t_pca:.0f} s)", flush=True)

    results: dict = {}
    details: dict = {}
    for name in sizes:
        n = SIZES[name]
        db = database[:n]
        t = time.perf_counter()
        exact = VectorIndex(DIM, kind="exact")
        exact.add(db)
        _, truth_tune = exact.search(tune_q, 10)
        _, truth_test = exact.search(test_q, 10)
        if args.approx == "ivf":
            nlist = int(2 ** round(np.log2(np.sqrt(n))))
            approx = VectorIndex(DIM, kind="ivf", nlist=nlist)
            t_build = time.perf_counter()
            sample = db[np.random.default_rng(args.seed).permutation(n)[: 64 * nlist]]
            approx.train(sample)  # k-means cells on a sample of 64 vectors per cell
            approx.add(db)
            knob, grid = "nprobe", [1, 2, 4, 8, 12, 16, 24, 32, 48, 64, 96, 128, 256]
            grid = [g for g in grid if g <= nlist]
            settings = {"nlist": nlist}
        else:
            approx = VectorIndex(DIM, kind="hnsw", hnsw_m=32, ef_construction=80)
            t_build = time.perf_counter()
            approx.add(db)
            knob, grid = "ef_search", [10, 16, 24, 32, 48, 64, 96, 128, 192, 256, 512]
            settings = {"hnsw_m": 32, "ef_construction": 80}
        build_s = time.perf_counter() - t_build
        chosen, tune_recall = grid[-1], None
        for value in grid:
            setattr(approx, knob, value)
            _, found = approx.search(tune_q, 10)
            tune_recall = recall_at_10(found, truth_tune)
            if tune_recall >= args.target:
                chosen = value
                break
        setattr(approx, knob, chosen)
        _, found = approx.search(test_q, 10)
        recall = recall_at_10(found, truth_test)
        exact_ms = median_latency_ms(exact, test_q)
        approx_ms = median_latency_ms(approx, test_q)
        results[f"recall10_{name}"] = round(recall, 4)
        results[f"exact_latency_ms_{name}"] = round(exact_ms, 4)
        results[f"approx_latency_ms_{name}"] = round(approx_ms, 4)
        details[name] = {
            "n": n,
            "approx": args.approx,
            **settings,
            knob: chosen,
            "tune_recall10": round(tune_recall, 4),
            "build_seconds": round(build_s, 1),
            "speedup": round(exact_ms / approx_ms, 1),
            "seconds": round(time.perf_counter() - t, 1),
        }
        print(
            f"{name:>5}: recall@10={recall:.4f}  exact {exact_ms:.3f} ms  {args.approx} {approx_ms:.3f} ms "
            f"({exact_ms / approx_ms:.0f}x, {knob}={chosen}, build {build_s:.0f} s)",
            flush=True,
        )
        del exact, approx

    payload = {
        **results,
        "details": details,
        "config": {
            "vectors": "32-d PCA codes of augmented Fashion-MNIST training images (shift <= 2 px, flip, "
            "brightness x[0.8, 1.2], noise sigma 0.03); queries: augmented test images",
            "dim": DIM,
            "metric": "euclidean",
            "k": 10,
            "measure_queries": args.queries,
            "tune_queries": args.tune_queries,
            "tune_target_recall10": args.target,
            "faiss_threads": args.threads,
            "latency": "median over measurement queries, one query per call",
            "seed": args.seed,
            "python": platform.python_version(),
            "numpy": np.__version__,
            "faiss": __import__("faiss").__version__,
            "cpu_count": os.cpu_count(),
            "total_seconds": round(time.perf_counter() - t0, 1),
        },
    }
    atomic_write_text(args.out, json.dumps(payload, indent=2) + "\n")  # a unique temporary file, moved into place
    write_section(args.md, "search", render_markdown(payload, sizes))
    print(f"wrote {args.out} and {args.md}")
    return 0


def render_markdown(payload: dict, sizes: list[str]) -> str:
    """The search section of ``bench/RESULTS.md`` for ``payload``."""
    cfg = payload["config"]
    lines = [
        "## Nearest-neighbour search: exact versus approximate (`bench/search_bench.py`)",
        "",
        f"Vectors: {cfg['vectors']}. Dimension {cfg['dim']}, Euclidean distance, k = {cfg['k']}.",
        f"Latency: {cfg['latency']} ({cfg['measure_queries']} queries), FAISS {cfg['faiss']} with "
        f"{cfg['faiss_threads']} thread(s) for both indexes, on a machine with {cfg['cpu_count']} CPU cores "
        "shared with other jobs. The approximate index's knob is tuned on "
        f"{cfg['tune_queries']} separate queries to reach neighbour recall@10 (the share of the exact 10 nearest "
        f"neighbours returned) >= {cfg['tune_target_recall10']}.",
        "",
        "| vectors | approximate index | neighbour recall@10 | exact ms/query | approx. ms/query | speed-up | build s |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name in sizes:
        d = payload["details"][name]
        knobs = ", ".join(f"{k}={d[k]}" for k in ("nlist", "nprobe", "hnsw_m", "ef_search") if k in d)
        lines.append(
            f"| {d['n']:,} | {d['approx'].upper()} ({knobs}) | {payload[f'recall10_{name}']:.4f} | "
            f"{payload[f'exact_latency_ms_{name}']:.3f} | {payload[f'approx_latency_ms_{name}']:.3f} | "
            f"{d['speedup']:.0f}x | {d['build_seconds']:.0f} |"
        )
    lines += [
        "",
        f"Total run time {cfg['total_seconds']:.0f} s. Numbers in `bench/results/search.json`.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
