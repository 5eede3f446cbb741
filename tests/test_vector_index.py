"""aeutils.support.vector_index: FAISS exact and approximate search, checked save/load with a JSON sidecar."""
import json

import numpy as np
import pytest

from aeutils.support import vector_index as V


@pytest.fixture
def clustered():
    rng = np.random.default_rng(3)
    centres = rng.normal(size=(20, 8)) * 4
    x = (centres[rng.integers(0, 20, 3000)] + rng.normal(size=(3000, 8))).astype("float32")
    return x[:2900], x[2900:]


@pytest.mark.parametrize("metric", ["euclidean", "cosine"])
def test_exact_index_matches_brute_force(clustered, metric):
    db, q = clustered
    index = V.VectorIndex(8, metric=metric)
    np.testing.assert_array_equal(index.add(db), np.arange(len(db)))
    assert len(index) == index.ntotal == len(db)
    dist, nn = index.search(q, 5)
    if metric == "euclidean":
        ref = np.sqrt(((q[:, None] - db[None]) ** 2).sum(-1))
    else:
        ref = 1 - (q / np.linalg.norm(q, axis=1, keepdims=True)) @ (db / np.linalg.norm(db, axis=1, keepdims=True)).T
    np.testing.assert_array_equal(nn[:, 0], ref.argmin(1))
    np.testing.assert_allclose(dist, np.take_along_axis(ref, nn, 1), rtol=1e-3, atol=1e-3)
    assert (np.diff(dist, axis=1) >= -1e-6).all()
    assert "ntotal=2900" in repr(index)
    np.testing.assert_allclose(index.reconstruct(0), db[0] if metric == "euclidean" else db[0] / np.linalg.norm(db[0]), rtol=1e-6)


@pytest.mark.parametrize("kind, knobs", [("hnsw", {"ef_search": 64, "hnsw_m": 16, "ef_construction": 40}),
                                         ("ivf", {"nlist": 32, "nprobe": 8})])
def test_approximate_index_has_high_recall(clustered, kind, knobs):
    db, q = clustered
    exact = V.VectorIndex(8)
    exact.add(db)
    approx = V.VectorIndex(8, kind=kind, **knobs)
    approx.add(db)
    _, truth = exact.search(q, 10)
    _, found = approx.search(q, 10)
    assert np.mean([len(set(a) & set(b)) / 10 for a, b in zip(truth, found)]) >= 0.9


@pytest.mark.parametrize("kind, metric, knobs", [("exact", "euclidean", {}), ("hnsw", "cosine", {"hnsw_m": 8}),
                                                 ("ivf", "euclidean", {"nlist": 16, "nprobe": 3})])
def test_save_load_round_trip_gives_identical_results(tmp_path, clustered, kind, metric, knobs):
    db, q = clustered
    index = V.VectorIndex(8, kind=kind, metric=metric, **knobs)
    index.add(db)
    before = index.search(q, 7)
    path = index.save(tmp_path / "codes.index")
    assert V.sidecar_path(path).is_file() and sorted(p.name for p in tmp_path.iterdir()) == ["codes.index", "codes.index.json"]
    loaded = V.VectorIndex.load(path)
    after = loaded.search(q, 7)
    np.testing.assert_array_equal(before[1], after[1])
    np.testing.assert_array_equal(before[0], after[0])
    assert (loaded.dim, loaded.kind, loaded.metric, loaded.ntotal, loaded.params) == (8, kind, metric, len(db), index.params)
    loaded.add(q)  # it keeps working after loading
    assert loaded.ntotal == len(db) + len(q)
    if kind != "exact":  # the knobs still act on the loaded index
        loaded.ef_search, loaded.nprobe = 32, 2
        assert loaded._index.nprobe == 2 if kind == "ivf" else loaded._index.hnsw.efSearch == 32


def test_ivf_explicit_training(clustered):
    db, q = clustered
    ivf = V.VectorIndex(8, kind="ivf", nlist=16, nprobe=16)
    assert ivf.train(db[:500]) is ivf
    ivf.add(db)
    exact = V.VectorIndex(8)
    exact.add(db)
    np.testing.assert_array_equal(ivf.search(q, 3)[1], exact.search(q, 3)[1])  # nprobe = nlist: exhaustive
    with pytest.raises(ValueError, match="before adding"):
        ivf.train(db[:500])
    with pytest.raises(ValueError, match="nlist=16"):
        V.VectorIndex(8, kind="ivf", nlist=16).train(db[:10])
    assert V.VectorIndex(8).train(db[:5]).ntotal == 0
    with pytest.raises(NotImplementedError, match="IVF"):
        ivf.reconstruct(0)


def test_search_knobs_can_change(clustered):
    db, _ = clustered
    hnsw = V.VectorIndex(8, kind="hnsw", ef_search=16, hnsw_m=8)
    hnsw.add(db[:300])
    hnsw.ef_search = 128
    assert hnsw.ef_search == 128 and hnsw._index.hnsw.efSearch == 128
    ivf = V.VectorIndex(8, kind="ivf", nlist=16)
    ivf.nprobe = 4
    assert ivf.nprobe == 4 and ivf._index.nprobe == 4
    with pytest.raises(ValueError, match="nprobe"):
        ivf.nprobe = 0


def test_index_errors(clustered):
    db, q = clustered
    index = V.VectorIndex(8)
    with pytest.raises(V.EmptyIndexError, match="empty"):
        index.search(q, 1)
    with pytest.raises(V.EmptyIndexError, match="empty"):
        index.reconstruct(0)
    with pytest.raises(ValueError, match="dimension 8"):
        index.add(db[:, :5])
    index.add(db[:10])
    with pytest.raises(ValueError, match="queries: expected vectors of dimension 8"):
        index.search(q[:, :4], 1)
    with pytest.raises(ValueError, match="at most the 10 vectors"):
        index.search(q, 11)
    with pytest.raises(ValueError, match="k"):
        index.search(q, 0)
    with pytest.raises(TypeError, match="k"):
        index.search(q, 2.0)
    assert index.search(q, np.int64(2))[1].shape == (len(q), 2)  # numpy integers are integers
    with pytest.raises(ValueError, match="queries"):
        index.search(np.full((1, 8), np.nan), 1)
    with pytest.raises(ValueError, match="vectors"):
        index.add(db[0])
    with pytest.raises(ValueError, match="i"):
        index.reconstruct(10)
    with pytest.raises(ValueError, match="nlist=64"):
        V.VectorIndex(8, kind="ivf", nlist=64).add(db[:10])


@pytest.mark.parametrize("kwargs, exc, text", [
    ({"dim": 0}, ValueError, "dim"),
    ({"dim": 8, "kind": "lsh"}, ValueError, "kind"),
    ({"dim": 8, "metric": "hamming"}, ValueError, "metric"),
    ({"dim": 8, "hnsw_m": 1}, ValueError, "hnsw_m"),
    ({"dim": 8, "nprobe": 0}, ValueError, "nprobe"),
    ({"dim": 8.0}, TypeError, "dim"),
])
def test_index_rejects_bad_settings(kwargs, exc, text):
    with pytest.raises(exc, match=text):
        V.VectorIndex(**kwargs)


def test_save_refuses_to_overwrite_and_bad_paths(tmp_path, clustered):
    index = V.VectorIndex(8)
    index.add(clustered[0][:50])
    path = index.save(tmp_path / "a.index")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        index.save(path)
    path.unlink()  # a leftover sidecar alone also blocks a save
    with pytest.raises(FileExistsError, match="a.index.json"):
        index.save(path)
    index.add(clustered[0][50:60])
    index.save(path, overwrite=True)
    assert V.VectorIndex.load(path).ntotal == 60
    with pytest.raises(IsADirectoryError, match="directory"):
        index.save(tmp_path)
    for bad in (None, 3, ""):
        with pytest.raises(TypeError, match="path"):
            index.save(bad)
        with pytest.raises(TypeError, match="path"):
            V.VectorIndex.load(bad)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.index", "a.index.json"]  # no temporary files left


def test_failed_save_leaves_old_files_untouched(tmp_path, clustered, monkeypatch):
    import faiss

    index = V.VectorIndex(8)
    index.add(clustered[0][:50])
    path = index.save(tmp_path / "a.index")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def broken(idx, name):
        with open(name, "wb") as f:
            f.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(faiss, "write_index", broken)
    index.add(clustered[0][50:60])
    with pytest.raises(OSError, match="disk full"):
        index.save(path, overwrite=True)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    monkeypatch.undo()
    assert V.VectorIndex.load(path).ntotal == 50


def _edit_sidecar(path, **changes):
    side = V.sidecar_path(path)
    header = json.loads(side.read_text())
    header.update(changes)
    side.write_text(json.dumps(header))


def test_load_rejects_missing_foreign_truncated_corrupt_and_edited_files(tmp_path, clustered):
    index = V.VectorIndex(8)
    index.add(clustered[0][:100])
    good = index.save(tmp_path / "good.index")
    data, side = good.read_bytes(), V.sidecar_path(good).read_text()
    with pytest.raises(FileNotFoundError, match="path"):
        V.VectorIndex.load(tmp_path / "missing.index")
    foreign = tmp_path / "foreign.npy"
    np.save(foreign, np.zeros(3))
    with pytest.raises(V.IndexFileError, match="no sidecar"):
        V.VectorIndex.load(foreign)
    for name, payload in {"truncated": data[:-100], "short": data[:25], "flipped": data[:-50] + bytes([data[-50] ^ 0xFF]) + data[-49:]}.items():
        path = tmp_path / f"{name}.index"
        path.write_bytes(payload)
        V.sidecar_path(path).write_text(side)
        with pytest.raises(V.IndexFileError, match="truncated or corrupt"):
            V.VectorIndex.load(path)
    # an edited header (metric, kind, dimension, size) is refused: the checksum covers it
    for change in ({"metric": "cosine"}, {"kind": "hnsw"}, {"dim": 4}, {"ntotal": 7}, {"params": {}}):
        V.sidecar_path(good).write_text(side)
        _edit_sidecar(good, **change)
        with pytest.raises(V.IndexFileError, match="edited or is corrupt"):
            V.VectorIndex.load(good)
    for text in ("{not json", "[]", json.dumps({"format": "other"})):
        V.sidecar_path(good).write_text(text)
        with pytest.raises(V.IndexFileError, match="corrupt|format"):
            V.VectorIndex.load(good)
    V.sidecar_path(good).write_text(side)
    assert V.VectorIndex.load(good).ntotal == 100


def test_hamming_search_and_threads():
    rng = np.random.default_rng(2)
    bits = rng.integers(0, 2, (20, 24)).astype(np.uint8)
    packed = np.packbits(bits, axis=1)
    ref = (bits[:5, None, :] != bits[None, :, :]).sum(-1)
    dist, ids = V.hamming_search(packed[:5], packed, 4)
    assert dist.shape == ids.shape == (5, 4) and (dist[:, 0] == 0).all()
    np.testing.assert_array_equal(np.take_along_axis(ref, ids, 1), dist)
    assert (np.diff(dist, axis=1) >= 0).all()
    previous = V.set_threads(1)
    assert V.set_threads(previous) == 1
    with pytest.raises(ValueError, match="n"):
        V.set_threads(0)


@pytest.mark.parametrize("call, exc, text", [
    (lambda: V.hamming_search(np.ones((2, 2), np.uint8), np.ones((3, 2), np.uint8), 4), ValueError, "k"),
    (lambda: V.hamming_search(np.ones((2, 2), np.uint8), np.ones((3, 3), np.uint8), 1), ValueError, "bytes"),
    (lambda: V.hamming_search(np.ones((2, 2), np.uint16), np.ones((3, 2), np.uint8), 1), TypeError, "query_packed"),
    (lambda: V.hamming_search(np.ones((2, 2)), np.ones((3, 2), np.uint8), 1), TypeError, "query_packed"),
])
def test_hamming_search_rejects_bad_inputs(call, exc, text):
    with pytest.raises(exc, match=text):
        call()
