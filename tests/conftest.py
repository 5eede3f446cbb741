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
