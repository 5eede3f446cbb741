"""Notebook 08b's exported lesson code: the user split, the multinomial likelihood, Mult-DAE/VAE, EASE, item-kNN."""
import keras
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import aeutils
from aeutils.lessons.nb08b_ranking import (
    MultinomialNLL,
    MultVAE,
    ValidationNDCG,
    build_mult_dae,
    clicks_matrix,
    ease_weights,
    fold_in_split,
    itemknn_weights,
    multinomial_nll,
    neural_scores,
    strong_generalization_split,
    topn_metrics,
)
from aeutils.support.ratings import UnknownIdError


@pytest.fixture
def tiny_split(synthetic_ratings):
    return strong_generalization_split(synthetic_ratings(n_users=30, n_items=40, density=0.6), 5, seed=1,
                                       threshold=3, min_positives=3)


def test_clicks_matrix_is_binary_and_refuses_unknown_ids():
    pairs = pd.DataFrame({"user_id": [7, 7, 9], "item_id": [1, 3, 3]})
    m = clicks_matrix(pairs, np.array([1, 2, 3]))
    assert m.matrix.toarray().tolist() == [[1, 0, 1], [0, 0, 1]] and m.user_ids.tolist() == [7, 9]
    with pytest.raises(UnknownIdError, match="item_id"):
        clicks_matrix(pairs, np.array([1, 2]))
    with pytest.raises(UnknownIdError, match="user_id"):
        clicks_matrix(pairs, np.array([1, 2, 3]), user_ids=np.array([7]))
    with pytest.raises(TypeError, match="pairs"):
        clicks_matrix([(7, 1)], np.array([1]))


def test_fold_in_split_holds_out_a_fraction_per_user():
    pos = pd.DataFrame({"user_id": [1] * 10 + [2] * 2, "item_id": list(range(10)) + [0, 1]})
    fin, fout = fold_in_split(pos, np.array([1, 2]), np.arange(10), 0.2, np.random.default_rng(0))
    assert fout.user_counts.tolist() == [2, 1] and fin.user_counts.tolist() == [8, 1]
    assert fin.matrix.multiply(fout.matrix).nnz == 0


def test_strong_generalization_split_disjoint_users_and_fixed_validation(synthetic_ratings, tiny_split):
    d = tiny_split
    users = [set(d[k].user_ids) for k in ("train", "val_in", "test_in")]
    assert all(a.isdisjoint(b) for i, a in enumerate(users) for b in users[i + 1:])
    assert len(users[1]) == len(users[2]) == 5 and (d["test_out"].user_counts >= 1).all()
    assert all((d[k].item_ids == d["train"].item_ids).all() for k in ("val_in", "val_out", "test_in", "test_out"))
    assert d["test_in"].matrix.multiply(d["test_out"].matrix).nnz == 0
    other = strong_generalization_split(synthetic_ratings(n_users=30, n_items=40, density=0.6), 5, seed=2,
                                        threshold=3, min_positives=3)
    assert set(other["val_in"].user_ids) == users[1]  # validation users do not depend on the split's seed
    with pytest.raises(ValueError, match="n_heldout"):
        strong_generalization_split(synthetic_ratings(), 20, seed=0)
    with pytest.raises(ValueError, match="holdout"):
        strong_generalization_split(synthetic_ratings(), 2, seed=0, holdout=1.0)
    with pytest.raises(TypeError, match="seed"):
        strong_generalization_split(synthetic_ratings(), 2, seed=0.5)


def test_multinomial_nll_and_loss():
    x = np.array([[1, 1, 0, 0], [0, 0, 0, 1]], "float32")
    nll = keras.ops.convert_to_numpy(multinomial_nll(x, np.zeros((2, 4), "float32")))
    np.testing.assert_allclose(nll, [2 * np.log(4), np.log(4)], rtol=1e-6)
    logits = np.array([[5.0, 5.0, -5.0, -5.0]] * 2, "float32")
    assert float(MultinomialNLL()(x[:1], logits[:1])) < float(MultinomialNLL()(x[1:], logits[1:]))
    clone = keras.losses.deserialize(keras.losses.serialize(MultinomialNLL()))
    assert isinstance(clone, MultinomialNLL)


def test_build_mult_dae_shapes_and_validation():
    model, encoder, decoder = build_mult_dae(12, 3, dropout=0.3)
    assert model.output_shape == (None, 12) and encoder.output_shape == (None, 3) and decoder.input_shape == (None, 3)
    x = np.eye(12, dtype="float32")[:2]
    np.testing.assert_allclose(decoder(encoder(x)), model(x), atol=1e-6)
    for kwargs, exc, name in [({"n_items": 0}, ValueError, "n_items"), ({"n_items": 5, "dropout": 1.5}, ValueError, "dropout"),
                              ({"n_items": 5, "code_size": "big"}, TypeError, "code_size")]:
        with pytest.raises(exc, match=name):
            build_mult_dae(**kwargs)


def test_mult_vae_anneals_trains_and_round_trips(tmp_path):
    aeutils.setup(0, verbose=False)
    x = (np.random.default_rng(0).random((32, 10)) < 0.3).astype("float32")
    vae = MultVAE(10, code_size=2, hidden=8, beta=0.4, anneal_steps=4, seed=0)
    out = vae(x)
    assert set(out) == {"logits", "mean", "log_var"} and out["logits"].shape == (32, 10)
    np.testing.assert_allclose(vae(x)["logits"], out["logits"])  # no sampling outside training
    aeutils.fit_autoencoder(vae, x, epochs=3, batch_size=8, loss=None, log_every=0, seed=0)
    assert float(vae.anneal_step) == 12 and np.isclose(float(vae.kl_weight()), 0.4)
    aeutils.save_model(vae, tmp_path / "v.keras")
    loaded = aeutils.load_model(tmp_path / "v.keras")
    np.testing.assert_allclose(loaded(x)["logits"], vae(x)["logits"], atol=1e-5)
    for kwargs, name in [({"beta": -1.0}, "beta"), ({"dropout": 2.0}, "dropout"), ({"anneal_steps": 0}, "anneal_steps")]:
        with pytest.raises(ValueError, match=name):
            MultVAE(10, **kwargs)


def test_ease_matches_its_definition_and_item_knn_keeps_k():
    rng = np.random.default_rng(0)
    x = sp.csr_matrix((rng.random((30, 6)) < 0.4).astype("float32"))
    w = ease_weights(x, 2.0)
    assert np.allclose(np.diag(w), 0)
    g = (x.T @ x).toarray()
    for j in range(6):  # column j is the ridge regression of item j on the other items
        others = [i for i in range(6) if i != j]
        sol = np.linalg.solve(g[np.ix_(others, others)] + 2.0 * np.eye(5), g[others, j])
        np.testing.assert_allclose(w[others, j], sol, atol=1e-8)
    s = itemknn_weights(x, 2)
    assert ((s > 0).sum(axis=0) <= 2).all() and np.allclose(np.diag(s), 0)
    with pytest.raises(ValueError, match="lam"):
        ease_weights(x, 0.0)
    with pytest.raises(ValueError, match="k"):
        itemknn_weights(x, 6)


def test_topn_metrics_on_a_hand_example():
    fold_in, held = sp.lil_matrix((1, 120)), sp.lil_matrix((1, 120))
    fold_in[0, 0] = held[0, 2] = held[0, 3] = 1
    m = topn_metrics(np.r_[9.0, 5, 4, 1, 3, -np.arange(1, 116)][None], fold_in.tocsr(), held.tocsr())
    assert m["recall@20"] == 1 and m["precision@10"] == 0.2
    assert np.isclose(m["NDCG@100"], (1 / np.log2(3) + 1 / np.log2(5)) / (1 + 1 / np.log2(3)))  # hits at ranks 2, 4
    with pytest.raises(ValueError, match="scores"):
        topn_metrics(np.zeros((1, 4)), fold_in.tocsr(), held.tocsr())


def test_validation_ndcg_logs_and_neural_scores_checks(tiny_split):
    d = tiny_split
    model, _, _ = build_mult_dae(d["train"].n_items, 4)
    cb = ValidationNDCG(d["val_in"], d["val_out"], k=10)
    aeutils.fit_autoencoder(model, d["train"].matrix.toarray(), epochs=2, batch_size=8, loss=MultinomialNLL(),
                            log_every=0, seed=0, callbacks=[cb])
    assert len(cb.history) == 2 and all(0 <= v <= 1 for v in cb.history)
    assert neural_scores(model, d["test_in"]).shape == (5, d["train"].n_items)
    with pytest.raises(TypeError, match="fold_in"):
        neural_scores(model, d["test_in"].matrix.toarray())
    with pytest.raises(ValueError, match="fold_in"):
        neural_scores(model, sp.csr_matrix((2, 3)))
