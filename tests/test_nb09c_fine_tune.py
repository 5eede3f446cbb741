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
