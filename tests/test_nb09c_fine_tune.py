"""Notebook 09c's exported lesson code: the ViT classifier and the weight copy."""
import numpy as np
import pytest

from aeutils.lessons.nb09b_mae import build_vit
from aeutils.lessons.nb09c_fine_tune import build_vit_classifier, copy_model

SMALL = dict(patch_size=4, dim=8, depth=1, heads=2, mlp_dim=16)


def test_classifier_on_copies_keeps_the_original_weights():
    embedding, encoder = build_vit((8, 8), **SMALL)
    twin = copy_model(encoder)
    assert twin is not encoder and all(np.array_equal(a, b) for a, b in zip(twin.get_weights(), encoder.get_weights()))
    clf = build_vit_classifier(copy_model(embedding), twin, n_classes=3)
    assert clf.output_shape == (None, 3)
    logits = clf(np.random.default_rng(0).uniform(size=(4, 8, 8)).astype("float32"))
    assert tuple(logits.shape) == (4, 3)
    clf.get_layer("logits").set_weights([np.ones((8, 3), "float32"), np.zeros(3, "float32")])
    twin.get_layer("norm").set_weights([np.zeros(8, "float32"), np.ones(8, "float32")])
    assert not np.array_equal(twin.get_weights()[-1], encoder.get_weights()[-1])  # the copy has its own weights


def test_copy_model_refuses_a_non_model():
    with pytest.raises(TypeError, match="model: expected a keras.Model"):
        copy_model("encoder")


def test_labelled_subset_is_stratified_sorted_and_seeded():
    from aeutils.lessons.nb09c_fine_tune import labelled_subset

    labels = np.repeat(np.arange(4), 25)[np.random.default_rng(1).permutation(100)]
    idx = labelled_subset(labels, 0.2, seed=3)
    assert len(idx) == 20 and np.all(np.diff(idx) > 0)
    assert np.array_equal(np.bincount(labels[idx]), [5, 5, 5, 5])
    assert np.array_equal(idx, labelled_subset(labels, 0.2, seed=3))
    assert not np.array_equal(idx, labelled_subset(labels, 0.2, seed=4))
    assert len(labelled_subset(labels, 0.001, seed=0)) == 4  # at least one image a class


@pytest.mark.parametrize("labels, fraction, match", [
    (np.zeros((2, 3), int), 0.5, "labels: expected a non-empty 1-d array"),
    (np.array([], int), 0.5, "labels: expected a non-empty 1-d array"),
    (np.array([0.0, 1.0]), 0.5, "labels: expected .* integer"),
    (np.arange(10), 0.0, r"fraction: expected a number in \(0, 1\]"),
    (np.arange(10), float("nan"), r"fraction: expected a number in \(0, 1\]"),
    (np.array([0, 0, 0, 1]), 1.0, "class 1 has 1"),
])
def test_labelled_subset_refuses_bad_input(labels, fraction, match):
    from aeutils.lessons.nb09c_fine_tune import labelled_subset

    with pytest.raises(ValueError, match=match):
        labelled_subset(labels, fraction, seed=0)
