"""Tests of the code notebook 05 teaches (generated into aeutils.lessons.nb05_sequences)."""
import keras
import numpy as np
import pytest

from aeutils.core.saving import load_model, save_model
from aeutils.lessons import nb05_sequences as sq

RNG = np.random.default_rng(0)


# ---------------------------------------------------------------- layers
def test_repeat_to_length_broadcasts_and_passes_mask():
    code = np.arange(6, dtype="float32").reshape(2, 3)
    seq = np.ones((2, 5, 1), "float32")
    out = keras.ops.convert_to_numpy(sq.RepeatToLength()([code, seq]))
    assert out.shape == (2, 5, 3)
    np.testing.assert_allclose(out[:, 4], code)
    mask = np.array([[True] * 5, [True, True, False, False, False]])
    passed = sq.RepeatToLength().compute_mask([code, seq], [None, mask])
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(passed), mask)


def test_repeat_along_time_and_last_step():
    x = RNG.random((2, 4, 4, 3)).astype("float32")
    out = keras.ops.convert_to_numpy(sq.RepeatAlongTime(3)(x))
    assert out.shape == (2, 3, 4, 4, 3)
    np.testing.assert_allclose(out[:, 2], x)
    seq = RNG.random((2, 5, 4, 4, 1)).astype("float32")
    last = keras.ops.convert_to_numpy(sq.RepeatLastStep(2)(seq))
    assert last.shape == (2, 2, 4, 4, 1)
    np.testing.assert_allclose(last[:, 1], seq[:, -1])
    assert sq.RepeatLastStep.from_config(sq.RepeatLastStep(2).get_config()).n == 2
    with pytest.raises(ValueError, match="n"):
        sq.RepeatAlongTime(0)
    with pytest.raises(TypeError, match="n"):
        sq.RepeatLastStep(1.5)


# ---------------------------------------------------------------- LSTM autoencoder
def test_lstm_autoencoder_shapes_and_training():
    x = np.sin(np.linspace(0, 6, 12))[None, :, None] * RNG.uniform(0.5, 1.5, (64, 1, 1))
    x = x.astype("float32")
    ae, enc = sq.build_lstm_autoencoder(12, 1, units=8, code_size=3)
    assert ae.output_shape == (None, 12, 1) and enc.output_shape == (None, 3)
    ae.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse")
    hist = ae.fit(x, x, epochs=3, batch_size=32, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    assert enc.predict(x[:4], verbose=0).shape == (4, 3)


def test_lstm_autoencoder_masking_ignores_padding(tmp_path):
    keras.utils.set_random_seed(0)
    ae, enc = sq.build_lstm_autoencoder(None, 2, units=6, code_size=4, mask_value=0.0)
    x = RNG.uniform(0.5, 1.0, (3, 7, 2)).astype("float32")
    x[1, 5:] = 0.0
    padded = np.concatenate([x, np.zeros((3, 4, 2), "float32")], axis=1)
    np.testing.assert_allclose(enc.predict(x, verbose=0), enc.predict(padded, verbose=0), atol=1e-5)
    out_short, out_long = ae.predict(x, verbose=0), ae.predict(padded, verbose=0)
    np.testing.assert_allclose(out_short[0], out_long[0, :7], atol=1e-5)
    np.testing.assert_allclose(out_short[1, :5], out_long[1, :5], atol=1e-5)
    path = save_model(ae, tmp_path / "lstm.keras")
    np.testing.assert_allclose(load_model(path).predict(padded, verbose=0), out_long, atol=1e-6)


@pytest.mark.parametrize(
    "args, kwargs, exc, text",
    [
        ((0,), {}, ValueError, "timesteps"),
        ((5,), {"n_features": 0}, ValueError, "n_features"),
        ((5,), {"units": 2.5}, TypeError, "units"),
        ((5,), {"code_size": 0}, ValueError, "code_size"),
        ((None,), {}, ValueError, "mask_value"),
        ((5,), {"mask_value": "0"}, TypeError, "mask_value"),
        ((5,), {"mask_value": True}, TypeError, "mask_value"),
    ],
)
def test_lstm_autoencoder_rejects_bad_arguments(args, kwargs, exc, text):
    with pytest.raises(exc, match=text):
        sq.build_lstm_autoencoder(*args, **kwargs)


# ---------------------------------------------------------------- StringLookup vocabulary
def test_char_lookup_ids_roundtrip_and_padding():
    lookup = sq.char_lookup(["abc", "cab!"])
    assert lookup.get_vocabulary() == ["", "[UNK]", "<s>", "</s>", "!", "a", "b", "c"]
    assert (sq.PAD, sq.UNK, sq.START, sq.END) == (0, 1, 2, 3)
    ids = sq.encode_texts(lookup, ["ab", "c"], start=True, end=True)
    assert ids.shape == (2, 4) and ids.dtype == np.int32
    assert ids.tolist() == [[sq.START, 5, 6, sq.END], [sq.START, 7, sq.END, sq.PAD]]
    assert sq.decode_ids(lookup, ids) == ["ab", "c"]
    assert sq.decode_ids(lookup, sq.encode_texts(lookup, ["az"], max_len=5)) == ["a[UNK]"]
    assert sq.encode_texts(lookup, ["ab"], max_len=4).tolist() == [[5, 6, 0, 0]]
    assert sq.decode_ids(lookup, np.zeros((0, 3), int)) == []


def test_char_lookup_rejects_bad_arguments():
    lookup = sq.char_lookup(["abc"])
    with pytest.raises(ValueError, match="max_len"):
        sq.encode_texts(lookup, ["abc"], max_len=2)
    with pytest.raises(TypeError, match="texts"):
        sq.encode_texts(lookup, "abc")
    with pytest.raises(TypeError, match="lookup"):
        sq.encode_texts({"a": 1}, ["abc"])
    with pytest.raises(TypeError, match="texts"):
        sq.char_lookup([1, 2])
    with pytest.raises(TypeError, match="texts"):
        sq.char_lookup([])
    with pytest.raises(ValueError, match="ids"):
        sq.decode_ids(lookup, np.array([[99]]))
    with pytest.raises(ValueError, match="ids"):
        sq.decode_ids(lookup, np.array([1, 2]))


# ---------------------------------------------------------------- seq2seq
def _reverse_task(n=512, seed=0):
    rng = np.random.default_rng(seed)
    src = ["".join(rng.choice(list("abcd"), rng.integers(2, 5))) for _ in range(n)]
    return src, [s[::-1] for s in src]


def test_seq2seq_learns_to_reverse_and_decoders_agree():
    import aeutils

    src, tgt = _reverse_task()
    sv, tv = sq.char_lookup(src), sq.char_lookup(tgt)
    x, y_in, y_out = (sq.encode_texts(sv, src), sq.encode_texts(tv, tgt, start=True),
                      sq.encode_texts(tv, tgt, end=True))
    model, enc, step = sq.build_seq2seq(sv.vocabulary_size(), tv.vocabulary_size(), embed_dim=8, units=32)
    aeutils.fit_autoencoder(model, [x, y_in], y_train=y_out, epochs=25, batch_size=64, learning_rate=2e-2,
                            loss="sparse_categorical_crossentropy", log_every=0, seed=0)
    greedy = sq.greedy_decode(enc, step, x[:100], max_len=6)
    assert greedy.shape == (100, 6) and greedy.dtype == np.int32
    acc = np.mean([p == t for p, t in zip(sq.decode_ids(tv, greedy), tgt[:100])])
    assert acc > 0.6
    np.testing.assert_array_equal(sq.greedy_decode(enc, step, x[:100], max_len=6, batch_size=7), greedy)
    np.testing.assert_array_equal(sq.beam_search_decode(enc, step, x[:100], max_len=6, beam_width=1), greedy)
    beam = sq.decode_ids(tv, sq.beam_search_decode(enc, step, x[:100], max_len=6, beam_width=3))
    assert np.mean([p == t for p, t in zip(beam, tgt[:100])]) >= acc - 0.05


def test_seq2seq_step_model_matches_teacher_forced_model():
    keras.utils.set_random_seed(1)
    model, enc, step = sq.build_seq2seq(6, 5, embed_dim=4, units=8)
    x = np.array([[4, 5, 4, 0]], np.int32)
    y_in = np.array([[2, 3, 4]], np.int32)
    full = model.predict([x, y_in], verbose=0)[0]
    h, c = enc.predict(x, verbose=0)
    for t in range(3):
        p, h, c = step.predict([y_in[:, t : t + 1], h, c], verbose=0)
        np.testing.assert_allclose(p[0], full[t], atol=1e-5)


def test_seq2seq_and_decoders_reject_bad_arguments():
    with pytest.raises(ValueError, match="in_vocab_size"):
        sq.build_seq2seq(1, 5)
    with pytest.raises(ValueError, match="out_vocab_size"):
        sq.build_seq2seq(5, 3)  # no room for the start and end ids
    with pytest.raises(TypeError, match="units"):
        sq.build_seq2seq(5, 5, units="8")
    _, enc, step = sq.build_seq2seq(5, 5, embed_dim=2, units=4)
    ok = np.ones((1, 3), int)
    with pytest.raises(TypeError, match="encoder"):
        sq.greedy_decode("enc", step, ok, max_len=2)
    with pytest.raises(TypeError, match="decoder_step"):
        sq.beam_search_decode(enc, keras.Sequential([keras.layers.Dense(2)]), ok, max_len=2)
    with pytest.raises(TypeError, match="source_ids"):
        sq.greedy_decode(enc, step, np.ones((1, 3)), max_len=2)
    with pytest.raises(ValueError, match="source_ids"):
        sq.greedy_decode(enc, step, np.ones(3, int), max_len=2)
    with pytest.raises(ValueError, match="max_len"):
        sq.greedy_decode(enc, step, ok, max_len=0)
    with pytest.raises(ValueError, match="beam_width"):
        sq.beam_search_decode(enc, step, ok, max_len=2, beam_width=0)


@pytest.mark.parametrize("decode", [sq.greedy_decode, sq.beam_search_decode])
@pytest.mark.parametrize("bad", [5, 99, -1])
def test_decoders_refuse_ids_outside_the_vocabulary(decode, bad):
    """Issue 23: an id past the encoder's Embedding table is named, not a backend InvalidArgumentError."""
    _, enc, step = sq.build_seq2seq(5, 5, embed_dim=2, units=4)
    ids = np.array([[1, 2, bad]])
    with pytest.raises(ValueError, match=r"source_ids.*5-token vocabulary.*\[0, 4\]"):
        decode(enc, step, ids, max_len=2)


# ---------------------------------------------------------------- next-frame prediction
def test_copy_last_frame_with_and_without_blur():
    xi = RNG.random((3, 5, 8, 8, 1)).astype("float32")
    base = sq.copy_last_frame(xi, 2)
    assert base.shape == (3, 2, 8, 8, 1)
    np.testing.assert_array_equal(base[:, 1], xi[:, 4])
    spot = np.zeros((1, 2, 9, 9, 1), "float32")
    spot[0, 1, 4, 4] = 1.0
    blurred = sq.copy_last_frame(spot, 3, sigma=1.0)
    assert blurred.shape == (1, 3, 9, 9, 1)
    np.testing.assert_allclose(blurred.sum(axis=(2, 3, 4)), 1.0, atol=1e-3)  # a blur keeps the mass
    assert blurred[0, 0, 4, 4, 0] < 0.5 and blurred[0, 0, 4, 3, 0] > 0  # and spreads it over pixels only
    np.testing.assert_array_equal(blurred[0, 0], blurred[0, 2])
    np.testing.assert_array_equal(sq.copy_last_frame(xi, 1, sigma=np.float32(0)), xi[:, -1:])


@pytest.mark.parametrize(
    "args, kwargs, exc, text",
    [
        ((np.ones((3, 4), "float32"), 1), {}, ValueError, "inputs"),
        ((np.ones((1, 2, 4, 4, 1), int), 1), {}, TypeError, "inputs"),
        ((np.ones((1, 2, 4, 4, 1), "float32"), 0), {}, ValueError, "n_output"),
        ((np.ones((1, 2, 4, 4, 1), "float32"), 1), {"sigma": -1}, ValueError, "sigma"),
        ((np.ones((1, 2, 4, 4, 1), "float32"), 1), {"sigma": float("inf")}, ValueError, "sigma"),
        ((np.ones((1, 2, 4, 4, 1), "float32"), 1), {"sigma": "2"}, ValueError, "sigma"),
    ],
)
def test_copy_last_frame_rejects_bad_arguments(args, kwargs, exc, text):
    with pytest.raises(exc, match=text):
        sq.copy_last_frame(*args, **kwargs)


def test_convlstm_forecaster_shapes_save_and_errors(tmp_path):
    m = sq.build_convlstm_forecaster(3, 2, frame_size=16, filters=4, conv_filters=(2, 4))
    x = RNG.random((2, 3, 16, 16, 1)).astype("float32")
    y = m.predict(x, verbose=0)
    assert y.shape == (2, 2, 16, 16, 1) and y.min() >= 0 and y.max() <= 1
    path = save_model(m, tmp_path / "f.keras")
    np.testing.assert_allclose(load_model(path).predict(x, verbose=0), y, atol=1e-6)
    with pytest.raises(ValueError, match="frame_size"):
        sq.build_convlstm_forecaster(3, 2, frame_size=18)
    with pytest.raises(TypeError, match="conv_filters"):
        sq.build_convlstm_forecaster(3, 2, conv_filters=8)
    with pytest.raises(ValueError, match="n_output"):
        sq.build_convlstm_forecaster(3, 0)
