import gzip
import os
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest

import aeutils.core.data as data
from aeutils.core.data import (
    REGISTRY,
    ChecksumError,
    CorruptFileError,
    DatasetUnavailableError,
    cache_dir,
    fetch,
    load_ecg5000,
    load_fashion_mnist,
    load_mnist,
    load_movielens_100k,
    read_idx,
    sha256sum,
)


def _write_idx(path: Path, array: np.ndarray, magic: bytes | None = None):
    header = magic if magic is not None else bytes([0, 0, 0x08, array.ndim])
    header += struct.pack(f">{array.ndim}I", *array.shape)
    with gzip.open(path, "wb") as fh:
        fh.write(header + array.astype(np.uint8).tobytes())


@pytest.fixture
def empty_home(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    return tmp_path / "keras" / "datasets"


def test_cache_dir_follows_keras_home(empty_home):
    assert cache_dir() == empty_home


def test_registry_entries_are_complete():
    for spec in REGISTRY.values():
        assert spec.licence and spec.homepage and spec.files
        for f in spec.files.values():
            assert len(f.sha256) == 64 and f.urls
    assert REGISTRY["ml-100k"].redistributable is False


def test_sha256sum(tmp_path):
    p = tmp_path / "a.txt"
    p.write_bytes(b"abc")
    assert sha256sum(p) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    with pytest.raises(FileNotFoundError, match="path: expected an existing file"):
        sha256sum(tmp_path / "missing")


def test_fetch_unknown_name():
    with pytest.raises(KeyError, match="name: expected one of"):
        fetch("imagenet")


def test_missing_file_without_network_gives_clear_error(empty_home):
    with pytest.raises(DatasetUnavailableError) as info:
        fetch("ecg5000")
    msg = str(info.value)
    assert "ecg.csv" in msg and "could not be downloaded" in msg and "network disabled" in msg
    assert "offline" in msg
    assert not (empty_home / "ecg.csv").exists()


def test_missing_file_with_download_false(empty_home):
    with pytest.raises(DatasetUnavailableError, match="download=False"):
        fetch("ecg5000", download=False)


def test_download_is_verified_then_moved_into_place(empty_home, monkeypatch):
    src = Path(fetch_source("ecg.csv"))

    def fake_download(url, dest, timeout=60.0):
        shutil.copyfile(src, dest)

    monkeypatch.setattr(data, "_download", fake_download)
    paths = fetch("ecg5000")
    assert paths["csv"] == empty_home / "ecg.csv" and paths["csv"].is_file()
    assert not list(empty_home.glob("tmp*"))


def test_download_with_wrong_content_is_rejected_and_not_kept(empty_home, monkeypatch):
    def bad_download(url, dest, timeout=60.0):
        Path(dest).write_bytes(b"not the ecg file")

    monkeypatch.setattr(data, "_download", bad_download)
    with pytest.raises(DatasetUnavailableError, match="sha256 mismatch"):
        fetch("ecg5000")
    assert not (empty_home / "ecg.csv").exists()


def test_checksum_mismatch_names_file_and_hashes_and_keeps_file(empty_home):
    target = empty_home / "ecg.csv"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"1,2,3\n")
    with pytest.raises(ChecksumError) as info:
        fetch("ecg5000")
    msg = str(info.value)
    assert str(target) in msg
    assert REGISTRY["ecg5000"].files["csv"].sha256 in msg
    assert sha256sum(target) in msg
    assert target.read_bytes() == b"1,2,3\n"  # never deleted or overwritten


def test_read_idx_roundtrip(tmp_path):
    arr = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    _write_idx(tmp_path / "ok.gz", arr)
    np.testing.assert_array_equal(read_idx(tmp_path / "ok.gz"), arr)


def test_read_idx_truncated_gzip(tmp_path):
    arr = np.random.default_rng(0).integers(0, 255, (50, 28, 28)).astype(np.uint8)
    _write_idx(tmp_path / "full.gz", arr)
    raw = (tmp_path / "full.gz").read_bytes()
    (tmp_path / "cut.gz").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(CorruptFileError, match="not a complete gzip file"):
        read_idx(tmp_path / "cut.gz")


def test_read_idx_wrong_header(tmp_path):
    arr = np.zeros((2, 2), dtype=np.uint8)
    _write_idx(tmp_path / "bad.gz", arr, magic=b"\x12\x34\x08\x02")
    with pytest.raises(CorruptFileError, match="wrong IDX magic number 0x12340802"):
        read_idx(tmp_path / "bad.gz")


def test_read_idx_size_mismatch(tmp_path):
    with gzip.open(tmp_path / "short.gz", "wb") as fh:
        fh.write(bytes([0, 0, 8, 2]) + struct.pack(">2I", 10, 10) + b"\x00" * 5)
    with pytest.raises(CorruptFileError, match="promises 100 data bytes"):
        read_idx(tmp_path / "short.gz")


def test_read_idx_not_gzip_and_missing(tmp_path):
    (tmp_path / "plain").write_bytes(b"hello world")
    with pytest.raises(CorruptFileError):
        read_idx(tmp_path / "plain")
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "nope.gz")


_REAL_HOME = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"))


def fetch_source(name: str) -> str:
    """Path of a file in the real (test session) cache, read before any test changes KERAS_HOME."""
    return str(_REAL_HOME / "datasets" / name)


def test_load_fashion_mnist_split_is_seeded_stratified_and_scaled():
    d = load_fashion_mnist()
    assert d.x_train.shape == (55000, 28, 28) and d.x_val.shape == (5000, 28, 28)
    assert d.x_test.shape == (10000, 28, 28)
    assert d.x_train.dtype == np.float32 and 0.0 <= d.x_train.min() and d.x_train.max() <= 1.0
    assert np.bincount(d.y_val).tolist() == [500] * 10
    assert len(d.class_names) == 10 and d.class_names[9] == "Ankle boot"
    d2 = load_fashion_mnist()
    np.testing.assert_array_equal(d.y_val, d2.y_val)
    np.testing.assert_array_equal(d.x_val[:5], d2.x_val[:5])
    d3 = load_fashion_mnist(seed=1)
    assert not np.array_equal(d.x_val[:50], d3.x_val[:50])
    assert "ImageData" in repr(d)


def test_load_fashion_mnist_bad_arguments():
    with pytest.raises(ValueError, match="val_size"):
        load_fashion_mnist(val_size=0)
    with pytest.raises(TypeError, match="seed"):
        load_fashion_mnist(seed="a")


def test_load_mnist():
    d = load_mnist(val_size=1000)
    assert d.x_train.shape == (59000, 28, 28) and d.x_test.shape == (10000, 28, 28)
    assert abs(float(np.concatenate([d.x_train, d.x_val]).mean()) - 0.13066) < 1e-3


def test_load_ecg5000():
    x, normal = load_ecg5000()
    assert x.shape == (4998, 140) and x.dtype == np.float32
    assert int(normal.sum()) == 2919 and int((normal == 0).sum()) == 2079


def test_load_movielens_100k():
    ratings = load_movielens_100k()
    assert len(ratings) == 100000 and ratings.user_id.nunique() == 943 and ratings.item_id.nunique() == 1682
    fold = load_movielens_100k("u1.test")
    assert len(fold) == 20000
    items = load_movielens_100k("u.item")
    assert len(items) == 1682 and items.title.iloc[0] == "Toy Story (1995)"
    assert len(load_movielens_100k("u.user")) == 943
    with pytest.raises(ValueError, match="part: expected one of"):
        load_movielens_100k("u9.base")
