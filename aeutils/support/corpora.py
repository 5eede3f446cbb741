"""Synthetic corpora for notebook 05 (support code the notebook uses but does not teach).

* :func:`generate_date_corpus`: seeded (human date, ISO 8601 date) pairs in the ten
  :data:`DATE_FORMATS` (names, abbreviations, ordinals, weekdays, numeric orders, two-digit
  years), sometimes lower- or upper-cased; :func:`format_date` writes one date in one format.
* :func:`moving_fashion_mnist`: seeded videos of garments bouncing in a square frame (Moving
  MNIST with Fashion-MNIST sprites); :func:`split_frames` cuts videos into inputs and targets.
"""
from __future__ import annotations

import datetime as _dt
import numbers

import numpy as np

from ..core.validation import check_array, check_positive_int

__all__ = ["DATE_FORMATS", "format_date", "generate_date_corpus", "moving_fashion_mnist", "split_frames"]


# --------------------------------------------------------------------------------------------
# Date corpus
# --------------------------------------------------------------------------------------------
_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _ordinal(n: int) -> str:
    suffix = "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


#: Human date formats: name -> function of a ``datetime.date`` (locale-independent).
DATE_FORMATS = {
    "d month yyyy": lambda d: f"{d.day} {_MONTHS[d.month - 1]} {d.year}",
    "dd mon yyyy": lambda d: f"{d.day:02d} {_MONTHS[d.month - 1][:3]} {d.year}",
    "month d, yyyy": lambda d: f"{_MONTHS[d.month - 1]} {d.day}, {d.year}",
    "mon d yyyy": lambda d: f"{_MONTHS[d.month - 1][:3]} {d.day} {d.year}",
    "dd/mm/yyyy": lambda d: f"{d.day:02d}/{d.month:02d}/{d.year}",
    "d.m.yy": lambda d: f"{d.day}.{d.month}.{d.year % 100:02d}",
    "yyyy/mm/dd": lambda d: f"{d.year}/{d.month:02d}/{d.day:02d}",
    "dth of month yyyy": lambda d: f"{_ordinal(d.day)} of {_MONTHS[d.month - 1]} {d.year}",
    "weekday, d mon yyyy": lambda d: f"{_DAYS[d.weekday()][:3]}, {d.day} {_MONTHS[d.month - 1][:3]} {d.year}",
    "weekday d month yyyy": lambda d: f"{_DAYS[d.weekday()]} {d.day} {_MONTHS[d.month - 1]} {d.year}",
}


def format_date(date: _dt.date, fmt: str, *, case: str = "as is") -> str:
    """Write ``date`` in the human format ``fmt`` (a key of :data:`DATE_FORMATS`).

    ``case`` is ``"as is"``, ``"lower"`` or ``"upper"``.
    """
    if not isinstance(date, _dt.date):
        raise TypeError(f"date: expected a datetime.date, got {type(date).__name__} {date!r}")
    if fmt not in DATE_FORMATS:
        raise ValueError(f"fmt: expected one of {sorted(DATE_FORMATS)}, got {fmt!r}")
    if case not in ("as is", "lower", "upper"):
        raise ValueError(f"case: expected one of ['as is', 'lower', 'upper'], got {case!r}")
    text = DATE_FORMATS[fmt](date)
    return text.lower() if case == "lower" else text.upper() if case == "upper" else text


def generate_date_corpus(
    n: int,
    *,
    seed: int,
    start_year: int = 1950,
    end_year: int = 2049,
    formats=None,
    case_probability: float = 0.2,
):
    """Generate ``n`` (human date, ISO 8601 date) pairs, deterministically from ``seed``.

    Dates are drawn uniformly between 1 January ``start_year`` and 31 December
    ``end_year``; each is written in a randomly chosen format from ``formats``
    (default: all of :data:`DATE_FORMATS`), lower-cased or upper-cased with
    probability ``case_probability`` each. Two-digit years (``d.m.yy``) are
    unambiguous only if the range spans at most 100 years, which is checked.

    Returns
    -------
    (sources, targets, format_names) : three lists of str of length ``n``.
    """
    n = check_positive_int(n, "n")
    seed = check_positive_int(seed, "seed", minimum=0)
    start_year = check_positive_int(start_year, "start_year", minimum=1, maximum=9999)
    end_year = check_positive_int(end_year, "end_year", minimum=start_year, maximum=9999)
    formats = sorted(DATE_FORMATS) if formats is None else list(formats)
    if not formats:
        raise ValueError("formats: expected at least one format name, got an empty list")
    for f in formats:
        if f not in DATE_FORMATS:
            raise ValueError(f"formats: expected names from {sorted(DATE_FORMATS)}, got {f!r}")
    if "d.m.yy" in formats and end_year - start_year >= 100:
        raise ValueError(
            f"end_year: expected a range of at most 100 years with the two-digit format 'd.m.yy', "
            f"got {start_year}-{end_year}"
        )
    if isinstance(case_probability, bool) or not isinstance(case_probability, numbers.Real) or not (
        0 <= case_probability <= 0.5
    ):
        raise ValueError(f"case_probability: expected a number in [0, 0.5], got {case_probability!r}")
    rng = np.random.default_rng(seed)
    first = _dt.date(start_year, 1, 1).toordinal()
    last = _dt.date(end_year, 12, 31).toordinal()
    ordinals = rng.integers(first, last + 1, size=n)
    which = rng.integers(0, len(formats), size=n)
    cases = rng.random(n)
    sources, targets, names = [], [], []
    for o, w, c in zip(ordinals, which, cases):
        date = _dt.date.fromordinal(int(o))
        case = "lower" if c < case_probability else "upper" if c < 2 * case_probability else "as is"
        sources.append(format_date(date, formats[w], case=case))
        targets.append(date.isoformat())
        names.append(formats[w])
    return sources, targets, names


# --------------------------------------------------------------------------------------------
# Moving Fashion-MNIST
# --------------------------------------------------------------------------------------------
def moving_fashion_mnist(
    images,
    n_sequences: int,
    *,
    n_frames: int = 10,
    frame_size: int = 64,
    n_objects: int = 1,
    speed: tuple[float, float] = (2.0, 4.0),
    seed: int,
) -> np.ndarray:
    """Make seeded videos of garments bouncing inside a square frame (Moving MNIST with Fashion-MNIST).

    Each video places ``n_objects`` randomly chosen images at random positions
    with random directions and speeds (pixels per frame, uniform in ``speed``);
    an object bounces off the frame's edges (its velocity component flips).
    Overlapping objects combine by the pixel-wise maximum.

    Parameters
    ----------
    images : float array (N, h, w) in [0, 1]
        The sprites (e.g. Fashion-MNIST training images), ``h, w <= frame_size``.
    n_sequences, n_frames, frame_size, n_objects : int
    speed : (low, high)
        Range of speeds in pixels per frame, ``0 < low <= high < frame_size - h``.
    seed : int
        Seed: the same arguments give the same videos.

    Returns
    -------
    float32 array (n_sequences, n_frames, frame_size, frame_size) in [0, 1].
    """
    images = check_array(images, "images", ndim=3, dtype_kind="f", value_range=(0.0, 1.0))
    n_sequences = check_positive_int(n_sequences, "n_sequences")
    n_frames = check_positive_int(n_frames, "n_frames")
    frame_size = check_positive_int(frame_size, "frame_size")
    n_objects = check_positive_int(n_objects, "n_objects", maximum=10)
    seed = check_positive_int(seed, "seed", minimum=0)
    _, sh, sw = images.shape
    if sh > frame_size or sw > frame_size:
        raise ValueError(f"images: expected sprites no larger than frame_size={frame_size}, got {sh}x{sw}")
    room = frame_size - max(sh, sw)
    if (
        not isinstance(speed, (tuple, list))
        or len(speed) != 2
        or not all(isinstance(s, numbers.Real) and not isinstance(s, bool) for s in speed)
    ):
        raise TypeError(f"speed: expected a (low, high) pair of numbers, got {speed!r}")
    lo, hi = float(speed[0]), float(speed[1])
    if not (0 < lo <= hi) or (room > 0 and hi >= room):
        raise ValueError(f"speed: expected 0 < low <= high < {room} (the free room in the frame), got {speed!r}")
    rng = np.random.default_rng(seed)
    videos = np.zeros((n_sequences, n_frames, frame_size, frame_size), np.float32)
    for s in range(n_sequences):
        for _ in range(n_objects):
            sprite = images[rng.integers(len(images))]
            pos = rng.uniform(0, frame_size - np.array([sh, sw]))
            angle = rng.uniform(0, 2 * np.pi)
            vel = rng.uniform(lo, hi) * np.array([np.sin(angle), np.cos(angle)])
            for t in range(n_frames):
                r, c = np.round(pos).astype(int)
                np.maximum(videos[s, t, r : r + sh, c : c + sw], sprite, out=videos[s, t, r : r + sh, c : c + sw])
                pos = pos + vel
                for ax, size in ((0, sh), (1, sw)):
                    top = frame_size - size
                    if pos[ax] < 0:
                        pos[ax], vel[ax] = -pos[ax], -vel[ax]
                    elif pos[ax] > top:
                        pos[ax], vel[ax] = 2 * top - pos[ax], -vel[ax]
    return videos


def split_frames(videos, n_input: int):
    """Split videos ``(N, T, H, W)`` into inputs ``(N, n_input, H, W, 1)`` and targets ``(N, T - n_input, H, W, 1)``."""
    videos = check_array(videos, "videos", ndim=4, dtype_kind="f")
    n_input = check_positive_int(n_input, "n_input", maximum=videos.shape[1] - 1)
    v = videos[..., None]
    return v[:, :n_input], v[:, n_input:]
