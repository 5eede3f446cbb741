"""Anomaly, novelty, out-of-distribution and mislabel detection (introduced in notebook 07).

An autoencoder trained on "normal" data reconstructs normal inputs well and
unusual ones badly, so its reconstruction error is an anomaly score. This
module holds the reusable parts of notebook 07:

* scoring: :func:`reconstruction_errors` (per-sample MSE or MAE);
* thresholds: :func:`select_threshold` picks a cut-off from *validation*
  scores by a named rule (``"percentile"``, ``"mean_std"``, ``"best_f1"``);
* evaluation: :func:`evaluate_scores` (ROC-AUC, PR-AUC and, at a threshold,
  accuracy, precision, recall, F1), :func:`precision_at_top`;
* models: :func:`build_ecg_autoencoder` (a 1-D convolutional encoder with a
  small dense code); the likelihood score :func:`negative_elbo_bits` of a
  VAE from :mod:`aeutils.vae` (notebook 04);
* out-of-distribution: :func:`compressed_bits` (zlib/PNG length, the input
  complexity of Serra et al., 2020) and :func:`complexity_corrected_score`;
* mislabels: :func:`flip_labels` (seeded label noise) and
  :func:`label_disagreement_scores` (out-of-fold class probabilities from a
  Gaussian-per-class or logistic classifier on autoencoder codes, in the
  spirit of confident learning);
* novelty: :func:`holdout_split` (train without one class, test with it).

Convention everywhere: a HIGHER score means MORE anomalous, and the anomaly
(or the mislabelled / out-of-distribution sample) is the positive class 1.
"""
from __future__ import annotations

import io
import numbers
import zlib

import keras
import numpy as np
from keras import ops

from .core.validation import check_array, check_choice, check_positive_int, check_probability

__all__ = [
    "reconstruction_errors",
    "select_threshold",
    "THRESHOLD_RULES",
    "evaluate_scores",
    "precision_at_top",
    "minmax_fit",
    "build_ecg_autoencoder",
    "negative_elbo_bits",
    "compressed_bits",
    "complexity_corrected_score",
    "flip_labels",
    "label_disagreement_scores",
    "holdout_split",
]

THRESHOLD_RULES = ("percentile", "mean_std", "best_f1")


def _check_scores(scores, name="scores"):
    return check_array(scores, name, ndim=1, dtype_kind="fiu").astype(np.float64)


def _check_binary(labels, name, n):
    labels = check_array(labels, name, ndim=1, dtype_kind="iub")
    if len(labels) != n:
        raise ValueError(f"{name}: expected {n} labels (one per score), got {len(labels)}")
    values = np.unique(labels)
    if not np.isin(values, (0, 1)).all():
        raise ValueError(f"{name}: expected 0/1 labels (1 = anomaly), got values {values[:10].tolist()}")
    return labels.astype(np.int64)


def _check_real(value, name, *, minimum=None):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise TypeError(f"{name}: expected a finite number, got {type(value).__name__} {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name}: expected a number >= {minimum}, got {value}")
    return float(value)


# --------------------------------------------------------------------------- scoring


def reconstruction_errors(model, x, *, metric: str = "mse", batch_size: int = 512) -> np.ndarray:
    """Return one reconstruction error per sample: ``mean |x - model(x)|^p`` over all but the first axis.

    Parameters
    ----------
    model : keras.Model or callable
        The autoencoder (a Keras model, called batch by batch, or any function returning an array).
    x : float array (n, ...)
        Inputs.
    metric : {"mse", "mae"}
        Squared or absolute error.
    batch_size : int
        Prediction batch size.

    Returns
    -------
    float64 array (n,)
    """
    x = check_array(x, "x", dtype_kind="f")
    if x.ndim < 2:
        raise ValueError(f"x: expected a batch of samples with at least 2 dimensions, got shape {x.shape}")
    check_choice(metric, "metric", ("mse", "mae"))
    batch_size = check_positive_int(batch_size, "batch_size")
    if not callable(model):
        raise TypeError(f"model: expected a Keras model or a callable, got {type(model).__name__}")
    if isinstance(model, keras.Model):
        # batched direct calls: no predict-function tracing, cheap for the small models used here
        parts = [
            ops.convert_to_numpy(model(x[i : i + batch_size], training=False)) for i in range(0, len(x), batch_size)
        ]
        recon = np.concatenate(parts)
    else:
        recon = model(x)
    recon = np.asarray(recon, dtype=np.float64).reshape(x.shape)
    diff = recon - x.astype(np.float64)
    err = diff**2 if metric == "mse" else np.abs(diff)
    return err.reshape(len(x), -1).mean(axis=1)


# --------------------------------------------------------------------------- thresholds


def select_threshold(scores, rule: str = "percentile", *, labels=None, q: float = 95.0, k: float = 2.0) -> float:
    """Pick an anomaly threshold from VALIDATION scores by a named rule (scores above it are flagged).

    Parameters
    ----------
    scores : array (n,)
        Validation anomaly scores (never test scores).
    rule : {"percentile", "mean_std", "best_f1"}
        * ``"percentile"``: the ``q``-th percentile of the normal scores, so
          about ``100 - q`` % of normal samples are flagged (false alarms);
        * ``"mean_std"``: ``mean + k * std`` of the normal scores (the
          TensorFlow tutorial uses ``k = 1`` on the training errors);
        * ``"best_f1"``: the cut-off that maximises F1 on labelled validation
          data (needs anomalies in the validation set).
    labels : array (n,) of 0/1, optional
        1 = anomaly. For the first two rules only the normal (0) scores are
        used when labels are given; ``"best_f1"`` requires them.
    q : float in [0, 100]
        Percentile for ``"percentile"``.
    k : float >= 0
        Multiplier for ``"mean_std"``.

    Returns
    -------
    float
        The threshold ``t``; predict "anomaly" when ``score > t``.
    """
    scores = _check_scores(scores)
    check_choice(rule, "rule", THRESHOLD_RULES)
    if labels is not None:
        labels = _check_binary(labels, "labels", len(scores))
    if rule == "best_f1":
        if labels is None:
            raise ValueError("labels: the 'best_f1' rule needs validation labels (1 = anomaly), got None")
        if labels.min() == labels.max():
            raise ValueError("labels: the 'best_f1' rule needs both normal (0) and anomalous (1) samples")
        order = np.argsort(-scores, kind="stable")
        s, y = scores[order], labels[order]
        tp = np.cumsum(y)
        fp = np.cumsum(1 - y)
        # only cut between distinct scores
        last = np.r_[s[1:] != s[:-1], True]
        tp, fp, s_cut = tp[last], fp[last], s[last]
        f1 = 2 * tp / (tp + fp + y.sum())
        i = int(np.argmax(f1))
        below = s[s < s_cut[i]]
        # midpoint between the lowest flagged score and the next one down
        return float((s_cut[i] + below.max()) / 2) if below.size else float(np.nextafter(s_cut[i], -np.inf))
    normal = scores if labels is None else scores[labels == 0]
    if normal.size == 0:
        raise ValueError("labels: expected at least one normal (0) sample to set the threshold")
    if rule == "percentile":
        q = _check_real(q, "q", minimum=0.0)
        if q > 100:
            raise ValueError(f"q: expected a percentile in [0, 100], got {q}")
        return float(np.percentile(normal, q))
    k = _check_real(k, "k", minimum=0.0)
    return float(normal.mean() + k * normal.std())


# --------------------------------------------------------------------------- evaluation


def evaluate_scores(scores, labels, threshold: float | None = None) -> dict:
    """Evaluate anomaly scores against labels (1 = anomaly, the positive class).

    Returns a dict with ``roc_auc`` and ``pr_auc`` (average precision) and, when
    ``threshold`` is given, ``accuracy``, ``precision``, ``recall``, ``f1`` and
    ``flagged`` (fraction predicted anomalous) for the rule ``score > threshold``.
    """
    from sklearn.metrics import average_precision_score, roc_auc_score

    scores = _check_scores(scores)
    labels = _check_binary(labels, "labels", len(scores))
    if labels.min() == labels.max():
        raise ValueError("labels: expected both classes (0 = normal, 1 = anomaly) to compute ROC-AUC")
    out = {
        "roc_auc": float(roc_auc_score(labels, scores)),
        "pr_auc": float(average_precision_score(labels, scores)),
    }
    if threshold is not None:
        threshold = _check_real(threshold, "threshold")
        pred = (scores > threshold).astype(np.int64)
        tp = int(((pred == 1) & (labels == 1)).sum())
        fp = int(((pred == 1) & (labels == 0)).sum())
        fn = int(((pred == 0) & (labels == 1)).sum())
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        out.update(
            accuracy=float((pred == labels).mean()),
            precision=float(precision),
            recall=float(recall),
            f1=float(2 * precision * recall / (precision + recall)) if precision + recall else 0.0,
            flagged=float(pred.mean()),
        )
    return out


def precision_at_top(scores, labels, fraction: float = 0.05) -> float:
    """Precision among the ``fraction`` highest-scored samples (at least one sample is flagged)."""
    scores = _check_scores(scores)
    labels = _check_binary(labels, "labels", len(scores))
    fraction = check_probability(fraction, "fraction", inclusive=False)
    n = max(1, int(round(fraction * len(scores))))
    top = np.argsort(-scores, kind="stable")[:n]
    return float(labels[top].mean())


def minmax_fit(x_train):
    """Return ``(low, high)``: the global minimum and maximum of the TRAINING data, for ``(x - low) / (high - low)``.

    This is the TensorFlow tutorial's scaling: one scalar range for all time
    steps, fitted on training data only so no test information leaks in.
    """
    x_train = check_array(x_train, "x_train", dtype_kind="fiu")
    low, high = float(x_train.min()), float(x_train.max())
    if high <= low:
        raise ValueError(f"x_train: expected values with a non-zero range, got all values equal to {low}")
    return low, high


# --------------------------------------------------------------------------- models


def build_ecg_autoencoder(
    length: int = 140,
    filters: tuple[int, ...] = (16, 32),
    kernel_size: int = 7,
    hidden: int = 64,
    code_size: int = 8,
    name: str = "ecg_conv_ae",
):
    """Build a 1-D convolutional autoencoder for fixed-length signals scaled to [0, 1].

    The encoder is strided ``Conv1D`` layers (each halves the length) followed
    by a dense layer and a small linear code; the decoder is dense and ends in
    a sigmoid. The narrow dense code is what makes it a good detector: a
    purely convolutional bottleneck is wide enough to copy abnormal beats too.

    Returns
    -------
    autoencoder, encoder, decoder : keras.Model
        Inputs and outputs have shape ``(length,)``.
    """
    length = check_positive_int(length, "length", minimum=4)
    if not isinstance(filters, (tuple, list)):
        raise TypeError(f"filters: expected a tuple of channel counts, got {filters!r}")
    filters = tuple(check_positive_int(f, "filters") for f in filters)
    kernel_size = check_positive_int(kernel_size, "kernel_size")
    hidden = check_positive_int(hidden, "hidden")
    code_size = check_positive_int(code_size, "code_size")

    inputs = keras.Input((length,), name="signal")
    h = keras.layers.Reshape((length, 1))(inputs)
    for i, f in enumerate(filters):
        h = keras.layers.Conv1D(f, kernel_size, strides=2, padding="same", activation="relu", name=f"conv_{i}")(h)
    h = keras.layers.Flatten()(h)
    h = keras.layers.Dense(hidden, activation="relu", name="enc_dense")(h)
    code = keras.layers.Dense(code_size, name="code")(h)
    encoder = keras.Model(inputs, code, name=f"{name}_encoder")

    code_in = keras.Input((code_size,), name="code_in")
    h = keras.layers.Dense(hidden, activation="relu", name="dec_dense")(code_in)
    outputs = keras.layers.Dense(length, activation="sigmoid", name="samples")(h)
    decoder = keras.Model(code_in, outputs, name=f"{name}_decoder")
    autoencoder = keras.Model(inputs, decoder(encoder(inputs)), name=name)
    return autoencoder, encoder, decoder


def negative_elbo_bits(model, x, *, n_samples: int = 1, batch_size: int = 1000, seed: int = 0) -> np.ndarray:
    """Per-image negative ELBO of a VAE in bits (an upper bound on ``-log2 p(x)``); lower = "more likely".

    ``model`` is notebook 04's :class:`aeutils.vae.VAE` (e.g. from
    :func:`aeutils.vae.build_dense_vae` with the Bernoulli likelihood). The
    bound is :func:`aeutils.vae.elbo` averaged over ``n_samples`` sampled
    codes (seeds ``seed``, ``seed + 1``, ...), so the result is reproducible,
    and divided by ``ln 2``.
    """
    from .vae import VAE, elbo

    if not isinstance(model, VAE):
        raise TypeError(f"model: expected an aeutils.vae.VAE, got {type(model).__name__}")
    x = check_array(x, "x", dtype_kind="f", value_range=(0.0, 1.0))
    if x.ndim < 2:
        raise ValueError(f"x: expected a batch of images, got shape {x.shape}")
    n_samples = check_positive_int(n_samples, "n_samples")
    batch_size = check_positive_int(batch_size, "batch_size")
    seed = check_positive_int(seed, "seed", minimum=0)
    total = sum(elbo(model, x, batch_size=batch_size, seed=seed + i) for i in range(n_samples))
    return -total / n_samples / np.log(2.0)


# --------------------------------------------------------------------------- out-of-distribution


def compressed_bits(images, *, method: str = "png") -> np.ndarray:
    """Length in bits of each image, quantised to 8 bits, compressed losslessly (PNG or zlib level 9).

    A generic compressor's code length is a cheap, model-free estimate of an
    image's complexity ``L(x)`` (Serra et al., ICLR 2020).
    """
    images = check_array(images, "images", ndim=3, dtype_kind="f", value_range=(0.0, 1.0))
    check_choice(method, "method", ("png", "zlib"))
    q = np.round(images * 255).astype(np.uint8)
    out = np.empty(len(q))
    if method == "zlib":
        for i, img in enumerate(q):
            out[i] = 8 * len(zlib.compress(img.tobytes(), 9))
        return out
    from PIL import Image

    for i, img in enumerate(q):
        buf = io.BytesIO()
        Image.fromarray(img, mode="L").save(buf, format="PNG", optimize=True)
        out[i] = 8 * buf.tell()
    return out


def complexity_corrected_score(nll_bits, complexity_bits) -> np.ndarray:
    """Input-complexity-corrected OOD score ``S(x) = -log2 p(x) - L(x)`` (higher = more out-of-distribution).

    ``nll_bits`` is the model's negative log-likelihood (or negative ELBO) in
    bits and ``complexity_bits`` a generic compressor's length, e.g. from
    :func:`compressed_bits`. Simple images get a low NLL from ANY model; the
    subtraction removes that shared part and keeps what the model adds.
    """
    nll = _check_scores(nll_bits, "nll_bits")
    comp = _check_scores(complexity_bits, "complexity_bits")
    if len(comp) != len(nll):
        raise ValueError(f"complexity_bits: expected {len(nll)} values like nll_bits, got {len(comp)}")
    return nll - comp


# --------------------------------------------------------------------------- mislabels and novelty


def flip_labels(y, fraction: float = 0.05, *, n_classes: int | None = None, seed: int = 0):
    """Flip exactly ``round(fraction * n)`` labels, each to a different class drawn uniformly (seeded).

    Returns
    -------
    y_noisy : int64 array (n,)
    flipped : bool array (n,)  True where the label was changed.
    """
    y = check_array(y, "y", ndim=1, dtype_kind="iu")
    if y.min() < 0:
        raise ValueError(f"y: expected non-negative class indices, got minimum {y.min()}")
    fraction = check_probability(fraction, "fraction")
    n_classes = int(y.max()) + 1 if n_classes is None else check_positive_int(n_classes, "n_classes", minimum=2)
    if y.max() >= n_classes:
        raise ValueError(f"n_classes: expected more than the largest label {int(y.max())}, got {n_classes}")
    if n_classes < 2:
        raise ValueError("y: expected at least two classes to flip between, got one")
    seed = check_positive_int(seed, "seed", minimum=0)
    rng = np.random.default_rng(seed)
    n_flip = int(round(fraction * len(y)))
    idx = rng.choice(len(y), size=n_flip, replace=False)
    y_noisy = y.astype(np.int64).copy()
    shift = rng.integers(1, n_classes, size=n_flip)  # never 0, so always a different class
    y_noisy[idx] = (y_noisy[idx] + shift) % n_classes
    flipped = np.zeros(len(y), dtype=bool)
    flipped[idx] = True
    return y_noisy, flipped


def label_disagreement_scores(
    features, y_given, *, classifier: str = "qda", n_splits: int = 5, C: float = 1.0, reg_param: float = 0.01, seed: int = 0
):
    """Score each sample by how much a classifier on ``features`` disagrees with its given label.

    The classifier is trained with ``n_splits``-fold cross-validation, so each
    sample's class probabilities come from a model that never saw it
    (out-of-fold). The score is ``1 - p(given label | features)``: high when
    the features say "this looks like another class".

    Parameters
    ----------
    features : array (n, d)
        E.g. autoencoder codes.
    y_given : int array (n,)
        The (possibly noisy) labels.
    classifier : {"qda", "logistic"}
        ``"qda"``: one Gaussian per class (quadratic discriminant analysis,
        covariance shrunk by ``reg_param``), fast and closed-form;
        ``"logistic"``: multinomial logistic regression (inverse
        regularisation ``C``) after standardisation, slower on large data.
    n_splits : int
        Cross-validation folds (stratified, shuffled with ``seed``).

    Returns
    -------
    scores : float array (n,)
    proba : float array (n, n_classes)  the out-of-fold probabilities.
    """
    from sklearn.discriminant_analysis import QuadraticDiscriminantAnalysis
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    features = check_array(features, "features", ndim=2, dtype_kind="fiu")
    y_given = check_array(y_given, "y_given", ndim=1, dtype_kind="iu")
    if len(y_given) != len(features):
        raise ValueError(f"y_given: expected {len(features)} labels like features, got {len(y_given)}")
    check_choice(classifier, "classifier", ("qda", "logistic"))
    n_splits = check_positive_int(n_splits, "n_splits", minimum=2)
    C = _check_real(C, "C")
    if C <= 0:
        raise ValueError(f"C: expected a positive number, got {C}")
    reg_param = check_probability(reg_param, "reg_param")
    seed = check_positive_int(seed, "seed", minimum=0)
    classes, counts = np.unique(y_given, return_counts=True)
    if len(classes) < 2:
        raise ValueError("y_given: expected at least two classes")
    if counts.min() < n_splits:
        raise ValueError(f"y_given: every class needs at least n_splits={n_splits} samples, the smallest has {counts.min()}")
    if classifier == "qda":
        model = QuadraticDiscriminantAnalysis(reg_param=reg_param)
    else:
        model = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=500))
    cv = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    proba = cross_val_predict(model, features.astype(np.float64), y_given, cv=cv, method="predict_proba")
    col = np.searchsorted(classes, y_given)
    return 1.0 - proba[np.arange(len(y_given)), col], proba


def holdout_split(x, y, held_out: int):
    """Novelty split: return ``(x_without, x_only)``, the samples whose label is not / is ``held_out``."""
    x = check_array(x, "x", dtype_kind="f")
    y = check_array(y, "y", ndim=1, dtype_kind="iu")
    if len(y) != len(x):
        raise ValueError(f"y: expected {len(x)} labels like x, got {len(y)}")
    held_out = check_positive_int(held_out, "held_out", minimum=0)
    mask = y == held_out
    if not mask.any():
        raise ValueError(f"held_out: class {held_out} does not occur in y")
    if mask.all():
        raise ValueError(f"held_out: every sample is class {held_out}; nothing would be left to train on")
    return x[~mask], x[mask]
