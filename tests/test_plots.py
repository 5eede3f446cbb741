import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest

from aeutils.common.plots import image_grid, latent_scatter, metric_vs_code_size, reconstruction_grid, training_curves


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_reconstruction_grid_shapes():
    x = np.random.default_rng(0).random((12, 28, 28))
    fig = reconstruction_grid(x, x.reshape(12, 784), n=5, titles=list("abcde"))
    assert len(fig.axes) == 10
    with pytest.raises(ValueError, match="reconstructions: expected shape"):
        reconstruction_grid(x, x[:3])


def test_image_grid_errors():
    x = np.zeros((3, 4, 4))
    assert len(image_grid([x, x, x[..., None]]).axes) == 9
    with pytest.raises(ValueError, match="rows: expected a non-empty list"):
        image_grid([])
    with pytest.raises(ValueError, match="row_labels: expected 2 labels"):
        image_grid([x, x], row_labels=["a"])
    with pytest.raises(ValueError, match="square number of pixels"):
        image_grid([np.zeros((2, 10))])


def test_training_curves():
    fig = training_curves({"loss": [3, 2, 1], "val_loss": [3, 2.5, 2]}, log=True, title="t")
    assert fig.axes[0].get_yscale() == "log"
    with pytest.raises(ValueError, match="metrics:"):
        training_curves({"loss": [1]}, metrics=("mae",))
    with pytest.raises(ValueError, match="history:"):
        training_curves({})


def test_latent_scatter_has_legend_of_class_names():
    rng = np.random.default_rng(0)
    fig = latent_scatter(rng.normal(size=(100, 2)), rng.integers(0, 3, 100), class_names=["a", "b", "c"])
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["a", "b", "c"]
    with pytest.raises(ValueError, match="codes: expected 2 columns"):
        latent_scatter(np.zeros((5, 3)), np.zeros(5, int))
    with pytest.raises(ValueError, match="labels: expected 5 labels"):
        latent_scatter(np.zeros((5, 2)), np.zeros(4, int))


def test_metric_vs_code_size():
    fig = metric_vs_code_size([2, 4, 8], {"AE": [0.03, 0.02, 0.01], "PCA": [0.05, 0.04, 0.03]})
    assert len(fig.axes[0].lines) == 2
    with pytest.raises(ValueError, match="expected 3 values"):
        metric_vs_code_size([2, 4, 8], {"AE": [1, 2]})
    with pytest.raises(ValueError, match="code_sizes: expected values in"):
        metric_vs_code_size([0, 4], {"AE": [1, 2]})
