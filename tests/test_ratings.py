"""aeutils.support.ratings: rating matrices, id maps, cold-start fallbacks and top-N metrics."""
import keras
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from aeutils.support import ratings as rs


def _linear_model(n_inputs):
    """A tiny identity-like Keras model standing in for a trained AutoRec."""
    inputs = keras.Input((n_inputs,))
    return keras.Model(inputs, keras.layers.Dense(n_inputs, kernel_initializer="identity", bias_initializer="ones")(inputs))


def test_build_rating_matrix_maps_ids_explicitly():
    df = pd.DataFrame({"user_id": [7, 3, 7], "item_id": [50, 50, 10], "rating": [5, 1, 3]})
    rm = rs.build_rating_matrix(df, user_ids=[3, 7, 9], item_ids=[10, 50, 60])
    assert rm.matrix.shape == (3, 3) and rm.nnz == 3
    assert rm.matrix[rm.user_index([7])[0], rm.item_index([50])[0]] == 5
    assert rm.user_counts.tolist() == [1, 2, 0] and rm.item_counts.tolist() == [1, 2, 0]
    assert rm.global_mean == pytest.approx(3.0) and rm.user_means[2] == pytest.approx(3.0)  # cold user
    np.testing.assert_array_equal(rm.user_index([9, 99], unknown="mask"), [2, -1])
    back = rm.to_frame().sort_values(["user_id", "item_id"]).reset_index(drop=True)
    assert back.rating.tolist() == [1.0, 3.0, 5.0]
    assert "3 users x 3 items" in repr(rm) and rm.density == pytest.approx(3 / 9)
    assert rm.rows("item").shape == (3, 3) and rm.rows("item")[1, 1] == 5


@pytest.mark.parametrize("frame, rating_range, exc, text", [
    ({"rating": [7.0]}, (1, 5), ValueError, r"ratings.rating: expected values in \[1.0, 5.0\], got values in \[7, 7\]"),
    ({"rating": [-1.0]}, (1, 5), ValueError, "ratings.rating: expected values in"),
    ({"rating": [np.nan]}, (1, 5), ValueError, "ratings.rating: expected finite values"),
    ({"rating": [3.0]}, (5, 1), ValueError, r"rating_range: expected finite 0 < low < high"),
    ({"rating": [3.0]}, (0, 5), ValueError, "rating_range"),
    ({"rating": [3.0]}, (1, np.inf), ValueError, "rating_range"),
    ({"rating": [3.0]}, (1, np.nan), ValueError, "rating_range"),
    ({"rating": [3.0]}, (1, 2, 3), TypeError, "rating_range: expected"),
    ({"rating": [3.0]}, "1-5", TypeError, "rating_range: expected"),
    ({"rating": [3.0]}, ("1", 5), TypeError, "rating_range: expected"),
])
def test_build_rating_matrix_refuses_impossible_ratings(frame, rating_range, exc, text):
    df = pd.DataFrame({"user_id": [1], "item_id": [1], **frame})
    with pytest.raises(exc, match=text):
        rs.build_rating_matrix(df, rating_range=rating_range)


def test_rating_matrix_constructor_refuses_what_the_builder_refuses():
    ids = np.array([1, 2])
    for data, text in ((7.0, "matrix: expected values in"), (np.nan, "matrix: expected finite"), (-2.0, "matrix")):
        with pytest.raises(ValueError, match=text):
            rs.RatingMatrix(sp.csr_matrix(np.array([[data, 0], [0, 3.0]])), ids, ids)
    with pytest.raises(ValueError, match="rating_range"):
        rs.RatingMatrix(sp.csr_matrix((2, 2)), ids, ids, rating_range=(5, 1))
    with pytest.raises(TypeError, match="matrix: expected a SciPy sparse"):
        rs.RatingMatrix(np.zeros((2, 2)), ids, ids)
    with pytest.raises(ValueError, match="matrix: expected shape"):
        rs.RatingMatrix(sp.csr_matrix((3, 2)), ids, ids)
    with pytest.raises(ValueError, match="user_ids: expected sorted unique"):
        rs.RatingMatrix(sp.csr_matrix((2, 2)), [2, 1], ids)


def test_build_rating_matrix_rejects_bad_tables():
    df = pd.DataFrame({"user_id": [1, 1], "item_id": [2, 2], "rating": [3, 4]})
    with pytest.raises(ValueError, match="duplicate"):
        rs.build_rating_matrix(df)
    with pytest.raises(rs.UnknownIdError, match="user_ids: 1 id"):
        rs.build_rating_matrix(df.iloc[:1], user_ids=[5], item_ids=[2])
    with pytest.raises(ValueError, match="missing"):
        rs.build_rating_matrix(df.drop(columns="rating"))
    with pytest.raises(TypeError, match="DataFrame"):
        rs.build_rating_matrix(np.zeros((2, 3)))
    with pytest.raises(TypeError, match="ratings.user_id: expected dtype"):
        rs.build_rating_matrix(pd.DataFrame({"user_id": [1.5], "item_id": [2], "rating": [3]}))
    with pytest.raises(ValueError, match="unique ids"):
        rs.build_rating_matrix(df.iloc[:1], user_ids=[1, 1], item_ids=[2])


def test_train_validation_split_is_seeded_and_disjoint(synthetic_ratings):
    df = synthetic_ratings()
    a_tr, a_val = rs.train_validation_split(df, 0.2, seed=3)
    b_tr, b_val = rs.train_validation_split(df, 0.2, seed=3)
    pd.testing.assert_frame_equal(a_val, b_val)
    assert len(a_val) == round(0.2 * len(df)) and len(a_tr) + len(a_val) == len(df)
    assert not set(zip(a_tr.user_id, a_tr.item_id)) & set(zip(a_val.user_id, a_val.item_id))
    with pytest.raises(ValueError, match="fraction"):
        rs.train_validation_split(df, 1.0)
    with pytest.raises(ValueError, match="seed"):
        rs.train_validation_split(df, 0.1, seed=-1)


def test_predictions_and_cold_start_fallbacks(synthetic_ratings):
    df = synthetic_ratings(density=0.5)
    train = rs.build_rating_matrix(df, user_ids=np.arange(101, 132), item_ids=np.arange(1001, 1042))
    model = _linear_model(train.n_users)  # I-AutoRec orientation: one sample per item
    x = train.rows("item")
    np.testing.assert_allclose(rs.reconstruct(model, x, batch_size=7), x.toarray() + 1, atol=1e-6)
    u, i = df.user_id.to_numpy()[:20], df.item_id.to_numpy()[:20]
    pred = rs.predict_ratings(model, train, u, i, clip=False)
    np.testing.assert_allclose(pred, df.rating.to_numpy()[:20] + 1, atol=1e-5)
    assert rs.predict_ratings(model, train, u, i).max() <= 5
    # cold item 1041 -> the user's mean; unknown ids -> an error, or the global mean on request
    p, fb = rs.predict_ratings(model, train, [101, 101], [1041, 1001], return_fallback=True)
    assert p[0] == pytest.approx(train.user_means[0]) and fb.tolist() == [True, False]
    with pytest.raises(rs.UnknownIdError, match="items: 1 id"):
        rs.predict_ratings(model, train, [101], [999])
    p, fb = rs.predict_ratings(model, train, [999], [1001], unknown="mean", return_fallback=True)
    assert p[0] == pytest.approx(train.global_mean) and fb.tolist() == [True]
    scores = rs.score_matrix(model, train)
    assert scores.shape == (train.n_users, train.n_items)
    np.testing.assert_allclose(scores[:, -1], np.clip(train.user_means, 1, 5), atol=1e-6)
    with pytest.raises(ValueError, match="model: expected a Keras model with 41 inputs"):
        rs.score_matrix(model, train, by="user")
    with pytest.raises(TypeError, match="train: expected a RatingMatrix"):
        rs.score_matrix(model, train.matrix)
    with pytest.raises(TypeError, match="inputs: expected a SciPy sparse"):
        rs.reconstruct(model, x.toarray())


def test_mean_predictions_and_errors():
    df = pd.DataFrame({"user_id": [1, 1, 2], "item_id": [1, 2, 1], "rating": [4, 2, 5]})
    rm = rs.build_rating_matrix(df, user_ids=[1, 2, 3], item_ids=[1, 2, 3])
    assert rs.mean_predictions(rm, [1, 3], [3, 1], kind="user").tolist() == [3.0, pytest.approx(11 / 3)]
    assert rs.mean_predictions(rm, [2, 2], [1, 3], kind="item").tolist() == [4.5, pytest.approx(11 / 3)]
    assert rs.mean_predictions(rm, [1], [1]).tolist() == [pytest.approx(11 / 3)]
    assert rs.mean_predictions(rm, [1], [9], kind="item", unknown="mean").tolist() == [pytest.approx(11 / 3)]
    with pytest.raises(ValueError, match="kind"):
        rs.mean_predictions(rm, [1], [1], kind="median")
    with pytest.raises(ValueError, match="items: expected 2 ids"):
        rs.mean_predictions(rm, [1, 2], [1])
    with pytest.raises(ValueError, match="unknown"):
        rs.mean_predictions(rm, [1], [1], unknown=["mean"])


def test_ranking_metrics_hand_computed_and_popularity():
    df_tr = pd.DataFrame({"user_id": [1, 1, 2], "item_id": [1, 2, 2], "rating": [5, 5, 5]})
    train = rs.build_rating_matrix(df_tr, user_ids=[1, 2], item_ids=[1, 2, 3, 4, 5])
    test = train.like(pd.DataFrame({"user_id": [1, 1, 2], "item_id": [3, 5, 1], "rating": [5, 4, 2]}))
    # user 1: candidates 3, 4, 5 ranked 4 > 3 > 5; relevant {3, 5}; user 2 has no relevant item
    scores = np.array([[9, 9, 2, 3, 1], [0, 0, 0, 0, 0]], float)
    out = rs.ranking_metrics(scores, train.matrix, test.matrix >= 4, k=2)
    assert out["n_users"] == 1 and out["precision"] == pytest.approx(0.5) and out["recall"] == pytest.approx(0.5)
    assert out["ndcg"] == pytest.approx((1 / np.log2(3)) / (1 + 1 / np.log2(3)))
    assert rs.ranking_metrics(scores, train.matrix, test.matrix >= 4, k=3)["recall"] == pytest.approx(1.0)
    pop = rs.popularity_scores(train)
    assert pop.tolist() == [1, 2, 0, 0, 0]
    assert rs.ranking_metrics(pop, train.matrix.toarray(), (test.matrix >= 4).toarray(), k=2)["n_users"] == 1
    items, s = rs.top_n(pop, train, 2, n=2)
    assert items.tolist() == [1, 3] and s.tolist() == [1, 0]
    items, _ = rs.top_n(scores, train, 1, n=5)
    assert items.tolist() == [4, 3, 5]  # rated items removed, list may be shorter than n
    with pytest.raises(rs.UnknownIdError, match="user_id: 1 id"):
        rs.top_n(pop, train, 42, n=2)
    with pytest.raises(TypeError, match="user_id: expected an integer"):
        rs.top_n(pop, train, "1", n=2)
    with pytest.raises(ValueError, match="scores: expected shape"):
        rs.ranking_metrics(np.zeros(3), train.matrix, test.matrix >= 4, k=2)
    with pytest.raises(ValueError, match="seen: expected shape"):
        rs.ranking_metrics(scores, train.matrix[:1], test.matrix >= 4, k=2)
    with pytest.raises(ValueError, match="relevant: expected at least one user"):
        rs.ranking_metrics(scores, train.matrix, test.matrix >= 5.5, k=2)
    with pytest.raises(ValueError, match="k: expected an integer"):
        rs.ranking_metrics(scores, train.matrix, test.matrix >= 4, k=6)
