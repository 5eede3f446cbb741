import numpy as np
import pytest

from aeutils import search as S


def _brute(q, d, ql, dl, metric):
    if metric == "euclidean":
        dist = ((q[:, None, :].astype(np.float64) - d[None, :, :]) ** 2).sum(-1)
    elif metric == "cosine":
        qn = q / np.linalg.norm(q, axis=1, keepdims=True)
        dn = d / np.linalg.norm(d, axis=1, keepdims=True)
        dist = 1 - qn @ dn.T
    else:
        dist = S.hamming_distances(q, d)
    order = np.argsort(dist, axis=1, kind="stable")
    return dl[order] == ql[:, None]


@pytest.fixture
def toy():
    rng = np.random.default_rng(0)
    q = rng.normal(size=(40, 6)).astype("float32")
    d = rng.normal(size=(250, 6)).astype("float32")
    return q, d, rng.integers(0, 4, 40), rng.integers(0, 4, 250)


# -- textbook metrics on ranked relevance ------------------------------------


def test_precision_and_average_precision_by_hand():
    rel = np.array([[1, 0, 1, 0], [0, 0, 0, 1]])
    assert S.precision_at_k(rel, 1) == 0.5
    assert S.precision_at_k(rel, 4) == 3 / 8
    ap = S.average_precision(rel)
    np.testing.assert_allclose(ap, [(1 / 1 + 2 / 3) / 2, 1 / 4])
    # with R larger than what was ranked, missing hits count as zero precision
    np.testing.assert_allclose(S.average_precision(rel, n_relevant=np.array([4, 1])), [(1 + 2 / 3) / 4, 1 / 4])
    assert np.isnan(S.average_precision(np.zeros((1, 3), dtype=int))[0])
    recall, precision = S.precision_recall_curve(rel, ranks=np.array([1, 4]))
    np.testing.assert_allclose(recall, [0.25, 1.0])
    np.testing.assert_allclose(precision, [0.5, 0.375])


@pytest.mark.parametrize(
    "call, exc, text",
    [
        (lambda: S.precision_at_k([[1, 0]], 3), ValueError, "k"),
        (lambda: S.precision_at_k([[1, 2]], 1), ValueError, "relevance"),
        (lambda: S.precision_at_k([1, 0], 1), ValueError, "relevance"),
        (lambda: S.average_precision([[1, 0]], n_relevant=[1, 2]), ValueError, "n_relevant"),
        (lambda: S.precision_recall_curve([[1, 0]], ranks=[0]), ValueError, "ranks"),
    ],
)
def test_textbook_metrics_reject_bad_inputs(call, exc, text):
    with pytest.raises(exc, match=text):
        call()


# -- ranking_metrics against a brute-force reference --------------------------


@pytest.mark.parametrize("metric", ["euclidean", "cosine"])
def test_ranking_metrics_match_brute_force(toy, metric):
    q, d, ql, dl = toy
    out = S.ranking_metrics(q, d, ql, dl, metric=metric, ks=(1, 10, 100), chunk_size=7)
    rel = _brute(q, d, ql, dl, metric)
    assert out["map"] == pytest.approx(np.nanmean(S.average_precision(rel)), abs=1e-9)
    for k in (1, 10, 100):
        assert out[f"p{k}"] == pytest.approx(S.precision_at_k(rel, k), abs=1e-12)
    recall, precision = S.precision_recall_curve(rel, out["curve_ranks"])
    np.testing.assert_allclose(out["curve_recall"], recall, atol=1e-12)
    np.testing.assert_allclose(out["curve_precision"], precision, atol=1e-12)
    assert out["curve_recall"][-1] == pytest.approx(1.0)
    assert out["ap"].shape == (40,)


def test_ranking_metrics_hamming_breaks_ties_by_database_order(toy):
    _, _, ql, dl = toy
    rng = np.random.default_rng(1)
    qb = S.pack_bits(rng.integers(0, 2, (40, 16)))
    db = S.pack_bits(rng.integers(0, 2, (250, 16)))
    out = S.ranking_metrics(qb, db, ql, dl, metric="hamming", ks=(5,), chunk_size=9)
    rel = _brute(qb, db, ql, dl, "hamming")
    assert out["map"] == pytest.approx(np.nanmean(S.average_precision(rel)), abs=1e-9)
    assert out["p5"] == pytest.approx(S.precision_at_k(rel, 5))


def test_ranking_metrics_perfect_and_chunk_independent():
    codes = np.repeat(np.eye(3, dtype="float32") * 5, 10, axis=0)
    labels = np.repeat(np.arange(3), 10)
    a = S.ranking_metrics(codes, codes, labels, labels, ks=(10,), chunk_size=4)
    b = S.ranking_metrics(codes, codes, labels, labels, ks=(10,), chunk_size=1000)
    assert a["map"] == pytest.approx(1.0) and a["p10"] == pytest.approx(1.0)
    assert a["map"] == b["map"] and a["p10"] == b["p10"]


@pytest.mark.parametrize(
    "kwargs, exc, text",
    [
        ({"metric": "manhattan"}, ValueError, "metric"),
        ({"ks": (0,)}, ValueError, "ks"),
        ({"ks": (251,)}, ValueError, "ks"),
        ({"chunk_size": 0}, ValueError, "chunk_size"),
        ({"curve_ranks": [0, 3]}, ValueError, "curve_ranks"),
        ({"metric": "hamming"}, TypeError, "query_codes"),
    ],
)
def test_ranking_metrics_rejects_bad_arguments(toy, kwargs, exc, text):
    q, d, ql, dl = toy
    with pytest.raises(exc, match=text):
        S.ranking_metrics(q, d, ql, dl, **kwargs)


def test_ranking_metrics_rejects_mismatched_shapes(toy):
    q, d, ql, dl = toy
    with pytest.raises(ValueError, match="query_codes"):
        S.ranking_metrics(q[:, :5], d, ql, dl)
    with pytest.raises(ValueError, match="query_labels"):
        S.ranking_metrics(q, d, ql[:-1], dl)
    with pytest.raises(TypeError, match="database_labels"):
        S.ranking_metrics(q, d, ql, dl.astype(float))
    with pytest.raises(ValueError, match="database_codes"):
        S.ranking_metrics(q, np.full_like(d, np.nan), ql, dl)


def test_pairwise_distances(toy):
    q, d, _, _ = toy
    ref = ((q[:, None, :] - d[None]) ** 2).sum(-1)
    np.testing.assert_allclose(S.pairwise_distances(q, d), ref, rtol=1e-4, atol=1e-4)
    cos = S.pairwise_distances(q, d, "cosine")
    assert cos.min() >= 0 and cos.max() <= 2
    assert S.pairwise_distances(d[:3], d[:3]).diagonal().max() < 1e-4
    with pytest.raises(ValueError, match="queries"):
        S.pairwise_distances(q[:, :2], d)


# -- binary codes ---------------------------------------------------------------


def test_pack_unpack_binarize_and_hamming():
    rng = np.random.default_rng(2)
    bits = rng.integers(0, 2, (20, 24)).astype(np.uint8)
    packed = S.pack_bits(bits)
    assert packed.shape == (20, 3) and packed.dtype == np.uint8
    np.testing.assert_array_equal(S.unpack_bits(packed), bits)
    ref = (bits[:5, None, :] != bits[None, :, :]).sum(-1)
    np.testing.assert_array_equal(S.hamming_distances(packed[:5], packed), ref)
    dist, ids = S.hamming_search(packed[:5], packed, 4)
    assert dist.shape == ids.shape == (5, 4)
    np.testing.assert_array_equal(dist[:, 0], 0)
    np.testing.assert_array_equal(np.take_along_axis(ref, ids, 1), dist)
    assert (np.diff(dist, axis=1) >= 0).all()
    np.testing.assert_array_equal(S.binarize(np.array([[0.2, 0.7], [0.5, 0.9]])), [[0, 1], [0, 1]])
    assert S.pairwise_distances(packed[:2], packed, "hamming")[0, 0] == 0


@pytest.mark.parametrize(
    "call, exc, text",
    [
        (lambda: S.pack_bits(np.ones((2, 12), dtype=int)), ValueError, "multiple of 8"),
        (lambda: S.pack_bits(np.full((2, 8), 2)), ValueError, "bits"),
        (lambda: S.unpack_bits(np.ones((2, 2), dtype=np.uint16)), TypeError, "uint8"),
        (lambda: S.unpack_bits(np.ones((2, 2))), TypeError, "packed"),
        (lambda: S.hamming_distances(np.ones((2, 2), np.uint8), np.ones((3, 3), np.uint8)), ValueError, "bytes"),
        (lambda: S.hamming_search(np.ones((2, 2), np.uint8), np.ones((3, 2), np.uint8), 4), ValueError, "k"),
        (lambda: S.hamming_search(np.ones((2, 2), np.uint8), np.ones((3, 3), np.uint8), 1), ValueError, "bytes"),
        (lambda: S.binarize(np.ones(3)), ValueError, "codes"),
        (lambda: S.binarize(np.ones((2, 2)), threshold="half"), TypeError, "threshold"),
    ],
)
def test_binary_helpers_reject_bad_inputs(call, exc, text):
    with pytest.raises(exc, match=text):
        call()


def test_set_threads_round_trip():
    previous = S.set_threads(1)
    assert S.set_threads(previous) == 1
    with pytest.raises(ValueError, match="n"):
        S.set_threads(0)


# -- VectorIndex ---------------------------------------------------------------


@pytest.fixture
def clustered():
    rng = np.random.default_rng(3)
    centres = rng.normal(size=(20, 8)) * 4
    x = (centres[rng.integers(0, 20, 3000)] + rng.normal(size=(3000, 8))).astype("float32")
    return x[:2900], x[2900:]


@pytest.mark.parametrize("metric", ["euclidean", "cosine"])
def test_exact_index_matches_brute_force(clustered, metric):
    db, q = clustered
    index = S.VectorIndex(8, metric=metric)
    ids = index.add(db)
    np.testing.assert_array_equal(ids, np.arange(len(db)))
    assert len(index) == index.ntotal == len(db)
    dist, nn = index.search(q, 5)
    if metric == "euclidean":
        ref = np.sqrt(((q[:, None] - db[None]) ** 2).sum(-1))
    else:
        ref = 1 - (q / np.linalg.norm(q, axis=1, keepdims=True)) @ (db / np.linalg.norm(db, axis=1, keepdims=True)).T
    np.testing.assert_array_equal(nn[:, 0], ref.argmin(1))
    np.testing.assert_allclose(dist, np.take_along_axis(ref, nn, 1), rtol=1e-3, atol=1e-3)
    assert (np.diff(dist, axis=1) >= -1e-6).all()


@pytest.mark.parametrize("kind, knobs", [("hnsw", {"ef_search": 64, "hnsw_m": 16, "ef_construction": 40}), ("ivf", {"nlist": 32, "nprobe": 8})])
def test_approximate_index_has_high_recall(clustered, kind, knobs):
    db, q = clustered
    exact = S.VectorIndex(8)
    exact.add(db)
    approx = S.VectorIndex(8, kind=kind, **knobs)
    approx.add(db)
    _, truth = exact.search(q, 10)
    _, found = approx.search(q, 10)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(truth, found)])
    assert recall >= 0.9


@pytest.mark.parametrize(
    "kind, metric, knobs",
    [("exact", "euclidean", {}), ("hnsw", "cosine", {"hnsw_m": 8}), ("ivf", "euclidean", {"nlist": 16, "nprobe": 3})],
)
def test_save_load_round_trip_gives_identical_results(tmp_path, clustered, kind, metric, knobs):
    db, q = clustered
    index = S.VectorIndex(8, kind=kind, metric=metric, **knobs)
    index.add(db)
    before = index.search(q, 7)
    path = index.save(tmp_path / "codes.index")
    loaded = S.VectorIndex.load(path)
    after = loaded.search(q, 7)
    np.testing.assert_array_equal(before[1], after[1])
    np.testing.assert_array_equal(before[0], after[0])
    assert (loaded.dim, loaded.kind, loaded.metric, loaded.ntotal) == (8, kind, metric, len(db))
    assert loaded.params == index.params
    # it keeps working after loading: add more, search again
    loaded.add(q)
    assert loaded.ntotal == len(db) + len(q)


def test_ivf_explicit_training(clustered):
    db, q = clustered
    ivf = S.VectorIndex(8, kind="ivf", nlist=16, nprobe=16)
    assert ivf.train(db[:500]) is ivf
    ivf.add(db)
    exact = S.VectorIndex(8)
    exact.add(db)
    np.testing.assert_array_equal(ivf.search(q, 3)[1], exact.search(q, 3)[1])  # nprobe = nlist: exhaustive
    with pytest.raises(ValueError, match="before adding"):
        ivf.train(db[:500])
    with pytest.raises(ValueError, match="nlist=16"):
        S.VectorIndex(8, kind="ivf", nlist=16).train(db[:10])
    assert S.VectorIndex(8).train(db[:5]).ntotal == 0


def test_search_knobs_can_change(clustered):
    db, q = clustered
    hnsw = S.VectorIndex(8, kind="hnsw", ef_search=16, hnsw_m=8)
    hnsw.add(db[:300])
    hnsw.ef_search = 128
    assert hnsw.ef_search == 128 and hnsw._index.hnsw.efSearch == 128
    ivf = S.VectorIndex(8, kind="ivf", nlist=16)
    ivf.nprobe = 4
    assert ivf._index.nprobe == 4
    with pytest.raises(ValueError, match="nprobe"):
        ivf.nprobe = 0


def test_index_errors(tmp_path, clustered):
    db, q = clustered
    index = S.VectorIndex(8)
    with pytest.raises(S.EmptyIndexError, match="empty"):
        index.search(q, 1)
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
    with pytest.raises(ValueError, match="queries"):
        index.search(np.full((1, 8), np.nan), 1)
    with pytest.raises(ValueError, match="vectors"):
        index.add(db[0])
    with pytest.raises(ValueError, match="nlist=64"):
        S.VectorIndex(8, kind="ivf", nlist=64).add(db[:10])


@pytest.mark.parametrize(
    "kwargs, exc, text",
    [
        ({"dim": 0}, ValueError, "dim"),
        ({"dim": 8, "kind": "lsh"}, ValueError, "kind"),
        ({"dim": 8, "metric": "hamming"}, ValueError, "metric"),
        ({"dim": 8, "hnsw_m": 1}, ValueError, "hnsw_m"),
        ({"dim": 8, "nprobe": 0}, ValueError, "nprobe"),
    ],
)
def test_index_rejects_bad_settings(kwargs, exc, text):
    with pytest.raises(exc, match=text):
        S.VectorIndex(**kwargs)


def test_save_refuses_to_overwrite(tmp_path, clustered):
    index = S.VectorIndex(8)
    index.add(clustered[0][:50])
    path = index.save(tmp_path / "a.index")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        index.save(path)
    index.add(clustered[0][50:60])
    index.save(path, overwrite=True)
    assert S.VectorIndex.load(path).ntotal == 60
    with pytest.raises(IsADirectoryError, match="directory"):
        index.save(tmp_path)


def test_load_rejects_missing_foreign_truncated_and_corrupt_files(tmp_path, clustered):
    index = S.VectorIndex(8)
    index.add(clustered[0][:100])
    good = index.save(tmp_path / "good.index").read_bytes()
    with pytest.raises(FileNotFoundError, match="path"):
        S.VectorIndex.load(tmp_path / "missing.index")
    foreign = tmp_path / "foreign.npy"
    np.save(foreign, np.zeros(3))
    with pytest.raises(S.IndexFileError, match="foreign"):
        S.VectorIndex.load(foreign)
    cases = {
        "truncated": good[: len(good) - 100],
        "short": good[:25],
        "flipped": good[:-50] + bytes([good[-50] ^ 0xFF]) + good[-49:],
        "header": good[:40] + b"}" + good[41:],
    }
    for name, data in cases.items():
        path = tmp_path / f"{name}.index"
        path.write_bytes(data)
        with pytest.raises(S.IndexFileError, match="truncated|corrupt"):
            S.VectorIndex.load(path)


# -- encoders -------------------------------------------------------------------


def test_conv_autoencoder_shapes():
    ae, enc, dec = S.build_conv_autoencoder(6, filters=(4, 8), dense=16)
    x = np.random.default_rng(0).random((3, 28, 28)).astype("float32")
    z = enc.predict(x, verbose=0)
    assert z.shape == (3, 6)
    out = ae.predict(x, verbose=0)
    assert out.shape == (3, 28, 28) and 0 <= out.min() and out.max() <= 1


def test_vae_encoder_gives_means_and_adds_kl():
    vae, enc, dec = S.build_vae(4, hidden=(16,), seed=1)
    x = np.random.default_rng(0).random((5, 28, 28)).astype("float32")
    a, b = enc.predict(x, verbose=0), enc.predict(x, verbose=0)
    np.testing.assert_array_equal(a, b)  # inference returns the mean, no sampling
    assert a.shape == (5, 4)
    vae(x, training=True)
    assert len(vae.losses) == 1 and float(vae.losses[0]) >= 0
    vae.compile(optimizer="adam", loss="binary_crossentropy")
    history = vae.fit(x, x, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    layer = S.KLGaussianSampler(0.5, seed=3)
    clone = S.KLGaussianSampler.from_config(layer.get_config())
    assert clone.kl_weight == 0.5 and clone.seed == 3


def test_hashing_autoencoder_codes_in_unit_interval():
    ae, enc, dec = S.build_hashing_autoencoder(8, hidden=(16,), noise_stddev=2.0)
    x = np.random.default_rng(0).random((4, 28, 28)).astype("float32")
    codes = enc.predict(x, verbose=0)
    assert codes.shape == (4, 8) and codes.min() > 0 and codes.max() < 1
    np.testing.assert_array_equal(codes, enc.predict(x, verbose=0))  # no noise at inference


@pytest.mark.parametrize(
    "call, exc, text",
    [
        (lambda: S.build_conv_autoencoder(0), ValueError, "code_size"),
        (lambda: S.build_conv_autoencoder(4, filters=8), TypeError, "filters"),
        (lambda: S.build_vae(4, hidden=()), TypeError, "hidden"),
        (lambda: S.build_vae(4, kl_weight=-1.0), ValueError, "kl_weight"),
        (lambda: S.build_hashing_autoencoder(4, noise_stddev=-1), ValueError, "noise_stddev"),
        (lambda: S.build_hashing_autoencoder(0), ValueError, "n_bits"),
    ],
)
def test_encoder_builders_reject_bad_arguments(call, exc, text):
    with pytest.raises(exc, match=text):
        call()


def test_plot_gallery():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(0)
    q, r = rng.random((2, 28, 28)), rng.random((2, 3, 28, 28))
    fig = S.plot_gallery(q, r, np.array([0, 1]), np.array([[0, 1, 0], [1, 1, 0]]), class_names=["a", "b"])
    assert len(fig.axes) == 8
    plt.close(fig)
    with pytest.raises(ValueError, match="results"):
        S.plot_gallery(q, r[:1])
    with pytest.raises(ValueError, match="both or neither"):
        S.plot_gallery(q, r, np.array([0, 1]))
    with pytest.raises(ValueError, match="result_labels"):
        S.plot_gallery(q, r, np.array([0, 1]), np.zeros((2, 2), int))
