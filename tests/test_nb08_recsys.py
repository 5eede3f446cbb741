"""Notebook 08's exported lesson code: the masked loss, AutoRec, sparse batches and the validation RMSE."""
import keras
import numpy as np
import pytest
from sklearn.metrics import root_mean_squared_error

import aeutils
from aeutils.lessons.nb08_recsys import MaskedMSE, RatingBatches, ValidationRMSE, build_autorec
from aeutils.support import ratings as rs


def test_masked_mse_ignores_unobserved_entries_and_serializes():
    loss = MaskedMSE()
    y_true = np.array([[5.0, 0.0, 3.0], [0.0, 0.0, 1.0]], "float32")
    y_pred = np.array([[4.0, 99.0, 3.0], [-7.0, 2.0, 3.0]], "float32")
    assert float(loss(y_true, y_pred)) == pytest.approx(5 / 3)  # observed errors 1, 0, 2
    assert float(loss(np.zeros((2, 3), "float32"), y_pred)) == 0.0
    clone = keras.losses.deserialize(keras.losses.serialize(loss))
    assert isinstance(clone, MaskedMSE) and float(clone(y_true, y_pred)) == pytest.approx(5 / 3)


def test_build_autorec_shapes_and_validation():
    model, encoder, decoder = build_autorec(20, 8, l2=1e-3, name="i_autorec")
    assert model.name == "i_autorec" and model.output_shape == (None, 20) and encoder.output_shape == (None, 8)
    assert model.count_params() == 20 * 8 + 8 + 8 * 20 + 20 and len(model.losses) == 2
    x = np.random.default_rng(0).random((3, 20)).astype("float32")
    np.testing.assert_allclose(decoder(encoder(x)), model(x), atol=1e-6)
    assert not build_autorec(5, 2)[0].losses  # l2=0: no penalty
    for kwargs, exc, text in [({"n_inputs": 0}, ValueError, "n_inputs"), ({"n_inputs": 5, "hidden": "big"}, TypeError, "hidden"),
                              ({"n_inputs": 5, "l2": -1.0}, ValueError, "l2"), ({"n_inputs": 5, "l2": np.nan}, ValueError, "l2")]:
        with pytest.raises(exc, match=text):
            build_autorec(**kwargs)


def test_rating_batches_densify_one_batch_skip_empty_rows_and_shuffle_seeded(synthetic_ratings):
    rm = rs.build_rating_matrix(synthetic_ratings(density=0.3), item_ids=np.arange(1001, 1043))  # 2 cold items
    x = rm.rows("item")
    a, b = RatingBatches(x, batch_size=16, seed=1), RatingBatches(x, batch_size=16, seed=1)
    assert len(a.rated) == (rm.item_counts > 0).sum() and len(a) == int(np.ceil(len(a.rated) / 16))
    xa, ya = a[0]
    assert xa.shape == (16, rm.n_users) and xa.dtype == np.float32 and ya is xa
    np.testing.assert_array_equal(xa, b[0][0])
    order = a.order.copy()
    a.on_epoch_end()
    assert not np.array_equal(order, a.order) and sorted(order) == sorted(a.order)
    with pytest.raises(TypeError, match="rows: expected a SciPy sparse"):
        RatingBatches(x.toarray())
    with pytest.raises(ValueError, match="rows: expected at least one row"):
        RatingBatches(x[:0])
    with pytest.raises(ValueError, match="batch_size"):
        RatingBatches(x, batch_size=0)


def test_autorec_learns_through_fit_autoencoder_and_round_trips(tmp_path, synthetic_ratings):
    df = synthetic_ratings(density=0.5)
    tr_df, te_df = rs.train_validation_split(df, 0.2, seed=0)
    train = rs.build_rating_matrix(tr_df, user_ids=np.arange(101, 131), item_ids=np.arange(1001, 1041))
    test = train.like(te_df)
    keras.utils.set_random_seed(0)  # the initial weights too: the outcome must not depend on the tests run before
    model, _, _ = build_autorec(train.n_users, 16, l2=1e-4)
    rows = train.rows("item")
    hist = aeutils.fit_autoencoder(model, RatingBatches(rows, batch_size=8), loss=MaskedMSE(), epochs=40,
                                   learning_rate=1e-2, log_every=0, seed=0,
                                   callbacks=[ValidationRMSE(rows, test.rows("item"), train.rating_range)])
    pred = rs.predict_ratings(model, train, te_df.user_id.values, te_df.item_id.values)
    global_mean = rs.mean_predictions(train, te_df.user_id.values, te_df.item_id.values, kind="global")
    assert root_mean_squared_error(te_df.rating, pred) < root_mean_squared_error(te_df.rating, global_mean)
    assert hist.history["val_rmse"][-1] < hist.history["val_rmse"][0]
    assert hist.history["val_rmse"][-1] == pytest.approx(root_mean_squared_error(te_df.rating, pred), rel=1e-4)
    path = tmp_path / "m.keras"
    aeutils.save_model(model, path)
    loaded = aeutils.load_model(path)
    np.testing.assert_allclose(loaded.predict(rows[:5].toarray(), verbose=0), model.predict(rows[:5].toarray(), verbose=0), atol=1e-6)
    assert isinstance(loaded.loss, MaskedMSE)


def test_validation_rmse_refuses_mismatched_targets(synthetic_ratings):
    rows = rs.build_rating_matrix(synthetic_ratings(density=0.5)).rows("item")
    with pytest.raises(ValueError, match="targets: expected a sparse matrix shaped like inputs"):
        ValidationRMSE(rows, rows[:3])
    with pytest.raises(ValueError, match="targets"):
        ValidationRMSE(rows, rows.toarray())
