"""aeutils: the code behind "Everything about Autoencoders".

* :mod:`aeutils.core`     plumbing no notebook teaches: runtime and budget, data, records, validation, model files
* :mod:`aeutils.common`   helpers several notebooks share: the training entry point, image metrics, plots
* :mod:`aeutils.support`  code the notebooks use but do not teach: corruptions, the FAISS vector index, ...
* :mod:`aeutils.lessons`  generated from the notebooks' ``#| export`` cells (``make lessons``; do not edit)

This top level re-exports the plumbing every notebook's setup cell uses.
"""
import os as _os

# Keep TensorFlow's C++ start-up chatter out of notebook outputs: import ``aeutils`` before Keras.
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
from .core.quiet import import_keras_quietly as _import_keras_quietly

_import_keras_quietly()

from .common.metrics import mean_mse, per_image_mse, per_image_psnr, per_image_ssim
from .common.plots import image_grid, latent_scatter, metric_vs_code_size, reconstruction_grid, training_curves
from .common.training import fit_autoencoder
from .core.data import (
    FASHION_MNIST_CLASSES,
    ImageData,
    fetch,
    load_ecg5000,
    load_fashion_mnist,
    load_mnist,
    load_movielens_100k,
)
from .core.records import Recorder
from .core.runtime import Budget, budget, is_fast, setup
from .core.saving import load_model, save_model

__version__ = "0.2.0"

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
