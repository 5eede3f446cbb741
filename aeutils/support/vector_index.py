"""Nearest-neighbour search with FAISS (support code for notebook 06 and ``bench/search_bench.py``).

* :class:`VectorIndex`: an exact (``IndexFlat``) or approximate (HNSW, IVF) index over float vectors,
  with checked ``add``/``search`` and ``save``/``load``. A saved index is two files: the FAISS index
  written by ``faiss.write_index`` and a small JSON sidecar (``<path>.json``) holding the settings and
  a SHA-256 that covers both the settings and the index file, so a foreign, truncated or edited file
  is refused instead of answering with wrong distances.
* :func:`hamming_search`: exact top-k by Hamming distance on packed bits (``IndexBinaryFlat``).
* :func:`set_threads`: how many threads FAISS uses, so that timings compare like with like.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from ..core.files import atomic_path, atomic_write_text, check_path
from ..core.validation import check_array, check_choice, check_positive_int

__all__ = ["IndexFileError", "EmptyIndexError", "VectorIndex", "hamming_search", "set_threads", "sidecar_path"]

_FORMAT = "aeutils-vector-index/2"
_KINDS = ("exact", "hnsw", "ivf")
_METRICS = ("euclidean", "cosine")


class IndexFileError(ValueError):
    """A file is not a readable :class:`VectorIndex` (foreign, truncated, corrupt or edited)."""


class EmptyIndexError(ValueError):
    """A search was asked of an index that holds no vectors."""


def set_threads(n: int) -> int:
    """Make FAISS use ``n`` threads (OpenMP); return the previous number."""
    import faiss

    n = check_positive_int(n, "n")
    previous = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(n)
    return previous


def _packed(x, name):
    arr = check_array(x, name, ndim=2, dtype_kind="u")
    if arr.dtype != np.uint8:
        raise TypeError(f"{name}: expected packed bits of dtype uint8 (np.packbits), got {arr.dtype}")
    return np.ascontiguousarray(arr)


def hamming_search(query_packed, database_packed, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest database codes of each query in Hamming distance (FAISS ``IndexBinaryFlat``).

    Both arguments are packed bits, ``(n, n_bytes)`` uint8. Returns ``(distances, ids)``, both
    ``(n_queries, k)``: int32 counts of differing bits and int64 rows of ``database_packed``.
    """
    import faiss

    q, d = _packed(query_packed, "query_packed"), _packed(database_packed, "database_packed")
    if q.shape[1] != d.shape[1]:
        raise ValueError(f"query_packed: expected {d.shape[1]} bytes per code like database_packed, got {q.shape[1]}")
    k = check_positive_int(k, "k", maximum=len(d))
    index = faiss.IndexBinaryFlat(8 * d.shape[1])
    index.add(d)
    dist, ids = index.search(q, k)
    return dist.astype(np.int32), ids.astype(np.int64)


def sidecar_path(path) -> Path:
    """The JSON sidecar that :meth:`VectorIndex.save` writes beside the index file ``path``."""
    path = check_path(path)
    return path.with_name(path.name + ".json")


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _header_sha256(header: dict) -> str:
    """Checksum of every sidecar field but itself (settings, sizes and the index file's checksum)."""
    body = {k: v for k, v in header.items() if k != "header_sha256"}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


class VectorIndex:
    """A nearest-neighbour index over float vectors, exact or approximate, backed by FAISS.

    Parameters
    ----------
    dim : int
        Dimension of the vectors.
    kind : {"exact", "hnsw", "ivf"}
        ``"exact"``: brute force (``IndexFlat``). ``"hnsw"``: a navigable small-world graph
        (``IndexHNSWFlat``). ``"ivf"``: an inverted file of ``nlist`` k-means cells of which ``nprobe``
        are scanned (``IndexIVFFlat``), trained on the first vectors added (at least ``nlist``).
    metric : {"euclidean", "cosine"}
        ``"cosine"`` normalises vectors and uses inner products; distances come back as ``1 - cos``.
        ``"euclidean"`` distances come back unsquared.
    hnsw_m, ef_construction, ef_search : int
        HNSW graph degree, build-time and search-time beam widths.
    nlist, nprobe : int
        IVF cells and cells scanned per query.

    ``ef_search`` and ``nprobe`` may be changed after building (the speed / recall knob).
    """

    def __init__(self, dim: int, *, kind: str = "exact", metric: str = "euclidean", hnsw_m: int = 32,
                 ef_construction: int = 80, ef_search: int = 64, nlist: int = 1024, nprobe: int = 16):
        import faiss

        self.dim = check_positive_int(dim, "dim")
        self.kind = check_choice(kind, "kind", _KINDS)
        self.metric = check_choice(metric, "metric", _METRICS)
        self.params = {
            "hnsw_m": check_positive_int(hnsw_m, "hnsw_m", minimum=2),
            "ef_construction": check_positive_int(ef_construction, "ef_construction"),
            "ef_search": check_positive_int(ef_search, "ef_search"),
            "nlist": check_positive_int(nlist, "nlist"),
            "nprobe": check_positive_int(nprobe, "nprobe"),
        }
        fmetric = self._faiss_metric()
        if kind == "exact":
            self._index = faiss.IndexFlat(self.dim, fmetric)
        elif kind == "hnsw":
            self._index = faiss.IndexHNSWFlat(self.dim, self.params["hnsw_m"], fmetric)
            self._index.hnsw.efConstruction = self.params["ef_construction"]
        else:
            self._quantizer = faiss.IndexFlat(self.dim, fmetric)  # kept alive alongside the index
            self._index = faiss.IndexIVFFlat(self._quantizer, self.dim, self.params["nlist"], fmetric)
        self._apply_search_params()

    def _faiss_metric(self):
        import faiss

        return faiss.METRIC_INNER_PRODUCT if self.metric == "cosine" else faiss.METRIC_L2

    def _apply_search_params(self):
        if self.kind == "hnsw":
            self._index.hnsw.efSearch = self.params["ef_search"]
        elif self.kind == "ivf":
            self._index.nprobe = min(self.params["nprobe"], self.params["nlist"])

    @property
    def ef_search(self) -> int:
        """HNSW search beam width (larger: slower, better recall)."""
        return self.params["ef_search"]

    @ef_search.setter
    def ef_search(self, value: int):
        self.params["ef_search"] = check_positive_int(value, "ef_search")
        self._apply_search_params()

    @property
    def nprobe(self) -> int:
        """IVF cells scanned per query (larger: slower, better recall)."""
        return self.params["nprobe"]

    @nprobe.setter
    def nprobe(self, value: int):
        self.params["nprobe"] = check_positive_int(value, "nprobe")
        self._apply_search_params()

    @property
    def ntotal(self) -> int:
        """Number of vectors in the index."""
        return int(self._index.ntotal)

    def __len__(self) -> int:
        return self.ntotal

    def __repr__(self) -> str:
        return f"VectorIndex(dim={self.dim}, kind={self.kind!r}, metric={self.metric!r}, ntotal={self.ntotal})"

    def _prepare(self, x, name) -> np.ndarray:
        arr = check_array(x, name, ndim=2, dtype_kind="fiu")
        if arr.shape[1] != self.dim:
            raise ValueError(f"{name}: expected vectors of dimension {self.dim} (the index's dim), got {arr.shape[1]}")
        arr = np.ascontiguousarray(arr, dtype=np.float32)
        if self.metric == "cosine":
            arr = arr / np.maximum(np.linalg.norm(arr, axis=1, keepdims=True), 1e-12)
        return arr

    def _check_trainable(self, x, what):
        if len(x) < self.params["nlist"]:
            raise ValueError(f"vectors: {what} needs at least nlist={self.params['nlist']} vectors, got {len(x)}")

    def train(self, vectors) -> VectorIndex:
        """Train an IVF index's k-means cells on a sample ``(n >= nlist, dim)``; exact and HNSW need none.

        Optional: :meth:`add` trains an untrained IVF index on what it is given. Returns the index.
        """
        x = self._prepare(vectors, "vectors")
        if self.kind != "ivf":
            return self
        self._check_trainable(x, "training an IVF index")
        if self.ntotal:
            raise ValueError("vectors: the IVF index already holds vectors; train it before adding any")
        self._index.train(x)
        return self

    def add(self, vectors) -> np.ndarray:
        """Add ``(n, dim)`` vectors; return their ids (consecutive, from ``ntotal``)."""
        x = self._prepare(vectors, "vectors")
        if not self._index.is_trained:
            self._check_trainable(x, "an untrained IVF index")
            self._index.train(x)
        first = self.ntotal
        self._index.add(x)
        return np.arange(first, self.ntotal, dtype=np.int64)

    def search(self, queries, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` nearest stored vectors of each query: ``(distances, ids)``, both ``(n_queries, k)``.

        Nearest first. An approximate index may find fewer than ``k`` (ids ``-1``, distance inf).
        Raises :class:`EmptyIndexError` on an empty index, ``ValueError`` for a wrong dimension or ``k``.
        """
        if self.ntotal == 0:
            raise EmptyIndexError("search: the index is empty; add vectors before searching")
        q = self._prepare(queries, "queries")
        k = check_positive_int(k, "k")
        if k > self.ntotal:
            raise ValueError(f"k: expected at most the {self.ntotal} vectors in the index, got {k}")
        dist, ids = self._index.search(q, k)
        missing = ids < 0
        dist = 1.0 - dist if self.metric == "cosine" else np.sqrt(np.maximum(dist, 0.0))
        dist[missing] = np.inf
        return dist.astype(np.float32), ids.astype(np.int64)

    def reconstruct(self, i: int) -> np.ndarray:
        """Return stored vector number ``i`` (normalised for cosine); exact and HNSW indexes only."""
        if self.ntotal == 0:
            raise EmptyIndexError("reconstruct: the index is empty")
        i = check_positive_int(i, "i", minimum=0, maximum=self.ntotal - 1)
        if self.kind == "ivf":
            raise NotImplementedError("reconstruct: not available for an IVF index")
        return self._index.reconstruct(i)

    def save(self, path, *, overwrite: bool = False) -> Path:
        """Write the index to ``path`` (``faiss.write_index``) and its JSON sidecar to ``<path>.json``.

        Refuses to replace either file unless ``overwrite``. Both are written to unique temporary names
        beside ``path`` and moved into place only when complete. Returns ``path``.
        """
        import faiss

        path, side = check_path(path), sidecar_path(path)
        if path.is_dir():
            raise IsADirectoryError(f"path: expected a file name, got the directory {str(path)!r}")
        for p in (path, side):
            if p.exists() and not overwrite:
                raise FileExistsError(f"path: {str(p)!r} already exists; pass overwrite=True to replace it")
        with atomic_path(path) as tmp:
            faiss.write_index(self._index, str(tmp))
            header = {"format": _FORMAT, "dim": self.dim, "kind": self.kind, "metric": self.metric,
                      "params": self.params, "ntotal": self.ntotal, "index_bytes": tmp.stat().st_size,
                      "index_sha256": _sha256_file(tmp)}
            header["header_sha256"] = _header_sha256(header)
            atomic_write_text(side, json.dumps(header, indent=1, sort_keys=True) + "\n")
        return path

    @classmethod
    def load(cls, path) -> VectorIndex:
        """Read an index written by :meth:`save`; ``IndexFileError`` names what is wrong with a bad file.

        The sidecar must exist and be intact (its checksum covers the settings), and the index file must
        have the size and SHA-256 the sidecar records and agree with it on dimension, size and metric.
        """
        import faiss

        path = check_path(path)
        side = sidecar_path(path)
        if not path.is_file():
            raise FileNotFoundError(f"path: expected an existing index file, got {str(path)!r}")
        if not side.is_file():
            raise IndexFileError(f"path: {str(path)!r} has no sidecar {side.name!r}; not saved by VectorIndex.save")
        try:
            header = json.loads(side.read_text())
            fmt, digest = header["format"], header["header_sha256"]
            dim, kind, metric, params = header["dim"], header["kind"], header["metric"], dict(header["params"])
            ntotal, n_bytes, index_sha = int(header["ntotal"]), int(header["index_bytes"]), header["index_sha256"]
        except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise IndexFileError(f"path: sidecar {str(side)!r} is corrupt ({type(exc).__name__}: {exc})") from exc
        if fmt != _FORMAT:
            raise IndexFileError(f"path: {str(side)!r} has format {fmt!r}; this aeutils reads {_FORMAT!r}")
        if digest != _header_sha256(header):
            raise IndexFileError(f"path: sidecar {str(side)!r} was edited or is corrupt (its sha256 does not match)")
        if path.stat().st_size != n_bytes or _sha256_file(path) != index_sha:
            raise IndexFileError(f"path: {str(path)!r} is truncated or corrupt (size or sha256 differs from its sidecar)")
        try:
            obj = cls(dim, kind=kind, metric=metric, **params)
            index = faiss.read_index(str(path))
        except Exception as exc:
            raise IndexFileError(f"path: {str(path)!r} could not be read ({type(exc).__name__}: {exc})") from exc
        if index.d != dim or index.ntotal != ntotal or index.metric_type != obj._faiss_metric():
            raise IndexFileError(f"path: {str(path)!r} disagrees with its sidecar (dimension, size or metric)")
        obj._index, obj._quantizer = index, None
        obj._apply_search_params()
        return obj
