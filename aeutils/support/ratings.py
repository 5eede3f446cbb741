"""Rating matrices with explicit id maps, cold-start rules and top-N metrics (support code for notebook 08).

Notebook 08 teaches AutoRec's masked loss and the autoencoders for top-N lists; what it uses but does
not teach lives here:

* :class:`RatingMatrix` / :func:`build_rating_matrix`: a users x items SciPy CSR matrix (``0`` = not
  rated) with explicit id <-> index maps; ratings outside ``rating_range``, NaN and a reversed range
  are refused. Ids outside the catalogue raise :class:`UnknownIdError` unless the caller asks for
  the documented fallback.
* :func:`train_validation_split`: a seeded split of a ratings table by rating.
* :func:`reconstruct`, :func:`predict_ratings`, :func:`score_matrix`, :func:`mean_predictions`,
  :func:`top_n`, :func:`popularity_scores`: predictions with explicit cold-start rules.
* :func:`ranking_metrics`: precision@k, recall@k (normalised as Liang et al. 2018 do) and NDCG@k
  (scikit-learn's ``ndcg_score``) of top-k lists.

Cold start and unknown ids, one rule everywhere:

* an id that is not in the matrix's catalogue (``user_ids`` / ``item_ids``) raises
  :class:`UnknownIdError` (``unknown="error"``, the default), or, with ``unknown="mean"``, gets the
  global mean training rating;
* a known id with no training rating (a cold user or item) gets the mean training rating of the other
  side of the pair (the user's mean for a cold item, the item's mean for a cold user), or the global
  mean when that side is cold too. Functions that apply a fallback can return a mask saying where.
"""
from __future__ import annotations

import numbers

import numpy as np
import scipy.sparse as sp
from keras import ops

from ..core.validation import check_array, check_choice, check_positive_int, check_probability

__all__ = [
    "UnknownIdError",
    "RatingMatrix",
    "build_rating_matrix",
    "train_validation_split",
    "reconstruct",
    "predict_ratings",
    "score_matrix",
    "mean_predictions",
    "top_n",
    "popularity_scores",
    "ranking_metrics",
]


class UnknownIdError(KeyError):
    """A user or item id is not in the rating matrix's catalogue."""

    def __str__(self):  # KeyError quotes its message; keep it readable
        return str(self.args[0]) if self.args else ""


def _check_ids(ids, name):
    return check_array(ids, name, ndim=1, dtype_kind="iu", allow_empty=True).astype(np.int64)


def _check_range(rating_range):
    if not (isinstance(rating_range, (tuple, list)) and len(rating_range) == 2
            and all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in rating_range)):
        raise TypeError(f"rating_range: expected (low, high), two numbers, got {rating_range!r}")
    low, high = float(rating_range[0]), float(rating_range[1])
    if not (np.isfinite(low) and np.isfinite(high) and 0 < low < high):
        raise ValueError(f"rating_range: expected finite 0 < low < high (0 means 'not rated'), got {rating_range!r}")
    return low, high


class RatingMatrix:
    """A users x items rating matrix in SciPy CSR form with explicit id maps.

    Build it with :func:`build_rating_matrix`. Row ``r`` is the user ``user_ids[r]``, column ``c``
    the item ``item_ids[c]``; a stored value is a rating, an absent entry (``0``) means "not rated".
    The catalogue may hold ids without any rating: they are the cold users and items. Stored ratings
    must be finite and inside ``rating_range`` (``0 < low < high``).

    Attributes
    ----------
    matrix : scipy.sparse.csr_matrix, float32, shape (n_users, n_items)
    user_ids, item_ids : int64 arrays, sorted, unique
    rating_range : (low, high)
    """

    def __init__(self, matrix, user_ids, item_ids, rating_range=(1.0, 5.0)):
        if not sp.issparse(matrix):
            raise TypeError(f"matrix: expected a SciPy sparse matrix, got {type(matrix).__name__}")
        self.rating_range = _check_range(rating_range)
        self.user_ids = _check_ids(user_ids, "user_ids")
        self.item_ids = _check_ids(item_ids, "item_ids")
        for ids, name in ((self.user_ids, "user_ids"), (self.item_ids, "item_ids")):
            if len(ids) and (np.diff(ids) <= 0).any():
                raise ValueError(f"{name}: expected sorted unique ids, got duplicates or an unsorted array")
        if matrix.shape != (len(self.user_ids), len(self.item_ids)):
            raise ValueError(f"matrix: expected shape ({len(self.user_ids)}, {len(self.item_ids)}) from the id "
                             f"arrays, got {matrix.shape}")
        self.matrix = sp.csr_matrix(matrix, dtype=np.float32)
        self.matrix.eliminate_zeros()
        self.matrix.sort_indices()
        check_array(self.matrix.data, "matrix", ndim=1, value_range=self.rating_range, allow_empty=True)
        self._user_pos = {int(u): i for i, u in enumerate(self.user_ids)}
        self._item_pos = {int(i): j for j, i in enumerate(self.item_ids)}
        data = self.matrix.data
        self.global_mean = float(data.mean()) if data.size else float(np.mean(self.rating_range))
        self.user_counts = np.diff(self.matrix.indptr).astype(np.int64)
        self.item_counts = np.bincount(self.matrix.indices, minlength=self.n_items).astype(np.int64)
        user_sums = np.asarray(self.matrix.sum(axis=1)).ravel()
        item_sums = np.asarray(self.matrix.sum(axis=0)).ravel()
        with np.errstate(invalid="ignore", divide="ignore"):
            self.user_means = np.where(self.user_counts > 0, user_sums / self.user_counts, self.global_mean)
            self.item_means = np.where(self.item_counts > 0, item_sums / self.item_counts, self.global_mean)

    @property
    def n_users(self) -> int:
        """Number of users in the catalogue (rows)."""
        return len(self.user_ids)

    @property
    def n_items(self) -> int:
        """Number of items in the catalogue (columns)."""
        return len(self.item_ids)

    @property
    def nnz(self) -> int:
        """Number of stored ratings."""
        return int(self.matrix.nnz)

    @property
    def density(self) -> float:
        """Fraction of the users x items cells that hold a rating."""
        return self.nnz / max(1, self.n_users * self.n_items)

    def _index(self, ids, name, positions, unknown):
        check_choice(unknown, "unknown", ("error", "mask"))
        arr = _check_ids(ids, name)
        out = np.fromiter((positions.get(int(v), -1) for v in arr), dtype=np.int64, count=len(arr))
        if unknown == "error" and (out < 0).any():
            bad = np.unique(arr[out < 0])
            shown = ", ".join(map(str, bad[:10])) + (" ..." if len(bad) > 10 else "")
            raise UnknownIdError(
                f"{name}: {len(bad)} id(s) not in this rating matrix's catalogue: {shown}. "
                "Build the matrix with the full id lists (user_ids=..., item_ids=...) or pass "
                "unknown='mean' to predict the global mean for them."
            )
        return out

    def user_index(self, user_ids, *, unknown: str = "error") -> np.ndarray:
        """Map raw user ids to row indices; ``unknown="mask"`` gives -1 for unknown ids instead of raising."""
        return self._index(user_ids, "user_ids", self._user_pos, unknown)

    def item_index(self, item_ids, *, unknown: str = "error") -> np.ndarray:
        """Map raw item ids to column indices; ``unknown="mask"`` gives -1 for unknown ids instead of raising."""
        return self._index(item_ids, "item_ids", self._item_pos, unknown)

    def rows(self, by: str):
        """The autoencoder's samples: ``by="item"`` gives items x users (I-AutoRec), ``"user"`` users x items."""
        check_choice(by, "by", ("item", "user"))
        return self.matrix.T.tocsr() if by == "item" else self.matrix

    def like(self, ratings) -> RatingMatrix:
        """Build another matrix (validation, test) over the same catalogue and index maps."""
        return build_rating_matrix(ratings, user_ids=self.user_ids, item_ids=self.item_ids,
                                   rating_range=self.rating_range)

    def to_frame(self):
        """Return the stored ratings as a DataFrame ``user_id, item_id, rating``."""
        import pandas as pd

        coo = self.matrix.tocoo()
        return pd.DataFrame({"user_id": self.user_ids[coo.row], "item_id": self.item_ids[coo.col],
                             "rating": coo.data.astype(np.float64)})

    def __repr__(self) -> str:
        return (f"RatingMatrix({self.n_users} users x {self.n_items} items, {self.nnz} ratings, "
                f"density {self.density:.2%})")


def _check_ratings_frame(ratings, name="ratings"):
    import pandas as pd

    if not isinstance(ratings, pd.DataFrame):
        raise TypeError(f"{name}: expected a pandas DataFrame with columns user_id, item_id, rating, "
                        f"got {type(ratings).__name__}")
    missing = [c for c in ("user_id", "item_id", "rating") if c not in ratings.columns]
    if missing:
        raise ValueError(f"{name}: expected columns user_id, item_id, rating, missing {missing}")
    return ratings


def build_rating_matrix(ratings, user_ids=None, item_ids=None, *, rating_range=(1.0, 5.0)) -> RatingMatrix:
    """Build a :class:`RatingMatrix` from a ratings DataFrame.

    Parameters
    ----------
    ratings : pandas.DataFrame
        Columns ``user_id``, ``item_id`` (integers) and ``rating``; one row per (user, item) pair.
    user_ids, item_ids : array of int, optional
        The catalogue. Give the full lists (e.g. from ``u.user`` and ``u.item``) so that every fold
        shares one index map and cold users/items exist as empty rows/columns. By default the ids
        present in ``ratings``.
    rating_range : (low, high)
        Allowed ratings, ``0 < low < high`` because 0 encodes "not rated".

    Raises
    ------
    UnknownIdError
        A rating names a user or item outside the given catalogue.
    ValueError
        Duplicate pairs, NaN or out-of-range ratings, a reversed range, or a bad catalogue.
    """
    ratings = _check_ratings_frame(ratings)
    low, high = _check_range(rating_range)
    users = _check_ids(ratings["user_id"].to_numpy(), "ratings.user_id")
    items = _check_ids(ratings["item_id"].to_numpy(), "ratings.item_id")
    values = check_array(ratings["rating"].to_numpy(), "ratings.rating", ndim=1, dtype_kind="fiu",
                         value_range=(low, high), allow_empty=True).astype(np.float32)
    user_ids = np.unique(users) if user_ids is None else _check_ids(user_ids, "user_ids")
    item_ids = np.unique(items) if item_ids is None else _check_ids(item_ids, "item_ids")
    if len(np.unique(user_ids)) != len(user_ids) or len(np.unique(item_ids)) != len(item_ids):
        raise ValueError("user_ids/item_ids: expected unique ids, got duplicates")
    user_ids, item_ids = np.sort(user_ids), np.sort(item_ids)
    shell = RatingMatrix(sp.csr_matrix((len(user_ids), len(item_ids)), dtype=np.float32), user_ids, item_ids,
                         (low, high))
    rows, cols = shell.user_index(users), shell.item_index(items)
    key = rows * max(1, len(item_ids)) + cols
    if len(np.unique(key)) != len(key):
        raise ValueError(f"ratings: expected one rating per (user_id, item_id) pair, "
                         f"got {len(key) - len(np.unique(key))} duplicate(s)")
    matrix = sp.csr_matrix((values, (rows, cols)), shape=(len(user_ids), len(item_ids)), dtype=np.float32)
    return RatingMatrix(matrix, user_ids, item_ids, (low, high))


def train_validation_split(ratings, fraction: float = 0.1, seed: int = 0):
    """Split a ratings DataFrame at random into ``(train, validation)`` by rating (seeded).

    The validation part (``fraction`` of the rows) is carved from a training fold for tuning, so the
    test fold is never looked at.
    """
    ratings = _check_ratings_frame(ratings)
    fraction = check_probability(fraction, "fraction", inclusive=False)
    rng = np.random.default_rng(check_positive_int(seed, "seed", minimum=0))
    is_val = np.zeros(len(ratings), bool)
    is_val[rng.permutation(len(ratings))[: int(round(fraction * len(ratings)))]] = True
    return ratings[~is_val].reset_index(drop=True), ratings[is_val].reset_index(drop=True)


def _check_matrix(train, name="train"):
    if not isinstance(train, RatingMatrix):
        raise TypeError(f"{name}: expected a RatingMatrix, got {type(train).__name__}")
    return train


def _check_model(model, n_inputs, by):
    shape = getattr(model, "input_shape", None)
    if not callable(model) or shape is None or shape[-1] != n_inputs:
        raise ValueError(f"model: expected a Keras model with {n_inputs} inputs for by={by!r}, "
                         f"got {type(model).__name__} with input shape {shape}")


def reconstruct(model, inputs, *, batch_size: int = 512) -> np.ndarray:
    """Run ``model`` over sparse rows, densifying ``batch_size`` rows at a time; return the dense outputs."""
    if not sp.issparse(inputs):
        raise TypeError(f"inputs: expected a SciPy sparse matrix, got {type(inputs).__name__}")
    inputs = sp.csr_matrix(inputs, dtype=np.float32)
    batch_size = check_positive_int(batch_size, "batch_size")
    if not callable(model):
        raise TypeError(f"model: expected a Keras model, got {type(model).__name__}")
    out = np.empty(inputs.shape, np.float32)
    for start in range(0, inputs.shape[0], batch_size):
        out[start: start + batch_size] = ops.convert_to_numpy(
            model(inputs[start: start + batch_size].toarray(), training=False))
    return out


def _fallback_values(train: RatingMatrix, uidx, iidx, cold_side):
    """Means used when the autoencoder cannot answer (see the module docstring)."""
    out = np.full(len(uidx), train.global_mean, np.float64)
    ok = (uidx >= 0) & (iidx >= 0)
    good = ok.copy()
    if cold_side == "item":  # item unseen: the user's mean where the user is known and rated
        good[ok] = train.user_counts[uidx[ok]] > 0
        out[good] = train.user_means[uidx[good]]
    else:
        good[ok] = train.item_counts[iidx[ok]] > 0
        out[good] = train.item_means[iidx[good]]
    return out


def _pairs(train, users, items, unknown):
    _check_matrix(train)
    check_choice(unknown, "unknown", ("error", "mean"))
    users, items = _check_ids(users, "users"), _check_ids(items, "items")
    if len(users) != len(items):
        raise ValueError(f"items: expected {len(users)} ids like users, got {len(items)}")
    mode = "error" if unknown == "error" else "mask"
    return (train._index(users, "users", train._user_pos, mode), train._index(items, "items", train._item_pos, mode))


def predict_ratings(model, train, users, items, *, by: str = "item", unknown: str = "error", clip: bool = True,
                    batch_size: int = 512, return_fallback: bool = False):
    """Predict the ratings of (user, item) pairs with a trained AutoRec.

    For I-AutoRec (``by="item"``) the prediction for (u, i) is entry u of the reconstruction of item
    i's training rating vector; for U-AutoRec, entry i of user u's. Only the needed rows are
    reconstructed. ``unknown="error"`` raises :class:`UnknownIdError` for ids outside the catalogue,
    ``"mean"`` answers them with the global training mean. ``clip`` clips to ``train.rating_range``.
    ``return_fallback`` also returns a mask of the pairs answered by a fallback: unknown ids, and cold
    rows (an item without training ratings for I-AutoRec, a user without any for U-AutoRec), which
    get the other side's mean.
    """
    by = check_choice(by, "by", ("item", "user"))
    uidx, iidx = _pairs(train, users, items, unknown)
    batch_size = check_positive_int(batch_size, "batch_size")
    x = train.rows(by)
    _check_model(model, x.shape[1], by)
    sample, col = (iidx, uidx) if by == "item" else (uidx, iidx)
    counts = train.item_counts if by == "item" else train.user_counts
    usable = (uidx >= 0) & (iidx >= 0)
    usable[usable] = counts[sample[usable]] > 0
    pred = _fallback_values(train, uidx, iidx, cold_side=by)
    if usable.any():
        needed, inverse = np.unique(sample[usable], return_inverse=True)
        pred[usable] = reconstruct(model, x[needed], batch_size=batch_size)[inverse, col[usable]]
    if clip:
        pred = np.clip(pred, *train.rating_range)
    return (pred, ~usable) if return_fallback else pred


def score_matrix(model, train, *, by: str = "item", clip: bool = True, batch_size: int = 512) -> np.ndarray:
    """Predicted ratings for every (user, item) cell: a dense (n_users, n_items) float32 array.

    Cold rows get the fallback of :func:`predict_ratings`.
    """
    _check_matrix(train)
    by = check_choice(by, "by", ("item", "user"))
    x = train.rows(by)
    _check_model(model, x.shape[1], by)
    recon = reconstruct(model, x, batch_size=batch_size)
    scores = np.ascontiguousarray(recon.T if by == "item" else recon)
    if by == "item":
        scores[:, train.item_counts == 0] = train.user_means[:, None].astype(np.float32)
    else:
        scores[train.user_counts == 0, :] = train.item_means[None, :].astype(np.float32)
    return np.clip(scores, *train.rating_range) if clip else scores


def mean_predictions(train, users, items, *, kind: str = "global", unknown: str = "error") -> np.ndarray:
    """Baseline predictions: the global mean, the user's mean or the item's mean training rating.

    Cold users/items (no training rating) and, with ``unknown="mean"``, ids outside the catalogue get
    the global mean.
    """
    check_choice(kind, "kind", ("global", "user", "item"))
    uidx, iidx = _pairs(train, users, items, unknown)
    out = np.full(len(uidx), train.global_mean, np.float64)
    idx, means = {"user": (uidx, train.user_means), "item": (iidx, train.item_means)}.get(kind, (None, None))
    if idx is not None:
        out[idx >= 0] = means[idx[idx >= 0]]
    return out


def _check_scores(scores, n_users, n_items):
    scores = check_array(scores, "scores", ndim=(1, 2), dtype_kind="fiu")
    want = (n_users, n_items) if scores.ndim == 2 else (n_items,)
    if scores.shape != want:
        raise ValueError(f"scores: expected shape {want} (users x items, or one score per item), got {scores.shape}")
    return np.broadcast_to(scores, (n_users, n_items)).astype(np.float64)


def top_n(scores, train, user_id, n: int = 10, *, exclude_rated: bool = True):
    """Return the ``n`` best-scored item ids for ``user_id`` and their scores.

    ``scores`` is a (n_users, n_items) array (:func:`score_matrix`) or one score per item shared by
    every user (:func:`popularity_scores`). Items the user rated in ``train`` are skipped unless
    ``exclude_rated=False``. Ties keep the catalogue order. An unknown ``user_id`` raises
    :class:`UnknownIdError`.
    """
    _check_matrix(train)
    n = check_positive_int(n, "n", maximum=train.n_items)
    if isinstance(user_id, bool) or not isinstance(user_id, numbers.Integral):
        raise TypeError(f"user_id: expected an integer id, got {user_id!r}")
    u = int(train._index(np.array([user_id]), "user_id", train._user_pos, "error")[0])
    row = _check_scores(scores, train.n_users, train.n_items)[u].copy()
    if exclude_rated:
        row[train.matrix.indices[train.matrix.indptr[u]: train.matrix.indptr[u + 1]]] = -np.inf
    order = np.argsort(-row, kind="stable")[:n]
    order = order[np.isfinite(row[order])]
    return train.item_ids[order], row[order]


def popularity_scores(train) -> np.ndarray:
    """The popularity baseline's score of each item: its number of training ratings (float64, n_items)."""
    return _check_matrix(train).item_counts.astype(np.float64)


def ranking_metrics(scores, seen, relevant, *, k: int = 10) -> dict:
    """Precision@k, recall@k and NDCG@k of each user's top-k list, averaged over the users with relevant items.

    Recall@k divides the hits by ``min(k, number of relevant items)`` (Liang et al. 2018), so a perfect
    list scores 1; NDCG@k is scikit-learn's ``ndcg_score`` with binary relevance (tied scores share
    their gains).

    Parameters
    ----------
    scores : array (n_users, n_items), or (n_items,) shared by every user
    seen : sparse or dense (n_users, n_items)
        Items the user gave as input (training ratings, or the fold-in set): they are never recommended.
    relevant : sparse or dense (n_users, n_items)
        Non-zero where an item is relevant (a held-out positive). Users without any are skipped.
    k : int
        The length of each user's list.

    Returns
    -------
    dict
        ``{"precision", "recall", "ndcg", "n_users"}``.
    """
    from sklearn.metrics import ndcg_score

    seen = sp.csr_matrix(seen) if sp.issparse(seen) else sp.csr_matrix(check_array(seen, "seen", ndim=2))
    relevant = relevant.toarray() if sp.issparse(relevant) else check_array(relevant, "relevant", ndim=2,
                                                                            dtype_kind="fiub")
    n_users, n_items = relevant.shape
    if seen.shape != relevant.shape:
        raise ValueError(f"seen: expected shape {relevant.shape} like relevant, got {seen.shape}")
    k = check_positive_int(k, "k", maximum=n_items)
    scores = _check_scores(scores, n_users, n_items).copy()
    rel = (relevant != 0).astype(np.float64)
    users = np.flatnonzero(rel.sum(1) > 0)
    if not len(users):
        raise ValueError("relevant: expected at least one user with a relevant item, got none")
    floor = scores.min() - 1.0  # below every real score, finite for ndcg_score
    scores[seen.toarray() != 0] = floor
    scores, rel = scores[users], rel[users]
    hits = np.take_along_axis(rel, np.argsort(-scores, axis=1, kind="stable")[:, :k], 1).sum(1)
    return {"precision": float(np.mean(hits / k)), "recall": float(np.mean(hits / np.minimum(k, rel.sum(1)))),
            "ndcg": float(ndcg_score(rel, scores, k=k)), "n_users": len(users)}
