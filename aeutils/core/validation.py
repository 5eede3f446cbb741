"""Input validation shared by every public ``aeutils`` function.

Each check raises an error that names the argument, says what was expected and
what actually came, so that a learner sees at once which call was wrong.
Introduced in notebook 01 (used everywhere).
"""
from __future__ import annotations

import numbers

import numpy as np

__all__ = ["check_array", "check_positive_int", "check_probability", "check_choice", "check_int_tuple", "check_number"]


def _describe(x) -> str:
    if isinstance(x, np.ndarray):
        return f"array of shape {x.shape} and dtype {x.dtype}"
    return f"{type(x).__name__} {x!r}"[:200]


def check_array(
    x,
    name: str,
    *,
    ndim: int | tuple[int, ...] | None = None,
    shape: tuple | None = None,
    dtype_kind: str | None = "fiu",
    value_range: tuple[float | None, float | None] | None = None,
    allow_empty: bool = False,
    allow_nan: bool = False,
) -> np.ndarray:
    """Return ``x`` as a NumPy array after checking it, or raise a clear error.

    Parameters
    ----------
    x : array-like
        The value to check.
    name : str
        The argument's name, used in error messages.
    ndim : int or tuple of int, optional
        Allowed numbers of dimensions.
    shape : tuple, optional
        Expected shape; ``None`` entries match any size.
    dtype_kind : str, optional
        Allowed NumPy dtype kinds (``"f"`` float, ``"i"``/``"u"`` integer,
        ``"b"`` bool, ``"c"`` complex). ``None`` accepts any dtype.
    value_range : (low, high), optional
        Inclusive bounds on the values; either side may be ``None``.
    allow_empty, allow_nan : bool
        Whether an empty array, or NaN/inf values, are acceptable.

    Raises
    ------
    TypeError
        If ``x`` is not array-like or has the wrong dtype.
    ValueError
        If the shape, emptiness, finiteness or range is wrong.
    """
    if x is None:
        raise TypeError(f"{name}: expected an array, got None")
    if isinstance(x, (str, bytes, dict)):
        raise TypeError(f"{name}: expected an array, got {_describe(x)}")
    try:
        arr = np.asarray(x)
    except Exception as exc:  # pragma: no cover - exotic objects
        raise TypeError(f"{name}: expected an array, got {type(x).__name__} ({exc})") from exc
    if arr.dtype == object:
        raise TypeError(f"{name}: expected a numeric array, got an object array (ragged or mixed input?)")
    if dtype_kind is not None and arr.dtype.kind not in dtype_kind:
        kinds = {"f": "float", "i": "int", "u": "unsigned int", "b": "bool", "c": "complex"}
        want = " or ".join(kinds.get(k, k) for k in dtype_kind)
        raise TypeError(f"{name}: expected dtype {want}, got {arr.dtype}")
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            raise ValueError(
                f"{name}: expected {' or '.join(map(str, allowed))} dimensions, "
                f"got {arr.ndim} (shape {arr.shape})"
            )
    if shape is not None:
        if arr.ndim != len(shape) or any(s is not None and s != a for s, a in zip(shape, arr.shape)):
            want = "(" + ", ".join("any" if s is None else str(s) for s in shape) + ")"
            raise ValueError(f"{name}: expected shape {want}, got {arr.shape}")
    if not allow_empty and arr.size == 0:
        raise ValueError(f"{name}: expected a non-empty array, got shape {arr.shape}")
    if arr.dtype.kind == "f" and arr.size and not allow_nan:
        finite = np.isfinite(arr)
        if not finite.all():
            bad = int((~finite).sum())
            raise ValueError(f"{name}: expected finite values, got {bad} NaN or infinite value(s)")
    if value_range is not None and arr.size and arr.dtype.kind in "fiub":
        low, high = value_range
        amin, amax = arr.min(), arr.max()
        if (low is not None and amin < low) or (high is not None and amax > high):
            lo = "-inf" if low is None else low
            hi = "inf" if high is None else high
            raise ValueError(
                f"{name}: expected values in [{lo}, {hi}], got values in [{amin:.6g}, {amax:.6g}]"
            )
    return arr


def check_positive_int(value, name: str, *, minimum: int = 1, maximum: int | None = None) -> int:
    """Return ``value`` as an int if it is an integer in ``[minimum, maximum]``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name}: expected an integer >= {minimum}, got {_describe(value)}")
    value = int(value)
    if value < minimum or (maximum is not None and value > maximum):
        bound = f">= {minimum}" if maximum is None else f"in [{minimum}, {maximum}]"
        raise ValueError(f"{name}: expected an integer {bound}, got {value}")
    return value


def check_probability(value, name: str, *, inclusive: bool = True) -> float:
    """Return ``value`` as a float if it lies in [0, 1] (or (0, 1) when not inclusive)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}: expected a number in [0, 1], got {_describe(value)}")
    value = float(value)
    ok = 0.0 <= value <= 1.0 if inclusive else 0.0 < value < 1.0
    if not ok or np.isnan(value):
        interval = "[0, 1]" if inclusive else "(0, 1)"
        raise ValueError(f"{name}: expected a number in {interval}, got {value}")
    return value


def check_choice(value, name: str, choices) -> str:
    """Return ``value`` if it is one of ``choices``, else raise naming the options (any type of ``value``)."""
    try:
        ok = value in choices
    except TypeError:  # an unhashable value (a list) against a set or dict of choices
        ok = False
    if not ok:
        raise ValueError(f"{name}: expected one of {sorted(choices)}, got {value!r}")
    return value


def check_int_tuple(value, name: str, *, minimum: int = 1, allow_empty: bool = True) -> tuple[int, ...]:
    """Return ``value`` as a tuple of ints ``>= minimum`` (layer widths, shapes); a list or tuple is expected."""
    if not isinstance(value, (tuple, list)):
        raise TypeError(f"{name}: expected a tuple of integers >= {minimum}, got {_describe(value)}")
    if not value and not allow_empty:
        raise ValueError(f"{name}: expected at least one integer, got an empty {type(value).__name__}")
    return tuple(check_positive_int(v, name, minimum=minimum) for v in value)


def check_number(value, name: str, *, minimum: float | None = None, positive: bool = False) -> float:
    """Return ``value`` as a float if it is a finite real number (numpy scalars too) ``>= minimum`` (``> 0`` if ``positive``)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}: expected a finite number, got {_describe(value)}")
    value = float(value)
    low_ok = minimum is None or value >= minimum
    if not np.isfinite(value) or not low_ok or (positive and value <= 0):
        want = " > 0" if positive else ("" if minimum is None else f" >= {minimum}")
        raise ValueError(f"{name}: expected a finite number{want}, got {value}")
    return value
