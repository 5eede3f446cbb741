"""Notebook 06's exported lesson code (aeutils.lessons.nb06_search): retrieval metrics and semantic hashing."""
import numpy as np
import pytest
from sklearn.metrics import average_precision_score

from aeutils.lessons import nb06_search as S


@pytest.fixture
def toy():
    rng = np.random.default_rng(0)
    q = rng.normal(size=(40, 6)).astype("float32")
    d = rng.normal(size=(250, 6)).astype("float32")
    return q, d, rng.integers(0, 4, 40), rng.integers(0, 4, 250)


def test_precision_and_average_precision_by_hand():
    rel = np.array([[1, 0, 1, 0], [0, 0, 0, 1]])
    np.testing.assert_allclose(S.precision_at_k(rel, 1), [1, 0])
    np.testing.assert_allclose(S.precision_at_k(rel, 4), [0.5, 0.25])
    np.testing.assert_allclose(S.average_precision(rel), [(1 / 1 + 2 / 3) / 2, 1 / 4])
    # with R larger than what was ranked, the relevant items never reached count as zero precision
    np.testing.assert_allclose(S.average_precision(rel, n_relevant=np.array([4, 1])), [(1 + 2 / 3) / 4, 1 / 4])
    np.testing.assert_allclose(S.average_precision(rel.astype(bool), n_relevant=[2, 1]), S.average_precision(rel))


@pytest.mark.parametrize("call, exc, text", [
    (lambda: S.precision_at_k([[1, 0]], 3), ValueError, "k"),
    (lambda: S.precision_at_k([[1, 2]], 1), ValueError, "relevance"),
    (lambda: S.precision_at_k([1, 0], 1), ValueError, "relevance"),
    (lambda: S.precision_at_k([[0.5, 1.0]], 1), TypeError, "relevance"),
    (lambda: S.average_precision([[1, 0]], n_relevant=[1, 2]), ValueError, "n_relevant"),
    # n_relevant smaller than the hits found would give AP > 1 and recall > 1: refused
    (lambda: S.average_precision([[1, 1, 1, 0]], n_relevant=[2]), ValueError, "n_relevant: expected at least the 3"),
    (lambda: S.average_precision([[0, 0]], n_relevant=[0]), ValueError, "n_relevant"),
    (lambda: S.average_precision([[0, 0, 0]]), ValueError, "relevance: expected a relevant result"),
    (lambda: S.average_precision([[1, 0]], n_relevant=[1.5]), TypeError, "n_relevant"),
])
def test_textbook_metrics_reject_bad_inputs(call, exc, text):
    with pytest.raises(exc, match=text):
        call()


@pytest.mark.parametrize("metric", ["euclidean", "cosine"])
def test_retrieval_metrics_match_sklearn_and_brute_force(toy, metric):
    q, d, ql, dl = toy
    r = S.retrieval_metrics(q, d, ql, dl, metric=metric, ks=(1, 5), chunk_size=7)
    dist = S.code_distances(q, d, metric)
    ap = [average_precision_score(dl == label, -row) for label, row in zip(ql, dist)]
    np.testing.assert_allclose(r["per_query"]["map"], ap, atol=1e-9)
    assert r["map"] == pytest.approx(np.mean(ap))
    rel = dl[np.argsort(dist, axis=1, kind="stable")] == ql[:, None]
    assert r["p5"] == pytest.approx(rel[:, :5].mean()) and r["p1"] == pytest.approx(rel[:, 0].mean())
    # the curve: recall reaches 1 at the last rank, where precision is the class share
    assert r["ranks"][-1] == len(d) and r["recall"][-1] == pytest.approx(1.0)
    assert r["precision"][-1] == pytest.approx(np.mean([(dl == label).mean() for label in ql]))
    assert (np.diff(r["recall"]) >= -1e-12).all()
    assert S.retrieval_metrics(q, d, ql, dl, metric=metric, ks=(1, 5), chunk_size=1000)["map"] == pytest.approx(r["map"])


def test_retrieval_metrics_perfect_ranking():
    d = np.repeat(np.eye(3, dtype="float32"), 5, axis=0)
    labels = np.repeat(np.arange(3), 5)
    r = S.retrieval_metrics(np.eye(3, dtype="float32"), d, np.arange(3), labels, metric="euclidean", ks=(1, 5))
    assert r["map"] == pytest.approx(1.0) and r["p5"] == 1.0


def test_hamming_distances_ties_and_ranking():
    rng = np.random.default_rng(2)
    bits = rng.integers(0, 2, (30, 16)).astype(np.uint8)
    packed = S.pack_codes(bits.astype(float))
    ref = (bits[:5, None, :] != bits[None, :, :]).sum(-1)
    np.testing.assert_array_equal(S.code_distances(packed[:5], packed, "hamming"), ref)
    labels = rng.integers(0, 3, 30)
    r = S.retrieval_metrics(packed[:5], packed, labels[:5], labels, metric="hamming", ks=(1, 3))
    rel = labels[np.argsort(ref, axis=1, kind="stable")] == labels[:5, None]  # ties in database order
    np.testing.assert_allclose(r["per_query"]["map"], S.average_precision(rel))
    assert r["p1"] == 1.0  # each query finds itself first (distance 0, earliest in the database)


def test_retrieval_metrics_rejects_bad_arguments(toy):
    q, d, ql, dl = toy
    cases = [
        (dict(metric="manhattan"), ValueError, "metric"),
        (dict(ks=(0,)), ValueError, "ks"),
        (dict(ks=(251,)), ValueError, "ks"),
        (dict(chunk_size=0), ValueError, "chunk_size"),
    ]
    for kwargs, exc, text in cases:
        with pytest.raises(exc, match=text):
            S.retrieval_metrics(q, d, ql, dl, **kwargs)
    with pytest.raises(ValueError, match="database_codes"):
        S.retrieval_metrics(q, d[:, :3], ql, dl)
    with pytest.raises(ValueError, match="query_labels"):
        S.retrieval_metrics(q, d, ql[:-1], dl)
    with pytest.raises(TypeError, match="database_labels"):
        S.retrieval_metrics(q, d, ql, dl.astype(float))
    with pytest.raises(ValueError, match="database_codes"):
        S.retrieval_metrics(q, np.full_like(d, np.nan), ql, dl)
    with pytest.raises(TypeError, match="query_codes"):
        S.retrieval_metrics(q, d, ql, dl, metric="hamming")
    with pytest.raises(TypeError, match="packed bits"):
        S.retrieval_metrics(np.ones((2, 2), np.uint16), np.ones((3, 2), np.uint16), [0, 1], [0, 1, 1], metric="hamming")


def test_pack_codes():
    packed = S.pack_codes(np.array([[0.2, 0.7, 0.9, 0.1, 0.6, 0.5, 0.51, 0.0]]))
    assert packed.dtype == np.uint8 and packed.shape == (1, 1)
    np.testing.assert_array_equal(np.unpackbits(packed, axis=1), [[0, 1, 1, 0, 1, 0, 1, 0]])
    with pytest.raises(ValueError, match="multiple of 8"):
        S.pack_codes(np.ones((2, 12)))
    with pytest.raises(ValueError, match="codes"):
        S.pack_codes(np.ones(8))


def test_hashing_autoencoder_codes_in_unit_interval_and_noise_only_in_training():
    import keras

    ae, enc, dec = S.build_hashing_autoencoder(8, hidden=(16,), noise_stddev=2.0)
    x = np.random.default_rng(0).random((4, 28, 28)).astype("float32")
    codes = enc.predict(x, verbose=0)
    assert codes.shape == (4, 8) and codes.min() > 0 and codes.max() < 1
    np.testing.assert_array_equal(codes, enc.predict(x, verbose=0))  # no noise at inference
    assert not np.allclose(codes, keras.ops.convert_to_numpy(enc(x, training=True)))
    assert ae.output_shape == (None, 28, 28) and dec.input_shape == (None, 8)


@pytest.mark.parametrize("kwargs, exc, text", [
    ({"code_size": 0}, ValueError, "code_size"),
    ({"noise_stddev": -1}, ValueError, "noise_stddev"),
    ({"noise_stddev": 0}, ValueError, "noise_stddev"),
    ({"noise_stddev": float("inf")}, ValueError, "noise_stddev"),
    ({"noise_stddev": "4"}, ValueError, "noise_stddev"),
    ({"hidden": 16}, TypeError, "hidden"),
    ({"input_shape": ()}, ValueError, "input_shape"),
])
def test_hashing_autoencoder_rejects_bad_arguments(kwargs, exc, text):
    with pytest.raises(exc, match=text):
        S.build_hashing_autoencoder(**kwargs)
