import keras
import numpy as np
import pandas as pd
import pytest

from aeutils import recsys as rs


def _ratings(seed=0, n_users=30, n_items=40, density=0.3):
    """Low-rank synthetic ratings on ids that do not start at 0 (users 101.., items 1001..)."""
    rng = np.random.default_rng(seed)
    u = rng.normal(size=(n_users, 2))
    v = rng.normal(size=(n_items, 2))
    full = np.clip(np.rint(3 + u @ v.T), 1, 5)
    mask = rng.random((n_users, n_items)) < density
    rows, cols = np.nonzero(mask)
    return pd.DataFrame({"user_id": rows + 101, "item_id": cols + 1001, "rating": full[rows, cols]})


def test_build_rating_matrix_maps_ids_explicitly():
    df = pd.DataFrame({"user_id": [7, 3, 7], "item_id": [50, 50, 10], "rating": [5, 1, 3]})
    rm = rs.build_rating_matrix(df, user_ids=[3, 7, 9], item_ids=[10, 50, 60])
    assert rm.matrix.shape == (3, 3) and rm.nnz == 3
    assert rm.matrix[rm.user_index([7])[0], rm.item_index([50])[0]] == 5
    assert rm.matrix[rm.user_index([3])[0], rm.item_index([50])[0]] == 1
    assert rm.user_counts.tolist() == [1, 2, 0] and rm.item_counts.tolist() == [1, 2, 0]
    assert rm.global_mean == pytest.approx(3.0)
    assert rm.user_means[2] == pytest.approx(3.0)  # cold user -> global mean
    np.testing.assert_array_equal(rm.user_index([9, 99], unknown="mask"), [2, -1])
    back = rm.to_frame().sort_values(["user_id", "item_id"]).reset_index(drop=True)
    assert back.rating.tolist() == [1.0, 3.0, 5.0]
    assert "3 users x 3 items" in repr(rm)
    by_item = rm.rows("item")
    assert by_item.shape == (3, 3) and by_item[1, 1] == 5


def test_build_rating_matrix_rejects_bad_input():
    df = pd.DataFrame({"user_id": [1, 1], "item_id": [2, 2], "rating": [3, 4]})
    with pytest.raises(ValueError, match="duplicate"):
        rs.build_rating_matrix(df)
    with pytest.raises(rs.UnknownIdError, match="user_ids: 1 id"):
        rs.build_rating_matrix(df.iloc[:1], user_ids=[5], item_ids=[2])
    with pytest.raises(ValueError, match=r"ratings.rating: expected values in \[1.0, 5.0\]"):
        rs.build_rating_matrix(pd.DataFrame({"user_id": [1], "item_id": [2], "rating": [6]}))
    with pytest.raises(ValueError, match="rating_range"):
        rs.build_rating_matrix(df.iloc[:1], rating_range=(0, 5))
    with pytest.raises(ValueError, match="missing"):
        rs.build_rating_matrix(df.drop(columns="rating"))
    with pytest.raises(TypeError, match="DataFrame"):
        rs.build_rating_matrix(np.zeros((2, 3)))
    with pytest.raises(TypeError, match="ratings.user_id: expected dtype"):
        rs.build_rating_matrix(pd.DataFrame({"user_id": [1.5], "item_id": [2], "rating": [3]}))


def test_train_validation_split_is_seeded_and_disjoint():
    df = _ratings()
    a_tr, a_val = rs.train_validation_split(df, 0.2, seed=3)
    b_tr, b_val = rs.train_validation_split(df, 0.2, seed=3)
    pd.testing.assert_frame_equal(a_val, b_val)
    assert len(a_val) == round(0.2 * len(df)) and len(a_tr) + len(a_val) == len(df)
    keys = lambda d: set(zip(d.user_id, d.item_id))  # noqa: E731
    assert not keys(a_tr) & keys(a_val)
    with pytest.raises(ValueError, match="fraction"):
        rs.train_validation_split(df, 1.0)


def test_masked_mse_ignores_unobserved_entries_and_serializes():
    loss = rs.MaskedMSE()
    y_true = np.array([[5.0, 0.0, 3.0], [0.0, 0.0, 1.0]], "float32")
    y_pred = np.array([[4.0, 99.0, 3.0], [-7.0, 2.0, 3.0]], "float32")
    # observed errors: 1, 0, 2 -> (1 + 0 + 4) / 3
    assert float(loss(y_true, y_pred)) == pytest.approx(5 / 3)
    assert float(loss(np.zeros((2, 3), "float32"), y_pred)) == 0.0
    clone = keras.losses.deserialize(keras.losses.serialize(loss))
    assert isinstance(clone, rs.MaskedMSE) and float(clone(y_true, y_pred)) == pytest.approx(5 / 3)


def test_build_autorec_shapes_and_validation():
    m = rs.build_i_autorec(20, 8, l2=1e-3, dropout=0.1)
    assert m.name == "i_autorec" and m.output_shape == (None, 20)
    assert sum(int(np.prod(w.shape)) for w in m.trainable_weights) == 20 * 8 + 8 + 8 * 20 + 20
    deep = rs.build_u_autorec(12, (6, 4), activation="selu")
    assert deep.name == "u_autorec" and [layer.name for layer in deep.layers][1:] == ["enc_0", "enc_1", "dec_0", "reconstruction"]
    for kwargs, exc, text in [
        ({"n_inputs": 0}, ValueError, "n_inputs"),
        ({"n_inputs": 5, "hidden": "big"}, TypeError, "hidden"),
        ({"n_inputs": 5, "l2": -1.0}, ValueError, "l2"),
        ({"n_inputs": 5, "dropout": 1.0}, ValueError, "dropout"),
    ]:
        with pytest.raises(exc, match=text):
            rs.build_autorec(**kwargs)


def test_rating_batches_densify_one_batch_and_shuffle_seeded():
    rm = rs.build_rating_matrix(_ratings())
    x = rm.rows("item")
    a = rs.RatingBatches(x, batch_size=16, seed=1)
    b = rs.RatingBatches(x, batch_size=16, seed=1)
    assert len(a) == int(np.ceil(rm.n_items / 16))
    xa, ya = a[0]
    assert xa.shape == (16, rm.n_users) and xa.dtype == np.float32 and ya is xa
    np.testing.assert_array_equal(xa, b[0][0])
    np.testing.assert_array_equal(xa, x[a.order[:16]].toarray())
    order = a.order.copy()
    a.on_epoch_end()
    assert not np.array_equal(order, a.order) and sorted(order) == sorted(a.order)
    with pytest.raises(TypeError, match="inputs: expected a SciPy sparse"):
        rs.RatingBatches(x.toarray())
    with pytest.raises(ValueError, match="targets: expected shape"):
        rs.RatingBatches(x, x[:3])


def test_fit_autorec_learns_and_predicts_with_fallbacks(capsys):
    df = _ratings(density=0.5)
    tr_df, te_df = rs.train_validation_split(df, 0.2, seed=0)
    # one extra catalogue item (cold: no ratings) and one extra user
    train = rs.build_rating_matrix(tr_df, user_ids=np.arange(101, 132), item_ids=np.arange(1001, 1042))
    test = train.like(te_df)
    model = rs.build_i_autorec(train.n_users, 16, l2=1e-4)
    hist = rs.fit_autorec(model, train, test, epochs=40, batch_size=8, learning_rate=1e-2, patience=40, log_every=20, seed=0)
    assert "epoch 40/40" in capsys.readouterr().out
    pred = rs.predict_ratings(model, train, te_df.user_id.values, te_df.item_id.values)
    item_mean = rs.mean_predictions(train, te_df.user_id.values, te_df.item_id.values, kind="item")
    assert rs.rmse(te_df.rating.values, pred) < rs.rmse(te_df.rating.values, item_mean)
    assert hist.history["val_rmse"][-1] < hist.history["val_rmse"][0]
    assert pred.min() >= 1 and pred.max() <= 5

    # cold item 1041 -> user's mean; cold user 131 -> global mean; unknown ids -> error or global mean
    p, fb = rs.predict_ratings(model, train, [101, 131, 101], [1041, 1001, 1001], return_fallback=True)
    assert p[0] == pytest.approx(train.user_means[0]) and fb.tolist() == [True, False, False]
    with pytest.raises(rs.UnknownIdError, match="items: 1 id"):
        rs.predict_ratings(model, train, [101], [999])
    p, fb = rs.predict_ratings(model, train, [999, 101], [1001, 1001], unknown="mean", return_fallback=True)
    assert p[0] == pytest.approx(train.global_mean) and fb.tolist() == [True, False]

    scores = rs.score_matrix(model, train)
    assert scores.shape == (train.n_users, train.n_items)
    np.testing.assert_allclose(scores[train.user_index(te_df.user_id.values), train.item_index(te_df.item_id.values)], pred, atol=1e-5)



def test_fit_autorec_rejects_bad_arguments():
    train = rs.build_rating_matrix(_ratings())
    model = rs.build_i_autorec(train.n_users, 4)
    with pytest.raises(ValueError, match="model: expected 40 inputs"):
        rs.fit_autorec(model, train, by="user", epochs=1)
    with pytest.raises(TypeError, match="train: expected a RatingMatrix"):
        rs.fit_autorec(model, train.matrix, epochs=1)
    with pytest.raises(ValueError, match="patience: early stopping needs val"):
        rs.fit_autorec(model, train, epochs=1, patience=2)
    other = rs.build_rating_matrix(_ratings(seed=1, n_users=29))
    with pytest.raises(ValueError, match="val: expected the same catalogue"):
        rs.fit_autorec(model, train, other, epochs=1)


def test_autorec_model_round_trips_through_keras_file(tmp_path):
    train = rs.build_rating_matrix(_ratings())
    model = rs.build_u_autorec(train.n_items, 6, l2=1e-3)
    rs.fit_autorec(model, train, by="user", epochs=1, batch_size=8)
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    x = train.rows("user")[:5].toarray()
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
    assert isinstance(loaded.loss, rs.MaskedMSE)


def test_mean_predictions_and_errors():
    df = pd.DataFrame({"user_id": [1, 1, 2], "item_id": [1, 2, 1], "rating": [4, 2, 5]})
    rm = rs.build_rating_matrix(df, user_ids=[1, 2, 3], item_ids=[1, 2, 3])
    assert rs.mean_predictions(rm, [1, 3], [3, 1], kind="user").tolist() == [3.0, pytest.approx(11 / 3)]
    assert rs.mean_predictions(rm, [2, 2], [1, 3], kind="item").tolist() == [4.5, pytest.approx(11 / 3)]
    assert rs.mean_predictions(rm, [1], [1]).tolist() == [pytest.approx(11 / 3)]
    with pytest.raises(ValueError, match="kind"):
        rs.mean_predictions(rm, [1], [1], kind="median")
    with pytest.raises(ValueError, match="items: expected 2 ids"):
        rs.mean_predictions(rm, [1, 2], [1])
    assert rs.rmse([1, 3], [2, 3]) == pytest.approx(np.sqrt(0.5))
    assert rs.mae([1, 3], [2, 5]) == pytest.approx(1.5)
    with pytest.raises(ValueError, match="y_pred: expected shape"):
        rs.rmse([1, 2], [1])


def test_ranking_metrics_hand_computed_and_popularity():
    df_tr = pd.DataFrame({"user_id": [1, 1, 2], "item_id": [1, 2, 2], "rating": [5, 5, 5]})
    train = rs.build_rating_matrix(df_tr, user_ids=[1, 2], item_ids=[1, 2, 3, 4, 5])
    test = train.like(pd.DataFrame({"user_id": [1, 1, 2], "item_id": [3, 5, 1], "rating": [5, 4, 2]}))
    # user 1: candidates 3, 4, 5 ranked 4 > 3 > 5; relevant {3, 5}; user 2 has no relevant item
    scores = np.array([[9, 9, 2, 3, 1], [0, 0, 0, 0, 0]], float)
    out = rs.ranking_metrics(scores, train, test, k=2)
    assert out["n_users"] == 1 and out["precision"] == pytest.approx(0.5)
    assert out["ndcg"] == pytest.approx((1 / np.log2(3)) / (1 + 1 / np.log2(3)))
    pop = rs.popularity_scores(train)
    assert pop.tolist() == [1, 2, 0, 0, 0]
    items, s = rs.top_n(pop, train, 2, n=2)
    assert items.tolist() == [1, 3] and s.tolist() == [1, 0]
    items, _ = rs.top_n(scores, train, 1, n=5)
    assert items.tolist() == [4, 3, 5]  # rated items removed, list may be shorter than n
    with pytest.raises(rs.UnknownIdError, match="user_id: 1 id"):
        rs.top_n(pop, train, 42, n=2)
    with pytest.raises(ValueError, match="scores: expected shape"):
        rs.ranking_metrics(np.zeros(3), train, test, k=2)
    with pytest.raises(ValueError, match="no user has a test rating"):
        rs.ranking_metrics(scores, train, test, k=2, threshold=5.5)
