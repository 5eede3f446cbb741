import datetime as dt

import keras
import numpy as np
import pytest

from aeutils import sequences as sq
from aeutils.core.saving import load_model, save_model

RNG = np.random.default_rng(0)


# ---------------------------------------------------------------- layers
def test_repeat_to_length_broadcasts_and_passes_mask():
    code = np.arange(6, dtype="float32").reshape(2, 3)
    seq = np.ones((2, 5, 1), "float32")
    out = np.asarray(sq.RepeatToLength()([code, seq]))
    assert out.shape == (2, 5, 3)
    np.testing.assert_allclose(out[:, 4], code)
    mask = np.array([[True] * 5, [True, True, False, False, False]])
    np.testing.assert_array_equal(np.asarray(sq.RepeatToLength().compute_mask([code, seq], [None, mask])), mask)


def test_repeat_along_time_and_last_step():
    x = RNG.random((2, 4, 4, 3)).astype("float32")
    out = np.asarray(sq.RepeatAlongTime(3)(x))
    assert out.shape == (2, 3, 4, 4, 3)
    np.testing.assert_allclose(out[:, 2], x)
    seq = RNG.random((2, 5, 4, 4, 1)).astype("float32")
    last = np.asarray(sq.RepeatLastStep(2)(seq))
    assert last.shape == (2, 2, 4, 4, 1)
    np.testing.assert_allclose(last[:, 1], seq[:, -1])
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
        ((5,), {"name": ""}, TypeError, "name"),
    ],
)
def test_lstm_autoencoder_rejects_bad_arguments(args, kwargs, exc, text):
    with pytest.raises(exc, match=text):
        sq.build_lstm_autoencoder(*args, **kwargs)


# ---------------------------------------------------------------- dates and vocabulary
def test_date_corpus_is_deterministic_and_correct():
    a = sq.generate_date_corpus(200, seed=3)
    b = sq.generate_date_corpus(200, seed=3)
    assert a == b
    assert sq.generate_date_corpus(200, seed=4)[0] != a[0]
    src, tgt, names = a
    assert len(src) == len(tgt) == len(names) == 200
    assert set(names) <= set(sq.DATE_FORMATS)
    for t in tgt:
        d = dt.date.fromisoformat(t)
        assert 1950 <= d.year <= 2049
    d = dt.date(2021, 3, 3)
    assert sq.format_date(d, "d month yyyy") == "3 March 2021"
    assert sq.format_date(d, "dth of month yyyy", case="lower") == "3rd of march 2021"
    assert sq.format_date(d, "weekday, d mon yyyy", case="upper") == "WED, 3 MAR 2021"
    assert sq.format_date(dt.date(1999, 12, 11), "dth of month yyyy") == "11th of December 1999"
    assert sq.format_date(dt.date(2005, 1, 9), "d.m.yy") == "9.1.05"


@pytest.mark.parametrize(
    "kwargs, exc, text",
    [
        ({"n": 0, "seed": 1}, ValueError, "n"),
        ({"n": 5}, TypeError, "seed"),
        ({"n": 5, "seed": -1}, ValueError, "seed"),
        ({"n": 5, "seed": 1, "start_year": 2000, "end_year": 1999}, ValueError, "end_year"),
        ({"n": 5, "seed": 1, "start_year": 1900, "end_year": 2049}, ValueError, "end_year"),
        ({"n": 5, "seed": 1, "formats": []}, ValueError, "formats"),
        ({"n": 5, "seed": 1, "formats": ["yyyymmdd"]}, ValueError, "formats"),
        ({"n": 5, "seed": 1, "case_probability": 0.9}, ValueError, "case_probability"),
    ],
)
def test_date_corpus_rejects_bad_arguments(kwargs, exc, text):
    if "seed" not in kwargs:
        with pytest.raises(exc, match=text):
            sq.generate_date_corpus(kwargs["n"])
        return
    with pytest.raises(exc, match=text):
        sq.generate_date_corpus(**kwargs)


def test_format_date_rejects_bad_arguments():
    with pytest.raises(TypeError, match="date"):
        sq.format_date("2020-01-01", "d month yyyy")
    with pytest.raises(ValueError, match="fmt"):
        sq.format_date(dt.date(2020, 1, 1), "nope")
    with pytest.raises(ValueError, match="case"):
        sq.format_date(dt.date(2020, 1, 1), "d month yyyy", case="title")


def test_char_vocab_roundtrip_padding_and_errors():
    v = sq.CharVocab(["abc", "cab!"])
    assert len(v) == 4 + 4 and v.chars == ["!", "a", "b", "c"]
    ids = v.encode(["ab", "c"], start=True, end=True)
    assert ids.shape == (2, 4) and ids.dtype == np.int32
    assert ids[0].tolist() == [v.START, v.index["a"], v.index["b"], v.END]
    assert ids[1].tolist() == [v.START, v.index["c"], v.END, v.PAD]
    assert v.decode(ids) == ["ab", "c"]
    assert v.decode(v.encode(["az"], max_len=5)) == ["a?"]
    with pytest.raises(ValueError, match="max_len"):
        v.encode(["abc"], max_len=2)
    with pytest.raises(TypeError, match="texts"):
        v.encode("abc")
    with pytest.raises(TypeError, match="texts"):
        sq.CharVocab([1, 2])
    with pytest.raises(ValueError, match="texts"):
        sq.CharVocab([])
    with pytest.raises(ValueError, match="ids"):
        v.decode(np.array([[99]]))
    with pytest.raises(ValueError, match="ids"):
        v.decode(np.array([1, 2]))


# ---------------------------------------------------------------- seq2seq
def _reverse_task(n=512, seed=0):
    rng = np.random.default_rng(seed)
    src = ["".join(rng.choice(list("abcd"), rng.integers(2, 5))) for _ in range(n)]
    return src, [s[::-1] for s in src]


def test_seq2seq_learns_to_reverse_and_decoders_agree():
    keras.utils.set_random_seed(0)
    src, tgt = _reverse_task()
    sv, tv = sq.CharVocab(src), sq.CharVocab(tgt)
    x, y_in, y_out = sv.encode(src), tv.encode(tgt, start=True), tv.encode(tgt, end=True)
    model, enc, step = sq.build_seq2seq(len(sv), len(tv), embed_dim=8, units=32)
    model.compile(optimizer=keras.optimizers.Adam(2e-2), loss="sparse_categorical_crossentropy")
    model.fit([x, y_in], y_out, epochs=25, batch_size=64, verbose=0)
    greedy = sq.greedy_decode(enc, step, x[:100], max_len=6)
    assert greedy.shape == (100, 6)
    acc = np.mean([p == t for p, t in zip(tv.decode(greedy), tgt[:100])])
    assert acc > 0.6
    np.testing.assert_array_equal(sq.beam_search_decode(enc, step, x[:100], max_len=6, beam_width=1), greedy)
    beam = tv.decode(sq.beam_search_decode(enc, step, x[:100], max_len=6, beam_width=3))
    assert np.mean([p == t for p, t in zip(beam, tgt[:100])]) >= acc - 0.05


def test_seq2seq_step_model_matches_teacher_forced_model():
    keras.utils.set_random_seed(1)
    model, enc, step = sq.build_seq2seq(6, 5, embed_dim=4, units=8)
    x = np.array([[4, 5, 4, 0]], np.int32)
    y_in = np.array([[1, 3, 4]], np.int32)
    full = model.predict([x, y_in], verbose=0)[0]
    h, c = enc.predict(x, verbose=0)
    for t in range(3):
        p, h, c = step.predict([y_in[:, t : t + 1], h, c], verbose=0)
        np.testing.assert_allclose(p[0], full[t], atol=1e-5)


def test_seq2seq_and_decoders_reject_bad_arguments():
    with pytest.raises(ValueError, match="in_vocab_size"):
        sq.build_seq2seq(1, 5)
    with pytest.raises(TypeError, match="units"):
        sq.build_seq2seq(5, 5, units="8")
    _, enc, step = sq.build_seq2seq(5, 5, embed_dim=2, units=4)
    with pytest.raises(TypeError, match="encoder"):
        sq.greedy_decode("enc", step, np.ones((1, 3), int), max_len=2)
    with pytest.raises(TypeError, match="source_ids"):
        sq.greedy_decode(enc, step, np.ones((1, 3)), max_len=2)
    with pytest.raises(ValueError, match="source_ids"):
        sq.greedy_decode(enc, step, np.ones(3, int), max_len=2)
    with pytest.raises(ValueError, match="max_len"):
        sq.greedy_decode(enc, step, np.ones((1, 3), int), max_len=0)
    with pytest.raises(ValueError, match="beam_width"):
        sq.beam_search_decode(enc, step, np.ones((1, 3), int), max_len=2, beam_width=0)


# ---------------------------------------------------------------- moving Fashion-MNIST
def test_moving_fashion_mnist_is_seeded_bounded_and_moving():
    sprites = RNG.random((5, 8, 8)).astype("float32")
    a = sq.moving_fashion_mnist(sprites, 4, n_frames=30, frame_size=24, n_objects=2, speed=(2, 3), seed=1)
    b = sq.moving_fashion_mnist(sprites, 4, n_frames=30, frame_size=24, n_objects=2, speed=(2, 3), seed=1)
    c = sq.moving_fashion_mnist(sprites, 4, n_frames=30, frame_size=24, n_objects=2, speed=(2, 3), seed=2)
    assert a.shape == (4, 30, 24, 24) and a.dtype == np.float32
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert a.min() >= 0 and a.max() <= 1
    assert np.abs(np.diff(a, axis=1)).mean() > 0
    one = sq.moving_fashion_mnist(np.ones((1, 8, 8), "float32"), 3, n_frames=40, frame_size=24, speed=(2, 3), seed=0)
    np.testing.assert_allclose(one.sum((2, 3)), 64.0)  # the whole sprite stays inside the frame (bounces)


@pytest.mark.parametrize(
    "kwargs, exc, text",
    [
        ({"images": np.ones((2, 8, 8))}, TypeError, "seed"),
        ({"images": np.ones((2, 8)), "seed": 0}, ValueError, "images"),
        ({"images": np.full((2, 8, 8), 2.0), "seed": 0}, ValueError, "images"),
        ({"images": np.ones((2, 8, 8), int), "seed": 0}, TypeError, "images"),
        ({"images": np.ones((2, 30, 30)), "seed": 0}, ValueError, "images"),
        ({"images": np.ones((2, 8, 8)), "seed": 0, "n_frames": 0}, ValueError, "n_frames"),
        ({"images": np.ones((2, 8, 8)), "seed": 0, "n_objects": 11}, ValueError, "n_objects"),
        ({"images": np.ones((2, 8, 8)), "seed": 0, "speed": 3}, TypeError, "speed"),
        ({"images": np.ones((2, 8, 8)), "seed": 0, "speed": (3, 2)}, ValueError, "speed"),
        ({"images": np.ones((2, 8, 8)), "seed": 0, "speed": (1, 20)}, ValueError, "speed"),
    ],
)
def test_moving_fashion_mnist_rejects_bad_arguments(kwargs, exc, text):
    with pytest.raises(exc, match=text):
        sq.moving_fashion_mnist(n_sequences=2, frame_size=24, **kwargs)


def test_split_frames_and_copy_last_frame():
    v = RNG.random((3, 7, 8, 8)).astype("float32")
    xi, yo = sq.split_frames(v, 5)
    assert xi.shape == (3, 5, 8, 8, 1) and yo.shape == (3, 2, 8, 8, 1)
    base = sq.copy_last_frame(xi, 2)
    assert base.shape == yo.shape
    np.testing.assert_array_equal(base[:, 1], xi[:, 4])
    with pytest.raises(ValueError, match="n_input"):
        sq.split_frames(v, 7)
    with pytest.raises(ValueError, match="inputs"):
        sq.copy_last_frame(np.ones((3, 4), "float32"), 1)
    with pytest.raises(ValueError, match="n_output"):
        sq.copy_last_frame(xi, 0)


def test_convlstm_forecaster_shapes_save_and_errors(tmp_path):
    m = sq.build_convlstm_forecaster(3, 2, frame_size=16, filters=4, conv_filters=(2, 4))
    x = RNG.random((2, 3, 16, 16, 1)).astype("float32")
    y = m.predict(x, verbose=0)
    assert y.shape == (2, 2, 16, 16, 1) and y.min() >= 0 and y.max() <= 1
    path = save_model(m, tmp_path / "f.keras")
    np.testing.assert_allclose(load_model(path).predict(x, verbose=0), y, atol=1e-6)
    m2 = sq.build_convlstm_forecaster(3, 2, frame_size=16, filters=4, skip=False)
    assert m2.predict(x, verbose=0).shape == (2, 2, 16, 16, 1)
    with pytest.raises(ValueError, match="frame_size"):
        sq.build_convlstm_forecaster(3, 2, frame_size=18)
    with pytest.raises(TypeError, match="conv_filters"):
        sq.build_convlstm_forecaster(3, 2, conv_filters=8)
    with pytest.raises(TypeError, match="skip"):
        sq.build_convlstm_forecaster(3, 2, skip="yes")
    with pytest.raises(ValueError, match="n_output"):
        sq.build_convlstm_forecaster(3, 0)
