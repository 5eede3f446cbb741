import numpy as np
import pytest

from aeutils.core.validation import check_array, check_choice, check_positive_int, check_probability


def test_check_array_accepts_and_returns_array():
    out = check_array([[0.0, 1.0]], "x", ndim=2, value_range=(0, 1))
    assert isinstance(out, np.ndarray) and out.shape == (1, 2)


@pytest.mark.parametrize(
    "value, kwargs, exc, text",
    [
        (None, {}, TypeError, "x: expected an array, got None"),
        ("abc", {}, TypeError, "x: expected an array"),
        (np.array([1, 2]), {"dtype_kind": "f"}, TypeError, "expected dtype float, got int64"),
        (np.zeros((2, 3)), {"ndim": 3}, ValueError, "expected 3 dimensions, got 2"),
        (np.zeros((2, 3)), {"shape": (None, 4)}, ValueError, "expected shape (any, 4), got (2, 3)"),
        (np.zeros((0, 3)), {}, ValueError, "expected a non-empty array"),
        (np.array([0.0, np.nan]), {}, ValueError, "1 NaN or infinite"),
        (np.array([0.0, 2.0]), {"value_range": (0, 1)}, ValueError, "expected values in [0, 1], got values in [0, 2]"),
        (np.array([[1.0], [1.0, 2.0]], dtype=object), {}, TypeError, "object array"),
    ],
)
def test_check_array_errors_name_argument_expected_and_actual(value, kwargs, exc, text):
    with pytest.raises(exc) as info:
        check_array(value, "x", **kwargs)
    assert text in str(info.value)
    assert str(info.value).startswith("x:")


def test_check_array_allows_empty_and_nan_when_asked():
    assert check_array(np.zeros((0,)), "x", allow_empty=True).size == 0
    assert np.isnan(check_array(np.array([np.nan]), "x", allow_nan=True)).all()


def test_check_positive_int():
    assert check_positive_int(np.int64(3), "n") == 3
    with pytest.raises(TypeError, match="n: expected an integer >= 1, got float 2.5"):
        check_positive_int(2.5, "n")
    with pytest.raises(TypeError):
        check_positive_int(True, "n")
    with pytest.raises(ValueError, match=r"n: expected an integer in \[1, 5\], got 9"):
        check_positive_int(9, "n", maximum=5)


def test_check_probability():
    assert check_probability(0.5, "p") == 0.5
    with pytest.raises(ValueError, match=r"p: expected a number in \[0, 1\], got 1.5"):
        check_probability(1.5, "p")
    with pytest.raises(ValueError, match=r"\(0, 1\)"):
        check_probability(0.0, "p", inclusive=False)
    with pytest.raises(TypeError):
        check_probability("0.5", "p")


def test_check_choice():
    assert check_choice("a", "mode", {"a", "b"}) == "a"
    with pytest.raises(ValueError, match=r"mode: expected one of \['a', 'b'\], got 'c'"):
        check_choice("c", "mode", {"a", "b"})


def test_check_choice_names_the_argument_for_any_type():
    with pytest.raises(ValueError, match=r"mode: expected one of \['a', 'b'\], got \['a'\]"):
        check_choice(["a"], "mode", {"a", "b"})
    with pytest.raises(ValueError, match="mode: expected one of"):
        check_choice(None, "mode", ("a", "b"))


def test_check_int_tuple():
    from aeutils.core.validation import check_int_tuple

    assert check_int_tuple([3, 4], "hidden") == (3, 4)
    with pytest.raises(TypeError, match="hidden: expected a tuple of integers"):
        check_int_tuple(5, "hidden")
    with pytest.raises(ValueError, match="input_shape: expected at least one"):
        check_int_tuple((), "input_shape", allow_empty=False)
