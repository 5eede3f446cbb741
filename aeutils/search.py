"""Similar-item search with autoencoder codes (introduced in notebook 06).

Three parts, each usable on its own:

* **Retrieval metrics** with class labels as relevance: :func:`ranking_metrics`
  ranks a whole database for every query (chunked NumPy) and returns mAP,
  precision@k and a precision-recall curve; :func:`precision_at_k`,
  :func:`average_precision` and :func:`precision_recall_curve` are the textbook
  definitions on an already ranked relevance matrix.
* **Binary hashing**: :func:`binarize`, :func:`pack_bits`, :func:`unpack_bits`,
  :func:`hamming_distances` and :func:`hamming_search` (FAISS binary index).
* **Encoders to compare**: :func:`build_conv_autoencoder`, :func:`build_vae`
  (with the :class:`KLGaussianSampler` layer) and :func:`build_hashing_autoencoder`
  (noise before a sigmoid pushes codes to 0/1), small enough to train in the
  notebook.
* **Showing results**: :func:`plot_gallery` draws queries beside their results,
  framed green (same class) or red.
* **Scale**: :class:`VectorIndex`, an exact or approximate (HNSW, IVF) nearest
  neighbour index backed by ``faiss-cpu`` with validated ``add``/``search`` and a
  checked ``save``/``load`` file format. :func:`set_threads` fixes how many
  threads FAISS uses, so that timings are comparable.
"""
from __future__ import annotations

import hashlib
import json
import os
import struct
from pathlib import Path

import keras
import numpy as np

from .core.validation import check_array, check_choice, check_positive_int

__all__ = [
    "IndexFileError",
    "EmptyIndexError",
    "precision_at_k",
    "average_precision",
    "precision_recall_curve",
    "pairwise_distances",
    "ranking_metrics",
    "binarize",
    "pack_bits",
    "unpack_bits",
    "hamming_distances",
    "hamming_search",
    "set_threads",
    "VectorIndex",
    "KLGaussianSampler",
    "build_conv_autoencoder",
    "build_vae",
    "build_hashing_autoencoder",
    "plot_gallery",
]


class IndexFileError(ValueError):
    """A file is not a readable :class:`VectorIndex` file (foreign format, truncated or corrupt)."""


class EmptyIndexError(ValueError):
    """A search was asked of an index that holds no vectors."""


# ---------------------------------------------------------------------------
# Retrieval metrics
# ---------------------------------------------------------------------------


def _relevance(relevance) -> np.ndarray:
    rel = check_array(relevance, "relevance", ndim=2, dtype_kind="biu", value_range=(0, 1))
    return rel.astype(bool)


def precision_at_k(relevance, k: int) -> float:
    """Mean precision of the first ``k`` results.

    Parameters
    ----------
    relevance : array (n_queries, n_ranked) of bool or 0/1
        ``relevance[q, r]`` says whether the result at rank ``r`` (0 = nearest)
        of query ``q`` is relevant (e.g. has the query's class).
    k : int
        How many results count; at most ``n_ranked``.
    """
    rel = _relevance(relevance)
    k = check_positive_int(k, "k", maximum=rel.shape[1])
    return float(rel[:, :k].mean())


def average_precision(relevance, n_relevant=None) -> np.ndarray:
    r"""Average precision of each query: :math:`\frac{1}{R}\sum_{r:\,rel_r} P@r`.

    Parameters
    ----------
    relevance : array (n_queries, n_ranked) of bool or 0/1
        Relevance in rank order (see :func:`precision_at_k`).
    n_relevant : array (n_queries,), optional
        ``R``, the number of relevant items in the whole database; defaults to
        the relevant items in ``relevance`` (right when the whole database is
        ranked). Queries with ``R = 0`` get NaN.
    """
    rel = _relevance(relevance)
    hits = np.cumsum(rel, axis=1)
    ranks = np.arange(1, rel.shape[1] + 1)
    total = np.where(rel, hits / ranks, 0.0).sum(axis=1)
    if n_relevant is None:
        n_rel = rel.sum(axis=1)
    else:
        n_rel = check_array(n_relevant, "n_relevant", shape=(rel.shape[0],), dtype_kind="iu", value_range=(0, None))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n_rel > 0, total / np.maximum(n_rel, 1), np.nan)


def precision_recall_curve(relevance, ranks=None, n_relevant=None) -> tuple[np.ndarray, np.ndarray]:
    """Mean precision and recall over queries after the first ``r`` results, for each ``r`` in ``ranks``.

    Returns ``(recall, precision)``, two arrays of ``len(ranks)`` values
    (``ranks`` defaults to every rank 1..n_ranked).
    """
    rel = _relevance(relevance)
    n = rel.shape[1]
    ranks = np.arange(1, n + 1) if ranks is None else check_array(ranks, "ranks", ndim=1, dtype_kind="iu", value_range=(1, n))
    n_rel = rel.sum(axis=1) if n_relevant is None else check_array(
        n_relevant, "n_relevant", shape=(rel.shape[0],), dtype_kind="iu", value_range=(1, None)
    )
    hits = np.cumsum(rel, axis=1)[:, ranks - 1]
    precision = (hits / ranks).mean(axis=0)
    recall = (hits / np.maximum(n_rel, 1)[:, None]).mean(axis=0)
    return recall, precision


_METRICS = ("euclidean", "cosine", "hamming")


def _as_float_codes(x, name):
    arr = check_array(x, name, ndim=2, dtype_kind="fiub")
    return np.ascontiguousarray(arr, dtype=np.float32)


def _prepare(x, metric, name):
    """Codes ready for a distance matmul: (matrix, squared norms or None)."""
    if metric == "hamming":
        bits = unpack_bits(x).astype(np.float32)
        return bits, bits.sum(axis=1)
    m = _as_float_codes(x, name)
    if metric == "cosine":
        m = m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-12)
        return m, None
    return m, np.einsum("ij,ij->i", m, m)


def _distances(qp, dp, metric) -> np.ndarray:
    """Distances from prepared queries ``qp`` to prepared database ``dp`` (few temporaries)."""
    (q, qn), (d, dn) = qp, dp
    out = q @ d.T
    if metric == "cosine":
        np.subtract(1.0, out, out=out)
    else:
        out *= -2.0
        out += qn[:, None]
        out += dn[None, :]
        if metric == "hamming":
            np.rint(out, out=out)
    np.maximum(out, 0.0, out=out)
    out += 0.0  # turn -0.0 into +0.0 (its bits would sort last)
    return out


def pairwise_distances(queries, database, metric: str = "euclidean") -> np.ndarray:
    """Distances between every query and every database item, shape ``(n_queries, n_database)``.

    ``metric``: ``"euclidean"`` (squared Euclidean, which ranks the same),
    ``"cosine"`` (``1 - cos``, in [0, 2]) or ``"hamming"`` (both arguments packed
    bits from :func:`pack_bits`; the number of differing bits). Float32
    arithmetic; tiny negative rounding errors are clipped to 0.
    """
    check_choice(metric, "metric", _METRICS)
    qp = _prepare(queries, metric, "queries")
    dp = _prepare(database, metric, "database")
    if qp[0].shape[1] != dp[0].shape[1]:
        raise ValueError(
            f"queries: expected codes of {dp[0].shape[1]} {'bits' if metric == 'hamming' else 'dimensions'} "
            f"like database, got {qp[0].shape[1]}"
        )
    return _distances(qp, dp, metric)


def _sort_keys(dist: np.ndarray, rel: np.ndarray, integer: bool) -> np.ndarray:
    """Sortable unsigned keys whose lowest bit is the relevance flag.

    Float distances (>= 0): the float32 bit pattern, which sorts like the
    value, with the lowest mantissa bit replaced by the flag (built in place).
    Integer distances: the distance, then the database index (ties broken by
    database order), then the flag.
    """
    if not integer:
        keys = np.ascontiguousarray(dist, dtype=np.float32).view(np.uint32)
        keys &= np.uint32(0xFFFFFFFE)
        keys |= rel
        return keys
    n = dist.shape[1]
    idx_bits = max(1, int(n - 1).bit_length())
    dist_bits = max(1, int(dist.max()).bit_length())
    dtype = np.uint32 if dist_bits + idx_bits + 1 <= 32 else np.uint64
    keys = dist.astype(dtype) << dtype(idx_bits + 1)
    keys |= np.arange(n, dtype=dtype)[None, :] << dtype(1)
    keys |= rel
    return keys


def ranking_metrics(
    query_codes,
    database_codes,
    query_labels,
    database_labels,
    *,
    metric: str = "euclidean",
    ks=(1, 10, 100),
    curve_ranks=None,
    chunk_size: int = 256,
) -> dict:
    """Rank the whole database for every query and measure retrieval quality.

    An item is relevant to a query when it has the query's label. Every query
    ranks all ``n_database`` items (chunks of ``chunk_size`` queries at a time,
    so memory stays at ``chunk_size * n_database`` distances).

    Parameters
    ----------
    query_codes, database_codes : arrays (n, d)
        Codes (float) or, for ``metric="hamming"``, packed bits (uint8).
    query_labels, database_labels : int arrays (n,)
        Class labels, used as relevance.
    metric : {"euclidean", "cosine", "hamming"}
        See :func:`pairwise_distances`. Ties of integer (Hamming) distances are
        broken by database order; float distances are compared at float32
        precision (less one bit).
    ks : tuple of int
        Precision@k cut-offs.
    curve_ranks : int array, optional
        Ranks at which the precision-recall curve is sampled (default: 60
        log-spaced ranks from 1 to ``n_database``).
    chunk_size : int
        Queries per chunk.

    Returns
    -------
    dict
        ``"map"``, ``"p{k}"`` for each k, ``"ap"`` (per query), and the curve as
        ``"curve_ranks"``, ``"curve_recall"``, ``"curve_precision"``.
    """
    check_choice(metric, "metric", _METRICS)
    if metric == "hamming":
        q = check_array(query_codes, "query_codes", ndim=2, dtype_kind="u")
        d = check_array(database_codes, "database_codes", ndim=2, dtype_kind="u")
        for arr, name in ((q, "query_codes"), (d, "database_codes")):
            if arr.dtype != np.uint8:
                raise TypeError(f"{name}: expected packed bits of dtype uint8 (from pack_bits), got {arr.dtype}")
    else:
        q = _as_float_codes(query_codes, "query_codes")
        d = _as_float_codes(database_codes, "database_codes")
    if q.shape[1] != d.shape[1]:
        raise ValueError(f"query_codes: expected {d.shape[1]} columns like database_codes, got {q.shape[1]}")
    ql = check_array(query_labels, "query_labels", shape=(len(q),), dtype_kind="iu")
    dl = check_array(database_labels, "database_labels", shape=(len(d),), dtype_kind="iu")
    n_db = len(d)
    if isinstance(ks, (int, np.integer)):
        ks = (ks,)
    ks = tuple(check_positive_int(int(k) if isinstance(k, np.integer) else k, "ks", maximum=n_db) for k in ks)
    if curve_ranks is None:
        curve_ranks = np.unique(np.round(np.logspace(0, np.log10(n_db), 60)).astype(np.int64))
    curve_ranks = check_array(curve_ranks, "curve_ranks", ndim=1, dtype_kind="iu", value_range=(1, n_db)).astype(np.int64)
    chunk_size = check_positive_int(chunk_size, "chunk_size")

    labels, counts = np.unique(dl, return_counts=True)
    count_of = dict(zip(labels.tolist(), counts.tolist()))
    n_rel_all = np.array([count_of.get(int(v), 0) for v in ql], dtype=np.int64)
    dp = _prepare(d, metric, "database_codes")
    qp_all = _prepare(q, metric, "query_codes")
    ap = np.empty(len(q))
    p_sums = np.zeros(len(ks))
    curve_hits = np.zeros(len(curve_ranks))
    curve_recall = np.zeros(len(curve_ranks))
    for start in range(0, len(q), chunk_size):
        stop = min(start + chunk_size, len(q))
        m = stop - start
        qp = (qp_all[0][start:stop], None if qp_all[1] is None else qp_all[1][start:stop])
        dist = _distances(qp, dp, metric)
        rel = dl[None, :] == ql[start:stop, None]
        keys = _sort_keys(dist, rel, integer=(metric == "hamming"))
        del dist, rel
        keys.sort(axis=1)
        # the lowest byte (little-endian view) holds the relevance flag
        low = keys.view(np.uint8).reshape(m, n_db, keys.itemsize)[:, :, 0 if np.little_endian else -1]
        # flat positions of the relevant results, in rank order within each row
        pos = np.flatnonzero((low & 1).view(bool))
        del keys, low
        row = pos // n_db
        rank = pos - row * n_db + 1  # 1-based rank of each relevant result
        row_start = np.searchsorted(pos, np.arange(m) * n_db)
        hit = np.arange(len(pos)) - row_start[row] + 1  # relevant results up to and including it
        n_rel = n_rel_all[start:stop]
        prec_sum = np.bincount(row, weights=hit / rank, minlength=m)
        with np.errstate(invalid="ignore", divide="ignore"):
            ap[start:stop] = np.where(n_rel > 0, prec_sum / np.maximum(n_rel, 1), np.nan)
        # hits within the first r results = relevant positions before flat offset row * n_db + r
        for i, k in enumerate(ks):
            p_sums[i] += (np.searchsorted(pos, np.arange(m) * n_db + k) - row_start).sum() / k
        sampled = np.searchsorted(pos, (np.arange(m) * n_db)[:, None] + curve_ranks[None, :]) - row_start[:, None]
        curve_hits += sampled.sum(axis=0)
        curve_recall += (sampled / np.maximum(n_rel, 1)[:, None]).sum(axis=0)
    n_q = len(q)
    out = {"map": float(np.nanmean(ap)) if np.isfinite(ap).any() else float("nan"), "ap": ap}
    for i, k in enumerate(ks):
        out[f"p{k}"] = float(p_sums[i] / n_q)
    out["curve_ranks"] = curve_ranks
    out["curve_precision"] = curve_hits / n_q / curve_ranks
    out["curve_recall"] = curve_recall / n_q
    return out


# ---------------------------------------------------------------------------
# Binary codes and Hamming search
# ---------------------------------------------------------------------------


def binarize(codes, threshold: float = 0.5) -> np.ndarray:
    """Return ``codes > threshold`` as a uint8 array of 0/1 bits (same shape)."""
    x = check_array(codes, "codes", ndim=2, dtype_kind="fiub")
    if not isinstance(threshold, (int, float)) or isinstance(threshold, bool) or not np.isfinite(threshold):
        raise TypeError(f"threshold: expected a finite number, got {threshold!r}")
    return (x > threshold).astype(np.uint8)


def pack_bits(bits) -> np.ndarray:
    """Pack an ``(n, n_bits)`` array of 0/1 bits into ``(n, ceil(n_bits / 8))`` bytes (uint8).

    ``n_bits`` must be a multiple of 8 (FAISS binary indexes and the byte-wise
    Hamming distance need whole bytes).
    """
    b = check_array(bits, "bits", ndim=2, dtype_kind="biu", value_range=(0, 1))
    if b.shape[1] % 8:
        raise ValueError(f"bits: expected a number of bits that is a multiple of 8, got {b.shape[1]}")
    return np.packbits(b.astype(np.uint8), axis=1)


def unpack_bits(packed) -> np.ndarray:
    """Inverse of :func:`pack_bits`: ``(n, n_bytes)`` uint8 -> ``(n, 8 * n_bytes)`` 0/1 uint8."""
    p = check_array(packed, "packed", ndim=2, dtype_kind="u")
    if p.dtype != np.uint8:
        raise TypeError(f"packed: expected dtype uint8 (from pack_bits), got {p.dtype}")
    return np.unpackbits(p, axis=1)


def hamming_distances(query_packed, database_packed) -> np.ndarray:
    """Hamming distance between every packed query and database code, ``(n_q, n_db)`` int32."""
    q = check_array(query_packed, "query_packed", ndim=2, dtype_kind="u")
    d = check_array(database_packed, "database_packed", ndim=2, dtype_kind="u")
    for arr, name in ((q, "query_packed"), (d, "database_packed")):
        if arr.dtype != np.uint8:
            raise TypeError(f"{name}: expected dtype uint8 (from pack_bits), got {arr.dtype}")
    if q.shape[1] != d.shape[1]:
        raise ValueError(f"query_packed: expected {d.shape[1]} bytes per code like database_packed, got {q.shape[1]}")
    return np.bitwise_count(q[:, None, :] ^ d[None, :, :]).sum(axis=2, dtype=np.int32)


def hamming_search(query_packed, database_packed, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest database codes of each query in Hamming distance (FAISS ``IndexBinaryFlat``).

    Returns ``(distances, ids)``, both ``(n_queries, k)``: int32 bit counts and
    int64 row numbers of ``database_packed``. Equal distances come in an
    unspecified (but repeatable) order.
    """
    import faiss

    q = check_array(query_packed, "query_packed", ndim=2, dtype_kind="u")
    d = check_array(database_packed, "database_packed", ndim=2, dtype_kind="u")
    for arr, name in ((q, "query_packed"), (d, "database_packed")):
        if arr.dtype != np.uint8:
            raise TypeError(f"{name}: expected dtype uint8 (from pack_bits), got {arr.dtype}")
    if q.shape[1] != d.shape[1]:
        raise ValueError(f"query_packed: expected {d.shape[1]} bytes per code like database_packed, got {q.shape[1]}")
    k = check_positive_int(k, "k", maximum=len(d))
    index = faiss.IndexBinaryFlat(8 * d.shape[1])
    index.add(np.ascontiguousarray(d))
    dist, ids = index.search(np.ascontiguousarray(q), k)
    return dist.astype(np.int32), ids.astype(np.int64)


# ---------------------------------------------------------------------------
# FAISS-backed index
# ---------------------------------------------------------------------------


def set_threads(n: int) -> int:
    """Make FAISS use ``n`` threads (OpenMP); return the previous number."""
    import faiss

    n = check_positive_int(n, "n")
    previous = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(n)
    return previous


_MAGIC = b"AEUTILS-VECTOR-INDEX\n"
_FORMAT = 1
_KINDS = ("exact", "hnsw", "ivf")
_INDEX_METRICS = ("euclidean", "cosine")


class VectorIndex:
    """A nearest-neighbour index over float vectors, exact or approximate, backed by FAISS.

    Parameters
    ----------
    dim : int
        Dimension of the vectors.
    kind : {"exact", "hnsw", "ivf"}
        ``"exact"``: brute force (``IndexFlat``), always right, cost linear in
        the database size. ``"hnsw"``: a navigable small-world graph
        (``IndexHNSWFlat``). ``"ivf"``: an inverted file of ``nlist`` k-means
        cells of which ``nprobe`` are scanned (``IndexIVFFlat``); it is trained
        on the first vectors added (at least ``nlist`` of them).
    metric : {"euclidean", "cosine"}
        ``"cosine"`` normalises vectors and uses inner products; distances come
        back as ``1 - cos``. ``"euclidean"`` distances come back unsquared.
    hnsw_m, ef_construction, ef_search : int
        HNSW graph degree, build-time and search-time beam widths.
    nlist, nprobe : int
        IVF cells and cells scanned per query.

    ``ef_search`` and ``nprobe`` may be changed after building (the speed /
    recall knob). Search results for one query are ordered nearest first.
    """

    def __init__(
        self,
        dim: int,
        *,
        kind: str = "exact",
        metric: str = "euclidean",
        hnsw_m: int = 32,
        ef_construction: int = 80,
        ef_search: int = 64,
        nlist: int = 1024,
        nprobe: int = 16,
    ):
        import faiss

        self.dim = check_positive_int(dim, "dim")
        self.kind = check_choice(kind, "kind", _KINDS)
        self.metric = check_choice(metric, "metric", _INDEX_METRICS)
        self.params = {
            "hnsw_m": check_positive_int(hnsw_m, "hnsw_m", minimum=2),
            "ef_construction": check_positive_int(ef_construction, "ef_construction"),
            "ef_search": check_positive_int(ef_search, "ef_search"),
            "nlist": check_positive_int(nlist, "nlist"),
            "nprobe": check_positive_int(nprobe, "nprobe"),
        }
        fmetric = faiss.METRIC_INNER_PRODUCT if metric == "cosine" else faiss.METRIC_L2
        if kind == "exact":
            self._index = faiss.IndexFlat(self.dim, fmetric)
        elif kind == "hnsw":
            self._index = faiss.IndexHNSWFlat(self.dim, self.params["hnsw_m"], fmetric)
            self._index.hnsw.efConstruction = self.params["ef_construction"]
        else:
            quantizer = faiss.IndexFlat(self.dim, fmetric)
            self._index = faiss.IndexIVFFlat(quantizer, self.dim, self.params["nlist"], fmetric)
            self._quantizer = quantizer  # keep it alive alongside the index
        self._apply_search_params()

    # -- knobs -------------------------------------------------------------
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

    # -- data --------------------------------------------------------------
    def _prepare(self, x, name) -> np.ndarray:
        arr = check_array(x, name, ndim=2, dtype_kind="fiu")
        if arr.shape[1] != self.dim:
            raise ValueError(f"{name}: expected vectors of dimension {self.dim} (the index's dim), got {arr.shape[1]}")
        arr = np.ascontiguousarray(arr, dtype=np.float32)
        if self.metric == "cosine":
            arr = arr / np.maximum(np.linalg.norm(arr, axis=1, keepdims=True), 1e-12)
        return arr

    def train(self, vectors) -> VectorIndex:
        """Train an IVF index's k-means cells on a sample ``(n >= nlist, dim)``; exact and HNSW need none.

        Optional: :meth:`add` trains an untrained IVF index on the vectors it
        is given. Training on a sample (say 50 vectors per cell) is faster.
        Returns the index itself.
        """
        x = self._prepare(vectors, "vectors")
        if self.kind != "ivf":
            return self
        if len(x) < self.params["nlist"]:
            raise ValueError(
                f"vectors: training an IVF index needs at least nlist={self.params['nlist']} vectors, got {len(x)}"
            )
        if self.ntotal:
            raise ValueError("vectors: the IVF index already holds vectors; train it before adding any")
        self._index.train(x)
        return self

    def add(self, vectors) -> np.ndarray:
        """Add ``(n, dim)`` vectors; return their ids (consecutive, from ``ntotal``).

        An IVF index not yet trained is trained on these vectors first.
        """
        x = self._prepare(vectors, "vectors")
        if not self._index.is_trained:
            if len(x) < self.params["nlist"]:
                raise ValueError(
                    f"vectors: an untrained IVF index needs at least nlist={self.params['nlist']} vectors "
                    f"to train on, got {len(x)}"
                )
            self._index.train(x)
        first = self.ntotal
        self._index.add(x)
        return np.arange(first, self.ntotal, dtype=np.int64)

    def search(self, queries, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` nearest stored vectors of each query.

        Returns ``(distances, ids)``, both ``(n_queries, k)``, nearest first.
        An approximate index may find fewer than ``k`` (ids ``-1``, distance inf).

        Raises
        ------
        EmptyIndexError
            When the index holds no vectors.
        ValueError
            For a dimension mismatch or ``k`` larger than the index.
        """
        if self.ntotal == 0:
            raise EmptyIndexError("search: the index is empty; add vectors before searching")
        q = self._prepare(queries, "queries")
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
            raise TypeError(f"k: expected an integer >= 1, got {type(k).__name__} {k!r}")
        if k > self.ntotal:
            raise ValueError(f"k: expected at most the {self.ntotal} vectors in the index, got {k}")
        k = check_positive_int(int(k), "k")
        dist, ids = self._index.search(q, k)
        missing = ids < 0
        if self.metric == "cosine":
            dist = 1.0 - dist
        else:
            dist = np.sqrt(np.maximum(dist, 0.0))
        dist[missing] = np.inf
        return dist.astype(np.float32), ids.astype(np.int64)

    def reconstruct(self, i: int) -> np.ndarray:
        """Return the stored vector number ``i`` (normalised for cosine); exact and HNSW indexes only."""
        i = check_positive_int(i, "i", minimum=0, maximum=max(self.ntotal - 1, 0))
        if self.ntotal == 0:
            raise EmptyIndexError("reconstruct: the index is empty")
        if self.kind == "ivf":
            raise NotImplementedError("reconstruct: not available for an IVF index")
        return self._index.reconstruct(i)

    # -- files -------------------------------------------------------------
    def save(self, path, *, overwrite: bool = False) -> Path:
        """Write the index to ``path``; refuse to replace an existing file unless ``overwrite``.

        The file holds a magic line, a JSON header (settings, sizes, sha256 of
        the payload) and the FAISS-serialised index, so :meth:`load` can tell a
        foreign or damaged file from a good one. Written atomically.
        """
        import faiss

        path = Path(path)
        if path.is_dir():
            raise IsADirectoryError(f"path: expected a file name, got the directory {str(path)!r}")
        if path.exists() and not overwrite:
            raise FileExistsError(f"path: {str(path)!r} already exists; pass overwrite=True to replace it")
        payload = faiss.serialize_index(self._index).tobytes()
        header = {
            "format": _FORMAT,
            "dim": self.dim,
            "kind": self.kind,
            "metric": self.metric,
            "params": self.params,
            "ntotal": self.ntotal,
            "payload_bytes": len(payload),
            "payload_sha256": hashlib.sha256(payload).hexdigest(),
        }
        head = json.dumps(header, sort_keys=True).encode()
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(_MAGIC)
            f.write(struct.pack("<Q", len(head)))
            f.write(head)
            f.write(payload)
        os.replace(tmp, path)
        return path

    @classmethod
    def load(cls, path) -> VectorIndex:
        """Read an index written by :meth:`save`.

        Raises
        ------
        FileNotFoundError
            When ``path`` is not a file.
        IndexFileError
            When the file is foreign (no magic line), truncated or corrupt
            (bad header, checksum mismatch, FAISS cannot read it).
        """
        import faiss

        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"path: expected an existing index file, got {str(path)!r}")
        data = path.read_bytes()
        if not data.startswith(_MAGIC):
            raise IndexFileError(
                f"path: {str(path)!r} is not an aeutils VectorIndex file (foreign format: starts with {data[:16]!r})"
            )
        pos = len(_MAGIC)
        if len(data) < pos + 8:
            raise IndexFileError(f"path: {str(path)!r} is truncated (no header length)")
        (n_head,) = struct.unpack("<Q", data[pos : pos + 8])
        pos += 8
        if n_head > len(data) - pos:
            raise IndexFileError(f"path: {str(path)!r} is truncated or corrupt (header of {n_head} bytes does not fit)")
        try:
            header = json.loads(data[pos : pos + n_head].decode())
            fmt, dim, kind, metric = header["format"], header["dim"], header["kind"], header["metric"]
            params, ntotal = dict(header["params"]), int(header["ntotal"])
            n_payload, digest = int(header["payload_bytes"]), str(header["payload_sha256"])
        except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise IndexFileError(f"path: {str(path)!r} has a corrupt header ({type(exc).__name__}: {exc})") from exc
        if fmt != _FORMAT:
            raise IndexFileError(f"path: {str(path)!r} uses index format {fmt!r}; this aeutils reads format {_FORMAT}")
        payload = data[pos + n_head :]
        if len(payload) != n_payload:
            raise IndexFileError(
                f"path: {str(path)!r} is truncated or corrupt (payload of {len(payload)} bytes, expected {n_payload})"
            )
        if hashlib.sha256(payload).hexdigest() != digest:
            raise IndexFileError(f"path: {str(path)!r} is corrupt (payload sha256 does not match its header)")
        try:
            obj = cls(dim, kind=kind, metric=metric, **params)
            index = faiss.deserialize_index(np.frombuffer(payload, dtype=np.uint8))
        except Exception as exc:
            raise IndexFileError(f"path: {str(path)!r} could not be read ({type(exc).__name__}: {exc})") from exc
        if index.d != dim or index.ntotal != ntotal:
            raise IndexFileError(
                f"path: {str(path)!r} is inconsistent (header says dim={dim}, ntotal={ntotal}; "
                f"index has dim={index.d}, ntotal={index.ntotal})"
            )
        obj._index = index
        if kind == "ivf":
            obj._quantizer = None
        obj._apply_search_params()
        return obj


# ---------------------------------------------------------------------------
# Encoders compared in notebook 06
# ---------------------------------------------------------------------------


@keras.saving.register_keras_serializable(package="aeutils")
class KLGaussianSampler(keras.layers.Layer):
    r"""Draw :math:`z = \mu + \sigma\,\varepsilon` from ``[mean, log_var]`` and add the KL loss.

    The layer adds ``kl_weight * KL(N(mu, sigma^2) || N(0, I))`` (summed over
    code dimensions, averaged over the batch) to the model's losses. At
    inference it returns the mean, so a VAE's ``encoder(x)`` gives its means.
    """

    def __init__(self, kl_weight: float = 1.0, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(kl_weight, bool) or not isinstance(kl_weight, (int, float)) or kl_weight < 0:
            raise ValueError(f"kl_weight: expected a number >= 0, got {kl_weight!r}")
        self.kl_weight = float(kl_weight)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs, training=None):
        mean, log_var = inputs
        ops = keras.ops
        kl = -0.5 * ops.mean(ops.sum(1.0 + log_var - ops.square(mean) - ops.exp(log_var), axis=-1))
        self.add_loss(self.kl_weight * kl)
        if not training:
            return mean
        eps = keras.random.normal(ops.shape(mean), seed=self.seed_generator)
        return mean + ops.exp(0.5 * log_var) * eps

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "kl_weight": self.kl_weight, "seed": self.seed}


def build_conv_autoencoder(code_size: int = 32, filters: tuple[int, int] = (16, 32), dense: int = 256, name: str = "conv_ae"):
    """A small convolutional autoencoder for 28x28 images.

    Encoder: two stride-2 3x3 convolutions (``filters``), a dense layer of
    ``dense`` units, a linear code of ``code_size``; the decoder mirrors it with
    transposed convolutions and a sigmoid output. Returns ``(autoencoder,
    encoder, decoder)``.
    """
    code_size = check_positive_int(code_size, "code_size")
    if not isinstance(filters, (tuple, list)) or len(filters) != 2:
        raise TypeError(f"filters: expected a pair of filter counts, got {filters!r}")
    f1, f2 = (check_positive_int(f, "filters") for f in filters)
    dense = check_positive_int(dense, "dense")
    L = keras.layers
    inp = keras.Input((28, 28), name="image")
    h = L.Reshape((28, 28, 1))(inp)
    h = L.Conv2D(f1, 3, strides=2, padding="same", activation="relu", name="conv_0")(h)
    h = L.Conv2D(f2, 3, strides=2, padding="same", activation="relu", name="conv_1")(h)
    h = L.Flatten()(h)
    h = L.Dense(dense, activation="relu", name="enc_dense")(h)
    code = L.Dense(code_size, name="code")(h)
    encoder = keras.Model(inp, code, name=f"{name}_encoder")
    code_in = keras.Input((code_size,), name="code_in")
    h = L.Dense(dense, activation="relu", name="dec_dense")(code_in)
    h = L.Dense(7 * 7 * f2, activation="relu", name="dec_grid")(h)
    h = L.Reshape((7, 7, f2))(h)
    h = L.Conv2DTranspose(f1, 3, strides=2, padding="same", activation="relu", name="deconv_0")(h)
    h = L.Conv2DTranspose(1, 3, strides=2, padding="same", activation="sigmoid", name="deconv_1")(h)
    out = L.Reshape((28, 28))(h)
    decoder = keras.Model(code_in, out, name=f"{name}_decoder")
    return keras.Model(inp, decoder(encoder(inp)), name=name), encoder, decoder


def build_vae(
    code_size: int = 32,
    hidden: tuple[int, ...] = (512, 256),
    kl_weight: float = 1.0 / 784,
    seed: int | None = None,
    name: str = "vae",
):
    """A dense variational autoencoder for 28x28 images.

    The encoder maps an image to ``mean`` and ``log_var`` of a Gaussian code;
    :class:`KLGaussianSampler` samples it during training (adding the KL term,
    weighted by ``kl_weight``: ``1/784`` makes it the ELBO per pixel when the
    reconstruction loss is a per-pixel mean such as ``"binary_crossentropy"``).
    Returns ``(vae, encoder, decoder)`` where ``encoder(x)`` gives the means.
    """
    code_size = check_positive_int(code_size, "code_size")
    if not isinstance(hidden, (tuple, list)) or not hidden:
        raise TypeError(f"hidden: expected a non-empty tuple of layer widths, got {hidden!r}")
    hidden = tuple(check_positive_int(h, "hidden") for h in hidden)
    L = keras.layers
    inp = keras.Input((28, 28), name="image")
    h = L.Flatten()(inp)
    for i, width in enumerate(hidden):
        h = L.Dense(width, activation="relu", name=f"enc_{i}")(h)
    mean = L.Dense(code_size, name="mean")(h)
    log_var = L.Dense(code_size, name="log_var")(h)
    z = KLGaussianSampler(kl_weight, seed=seed, name="sampler")([mean, log_var])
    encoder = keras.Model(inp, z, name=f"{name}_encoder")
    code_in = keras.Input((code_size,), name="code_in")
    h = code_in
    for i, width in enumerate(reversed(hidden)):
        h = L.Dense(width, activation="relu", name=f"dec_{i}")(h)
    h = L.Dense(784, activation="sigmoid", name="pixels")(h)
    decoder = keras.Model(code_in, L.Reshape((28, 28))(h), name=f"{name}_decoder")
    return keras.Model(inp, decoder(encoder(inp)), name=name), encoder, decoder


def build_hashing_autoencoder(
    n_bits: int = 32,
    hidden: tuple[int, ...] = (512, 256),
    noise_stddev: float = 4.0,
    name: str = "hash_ae",
):
    """A semantic-hashing autoencoder: Gaussian noise before a sigmoid code layer.

    During training the code's logits get noise of ``noise_stddev``; to pass
    information through it the encoder learns large logits, so the sigmoid
    codes end up near 0 or 1 (Salakhutdinov and Hinton, 2009). The noise is
    off at inference: ``encoder(x)`` gives codes in (0, 1) to :func:`binarize`.
    Returns ``(autoencoder, encoder, decoder)``.
    """
    n_bits = check_positive_int(n_bits, "n_bits")
    if not isinstance(hidden, (tuple, list)):
        raise TypeError(f"hidden: expected a tuple of layer widths, got {hidden!r}")
    hidden = tuple(check_positive_int(h, "hidden") for h in hidden)
    if isinstance(noise_stddev, bool) or not isinstance(noise_stddev, (int, float)) or noise_stddev < 0:
        raise ValueError(f"noise_stddev: expected a number >= 0, got {noise_stddev!r}")
    L = keras.layers
    inp = keras.Input((28, 28), name="image")
    h = L.Flatten()(inp)
    for i, width in enumerate(hidden):
        h = L.Dense(width, activation="relu", name=f"enc_{i}")(h)
    logits = L.Dense(n_bits, name="logits")(h)
    if noise_stddev > 0:  # Keras' GaussianNoise takes stddev <= 1: scale down, add unit noise, scale back
        h = L.Rescaling(1.0 / noise_stddev, name="to_noise_units")(logits)
        h = L.GaussianNoise(1.0, name="code_noise")(h)
        logits = L.Rescaling(float(noise_stddev), name="from_noise_units")(h)
    code = L.Activation("sigmoid", name="code")(logits)
    encoder = keras.Model(inp, code, name=f"{name}_encoder")
    code_in = keras.Input((n_bits,), name="code_in")
    h = code_in
    for i, width in enumerate(reversed(hidden)):
        h = L.Dense(width, activation="relu", name=f"dec_{i}")(h)
    h = L.Dense(784, activation="sigmoid", name="pixels")(h)
    decoder = keras.Model(code_in, L.Reshape((28, 28))(h), name=f"{name}_decoder")
    return keras.Model(inp, decoder(encoder(inp)), name=name), encoder, decoder


def plot_gallery(queries, results, query_labels=None, result_labels=None, class_names=None, size: float = 1.0):
    """Draw each query (first column) followed by its ranked results, one row per query.

    Parameters
    ----------
    queries : array (n, 28, 28)
        Query images.
    results : array (n, k, 28, 28)
        The ``k`` retrieved images of each query, nearest first.
    query_labels, result_labels : int arrays (n,) and (n, k), optional
        When given, results are framed green (same label as the query) or red.
    class_names : sequence of str, optional
        Names shown under the query images.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    q = check_array(queries, "queries", ndim=3, dtype_kind="fiu")
    r = check_array(results, "results", ndim=4, dtype_kind="fiu")
    if r.shape[0] != q.shape[0] or r.shape[2:] != q.shape[1:]:
        raise ValueError(f"results: expected shape ({q.shape[0]}, k, {q.shape[1]}, {q.shape[2]}), got {r.shape}")
    n, k = r.shape[:2]
    if (query_labels is None) != (result_labels is None):
        raise ValueError("query_labels, result_labels: give both or neither")
    if query_labels is not None:
        ql = check_array(query_labels, "query_labels", shape=(n,), dtype_kind="iu")
        rl = check_array(result_labels, "result_labels", shape=(n, k), dtype_kind="iu")
    fig, axes = plt.subplots(n, k + 1, figsize=(size * (k + 1), size * n + 0.4), squeeze=False)
    for i in range(n):
        for j in range(k + 1):
            ax = axes[i, j]
            ax.imshow(q[i] if j == 0 else r[i, j - 1], cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            if j and query_labels is not None:
                color = "tab:green" if rl[i, j - 1] == ql[i] else "tab:red"
                for spine in ax.spines.values():
                    spine.set_edgecolor(color)
                    spine.set_linewidth(2.5)
            if i == 0:
                ax.set_title("query" if j == 0 else f"#{j}", fontsize=8)
        if class_names is not None and query_labels is not None:
            axes[i, 0].set_ylabel(str(class_names[int(ql[i])]), fontsize=8)
    fig.tight_layout()
    return fig
