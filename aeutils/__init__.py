"""aeutils: the plumbing behind "Everything about Autoencoders".

Flat modules, each introduced by a notebook:

* :mod:`aeutils.runtime`   seeding, versions, the fast-mode budget (01)
* :mod:`aeutils.data`      dataset registry, Keras cache, sha256 checks, loaders (01)
* :mod:`aeutils.models`    dense / linear autoencoder builders (01)
* :mod:`aeutils.training`  the training loop with cosine-decayed Adam (01)
* :mod:`aeutils.metrics`   per-image MSE, PSNR, SSIM (01, 03)
* :mod:`aeutils.plots`     reconstruction grids, curves, latent scatter, sweeps (01)
* :mod:`aeutils.report`    recording metrics into ``results/`` (01)
* :mod:`aeutils.validation` argument checks with clear errors (all)

Notebook-specific parts live in their own modules (imported as
``from aeutils import vae`` and so on) so that this top level stays small.
"""
import os as _os

# Keep TensorFlow's C++ start-up chatter out of notebook outputs: import ``aeutils`` before Keras.
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
from ._quiet import import_keras_quietly as _import_keras_quietly

_import_keras_quietly()

from .data import (
    FASHION_MNIST_CLASSES,
    ImageData,
    fetch,
    load_ecg5000,
    load_fashion_mnist,
    load_mnist,
    load_movielens_100k,
)
from .metrics import mean_mse, per_image_mse, per_image_psnr, per_image_ssim
from .models import build_dense_autoencoder, build_linear_autoencoder, count_params, load_model, save_model
from .plots import image_grid, latent_scatter, metric_vs_code_size, reconstruction_grid, training_curves
from .report import Recorder
from .runtime import Budget, budget, is_fast, setup
from .training import fit_autoencoder

__version__ = "0.1.0"

__all__ = [
    "FASHION_MNIST_CLASSES",
    "ImageData",
    "fetch",
    "load_ecg5000",
    "load_fashion_mnist",
    "load_mnist",
    "load_movielens_100k",
    "mean_mse",
    "per_image_mse",
    "per_image_psnr",
    "per_image_ssim",
    "build_dense_autoencoder",
    "build_linear_autoencoder",
    "count_params",
    "load_model",
    "save_model",
    "image_grid",
    "latent_scatter",
    "metric_vs_code_size",
    "reconstruction_grid",
    "training_curves",
    "Recorder",
    "Budget",
    "budget",
    "is_fast",
    "setup",
    "fit_autoencoder",
]
