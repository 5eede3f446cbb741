"""What the side experiments share: notebook 09c's data split and its fine-tuning step (validation data only).

Early stopping watches the first 1,000 validation images, as in the notebook; accuracy is scored on the other
4,000 (``held_out_accuracy``), so the test split is never touched. Importing this module seeds the run
(``aeutils.setup(42)``) and loads Fashion-MNIST.
"""
import keras
import numpy as np

import aeutils
from aeutils.lessons.nb09c_fine_tune import build_vit_classifier, copy_model, labelled_subset

aeutils.setup(42)
data = aeutils.load_fashion_mnist()
x_train, y_train, x_val, y_val = data.x_train, data.y_train, data.x_val, data.y_val
x_ft_val, y_ft_val = x_val[:1000], y_val[:1000]
LOSS = keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def subset(fraction, seed):
    """09c's class-stratified labelled training images: indices into ``x_train``."""
    return labelled_subset(y_train, fraction, seed)


def pretrained_classifier(mae, seed):
    """09c's classifier on copies of ``mae``'s embedding and encoder, after seeding with ``seed``."""
    keras.utils.set_random_seed(seed)
    return build_vit_classifier(copy_model(mae.embedding), copy_model(mae.encoder))


def fit_labelled(model, idx, epochs, learning_rate, seed, batch_size=64, patience=5):
    """Fit a classifier on ``x_train[idx]`` as 09c does; ``(best validation loss, its epoch)``."""
    stop = keras.callbacks.EarlyStopping(patience=patience, restore_best_weights=True)
    h = aeutils.fit_autoencoder(model, x_train[idx], x_ft_val, y_train=y_train[idx], y_val=y_ft_val, epochs=epochs,
                                batch_size=batch_size, learning_rate=learning_rate, seed=seed, loss=LOSS,
                                callbacks=[stop], log_every=0, steps_per_execution=4)
    best = int(np.argmin(h.history["val_loss"]))
    return h.history["val_loss"][best], best + 1


def held_out_accuracy(model):
    """Accuracy on the 4,000 validation images early stopping never saw."""
    return float((model.predict(x_val[1000:], batch_size=1000, verbose=0).argmax(1) == y_val[1000:]).mean())
