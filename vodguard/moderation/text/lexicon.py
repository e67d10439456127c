"""Categorised keyword lexicons and an Aho-Corasick matcher over normalised text.

The lists live in ``data/<label>.<language>.txt`` (format in ``data/README.txt``). Each term is normalised the
same way as the text, so one automaton over the normalised skeleton finds ``sh1t``, ``f u c k`` and ``傻 逼``.
A hit must then pass two checks the automaton cannot make: repeated letters (``boob`` needs two ``o``; an
elongated ``fuuuck`` counts) and, for Latin ends of a term, word boundaries (``class`` does not hold ``ass``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import resources
from itertools import product
from pathlib import Path

import ahocorasick

from vodguard.moderation.text.normalize import Normalized, is_cjk, normalize
from vodguard.moderation.types import LABELS

__all__ = ["Lexicon", "LexiconHit", "Term", "expand", "parse_lexicon"]

_SECTION = re.compile(r"^\[\s*(\w+)\s+(block|review)\s*\]$")
_FILE = re.compile(r"^(\w+)\.(en|zh)\.txt$")
_ALTERNATIVES = re.compile(r"\{([^{}]*)\}")
_LABEL_BY_NAME = {label.lower(): label for label in LABELS}


@dataclass(frozen=True)
class Term:
    """One lexicon entry, with its normalised key and what its ends require."""

    label: str
    sub_label: str
    block: bool
    text: str  # as written in the file
    key: str  # normalised skeleton the automaton matches
    runs: tuple[int, ...]
    left_open: bool  # a leading '*': may start inside a word
    right_open: bool  # a trailing '*': may run into a longer word
    left_latin: bool  # the first character is Latin/digit, so a word boundary is needed before it
    right_latin: bool


@dataclass(frozen=True)
class LexiconHit:
    """A term found in a text: ``keyword`` is the original text at ``[start, end)``."""

    term: Term
    keyword: str
    start: int
    end: int


def expand(line: str) -> list[str]:
    """Every alternative of a term line: ``{sell|buy} x`` → ``sell x``, ``buy x``."""
    parts = _ALTERNATIVES.split(line)
    # split() alternates literal text and group contents: literal, group, literal, group, ..., literal
    choices = [[p] if i % 2 == 0 else p.split("|") for i, p in enumerate(parts)]
    return ["".join(combo).strip() for combo in product(*choices)]


def _needs_boundary(char: str) -> bool:
    return char.isalnum() and not is_cjk(char)


def make_term(text: str, *, label: str, sub_label: str, block: bool) -> Term | None:
    """A ``Term`` from one written term, or None when it normalises to nothing."""
    left_open, right_open = text.startswith("*"), text.endswith("*")
    norm = normalize(text.strip("*"))
    if not norm.text.strip():
        return None
    key = norm.text.strip()
    offset = norm.text.index(key[0])
    return Term(
        label=label,
        sub_label=sub_label,
        block=block,
        text=text,
        key=key,
        runs=norm.runs[offset : offset + len(key)],
        left_open=left_open,
        right_open=right_open,
        left_latin=_needs_boundary(key[0]),
        right_latin=_needs_boundary(key[-1]),
    )


def parse_lexicon(lines: Iterable[str], *, label: str, source: str = "<lexicon>") -> list[Term]:
    """Terms of one lexicon file; raises ValueError naming the line for a term outside a section."""
    terms: list[Term] = []
    section: tuple[str, bool] | None = None
    for number, raw in enumerate(lines, 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        header = _SECTION.match(line)
        if header:
            section = (header.group(1), header.group(2) == "block")
            continue
        if section is None:
            raise ValueError(
                f"{source}:{number}: term {line!r} comes before any [SubLabel block|review] section"
            )
        for variant in expand(line.lower()):
            term = make_term(variant, label=label, sub_label=section[0], block=section[1])
            if term is not None:
                terms.append(term)
    return terms


def default_data_dir() -> Path:
    """The folder of the lexicons shipped in the package."""
    return Path(str(resources.files("vodguard.moderation.text") / "data"))


def load_terms(folder: Path | None = None) -> list[Term]:
    """Every term of every ``<label>.<language>.txt`` file in ``folder`` (the shipped lists by default)."""
    folder = folder or default_data_dir()
    terms: list[Term] = []
    for path in sorted(folder.glob("*.txt")):
        match = _FILE.match(path.name)
        if not match:
            continue  # README.txt, NOTICE.txt
        label = _LABEL_BY_NAME.get(match.group(1))
        if label is None:
            raise ValueError(f"{path}: {match.group(1)!r} is not a label ({', '.join(LABELS)})")
        terms += parse_lexicon(path.read_text(encoding="utf-8").splitlines(), label=label, source=str(path))
    return terms


def _runs_match(term_runs: tuple[int, ...], text_runs: tuple[int, ...]) -> bool:
    # Equal run lengths match; three or more of a letter is deliberate stretching and matches any shorter run.
    return all(t == r or (r >= 3 and r >= t) for t, r in zip(term_runs, text_runs, strict=True))


class Lexicon:
    """An immutable set of terms and its automaton; ``find`` is safe to call from several threads."""

    def __init__(self, terms: Iterable[Term]) -> None:
        grouped: dict[str, list[Term]] = {}
        for term in terms:
            grouped.setdefault(term.key, []).append(term)
        self.terms = tuple(t for group in grouped.values() for t in group)
        self._automaton = ahocorasick.Automaton()
        for key, group in grouped.items():
            self._automaton.add_word(key, tuple(group))
        if grouped:
            self._automaton.make_automaton()
        self._empty = not grouped

    @classmethod
    def load(cls, folder: Path | None = None) -> Lexicon:
        """The lexicon of the files in ``folder`` (the shipped lists by default)."""
        return cls(load_terms(folder))

    def find(self, text: str) -> list[LexiconHit]:
        """Every term in ``text``, in order of appearance; a hit inside a longer hit of the same label is dropped."""
        if self._empty or not text:
            return []
        views = [normalize(text)]
        if "1" in text:  # leetspeak 1 is i or l: look at both readings
            views.append(normalize(text, one="l"))
        found: dict[tuple[int, int, Term], LexiconHit] = {}
        for view in views:
            for hit in self._scan(text, view):
                found.setdefault((hit.start, hit.end, hit.term), hit)
        return _drop_nested(sorted(found.values(), key=lambda h: (h.start, -h.end)))

    def _scan(self, text: str, view: Normalized) -> Iterator[LexiconHit]:
        size = len(view.text)
        for last, group in self._automaton.iter(view.text):
            for term in group:
                first = last - len(term.key) + 1
                if not _runs_match(term.runs, view.runs[first : last + 1]):
                    continue
                if term.left_latin and not term.left_open and first > 0 and view.word[first - 1]:
                    continue
                end = last + 1
                if term.right_latin and not term.right_open and end < size and view.word[end]:
                    end = _plural_end(view, end)
                    if end < 0:
                        continue
                # An open end reports the whole word it ran into: "motherfuckers", not "motherfuck".
                while term.right_open and end < size and _needs_boundary(view.text[end]):
                    end += 1
                while term.left_open and first > 0 and _needs_boundary(view.text[first - 1]):
                    first -= 1
                start, stop = view.span(first, end)
                yield LexiconHit(term, text[start:stop], start, stop)


def _plural_end(view: Normalized, end: int) -> int:
    """Where a plural ``s``/``es`` after a term ends, if it ends on a word boundary; -1 otherwise.

    English adds ``es`` only after a hiss (``bitches``, ``boxes``); elsewhere ``es`` makes another word, as
    ``spic`` + ``es`` makes ``spices``.
    """
    hisses = view.text.endswith(("s", "x", "z", "ch", "sh"), 0, end)
    for suffix in ("s", "es") if hisses else ("s",):
        stop = end + len(suffix)
        if view.text.startswith(suffix, end) and (stop == len(view.text) or not view.word[stop]):
            return stop
    return -1


def _drop_nested(hits: list[LexiconHit]) -> list[LexiconHit]:
    """Drop hits inside a longer hit of the same label (``fuck`` in ``fuck you``); input sorted by start."""
    kept: list[LexiconHit] = []
    reach: dict[str, tuple[int, int]] = {}  # per label, the span reaching furthest so far
    for hit in hits:
        span = (hit.start, hit.end)
        furthest = reach.get(hit.term.label)
        if furthest is not None and furthest[1] >= hit.end and furthest != span:
            continue
        kept.append(hit)
        if furthest is None or hit.end > furthest[1]:
            reach[hit.term.label] = span
    return kept
