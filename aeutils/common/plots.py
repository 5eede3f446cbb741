"""Figures used across the notebooks (introduced in notebook 01).

Every function returns the Matplotlib ``Figure`` so a notebook can show or save it.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ..core.validation import check_array

__all__ = ["reconstruction_grid", "image_grid", "training_curves", "latent_scatter", "metric_vs_code_size"]


def _as_images(x, name):
    x = check_array(x, name, ndim=(2, 3, 4))
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    if x.ndim == 2:
        side = int(round(np.sqrt(x.shape[1])))
        if side * side != x.shape[1]:
            raise ValueError(f"{name}: flat images must have a square number of pixels, got {x.shape[1]}")
        x = x.reshape(len(x), side, side)
    return x


def image_grid(rows, row_labels=None, titles=None, n: int | None = None, cmap="gray", size: float = 1.2):
    """Show several rows of images (each a batch of the same length) one above the other."""
    if not isinstance(rows, (list, tuple)) or not rows:
        raise ValueError(f"rows: expected a non-empty list of image batches, got {type(rows).__name__}")
    rows = [_as_images(r, f"rows[{i}]") for i, r in enumerate(rows)]
    n = min(len(r) for r in rows) if n is None else n
    if any(len(r) < n for r in rows) or n < 1:
        raise ValueError(f"n: expected at most {min(len(r) for r in rows)} images per row, got {n}")
    if row_labels is not None and len(row_labels) != len(rows):
        raise ValueError(f"row_labels: expected {len(rows)} labels, got {len(row_labels)}")
    fig, axes = plt.subplots(len(rows), n, figsize=(size * n, size * len(rows) + 0.3), squeeze=False)
    for r, batch in enumerate(rows):
        for c in range(n):
            ax = axes[r, c]
            ax.imshow(batch[c], cmap=cmap, vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            if titles is not None and r == 0:
                ax.set_title(str(titles[c]), fontsize=8)
        if row_labels is not None:
            axes[r, 0].set_ylabel(row_labels[r], fontsize=9)
    fig.tight_layout()
    return fig


def reconstruction_grid(originals, reconstructions, n: int = 10, titles=None, labels=("original", "reconstruction")):
    """Show ``n`` originals (top row) over their reconstructions (bottom row)."""
    a = _as_images(originals, "originals")
    b = _as_images(reconstructions, "reconstructions")
    if a.shape != b.shape:
        raise ValueError(f"reconstructions: expected shape {a.shape} like originals, got {b.shape}")
    return image_grid([a[:n], b[:n]], row_labels=list(labels), titles=titles, n=min(n, len(a)))


def training_curves(history, metrics=("loss",), title: str | None = None, log: bool = False):
    """Plot training and validation curves from a Keras ``History`` (or its ``.history`` dict)."""
    hist = getattr(history, "history", history)
    if not isinstance(hist, dict) or not hist:
        raise ValueError("history: expected a keras History or a non-empty dict of metric lists")
    missing = [m for m in metrics if m not in hist]
    if missing:
        raise ValueError(f"metrics: {missing} not in history (it has {sorted(hist)})")
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.5 * len(metrics), 3.2), squeeze=False)
    for ax, m in zip(axes[0], metrics):
        epochs = np.arange(1, len(hist[m]) + 1)
        ax.plot(epochs, hist[m], label=f"train {m}")
        if f"val_{m}" in hist:
            ax.plot(epochs, hist[f"val_{m}"], label=f"validation {m}")
        ax.set_xlabel("epoch")
        ax.set_ylabel(m)
        if log:
            ax.set_yscale("log")
        ax.legend()
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def latent_scatter(codes, labels, class_names=None, title: str | None = None, max_points: int = 5000, seed: int = 0):
    """Scatter 2-D codes coloured by class, with a legend of class names."""
    codes = check_array(codes, "codes", ndim=2)
    if codes.shape[1] != 2:
        raise ValueError(f"codes: expected 2 columns (a 2-D code), got {codes.shape[1]}; project first (PCA, t-SNE)")
    labels = check_array(labels, "labels", ndim=1, dtype_kind="iu")
    if len(labels) != len(codes):
        raise ValueError(f"labels: expected {len(codes)} labels like codes, got {len(labels)}")
    rng = np.random.default_rng(seed)
    idx = rng.permutation(len(codes))[:max_points]
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    classes = np.unique(labels)
    cmap = plt.get_cmap("tab10" if len(classes) <= 10 else "tab20")
    for i, c in enumerate(classes):
        sel = idx[labels[idx] == c]
        name = class_names[c] if class_names is not None else str(c)
        ax.scatter(codes[sel, 0], codes[sel, 1], s=3, alpha=0.6, color=cmap(i % cmap.N), label=name)
    ax.legend(markerscale=4, fontsize=8, loc="best", frameon=True)
    ax.set_xlabel("z[0]")
    ax.set_ylabel("z[1]")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def metric_vs_code_size(code_sizes, series: dict, ylabel: str = "test MSE", title: str | None = None, log: bool = True):
    """Plot one line per method of a metric against code size (log-2 x axis)."""
    code_sizes = check_array(code_sizes, "code_sizes", ndim=1, dtype_kind="iu", value_range=(1, None))
    if not isinstance(series, dict) or not series:
        raise ValueError("series: expected a non-empty dict {method name: values}")
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, values in series.items():
        values = check_array(values, f"series[{name!r}]", ndim=1)
        if len(values) != len(code_sizes):
            raise ValueError(f"series[{name!r}]: expected {len(code_sizes)} values, got {len(values)}")
        ax.plot(code_sizes, values, marker="o", label=name)
    ax.set_xscale("log", base=2)
    ax.set_xticks(code_sizes)
    ax.set_xticklabels([str(c) for c in code_sizes])
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("code size")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig
