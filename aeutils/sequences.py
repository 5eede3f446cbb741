"""Sequence autoencoders (introduced in notebook 05; notebook 07 reuses the LSTM autoencoder).

Three families of sequence models, each with the data generator it is taught on:

* :func:`build_lstm_autoencoder`: an LSTM encoder squeezes a (possibly padded,
  variable-length) sequence into a fixed code; the code is repeated along time
  and an LSTM decoder rebuilds the sequence. Padded steps are masked, so they
  neither steer the encoder nor count in the loss.
* Sequence to sequence: :func:`generate_date_corpus` writes dates in many human
  formats next to their ISO 8601 form (seeded), :class:`CharVocab` turns text
  into padded integer ids, :func:`build_seq2seq` builds the LSTM
  encoder-decoder trained with teacher forcing, and :func:`greedy_decode` /
  :func:`beam_search_decode` translate with the trained model one character at
  a time.
* Next-frame prediction: :func:`moving_fashion_mnist` makes seeded videos of
  garments bouncing in a square frame, :func:`build_convlstm_forecaster` builds
  a ConvLSTM encoder-forecaster, :func:`copy_last_frame` is the baseline it has
  to beat, and :func:`split_frames` cuts videos into inputs and targets.
"""
from __future__ import annotations

import datetime as _dt
import numbers

import keras
import numpy as np
from keras import layers, ops

from .core.validation import check_array, check_positive_int

__all__ = [
    "RepeatToLength",
    "RepeatAlongTime",
    "RepeatLastStep",
    "build_lstm_autoencoder",
    "DATE_FORMATS",
    "format_date",
    "generate_date_corpus",
    "CharVocab",
    "build_seq2seq",
    "greedy_decode",
    "beam_search_decode",
    "moving_fashion_mnist",
    "split_frames",
    "copy_last_frame",
    "build_convlstm_forecaster",
]


# --------------------------------------------------------------------------------------------
# Layers
# --------------------------------------------------------------------------------------------
@keras.saving.register_keras_serializable(package="aeutils")
class RepeatToLength(layers.Layer):
    """Repeat a code ``(batch, d)`` along the time axis of a reference sequence ``(batch, T, ...)``.

    Called on ``[code, sequence]``; returns ``(batch, T, d)`` and passes the
    sequence's mask on, so a decoder after it skips the padded steps. This is
    :class:`keras.layers.RepeatVector` for sequences whose length is only known
    at run time.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        code, sequence = inputs
        zeros = ops.zeros_like(sequence[:, :, :1])
        return zeros + ops.expand_dims(code, 1)

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        return mask[1] if isinstance(mask, (list, tuple)) else mask

    def compute_output_shape(self, input_shape):
        code_shape, seq_shape = input_shape
        return (code_shape[0], seq_shape[1], code_shape[-1])


@keras.saving.register_keras_serializable(package="aeutils")
class RepeatAlongTime(layers.Layer):
    """Repeat a tensor ``(batch, ...)`` ``n`` times along a new time axis: ``(batch, n, ...)``.

    :class:`keras.layers.RepeatVector` for tensors of any rank (e.g. ConvLSTM
    feature maps).
    """

    def __init__(self, n: int, **kwargs):
        super().__init__(**kwargs)
        self.n = check_positive_int(n, "n")

    def call(self, inputs):
        return ops.repeat(ops.expand_dims(inputs, 1), self.n, axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, *input_shape[1:])

    def get_config(self):
        return {**super().get_config(), "n": self.n}


@keras.saving.register_keras_serializable(package="aeutils")
class RepeatLastStep(layers.Layer):
    """Take the last time step of ``(batch, T, ...)`` and repeat it ``n`` times: ``(batch, n, ...)``.

    The forecaster's skip connection: every predicted frame sees the last
    observed frame (or its features) at full resolution.
    """

    def __init__(self, n: int, **kwargs):
        super().__init__(**kwargs)
        self.n = check_positive_int(n, "n")

    def call(self, inputs):
        return ops.repeat(inputs[:, -1:], self.n, axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, *input_shape[2:])

    def get_config(self):
        return {**super().get_config(), "n": self.n}


# --------------------------------------------------------------------------------------------
# LSTM autoencoder
# --------------------------------------------------------------------------------------------
def build_lstm_autoencoder(
    timesteps: int | None,
    n_features: int = 1,
    *,
    units: int = 64,
    code_size: int = 16,
    mask_value: float | None = None,
    name: str = "lstm_autoencoder",
):
    """Build an LSTM autoencoder: LSTM encoder -> code -> repeat along time -> LSTM decoder.

    Parameters
    ----------
    timesteps : int or None
        Sequence length; ``None`` for variable-length (padded) input, which
        requires ``mask_value``.
    n_features : int
        Values per time step.
    units : int
        LSTM units in the encoder and in the decoder.
    code_size : int
        Size of the fixed-length code (a linear ``Dense`` after the encoder LSTM).
    mask_value : float, optional
        Steps whose features all equal this value are padding: a ``Masking``
        layer hides them from the encoder, the decoder and the loss.
    name : str
        Model name.

    Returns
    -------
    (autoencoder, encoder)
        ``autoencoder`` maps ``(batch, T, n_features)`` to the same shape;
        ``encoder`` maps it to ``(batch, code_size)``.
    """
    if timesteps is not None:
        timesteps = check_positive_int(timesteps, "timesteps")
    n_features = check_positive_int(n_features, "n_features")
    units = check_positive_int(units, "units")
    code_size = check_positive_int(code_size, "code_size")
    if mask_value is not None and (isinstance(mask_value, bool) or not isinstance(mask_value, numbers.Real)):
        raise TypeError(f"mask_value: expected a number or None, got {type(mask_value).__name__} {mask_value!r}")
    if timesteps is None and mask_value is None:
        raise ValueError("mask_value: expected a number when timesteps is None (variable-length input needs masking), got None")
    if not isinstance(name, str) or not name:
        raise TypeError(f"name: expected a non-empty string, got {name!r}")

    inputs = keras.Input((timesteps, n_features), name="sequence")
    x = layers.Masking(mask_value, name="mask")(inputs) if mask_value is not None else inputs
    h = layers.LSTM(units, name="encoder_lstm")(x)
    code = layers.Dense(code_size, name="code")(h)
    if mask_value is None:
        repeated = layers.RepeatVector(timesteps, name="repeat")(code)
    else:
        repeated = RepeatToLength(name="repeat")([code, x])
    y = layers.LSTM(units, return_sequences=True, name="decoder_lstm")(repeated)
    outputs = layers.Dense(n_features, name="reconstruction")(y)
    autoencoder = keras.Model(inputs, outputs, name=name)
    encoder = keras.Model(inputs, code, name=f"{name}_encoder")
    return autoencoder, encoder


# --------------------------------------------------------------------------------------------
# Date corpus
# --------------------------------------------------------------------------------------------
_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _ordinal(n: int) -> str:
    suffix = "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


#: Human date formats: name -> function of a ``datetime.date`` (locale-independent).
DATE_FORMATS = {
    "d month yyyy": lambda d: f"{d.day} {_MONTHS[d.month - 1]} {d.year}",
    "dd mon yyyy": lambda d: f"{d.day:02d} {_MONTHS[d.month - 1][:3]} {d.year}",
    "month d, yyyy": lambda d: f"{_MONTHS[d.month - 1]} {d.day}, {d.year}",
    "mon d yyyy": lambda d: f"{_MONTHS[d.month - 1][:3]} {d.day} {d.year}",
    "dd/mm/yyyy": lambda d: f"{d.day:02d}/{d.month:02d}/{d.year}",
    "d.m.yy": lambda d: f"{d.day}.{d.month}.{d.year % 100:02d}",
    "yyyy/mm/dd": lambda d: f"{d.year}/{d.month:02d}/{d.day:02d}",
    "dth of month yyyy": lambda d: f"{_ordinal(d.day)} of {_MONTHS[d.month - 1]} {d.year}",
    "weekday, d mon yyyy": lambda d: f"{_DAYS[d.weekday()][:3]}, {d.day} {_MONTHS[d.month - 1][:3]} {d.year}",
    "weekday d month yyyy": lambda d: f"{_DAYS[d.weekday()]} {d.day} {_MONTHS[d.month - 1]} {d.year}",
}


def format_date(date: _dt.date, fmt: str, *, case: str = "as is") -> str:
    """Write ``date`` in the human format ``fmt`` (a key of :data:`DATE_FORMATS`).

    ``case`` is ``"as is"``, ``"lower"`` or ``"upper"``.
    """
    if not isinstance(date, _dt.date):
        raise TypeError(f"date: expected a datetime.date, got {type(date).__name__} {date!r}")
    if fmt not in DATE_FORMATS:
        raise ValueError(f"fmt: expected one of {sorted(DATE_FORMATS)}, got {fmt!r}")
    if case not in ("as is", "lower", "upper"):
        raise ValueError(f"case: expected one of ['as is', 'lower', 'upper'], got {case!r}")
    text = DATE_FORMATS[fmt](date)
    return text.lower() if case == "lower" else text.upper() if case == "upper" else text


def generate_date_corpus(
    n: int,
    *,
    seed: int,
    start_year: int = 1950,
    end_year: int = 2049,
    formats=None,
    case_probability: float = 0.2,
):
    """Generate ``n`` (human date, ISO 8601 date) pairs, deterministically from ``seed``.

    Dates are drawn uniformly between 1 January ``start_year`` and 31 December
    ``end_year``; each is written in a randomly chosen format from ``formats``
    (default: all of :data:`DATE_FORMATS`), lower-cased or upper-cased with
    probability ``case_probability`` each. Two-digit years (``d.m.yy``) are
    unambiguous only if the range spans at most 100 years, which is checked.

    Returns
    -------
    (sources, targets, format_names) : three lists of str of length ``n``.
    """
    n = check_positive_int(n, "n")
    seed = check_positive_int(seed, "seed", minimum=0)
    start_year = check_positive_int(start_year, "start_year", minimum=1, maximum=9999)
    end_year = check_positive_int(end_year, "end_year", minimum=start_year, maximum=9999)
    formats = sorted(DATE_FORMATS) if formats is None else list(formats)
    if not formats:
        raise ValueError("formats: expected at least one format name, got an empty list")
    for f in formats:
        if f not in DATE_FORMATS:
            raise ValueError(f"formats: expected names from {sorted(DATE_FORMATS)}, got {f!r}")
    if "d.m.yy" in formats and end_year - start_year >= 100:
        raise ValueError(
            f"end_year: expected a range of at most 100 years with the two-digit format 'd.m.yy', "
            f"got {start_year}-{end_year}"
        )
    if isinstance(case_probability, bool) or not isinstance(case_probability, numbers.Real) or not (
        0 <= case_probability <= 0.5
    ):
        raise ValueError(f"case_probability: expected a number in [0, 0.5], got {case_probability!r}")
    rng = np.random.default_rng(seed)
    first = _dt.date(start_year, 1, 1).toordinal()
    last = _dt.date(end_year, 12, 31).toordinal()
    ordinals = rng.integers(first, last + 1, size=n)
    which = rng.integers(0, len(formats), size=n)
    cases = rng.random(n)
    sources, targets, names = [], [], []
    for o, w, c in zip(ordinals, which, cases):
        date = _dt.date.fromordinal(int(o))
        case = "lower" if c < case_probability else "upper" if c < 2 * case_probability else "as is"
        sources.append(format_date(date, formats[w], case=case))
        targets.append(date.isoformat())
        names.append(formats[w])
    return sources, targets, names


# --------------------------------------------------------------------------------------------
# Character vocabulary
# --------------------------------------------------------------------------------------------
class CharVocab:
    """Characters <-> integer ids, with padding (0), start (1), end (2) and unknown (3) tokens.

    Parameters
    ----------
    texts : iterable of str
        The texts whose characters form the vocabulary (sorted, so the ids do
        not depend on the order of ``texts``).
    """

    PAD, START, END, UNK = 0, 1, 2, 3
    SPECIALS = ("<pad>", "<s>", "</s>", "<unk>")

    def __init__(self, texts):
        texts = self._check_texts(texts, "texts")
        self.chars = sorted(set("".join(texts)))
        self.index = {ch: i + len(self.SPECIALS) for i, ch in enumerate(self.chars)}

    @staticmethod
    def _check_texts(texts, name):
        if isinstance(texts, str):
            raise TypeError(f"{name}: expected a list of strings, got a single str {texts[:40]!r}")
        try:
            texts = list(texts)
        except TypeError as exc:
            raise TypeError(f"{name}: expected a list of strings, got {type(texts).__name__}") from exc
        if not texts:
            raise ValueError(f"{name}: expected at least one string, got an empty list")
        for t in texts:
            if not isinstance(t, str):
                raise TypeError(f"{name}: expected only strings, got {type(t).__name__} {t!r}")
        return texts

    def __len__(self) -> int:
        return len(self.SPECIALS) + len(self.chars)

    def __repr__(self) -> str:
        return f"CharVocab({len(self)} tokens: {''.join(self.chars)!r})"

    def encode(self, texts, max_len: int | None = None, *, start: bool = False, end: bool = False) -> np.ndarray:
        """Return an int32 array ``(len(texts), max_len)`` of ids, padded with 0 at the end.

        ``start``/``end`` add the start and end tokens. ``max_len`` defaults to
        the longest encoded text; longer texts raise ``ValueError`` (never cut
        silently). Unknown characters become ``UNK``.
        """
        texts = self._check_texts(texts, "texts")
        seqs = [
            ([self.START] if start else []) + [self.index.get(ch, self.UNK) for ch in t] + ([self.END] if end else [])
            for t in texts
        ]
        longest = max(len(s) for s in seqs)
        if max_len is None:
            max_len = longest
        max_len = check_positive_int(max_len, "max_len")
        if longest > max_len:
            raise ValueError(f"max_len: expected at least {longest} (the longest encoded text), got {max_len}")
        out = np.zeros((len(seqs), max_len), np.int32)
        for i, s in enumerate(seqs):
            out[i, : len(s)] = s
        return out

    def decode(self, ids) -> list[str]:
        """Turn ids ``(batch, T)`` back into strings, stopping at the first end or padding token."""
        ids = check_array(ids, "ids", ndim=2, dtype_kind="iu", value_range=(0, len(self) - 1), allow_empty=True)
        out = []
        for row in ids:
            chars = []
            for i in row:
                if i in (self.END, self.PAD):
                    break
                if i == self.START:
                    continue
                chars.append("?" if i == self.UNK else self.chars[i - len(self.SPECIALS)])
            out.append("".join(chars))
        return out


# --------------------------------------------------------------------------------------------
# Seq2seq encoder-decoder
# --------------------------------------------------------------------------------------------
def build_seq2seq(
    in_vocab_size: int,
    out_vocab_size: int,
    *,
    embed_dim: int = 32,
    units: int = 128,
    name: str = "seq2seq",
):
    """Build an LSTM encoder-decoder for character-level translation with teacher forcing.

    The encoder embeds the source ids (0 = padding, masked) and an LSTM reads
    them; its final states ``(h, c)`` start the decoder LSTM, which reads the
    target shifted right (start token first) and predicts the next character.

    Returns
    -------
    (model, encoder, decoder_step)
        ``model([source_ids, decoder_input_ids]) -> probabilities (batch, T_out, out_vocab_size)``
        for training; ``encoder(source_ids) -> [h, c]``; and
        ``decoder_step([token_ids (batch, 1), h, c]) -> [probabilities (batch, out_vocab_size), h, c]``
        for decoding one character at a time. The three share their weights.
    """
    in_vocab_size = check_positive_int(in_vocab_size, "in_vocab_size", minimum=2)
    out_vocab_size = check_positive_int(out_vocab_size, "out_vocab_size", minimum=2)
    embed_dim = check_positive_int(embed_dim, "embed_dim")
    units = check_positive_int(units, "units")
    if not isinstance(name, str) or not name:
        raise TypeError(f"name: expected a non-empty string, got {name!r}")

    src = keras.Input((None,), dtype="int32", name="source")
    tgt = keras.Input((None,), dtype="int32", name="decoder_input")
    enc_embed = layers.Embedding(in_vocab_size, embed_dim, mask_zero=True, name="source_embedding")
    enc_lstm = layers.LSTM(units, return_state=True, name="encoder_lstm")
    dec_embed = layers.Embedding(out_vocab_size, embed_dim, mask_zero=True, name="target_embedding")
    dec_lstm = layers.LSTM(units, return_sequences=True, return_state=True, name="decoder_lstm")
    dec_out = layers.Dense(out_vocab_size, activation="softmax", name="next_char")

    _, h, c = enc_lstm(enc_embed(src))
    y, _, _ = dec_lstm(dec_embed(tgt), initial_state=[h, c])
    model = keras.Model([src, tgt], dec_out(y), name=name)
    encoder = keras.Model(src, [h, c], name=f"{name}_encoder")

    tok = keras.Input((1,), dtype="int32", name="token")
    h_in = keras.Input((units,), name="h")
    c_in = keras.Input((units,), name="c")
    y1, h1, c1 = dec_lstm(dec_embed(tok), initial_state=[h_in, c_in])
    probs = dec_out(y1[:, 0, :])
    decoder_step = keras.Model([tok, h_in, c_in], [probs, h1, c1], name=f"{name}_decoder_step")
    return model, encoder, decoder_step


def _check_decode_args(encoder, decoder_step, source_ids, max_len):
    for m, nm in ((encoder, "encoder"), (decoder_step, "decoder_step")):
        if not isinstance(m, keras.Model):
            raise TypeError(f"{nm}: expected a Keras model from build_seq2seq, got {type(m).__name__}")
    source_ids = check_array(source_ids, "source_ids", ndim=2, dtype_kind="iu", value_range=(0, None))
    max_len = check_positive_int(max_len, "max_len")
    return source_ids.astype(np.int32), max_len


def greedy_decode(encoder, decoder_step, source_ids, *, max_len: int, batch_size: int = 1024) -> np.ndarray:
    """Translate by picking the most probable next character at every step.

    Parameters
    ----------
    encoder, decoder_step : keras.Model
        From :func:`build_seq2seq`.
    source_ids : int array (batch, T_in)
        Encoded, padded sources.
    max_len : int
        Characters to generate (the decoder stops early only when every row has
        produced the end token).

    Returns
    -------
    int32 array (batch, max_len) of output ids, padded with 0 after the end token;
    turn it into text with :meth:`CharVocab.decode`.
    """
    source_ids, max_len = _check_decode_args(encoder, decoder_step, source_ids, max_len)
    batch_size = check_positive_int(batch_size, "batch_size")
    out = np.zeros((len(source_ids), max_len), np.int32)
    for lo in range(0, len(source_ids), batch_size):
        src = source_ids[lo : lo + batch_size]
        h, c = (np.asarray(s) for s in encoder(src, training=False))
        token = np.full((len(src), 1), CharVocab.START, np.int32)
        done = np.zeros(len(src), bool)
        for t in range(max_len):
            probs, h, c = (np.asarray(v) for v in decoder_step([token, h, c], training=False))
            nxt = probs.argmax(-1).astype(np.int32)
            nxt[done] = CharVocab.PAD
            out[lo : lo + len(src), t] = nxt
            done |= nxt == CharVocab.END
            if done.all():
                break
            token = nxt[:, None]
    return out


def beam_search_decode(encoder, decoder_step, source_ids, *, max_len: int, beam_width: int = 3) -> np.ndarray:
    """Translate keeping the ``beam_width`` most probable partial outputs at every step.

    Scores are summed log-probabilities; a beam that has produced the end token
    keeps its score and is padded from then on. Returns the best beam per row as
    an int32 array ``(batch, max_len)``, like :func:`greedy_decode` (which is the
    case ``beam_width=1``).
    """
    source_ids, max_len = _check_decode_args(encoder, decoder_step, source_ids, max_len)
    k = check_positive_int(beam_width, "beam_width")
    n = len(source_ids)
    h, c = (np.repeat(np.asarray(s), k, axis=0) for s in encoder(source_ids, training=False))
    scores = np.full((n, k), -np.inf)
    scores[:, 0] = 0.0  # all beams start identical: keep one so the first step does not pick duplicates
    seqs = np.zeros((n, k, max_len), np.int32)
    done = np.zeros((n, k), bool)
    token = np.full((n * k, 1), CharVocab.START, np.int32)
    rows = np.arange(n)[:, None]
    for t in range(max_len):
        probs, h, c = (np.asarray(v) for v in decoder_step([token, h, c], training=False))
        logp = np.log(np.clip(probs, 1e-12, 1.0)).reshape(n, k, -1)
        vocab = logp.shape[-1]
        finished = np.full(vocab, -np.inf)
        finished[CharVocab.PAD] = 0.0
        logp = np.where(done[..., None], finished, logp)
        total = (scores[..., None] + logp).reshape(n, k * vocab)
        best = np.argsort(-total, axis=1, kind="stable")[:, :k]
        beam, tok = best // vocab, (best % vocab).astype(np.int32)
        scores = np.take_along_axis(total, best, axis=1)
        seqs = seqs[rows, beam]
        seqs[:, :, t] = tok
        done = done[rows, beam] | (tok == CharVocab.END)
        flat = (rows * k + beam).reshape(-1)
        h, c = h[flat], c[flat]
        token = tok.reshape(-1, 1)
        if done.all():
            break
    return seqs[:, 0]


# --------------------------------------------------------------------------------------------
# Moving Fashion-MNIST and next-frame prediction
# --------------------------------------------------------------------------------------------
def moving_fashion_mnist(
    images,
    n_sequences: int,
    *,
    n_frames: int = 10,
    frame_size: int = 64,
    n_objects: int = 1,
    speed: tuple[float, float] = (2.0, 4.0),
    seed: int,
) -> np.ndarray:
    """Make seeded videos of garments bouncing inside a square frame (Moving MNIST with Fashion-MNIST).

    Each video places ``n_objects`` randomly chosen images at random positions
    with random directions and speeds (pixels per frame, uniform in ``speed``);
    an object bounces off the frame's edges (its velocity component flips).
    Overlapping objects combine by the pixel-wise maximum.

    Parameters
    ----------
    images : float array (N, h, w) in [0, 1]
        The sprites (e.g. Fashion-MNIST training images), ``h, w <= frame_size``.
    n_sequences, n_frames, frame_size, n_objects : int
    speed : (low, high)
        Range of speeds in pixels per frame, ``0 < low <= high < frame_size - h``.
    seed : int
        Seed: the same arguments give the same videos.

    Returns
    -------
    float32 array (n_sequences, n_frames, frame_size, frame_size) in [0, 1].
    """
    images = check_array(images, "images", ndim=3, dtype_kind="f", value_range=(0.0, 1.0))
    n_sequences = check_positive_int(n_sequences, "n_sequences")
    n_frames = check_positive_int(n_frames, "n_frames")
    frame_size = check_positive_int(frame_size, "frame_size")
    n_objects = check_positive_int(n_objects, "n_objects", maximum=10)
    seed = check_positive_int(seed, "seed", minimum=0)
    _, sh, sw = images.shape
    if sh > frame_size or sw > frame_size:
        raise ValueError(f"images: expected sprites no larger than frame_size={frame_size}, got {sh}x{sw}")
    room = frame_size - max(sh, sw)
    if (
        not isinstance(speed, (tuple, list))
        or len(speed) != 2
        or not all(isinstance(s, numbers.Real) and not isinstance(s, bool) for s in speed)
    ):
        raise TypeError(f"speed: expected a (low, high) pair of numbers, got {speed!r}")
    lo, hi = float(speed[0]), float(speed[1])
    if not (0 < lo <= hi) or (room > 0 and hi >= room):
        raise ValueError(f"speed: expected 0 < low <= high < {room} (the free room in the frame), got {speed!r}")
    rng = np.random.default_rng(seed)
    videos = np.zeros((n_sequences, n_frames, frame_size, frame_size), np.float32)
    for s in range(n_sequences):
        for _ in range(n_objects):
            sprite = images[rng.integers(len(images))]
            pos = rng.uniform(0, frame_size - np.array([sh, sw]))
            angle = rng.uniform(0, 2 * np.pi)
            vel = rng.uniform(lo, hi) * np.array([np.sin(angle), np.cos(angle)])
            for t in range(n_frames):
                r, c = np.round(pos).astype(int)
                np.maximum(videos[s, t, r : r + sh, c : c + sw], sprite, out=videos[s, t, r : r + sh, c : c + sw])
                pos = pos + vel
                for ax, size in ((0, sh), (1, sw)):
                    top = frame_size - size
                    if pos[ax] < 0:
                        pos[ax], vel[ax] = -pos[ax], -vel[ax]
                    elif pos[ax] > top:
                        pos[ax], vel[ax] = 2 * top - pos[ax], -vel[ax]
    return videos


def split_frames(videos, n_input: int):
    """Split videos ``(N, T, H, W)`` into inputs ``(N, n_input, H, W, 1)`` and targets ``(N, T - n_input, H, W, 1)``."""
    videos = check_array(videos, "videos", ndim=4, dtype_kind="f")
    n_input = check_positive_int(n_input, "n_input", maximum=videos.shape[1] - 1)
    v = videos[..., None]
    return v[:, :n_input], v[:, n_input:]


def copy_last_frame(inputs, n_output: int) -> np.ndarray:
    """The baseline forecast: repeat the last input frame ``n_output`` times.

    ``inputs`` is ``(N, T_in, ...)``; returns ``(N, n_output, ...)``.
    """
    inputs = check_array(inputs, "inputs", ndim=(3, 4, 5), dtype_kind="f")
    n_output = check_positive_int(n_output, "n_output")
    return np.repeat(inputs[:, -1:], n_output, axis=1)


def build_convlstm_forecaster(
    n_input: int,
    n_output: int,
    *,
    frame_size: int = 64,
    filters: int = 16,
    conv_filters: tuple[int, int] = (8, 16),
    skip: bool = True,
    name: str = "convlstm_forecaster",
):
    """Build a ConvLSTM encoder-forecaster that predicts ``n_output`` frames from ``n_input`` frames.

    Each input frame is shrunk 4x by two strided convolutions; an encoder
    ``ConvLSTM2D`` reads the feature maps; its final state (a spatial "code")
    starts a forecaster ``ConvLSTM2D`` that unrolls ``n_output`` steps; two
    transposed convolutions and a sigmoid convolution turn each forecast state
    back into a frame (Shi et al., 2015, in miniature). With ``skip=True``
    the last observed frame and its first feature maps are concatenated to the
    decoder at full and half resolution (U-Net style), so the forecaster only
    has to say how the scene moves, not redraw every garment from a 16x16 state.

    Input ``(batch, n_input, frame_size, frame_size, 1)``; output
    ``(batch, n_output, frame_size, frame_size, 1)`` in [0, 1].
    """
    n_input = check_positive_int(n_input, "n_input")
    n_output = check_positive_int(n_output, "n_output")
    frame_size = check_positive_int(frame_size, "frame_size", minimum=8)
    if frame_size % 4:
        raise ValueError(f"frame_size: expected a multiple of 4 (two stride-2 convolutions), got {frame_size}")
    filters = check_positive_int(filters, "filters")
    if not isinstance(conv_filters, (tuple, list)) or len(conv_filters) != 2:
        raise TypeError(f"conv_filters: expected a pair of ints, got {conv_filters!r}")
    f1, f2 = (check_positive_int(f, "conv_filters") for f in conv_filters)
    if not isinstance(skip, bool):
        raise TypeError(f"skip: expected True or False, got {skip!r}")
    if not isinstance(name, str) or not name:
        raise TypeError(f"name: expected a non-empty string, got {name!r}")

    inputs = keras.Input((n_input, frame_size, frame_size, 1), name="frames")
    d1 = layers.TimeDistributed(layers.Conv2D(f1, 3, strides=2, padding="same", activation="relu"), name="down1")(inputs)
    x = layers.TimeDistributed(layers.Conv2D(f2, 3, strides=2, padding="same", activation="relu"), name="down2")(d1)
    _, h, c = layers.ConvLSTM2D(filters, 3, padding="same", return_state=True, name="encoder_convlstm")(x)
    y = RepeatAlongTime(n_output, name="repeat")(h)
    y = layers.ConvLSTM2D(filters, 3, padding="same", return_sequences=True, name="forecaster_convlstm")(
        y, initial_state=[h, c]
    )
    y = layers.TimeDistributed(
        layers.Conv2DTranspose(f2, 3, strides=2, padding="same", activation="relu"), name="up1"
    )(y)
    if skip:
        y = layers.Concatenate(name="skip1")([y, RepeatLastStep(n_output, name="last_features")(d1)])
    y = layers.TimeDistributed(
        layers.Conv2DTranspose(f1, 3, strides=2, padding="same", activation="relu"), name="up2"
    )(y)
    if skip:
        y = layers.Concatenate(name="skip2")([y, RepeatLastStep(n_output, name="last_frame")(inputs)])
    outputs = layers.TimeDistributed(layers.Conv2D(1, 3, padding="same", activation="sigmoid"), name="frame")(y)
    return keras.Model(inputs, outputs, name=name)
