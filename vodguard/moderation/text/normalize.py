"""Text normalisation that undoes common obfuscation and keeps a map back to the original characters.

``normalize(text)`` runs, in order:

1. per character: compatibility folding (NFKC: full-width ``Ｆ`` → ``F``, ``①`` → ``1``), accents stripped from
   Latin letters, case folding; invisible format characters (zero-width space/joiner, BOM) are dropped;
2. traditional → simplified Chinese (OpenCC ``t2s``, which ships its own dictionaries);
3. separators: runs of separators become one space, except that "soft" separators (spaces, ``.``, ``*``, ``-``,
   symbols...) vanish between two CJK characters (``傻 逼``, ``傻*逼``) and inside a run of three or more single
   letters (``f u c k``, ``s.e.x``); sentence punctuation (``,`` ``。`` ``!`` ``?``...) always stays a break so a
   term never matches across two clauses;
4. leetspeak inside tokens that hold a Latin letter (``sh1t``, ``@ss``, ``$ex``, ``5ex``); ``1`` reads as ``i`` or,
   with ``one="l"``, as ``l``;
5. repeated characters collapse to one (``fuuuuck`` → ``fuck``), remembering each run's length so the matcher can
   tell ``boob`` from ``bob`` and ``ass`` from ``as``.

Every output character remembers the span of original characters it came from, so a hit on the normalised text
gives back the keyword exactly as it was written.
"""

from __future__ import annotations

import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import opencc

__all__ = ["Normalized", "fold", "is_cjk", "normalize"]

_T2S = opencc.OpenCC("t2s")
# The OpenCC binding documents no thread-safety guarantee; a conversion takes microseconds, so serialise it.
_T2S_LOCK = threading.Lock()

_LEET = {"0": "o", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"}
_LEET_SYMBOLS = frozenset("@$!")
# Characters people put between letters to dodge filters; sentence punctuation is deliberately not here.
_SOFT = frozenset(" \t\r\f\v.*-_~|/\\+=#'\"`^·•・")
_HARD_SYMBOLS = frozenset(",!?;:\n")


def is_cjk(char: str) -> bool:
    """True for Han, kana, Hangul and CJK symbol characters (scripts written without spaces between words)."""
    code = ord(char)
    return (
        0x2E80 <= code <= 0x9FFF
        or 0xAC00 <= code <= 0xD7AF
        or 0xF900 <= code <= 0xFAFF
        or 0x20000 <= code <= 0x3FFFF
    )


@lru_cache(maxsize=16384)
def _fold_char(char: str) -> str:
    folded = unicodedata.normalize("NFKC", char)
    stripped = "".join(c for c in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(c))
    if stripped.isascii():  # only Latin accents go; kana voicing marks and the like change meaning
        folded = stripped
    return folded.casefold()


def _t2s(text: str) -> str:
    with _T2S_LOCK:
        simplified: str = _T2S.convert(text)
    return simplified


def fold(text: str) -> str:
    """Width, case and traditional→simplified folding only (no offsets): the input of the Chinese model."""
    out = "".join(_fold_char(c) for c in text if unicodedata.category(c) != "Cf")
    return _t2s(out) if not out.isascii() else out


@dataclass(frozen=True)
class Normalized:
    """Normalised text with, per character, its run length and the original span it came from.

    ``word[i]`` is False for characters that cannot glue onto an English word (spaces, CJK, punctuation, digits
    that were leetspeak), which is what word-boundary matching looks at.
    """

    text: str
    runs: tuple[int, ...]
    starts: tuple[int, ...]
    ends: tuple[int, ...]
    word: tuple[bool, ...]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original ``[start, end)`` offsets of the normalised characters ``[start, end)``."""
        return self.starts[start], self.ends[end - 1]


class _Chars:
    """Parallel lists of characters and their original spans, rebuilt by each stage."""

    __slots__ = ("chars", "starts", "ends")

    def __init__(self) -> None:
        self.chars: list[str] = []
        self.starts: list[int] = []
        self.ends: list[int] = []

    def add(self, char: str, start: int, end: int) -> None:
        self.chars.append(char)
        self.starts.append(start)
        self.ends.append(end)


def _kind(char: str) -> str:
    """w: word character, l: possible leetspeak symbol, h: hard break, s: soft separator."""
    if char.isalnum():
        return "w"
    if char in _LEET_SYMBOLS:
        return "l"
    if char in _HARD_SYMBOLS or (unicodedata.category(char).startswith("P") and char not in _SOFT):
        return "h"
    return "s"


def _fold_stage(text: str) -> _Chars:
    out = _Chars()
    for i, char in enumerate(text):
        if unicodedata.category(char) == "Cf":  # zero-width characters: invisible, used to split words
            continue
        for folded in _fold_char(char):
            out.add(folded, i, i + 1)
    if not all(c.isascii() for c in out.chars):
        joined = "".join(out.chars)
        converted = _t2s(joined)
        if len(converted) == len(joined):
            out.chars = list(converted)
        else:  # a phrase changed length: convert character by character to keep the offsets aligned
            out.chars = [c if c.isascii() else (_t2s(c) if len(_t2s(c)) == 1 else c) for c in out.chars]
    return out


def _tokens(chars: list[str]) -> list[tuple[int, int]]:
    """Maximal runs of word characters and leetspeak symbols, as ``[start, end)`` index pairs."""
    spans: list[tuple[int, int]] = []
    start = -1
    for i, char in enumerate(chars):
        inside = _kind(char) in "wl"
        if inside and start < 0:
            start = i
        elif not inside and start >= 0:
            spans.append((start, i))
            start = -1
    if start >= 0:
        spans.append((start, len(chars)))
    return spans


def _split_symbol_edges(chars: list[str], spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Trim ``!`` (and lone symbols) off token edges: ``wow!`` is a word and a full stop, not ``wowi``."""
    out = []
    for start, end in spans:
        while start < end and chars[start] == "!":
            start += 1
        while end > start and chars[end - 1] == "!":
            end -= 1
        if start < end and any(_kind(c) == "w" for c in chars[start:end]):
            out.append((start, end))
    return out


def _is_soft_gap(chars: list[str], start: int, end: int) -> bool:
    return all(_kind(c) in "sl" and c != "!" for c in chars[start:end])


def _merge_spaced(chars: list[str], spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Join three or more single-character tokens split by soft separators: ``f u c k`` → ``fuck``."""
    merged: list[tuple[int, int]] = []
    i = 0
    while i < len(spans):
        j = i
        while (
            j + 1 < len(spans)
            and spans[j][1] - spans[j][0] == 1
            and spans[j + 1][1] - spans[j + 1][0] == 1
            and not is_cjk(chars[spans[j][0]])
            and not is_cjk(chars[spans[j + 1][0]])
            and _is_soft_gap(chars, spans[j][1], spans[j + 1][0])
        ):
            j += 1
        if j - i >= 2:
            merged.append((spans[i][0], spans[j][1]))
            i = j + 1
        else:
            merged.append(spans[i])
            i += 1
    return merged


def _leet_token(chars: list[str], start: int, end: int, one: str) -> list[tuple[int, str, bool]]:
    """(index, character, is word character) for a token; separators inside merged tokens vanish."""
    token = chars[start:end]
    latin = any(c.isascii() and c.isalpha() for c in token)
    out: list[tuple[int, str, bool]] = []
    for k, char in enumerate(token):
        kind = _kind(char)
        if kind == "s" or (kind == "h" and char != "!"):
            continue  # a separator inside a merged "s.e.x" run
        if latin and (char in _LEET or char == "1"):
            neighbours = [token[k - 1] if k > 0 else "", token[k + 1] if k + 1 < len(token) else ""]
            glued = any(n.isalnum() for n in neighbours)
            if char == "!":
                glued = all(n.isalnum() for n in neighbours)
            if glued:
                out.append((start + k, one if char == "1" else _LEET[char], False))
                continue
        if kind == "l":
            continue  # a symbol that is not leetspeak here is just noise
        out.append((start + k, char, char.isalnum() and not is_cjk(char)))
    return out


def normalize(text: str, *, one: str = "i") -> Normalized:
    """Normalise ``text`` for matching (see the module docstring); ``one`` is what a leetspeak ``1`` stands for."""
    folded = _fold_stage(text)
    chars = folded.chars
    spans = _merge_spaced(chars, _split_symbol_edges(chars, _tokens(chars)))

    seq = _Chars()
    word: list[bool] = []
    previous_end = -1
    for start, end in spans:
        if previous_end >= 0:
            gap_soft = _is_soft_gap(chars, previous_end, start)
            cjk_pair = is_cjk(chars[previous_end - 1]) and is_cjk(chars[start])
            if not (gap_soft and cjk_pair):
                seq.add(" ", folded.starts[previous_end], folded.ends[start - 1])
                word.append(False)
        for offset, char, is_word in _leet_token(chars, start, end, one):
            seq.add(char, folded.starts[offset], folded.ends[offset])
            word.append(is_word)
        previous_end = end

    # Collapse runs of the same character, keeping the run length and the span of the whole run.
    text_out: list[str] = []
    runs: list[int] = []
    starts: list[int] = []
    ends: list[int] = []
    words: list[bool] = []
    for char, start, end, is_word in zip(seq.chars, seq.starts, seq.ends, word, strict=True):
        if text_out and text_out[-1] == char:
            runs[-1] += 1
            ends[-1] = end
            continue
        text_out.append(char)
        runs.append(1)
        starts.append(start)
        ends.append(end)
        words.append(is_word)
    return Normalized("".join(text_out), tuple(runs), tuple(starts), tuple(ends), tuple(words))
