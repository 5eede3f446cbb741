"""Autoencoder recommender systems: AutoRec on sparse ratings (introduced in notebook 08).

Notebook 08 (``08_recommender_systems.ipynb``) builds I-AutoRec and U-AutoRec
(Sedhain, Menon, Sanner and Xie, "AutoRec: Autoencoders Meet Collaborative
Filtering", WWW 2015) on MovieLens-100k and compares them with classic
baselines. The reusable parts live here:

* :class:`RatingMatrix` / :func:`build_rating_matrix`: a users x items sparse
  matrix (SciPy CSR, ``0`` = not rated) with explicit id <-> index maps.
  Ids outside the matrix's catalogue raise :class:`UnknownIdError`
  unless the caller asks for the documented fallback.
* :class:`MaskedMSE`: the reconstruction loss restricted to observed ratings.
* :func:`build_autorec`, :func:`build_i_autorec`, :func:`build_u_autorec`:
  the one-hidden-layer AutoRec (or a deeper variant), plain Keras layers.
* :class:`RatingBatches` and :func:`fit_autorec`: training from sparse rows,
  densifying one mini-batch at a time, with an exact validation RMSE per epoch.
* :func:`predict_ratings`, :func:`score_matrix`, :func:`mean_predictions`,
  :func:`top_n`: predictions with explicit cold-start rules.
* :func:`rmse`, :func:`mae`, :func:`ranking_metrics` (precision@k, NDCG@k)
  and :func:`popularity_scores` (the popularity baseline).

Cold start and unknown ids, one rule everywhere:

* an id that is not in the matrix's catalogue (``user_ids`` / ``item_ids``)
  raises :class:`UnknownIdError` (``unknown="error"``, the default), or, with
  ``unknown="mean"``, gets the global mean training rating;
* a known id with no training rating (a cold user or item) gets the mean
  training rating of the other side of the pair (the user's mean for a cold
  item, the item's mean for a cold user), or the global mean when that side is
  cold too. Functions that apply a fallback can return a mask saying where.
"""
from __future__ import annotations

import math
import numbers

import keras
import numpy as np
from keras import ops

from .common.training import EpochLogger, cosine_adam
from .core.validation import check_array, check_choice, check_positive_int, check_probability

__all__ = [
    "UnknownIdError",
    "RatingMatrix",
    "build_rating_matrix",
    "train_validation_split",
    "MaskedMSE",
    "build_autorec",
    "build_i_autorec",
    "build_u_autorec",
    "RatingBatches",
    "fit_autorec",
    "reconstruct",
    "predict_ratings",
    "score_matrix",
    "mean_predictions",
    "top_n",
    "rmse",
    "mae",
    "ranking_metrics",
    "popularity_scores",
]


class UnknownIdError(KeyError):
    """A user or item id is not in the rating matrix's catalogue."""

    def __str__(self):  # KeyError quotes its message; keep it readable
        return str(self.args[0]) if self.args else ""


def _sparse():
    import scipy.sparse

    return scipy.sparse


def _check_ids(ids, name):
    arr = check_array(ids, name, ndim=1, dtype_kind="iu", allow_empty=True)
    return arr.astype(np.int64)


class RatingMatrix:
    """A users x items rating matrix in SciPy CSR form with explicit id maps.

    Build it with :func:`build_rating_matrix`. Row ``r`` is the user
    ``user_ids[r]``, column ``c`` the item ``item_ids[c]``; a stored value is a
    rating, an absent entry (``0``) means "not rated". The catalogue
    (``user_ids``, ``item_ids``) may hold ids without any rating: they are the
    cold users and items.

    Attributes
    ----------
    matrix : scipy.sparse.csr_matrix, float32, shape (n_users, n_items)
    user_ids, item_ids : int64 arrays, sorted, unique
    rating_range : (low, high)
    """

    def __init__(self, matrix, user_ids, item_ids, rating_range=(1.0, 5.0)):
        sp = _sparse()
        if not sp.issparse(matrix):
            raise TypeError(f"matrix: expected a SciPy sparse matrix, got {type(matrix).__name__}")
        self.user_ids = _check_ids(user_ids, "user_ids")
        self.item_ids = _check_ids(item_ids, "item_ids")
        for ids, name in ((self.user_ids, "user_ids"), (self.item_ids, "item_ids")):
            if len(ids) and (np.diff(ids) <= 0).any():
                raise ValueError(f"{name}: expected sorted unique ids, got duplicates or an unsorted array")
        if matrix.shape != (len(self.user_ids), len(self.item_ids)):
            raise ValueError(
                f"matrix: expected shape ({len(self.user_ids)}, {len(self.item_ids)}) from the id arrays, "
                f"got {matrix.shape}"
            )
        self.matrix = sp.csr_matrix(matrix, dtype=np.float32)
        self.matrix.eliminate_zeros()
        self.matrix.sort_indices()
        self.rating_range = (float(rating_range[0]), float(rating_range[1]))
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
        return build_rating_matrix(ratings, user_ids=self.user_ids, item_ids=self.item_ids, rating_range=self.rating_range)

    def to_frame(self):
        """Return the stored ratings as a DataFrame ``user_id, item_id, rating``."""
        import pandas as pd

        coo = self.matrix.tocoo()
        return pd.DataFrame(
            {"user_id": self.user_ids[coo.row], "item_id": self.item_ids[coo.col], "rating": coo.data.astype(np.float64)}
        )

    def __repr__(self) -> str:
        return (
            f"RatingMatrix({self.n_users} users x {self.n_items} items, {self.nnz} ratings, "
            f"density {self.density:.2%})"
        )


def _check_ratings_frame(ratings, name="ratings"):
    import pandas as pd

    if not isinstance(ratings, pd.DataFrame):
        raise TypeError(f"{name}: expected a pandas DataFrame with columns user_id, item_id, rating, got {type(ratings).__name__}")
    missing = [c for c in ("user_id", "item_id", "rating") if c not in ratings.columns]
    if missing:
        raise ValueError(f"{name}: expected columns user_id, item_id, rating, missing {missing}")
    return ratings


def build_rating_matrix(ratings, user_ids=None, item_ids=None, *, rating_range=(1.0, 5.0)) -> RatingMatrix:
    """Build a :class:`RatingMatrix` from a ratings DataFrame.

    Parameters
    ----------
    ratings : pandas.DataFrame
        Columns ``user_id``, ``item_id`` (integers) and ``rating``; one row per
        (user, item) pair (duplicates raise).
    user_ids, item_ids : array of int, optional
        The catalogue. Give the full lists (e.g. from ``u.user`` and ``u.item``)
        so that every fold shares one index map and cold users/items exist as
        empty rows/columns. By default the ids present in ``ratings``.
    rating_range : (low, high)
        Allowed ratings; ``low`` must be > 0 because 0 encodes "not rated".

    Raises
    ------
    UnknownIdError
        A rating names a user or item outside the given catalogue.
    ValueError
        Duplicate pairs, ratings out of range, or a bad catalogue.
    """
    ratings = _check_ratings_frame(ratings)
    if not (isinstance(rating_range, (tuple, list)) and len(rating_range) == 2):
        raise TypeError(f"rating_range: expected (low, high), got {rating_range!r}")
    low, high = float(rating_range[0]), float(rating_range[1])
    if not (0 < low < high):
        raise ValueError(f"rating_range: expected 0 < low < high (0 means 'not rated'), got {rating_range!r}")
    users = _check_ids(ratings["user_id"].to_numpy(), "ratings.user_id")
    items = _check_ids(ratings["item_id"].to_numpy(), "ratings.item_id")
    values = check_array(
        ratings["rating"].to_numpy(), "ratings.rating", ndim=1, dtype_kind="fiu", value_range=(low, high), allow_empty=True
    ).astype(np.float32)
    user_ids = np.unique(users) if user_ids is None else _check_ids(user_ids, "user_ids")
    item_ids = np.unique(items) if item_ids is None else _check_ids(item_ids, "item_ids")
    if len(np.unique(user_ids)) != len(user_ids) or len(np.unique(item_ids)) != len(item_ids):
        raise ValueError("user_ids/item_ids: expected unique ids, got duplicates")
    user_ids, item_ids = np.sort(user_ids), np.sort(item_ids)
    shell = RatingMatrix(_sparse().csr_matrix((len(user_ids), len(item_ids)), dtype=np.float32), user_ids, item_ids, (low, high))
    rows = shell.user_index(users)
    cols = shell.item_index(items)
    key = rows * max(1, len(item_ids)) + cols
    if len(np.unique(key)) != len(key):
        raise ValueError(f"ratings: expected one rating per (user_id, item_id) pair, got {len(key) - len(np.unique(key))} duplicate(s)")
    matrix = _sparse().csr_matrix((values, (rows, cols)), shape=(len(user_ids), len(item_ids)), dtype=np.float32)
    return RatingMatrix(matrix, user_ids, item_ids, (low, high))


def train_validation_split(ratings, fraction: float = 0.1, seed: int = 0):
    """Split a ratings DataFrame at random into (train, validation) by rating.

    The validation part (``fraction`` of the rows) is carved from a training
    fold for tuning, so the test fold is never looked at. Seeded.
    """
    ratings = _check_ratings_frame(ratings)
    fraction = check_probability(fraction, "fraction", inclusive=False)
    seed = check_positive_int(seed, "seed", minimum=0)
    rng = np.random.default_rng(seed)
    is_val = np.zeros(len(ratings), bool)
    is_val[rng.permutation(len(ratings))[: int(round(fraction * len(ratings)))]] = True
    return ratings[~is_val].reset_index(drop=True), ratings[is_val].reset_index(drop=True)


@keras.saving.register_keras_serializable(package="aeutils")
class MaskedMSE(keras.losses.Loss):
    """Mean squared error over the observed entries only (``y_true != 0``).

    .. math:: L = \\frac{\\sum_{ij} m_{ij} (y_{ij} - \\hat y_{ij})^2}{\\max(1, \\sum_{ij} m_{ij})},
              \\quad m_{ij} = [y_{ij} \\neq 0]

    The mean is over the observed ratings of the whole batch, so a batch's
    loss is the squared error per rating that RMSE is built from. Unobserved
    entries contribute nothing, whatever the model outputs there.
    """

    def __init__(self, name: str = "masked_mse", reduction: str = "sum_over_batch_size", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def call(self, y_true, y_pred):
        y_true = ops.cast(y_true, y_pred.dtype)
        mask = ops.cast(ops.not_equal(y_true, 0), y_pred.dtype)
        sse = ops.sum(mask * ops.square(y_true - y_pred))
        return sse / ops.maximum(ops.sum(mask), 1.0)

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}


def _check_nonneg(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{name}: expected a finite number >= 0, got {value!r}")
    return float(value)


def build_autorec(
    n_inputs: int,
    hidden: int | tuple[int, ...] = 500,
    *,
    activation: str = "sigmoid",
    output_activation: str | None = None,
    l2: float = 0.0,
    dropout: float = 0.0,
    name: str = "autorec",
):
    """Build an AutoRec autoencoder over rating vectors of length ``n_inputs``.

    With one hidden layer this is AutoRec (Sedhain et al. 2015):
    :math:`h(r) = f(W\\, g(V r + \\mu) + b)` with ``g = activation`` (sigmoid in
    the paper), ``f = output_activation`` (identity) and an L2 penalty
    ``l2 * ||W||^2`` on every kernel (biases are not penalised). A tuple
    ``hidden`` gives a deeper encoder, mirrored by the decoder, with
    ``dropout`` on the code (the Kuchaiev and Ginsburg 2017 style).

    Missing ratings are fed as 0; train with :class:`MaskedMSE` so they never
    count as targets. Plain Keras layers: the model saves to ``.keras``.

    Returns
    -------
    keras.Model mapping (batch, n_inputs) to (batch, n_inputs).
    """
    n_inputs = check_positive_int(n_inputs, "n_inputs")
    if isinstance(hidden, numbers.Integral) and not isinstance(hidden, bool):
        hidden = (int(hidden),)
    if not isinstance(hidden, (tuple, list)) or not hidden:
        raise TypeError(f"hidden: expected a positive int or a non-empty tuple of them, got {hidden!r}")
    hidden = tuple(check_positive_int(h, "hidden") for h in hidden)
    l2 = _check_nonneg(l2, "l2")
    dropout = check_probability(dropout, "dropout")
    if dropout >= 1:
        raise ValueError(f"dropout: expected a rate in [0, 1), got {dropout}")
    reg = keras.regularizers.L2(l2) if l2 > 0 else None
    inputs = keras.Input((n_inputs,), name="ratings")
    h = inputs
    for i, width in enumerate(hidden):
        h = keras.layers.Dense(width, activation=activation, kernel_regularizer=reg, name=f"enc_{i}")(h)
    if dropout > 0:
        h = keras.layers.Dropout(dropout, name="code_dropout")(h)
    for i, width in enumerate(reversed(hidden[:-1])):
        h = keras.layers.Dense(width, activation=activation, kernel_regularizer=reg, name=f"dec_{i}")(h)
    outputs = keras.layers.Dense(n_inputs, activation=output_activation, kernel_regularizer=reg, name="reconstruction")(h)
    return keras.Model(inputs, outputs, name=name)


def build_i_autorec(n_users: int, hidden=500, **kwargs):
    """I-AutoRec: one sample per item, its vector of ``n_users`` ratings (see :func:`build_autorec`)."""
    kwargs.setdefault("name", "i_autorec")
    return build_autorec(n_users, hidden, **kwargs)


def build_u_autorec(n_items: int, hidden=500, **kwargs):
    """U-AutoRec: one sample per user, its vector of ``n_items`` ratings (see :func:`build_autorec`)."""
    kwargs.setdefault("name", "u_autorec")
    return build_autorec(n_items, hidden, **kwargs)


def _check_csr(x, name):
    sp = _sparse()
    if not sp.issparse(x):
        raise TypeError(f"{name}: expected a SciPy sparse matrix (e.g. RatingMatrix.rows(...)), got {type(x).__name__}")
    return sp.csr_matrix(x, dtype=np.float32)


class RatingBatches(keras.utils.PyDataset):
    """Mini-batches of sparse rating rows, densified one batch at a time.

    Parameters
    ----------
    inputs : scipy.sparse matrix (n_rows, n_cols)
        The rating vectors fed to the autoencoder (0 = not rated).
    targets : scipy.sparse matrix, optional
        Same shape; the ratings to reconstruct (default: ``inputs``). For
        validation, ``inputs`` are the training ratings and ``targets`` the
        held-out ones.
    batch_size : int
    shuffle : bool
        Reshuffle the rows every epoch (seeded).
    seed : int
    rows : int array, optional
        Use only these rows (e.g. skip rows without any rating).
    """

    def __init__(self, inputs, targets=None, *, batch_size: int = 64, shuffle: bool = True, seed: int = 0, rows=None):
        super().__init__(workers=1, use_multiprocessing=False)
        self.inputs = _check_csr(inputs, "inputs")
        self.targets = self.inputs if targets is None else _check_csr(targets, "targets")
        if self.targets.shape != self.inputs.shape:
            raise ValueError(f"targets: expected shape {self.inputs.shape} like inputs, got {self.targets.shape}")
        self.batch_size = check_positive_int(batch_size, "batch_size")
        self.shuffle = bool(shuffle)
        self._rng = np.random.default_rng(check_positive_int(seed, "seed", minimum=0))
        if rows is None:
            rows = np.arange(self.inputs.shape[0])
        rows = check_array(rows, "rows", ndim=1, dtype_kind="iu", value_range=(0, self.inputs.shape[0] - 1)).astype(np.int64)
        self.rows = rows
        self.order = self._rng.permutation(rows) if self.shuffle else rows.copy()

    def __len__(self):
        return math.ceil(len(self.order) / self.batch_size)

    def __getitem__(self, index):
        idx = self.order[index * self.batch_size : (index + 1) * self.batch_size]
        x = self.inputs[idx].toarray()
        y = x if self.targets is self.inputs else self.targets[idx].toarray()
        return x, y

    def on_epoch_end(self):
        if self.shuffle:
            self.order = self._rng.permutation(self.rows)


def reconstruct(model, inputs, *, batch_size: int = 512) -> np.ndarray:
    """Run ``model`` over sparse rows, densifying ``batch_size`` rows at a time; return the dense outputs."""
    inputs = _check_csr(inputs, "inputs")
    batch_size = check_positive_int(batch_size, "batch_size")
    if not callable(model):
        raise TypeError(f"model: expected a Keras model, got {type(model).__name__}")
    out = np.empty(inputs.shape, np.float32)
    for start in range(0, inputs.shape[0], batch_size):
        x = inputs[start : start + batch_size].toarray()
        out[start : start + batch_size] = ops.convert_to_numpy(model(x, training=False))
    return out


class _ValidationRMSE(keras.callbacks.Callback):
    """Adds the exact ``val_rmse`` over all held-out ratings to the epoch logs."""

    def __init__(self, inputs, targets, rating_range, batch_size):
        super().__init__()
        self.inputs, self.batch_size = inputs, batch_size
        coo = targets.tocoo()
        self.r, self.c, self.v = coo.row, coo.col, coo.data
        self.low, self.high = rating_range

    def on_epoch_end(self, epoch, logs=None):
        pred = reconstruct(self.model, self.inputs, batch_size=self.batch_size)[self.r, self.c]
        logs["val_rmse"] = rmse(self.v, np.clip(pred, self.low, self.high))


def fit_autorec(
    model,
    train,
    val=None,
    *,
    by: str = "item",
    epochs: int,
    batch_size: int = 64,
    learning_rate: float = 1e-3,
    patience: int | None = None,
    log_every: int = 0,
    prefix: str = "",
    seed: int = 0,
):
    """Train an AutoRec model on a :class:`RatingMatrix`, from sparse rows.

    Parameters
    ----------
    model : keras.Model
        From :func:`build_autorec` with ``n_inputs`` = ``train.n_users``
        (``by="item"``) or ``train.n_items`` (``by="user"``).
    train : RatingMatrix
        Training ratings; rows without any rating are skipped.
    val : RatingMatrix, optional
        Held-out ratings on the same catalogue (``train.like(...)``). Each epoch
        logs ``val_rmse``: the model reads the *training* vectors and is scored on
        the held-out entries, exactly as at test time.
    by : "item" or "user"
        I-AutoRec or U-AutoRec orientation.
    epochs, batch_size, learning_rate
        Adam with a cosine-decayed learning rate.
    patience : int, optional
        With ``val``: stop after ``patience`` epochs without a better ``val_rmse``
        and restore the best weights.
    log_every : int
        Print one line every ``log_every`` epochs (0: silent).
    seed : int
        Seeds Keras and the batch order.

    Returns
    -------
    keras.callbacks.History
    """
    if not isinstance(model, keras.Model):
        raise TypeError(f"model: expected a Keras model, got {type(model).__name__}")
    if not isinstance(train, RatingMatrix):
        raise TypeError(f"train: expected a RatingMatrix, got {type(train).__name__}")
    by = check_choice(by, "by", ("item", "user"))
    x = train.rows(by)
    if model.input_shape[-1] != x.shape[1]:
        raise ValueError(
            f"model: expected {x.shape[1]} inputs for by={by!r} ({'users' if by == 'item' else 'items'}), "
            f"got a model with {model.input_shape[-1]}"
        )
    epochs = check_positive_int(epochs, "epochs")
    batch_size = check_positive_int(batch_size, "batch_size")
    log_every = check_positive_int(log_every, "log_every", minimum=0)
    seed = check_positive_int(seed, "seed", minimum=0)
    if patience is not None:
        patience = check_positive_int(patience, "patience")
        if val is None:
            raise ValueError("patience: early stopping needs val (a RatingMatrix of held-out ratings)")
    keras.utils.set_random_seed(seed)
    rated = np.flatnonzero(np.diff(x.indptr) > 0)
    data = RatingBatches(x, batch_size=batch_size, shuffle=True, seed=seed, rows=rated)
    callbacks = []
    if val is not None:
        if not isinstance(val, RatingMatrix):
            raise TypeError(f"val: expected a RatingMatrix, got {type(val).__name__}")
        if not (np.array_equal(val.user_ids, train.user_ids) and np.array_equal(val.item_ids, train.item_ids)):
            raise ValueError("val: expected the same catalogue as train (build it with train.like(ratings))")
        callbacks.append(_ValidationRMSE(x, val.rows(by), train.rating_range, 512))
        if patience is not None:
            callbacks.append(
                keras.callbacks.EarlyStopping("val_rmse", patience=patience, mode="min", restore_best_weights=True)
            )
    if log_every:
        callbacks.append(EpochLogger(log_every, prefix))
    model.compile(optimizer=cosine_adam(learning_rate, epochs, len(data)), loss=MaskedMSE())
    return model.fit(data, epochs=epochs, verbose=0, callbacks=callbacks)


def _fallback_values(train: RatingMatrix, uidx, iidx, cold_side):
    """Means used when the autoencoder cannot answer (see the module docstring)."""
    out = np.full(len(uidx), train.global_mean, np.float64)
    if cold_side == "item":  # item unseen: use the user's mean where the user is known and rated
        ok = (uidx >= 0) & (iidx >= 0)
        good = ok.copy()
        good[ok] = train.user_counts[uidx[ok]] > 0
        out[good] = train.user_means[uidx[good]]
    else:
        ok = (uidx >= 0) & (iidx >= 0)
        good = ok.copy()
        good[ok] = train.item_counts[iidx[ok]] > 0
        out[good] = train.item_means[iidx[good]]
    return out


def _pairs(train, users, items, unknown):
    if not isinstance(train, RatingMatrix):
        raise TypeError(f"train: expected a RatingMatrix, got {type(train).__name__}")
    check_choice(unknown, "unknown", ("error", "mean"))
    users = _check_ids(users, "users")
    items = _check_ids(items, "items")
    if len(users) != len(items):
        raise ValueError(f"items: expected {len(users)} ids like users, got {len(items)}")
    mode = "error" if unknown == "error" else "mask"
    uidx = train._index(users, "users", train._user_pos, mode)
    iidx = train._index(items, "items", train._item_pos, mode)
    return uidx, iidx


def predict_ratings(
    model,
    train,
    users,
    items,
    *,
    by: str = "item",
    unknown: str = "error",
    clip: bool = True,
    batch_size: int = 512,
    return_fallback: bool = False,
):
    """Predict the ratings of (user, item) pairs with a trained AutoRec.

    For I-AutoRec (``by="item"``) the prediction for (u, i) is entry u of the
    reconstruction of item i's training rating vector; for U-AutoRec, entry i
    of user u's. Only the needed rows are reconstructed, in batches.

    Parameters
    ----------
    model : keras.Model
    train : RatingMatrix
        The training ratings the model reads (its catalogue maps the ids).
    users, items : int arrays of the same length
        Raw ids.
    unknown : "error" or "mean"
        Ids outside the catalogue raise :class:`UnknownIdError` ("error") or get
        the global training mean ("mean").
    clip : bool
        Clip to ``train.rating_range``.
    return_fallback : bool
        Also return a boolean mask of the pairs answered by a fallback: unknown
        ids, and cold rows (an item without training ratings for I-AutoRec, a
        user without any for U-AutoRec) which get the other side's mean.

    Returns
    -------
    float64 array (and the mask when ``return_fallback``).
    """
    by = check_choice(by, "by", ("item", "user"))
    uidx, iidx = _pairs(train, users, items, unknown)
    batch_size = check_positive_int(batch_size, "batch_size")
    x = train.rows(by)
    if not isinstance(model, keras.Model) or model.input_shape[-1] != x.shape[1]:
        raise ValueError(f"model: expected a Keras model with {x.shape[1]} inputs for by={by!r}")
    sample, col = (iidx, uidx) if by == "item" else (uidx, iidx)
    counts = train.item_counts if by == "item" else train.user_counts
    known = (uidx >= 0) & (iidx >= 0)
    usable = known.copy()
    usable[known] = counts[sample[known]] > 0
    pred = _fallback_values(train, uidx, iidx, cold_side=by)
    if usable.any():
        needed, inverse = np.unique(sample[usable], return_inverse=True)
        recon = reconstruct(model, x[needed], batch_size=batch_size)
        pred[usable] = recon[inverse, col[usable]]
    if clip:
        pred = np.clip(pred, *train.rating_range)
    return (pred, ~usable) if return_fallback else pred


def score_matrix(model, train, *, by: str = "item", clip: bool = True, batch_size: int = 512) -> np.ndarray:
    """Predicted ratings for every (user, item) cell: a dense (n_users, n_items) float32 array.

    Needs ``4 * n_users * n_items`` bytes (6 MB for MovieLens-100k). Cold rows get
    the fallback of :func:`predict_ratings`.
    """
    if not isinstance(train, RatingMatrix):
        raise TypeError(f"train: expected a RatingMatrix, got {type(train).__name__}")
    by = check_choice(by, "by", ("item", "user"))
    x = train.rows(by)
    if not isinstance(model, keras.Model) or model.input_shape[-1] != x.shape[1]:
        raise ValueError(f"model: expected a Keras model with {x.shape[1]} inputs for by={by!r}")
    recon = reconstruct(model, x, batch_size=batch_size)
    scores = recon.T if by == "item" else recon
    scores = np.ascontiguousarray(scores)
    if by == "item":
        cold = train.item_counts == 0
        scores[:, cold] = train.user_means[:, None].astype(np.float32)
    else:
        cold = train.user_counts == 0
        scores[cold, :] = train.item_means[None, :].astype(np.float32)
    return np.clip(scores, *train.rating_range) if clip else scores


def mean_predictions(train, users, items, *, kind: str = "global", unknown: str = "error") -> np.ndarray:
    """Baseline predictions: the global mean, the user's mean or the item's mean training rating.

    Cold users/items (no training rating) and, with ``unknown="mean"``, ids
    outside the catalogue get the global mean.
    """
    check_choice(kind, "kind", ("global", "user", "item"))
    uidx, iidx = _pairs(train, users, items, unknown)
    out = np.full(len(uidx), train.global_mean, np.float64)
    if kind == "user":
        ok = uidx >= 0
        out[ok] = train.user_means[uidx[ok]]
    elif kind == "item":
        ok = iidx >= 0
        out[ok] = train.item_means[iidx[ok]]
    return out


def top_n(scores, train, user_id, n: int = 10, *, exclude_rated: bool = True):
    """Return the ``n`` best-scored item ids for ``user_id`` and their scores.

    ``scores`` is a (n_users, n_items) array (:func:`score_matrix`) or a
    length-n_items array shared by every user (:func:`popularity_scores`).
    Items the user rated in ``train`` are skipped unless ``exclude_rated=False``.
    Ties keep the catalogue order. An unknown ``user_id`` raises :class:`UnknownIdError`.
    """
    if not isinstance(train, RatingMatrix):
        raise TypeError(f"train: expected a RatingMatrix, got {type(train).__name__}")
    n = check_positive_int(n, "n", maximum=train.n_items)
    if isinstance(user_id, bool) or not isinstance(user_id, numbers.Integral):
        raise TypeError(f"user_id: expected an integer id, got {user_id!r}")
    u = int(train._index(np.array([user_id]), "user_id", train._user_pos, "error")[0])
    scores = _check_scores(scores, train)
    row = (scores[u] if scores.ndim == 2 else scores).astype(np.float64).copy()
    if exclude_rated:
        row[train.matrix.indices[train.matrix.indptr[u] : train.matrix.indptr[u + 1]]] = -np.inf
    order = np.argsort(-row, kind="stable")[:n]
    order = order[np.isfinite(row[order])]
    return train.item_ids[order], row[order]


def _check_scores(scores, train):
    scores = check_array(scores, "scores", ndim=(1, 2), dtype_kind="fiu")
    want = (train.n_users, train.n_items) if scores.ndim == 2 else (train.n_items,)
    if scores.shape != want:
        raise ValueError(f"scores: expected shape {want} (users x items, or one score per item), got {scores.shape}")
    return scores


def _check_pair(y_true, y_pred):
    y_true = check_array(y_true, "y_true", ndim=1, dtype_kind="fiu").astype(np.float64)
    y_pred = check_array(y_pred, "y_pred", ndim=1, dtype_kind="fiu").astype(np.float64)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_pred: expected shape {y_true.shape} like y_true, got {y_pred.shape}")
    return y_true, y_pred


def rmse(y_true, y_pred) -> float:
    """Root mean squared error between two 1-D rating arrays."""
    y_true, y_pred = _check_pair(y_true, y_pred)
    return float(np.sqrt(np.mean((y_true - y_pred) ** 2)))


def mae(y_true, y_pred) -> float:
    """Mean absolute error between two 1-D rating arrays."""
    y_true, y_pred = _check_pair(y_true, y_pred)
    return float(np.mean(np.abs(y_true - y_pred)))


def popularity_scores(train) -> np.ndarray:
    """The popularity baseline's score of each item: its number of training ratings (float64, n_items)."""
    if not isinstance(train, RatingMatrix):
        raise TypeError(f"train: expected a RatingMatrix, got {type(train).__name__}")
    return train.item_counts.astype(np.float64)


def ranking_metrics(scores, train, test, *, k: int = 10, threshold: float = 4.0) -> dict:
    """Precision@k and NDCG@k of a top-k list per user, against held-out ratings.

    For every user with at least one *relevant* test item (test rating >=
    ``threshold``), the candidates are all catalogue items the user has not
    rated in ``train``; the ``k`` best-scored ones are compared with the
    relevant items (binary relevance).

    .. math:: \\mathrm{P@k} = \\frac{|\\mathrm{top}_k \\cap \\mathrm{rel}|}{k},\\quad
              \\mathrm{NDCG@k} = \\frac{\\sum_{r=1}^{k} \\mathrm{rel}_r / \\log_2(r+1)}
              {\\sum_{r=1}^{\\min(k, |\\mathrm{rel}|)} 1 / \\log_2(r+1)}

    Returns ``{"precision": ..., "ndcg": ..., "n_users": ...}`` averaged over those users.
    """
    if not isinstance(train, RatingMatrix) or not isinstance(test, RatingMatrix):
        raise TypeError("train, test: expected RatingMatrix objects on the same catalogue")
    if not (np.array_equal(test.user_ids, train.user_ids) and np.array_equal(test.item_ids, train.item_ids)):
        raise ValueError("test: expected the same catalogue as train (build it with train.like(ratings))")
    k = check_positive_int(k, "k", maximum=train.n_items)
    if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real):
        raise TypeError(f"threshold: expected a number, got {threshold!r}")
    scores = _check_scores(scores, train).astype(np.float64)
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    tr, te = train.matrix, test.matrix
    precisions, ndcgs = [], []
    for u in range(train.n_users):
        t0, t1 = te.indptr[u], te.indptr[u + 1]
        relevant = te.indices[t0:t1][te.data[t0:t1] >= threshold]
        if not len(relevant):
            continue
        row = (scores[u] if scores.ndim == 2 else scores).copy()
        row[tr.indices[tr.indptr[u] : tr.indptr[u + 1]]] = -np.inf
        top = np.argsort(-row, kind="stable")[:k]
        hits = np.isin(top, relevant).astype(np.float64)
        precisions.append(hits.sum() / k)
        ndcgs.append(float(hits @ discounts) / discounts[: min(k, len(relevant))].sum())
    if not precisions:
        raise ValueError(f"test: no user has a test rating >= threshold {threshold}")
    return {"precision": float(np.mean(precisions)), "ndcg": float(np.mean(ndcgs)), "n_users": len(precisions)}
