"""Unit-test fixtures: no test may reach the network."""
from __future__ import annotations

import urllib.error

import pytest

import aeutils.core.data


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Make every download attempt fail as it would offline."""

    def refuse(url, dest, timeout=60.0):
        raise urllib.error.URLError(f"network disabled in tests ({url})")

    monkeypatch.setattr(aeutils.core.data, "_download", refuse)


@pytest.fixture
def fast_mode(monkeypatch):
    monkeypatch.setenv("AEUTILS_FAST", "1")


@pytest.fixture
def full_mode(monkeypatch):
    monkeypatch.delenv("AEUTILS_FAST", raising=False)


@pytest.fixture
def synthetic_ratings():
    """Low-rank synthetic 1-5 star ratings (a DataFrame) on ids that do not start at 0 (users 101.., items 1001..)."""
    import numpy as np
    import pandas as pd

    def make(seed=0, n_users=30, n_items=40, density=0.3):
        rng = np.random.default_rng(seed)
        u, v = rng.normal(size=(n_users, 2)), rng.normal(size=(n_items, 2))
        full = np.clip(np.rint(3 + u @ v.T), 1, 5)
        rows, cols = np.nonzero(rng.random((n_users, n_items)) < density)
        return pd.DataFrame({"user_id": rows + 101, "item_id": cols + 1001, "rating": full[rows, cols]})

    return make
