"""Tests of aeutils.support.corpora: the date corpus and Moving Fashion-MNIST (notebook 05's data)."""
import datetime as dt

import numpy as np
import pytest

from aeutils.support import corpora as sq

RNG = np.random.default_rng(0)


# ---------------------------------------------------------------- dates
def test_date_corpus_is_deterministic_and_correct():
    a = sq.generate_date_corpus(200, seed=3)
    b = sq.generate_date_corpus(200, seed=3)
    assert a == b
    assert sq.generate_date_corpus(200, seed=4)[0] != a[0]
    src, tgt, names = a
    assert len(src) == len(tgt) == len(names) == 200
    assert set(names) <= set(sq.DATE_FORMATS)
    for t in tgt:
        d = dt.date.fromisoformat(t)
        assert 1950 <= d.year <= 2049
    d = dt.date(2021, 3, 3)
    assert sq.format_date(d, "d month yyyy") == "3 March 2021"
    assert sq.format_date(d, "dth of month yyyy", case="lower") == "3rd of march 2021"
    assert sq.format_date(d, "weekday, d mon yyyy", case="upper") == "WED, 3 MAR 2021"
    assert sq.format_date(dt.date(1999, 12, 11), "dth of month yyyy") == "11th of December 1999"
    assert sq.format_date(dt.date(2005, 1, 9), "d.m.yy") == "9.1.05"


@pytest.mark.parametrize(
    "kwargs, exc, text",
    [
        ({"n": 0, "seed": 1}, ValueError, "n"),
        ({"n": 5}, TypeError, "seed"),
        ({"n": 5, "seed": -1}, ValueError, "seed"),
        ({"n": 5, "seed": 1, "start_year": 2000, "end_year": 1999}, ValueError, "end_year"),
        ({"n": 5, "seed": 1, "start_year": 1900, "end_year": 2049}, ValueError, "end_year"),
        ({"n": 5, "seed": 1, "formats": []}, ValueError, "formats"),
        ({"n": 5, "seed": 1, "formats": ["yyyymmdd"]}, ValueError, "formats"),
        ({"n": 5, "seed": 1, "case_probability": 0.9}, ValueError, "case_probability"),
    ],
)
def test_date_corpus_rejects_bad_arguments(kwargs, exc, text):
    if "seed" not in kwargs:
        with pytest.raises(exc, match=text):
            sq.generate_date_corpus(kwargs["n"])
        return
    with pytest.raises(exc, match=text):
        sq.generate_date_corpus(**kwargs)


def test_format_date_rejects_bad_arguments():
    with pytest.raises(TypeError, match="date"):
        sq.format_date("2020-01-01", "d month yyyy")
    with pytest.raises(ValueError, match="fmt"):
        sq.format_date(dt.date(2020, 1, 1), "nope")
    with pytest.raises(ValueError, match="case"):
        sq.format_date(dt.date(2020, 1, 1), "d month yyyy", case="title")


# ---------------------------------------------------------------- moving Fashion-MNIST
def test_moving_fashion_mnist_is_seeded_bounded_and_moving():
    sprites = RNG.random((5, 8, 8)).astype("float32")
    a = sq.moving_fashion_mnist(sprites, 4, n_frames=30, frame_size=24, n_objects=2, speed=(2, 3), seed=1)
    b = sq.moving_fashion_mnist(sprites, 4, n_frames=30, frame_size=24, n_objects=2, speed=(2, 3), seed=1)
    c = sq.moving_fashion_mnist(sprites, 4, n_frames=30, frame_size=24, n_objects=2, speed=(2, 3), seed=2)
    assert a.shape == (4, 30, 24, 24) and a.dtype == np.float32
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert a.min() >= 0 and a.max() <= 1
    assert np.abs(np.diff(a, axis=1)).mean() > 0
    one = sq.moving_fashion_mnist(np.ones((1, 8, 8), "float32"), 3, n_frames=40, frame_size=24, speed=(2, 3), seed=0)
    np.testing.assert_allclose(one.sum((2, 3)), 64.0)  # the whole sprite stays inside the frame (bounces)


@pytest.mark.parametrize(
    "kwargs, exc, text",
    [
        ({"images": np.ones((2, 8, 8))}, TypeError, "seed"),
        ({"images": np.ones((2, 8)), "seed": 0}, ValueError, "images"),
        ({"images": np.full((2, 8, 8), 2.0), "seed": 0}, ValueError, "images"),
        ({"images": np.ones((2, 8, 8), int), "seed": 0}, TypeError, "images"),
        ({"images": np.ones((2, 30, 30)), "seed": 0}, ValueError, "images"),
        ({"images": np.ones((2, 8, 8)), "seed": 0, "n_frames": 0}, ValueError, "n_frames"),
        ({"images": np.ones((2, 8, 8)), "seed": 0, "n_objects": 11}, ValueError, "n_objects"),
        ({"images": np.ones((2, 8, 8)), "seed": 0, "speed": 3}, TypeError, "speed"),
        ({"images": np.ones((2, 8, 8)), "seed": 0, "speed": (3, 2)}, ValueError, "speed"),
        ({"images": np.ones((2, 8, 8)), "seed": 0, "speed": (1, 20)}, ValueError, "speed"),
    ],
)
def test_moving_fashion_mnist_rejects_bad_arguments(kwargs, exc, text):
    with pytest.raises(exc, match=text):
        sq.moving_fashion_mnist(n_sequences=2, frame_size=24, **kwargs)


def test_split_frames():
    v = RNG.random((3, 7, 8, 8)).astype("float32")
    xi, yo = sq.split_frames(v, 5)
    assert xi.shape == (3, 5, 8, 8, 1) and yo.shape == (3, 2, 8, 8, 1)
    np.testing.assert_array_equal(yo[:, 0, ..., 0], v[:, 5])
    with pytest.raises(ValueError, match="n_input"):
        sq.split_frames(v, 7)
    with pytest.raises(ValueError, match="videos"):
        sq.split_frames(v[0], 2)
