"""Normalisation undoes each obfuscation trick and still points back at the original characters."""

from __future__ import annotations

import pytest

from vodguard.moderation.text.normalize import fold, normalize


def original(text: str) -> str:
    norm = normalize(text)
    start, end = norm.span(0, len(norm.text))
    return text[start:end]


@pytest.mark.parametrize(
    ("written", "normalised"),
    [
        ("FuCK", "fuck"),  # case
        ("ｆｕｃｋ", "fuck"),  # full width
        ("傻 逼", "傻逼"),  # spaced Chinese
        ("傻*逼", "傻逼"),
        ("f u c k", "fuck"),  # spaced letters
        ("s.e.x", "sex"),
        ("f-u-c-k", "fuck"),
        ("sh1t", "shit"),  # leetspeak
        ("@ss", "as"),  # "ass" with its double s kept as a run length
        ("$h!t", "shit"),
        ("5ex", "sex"),
        ("h0rn3y", "horney"),
        ("fuuuuuck", "fuck"),  # stretched letters
        ("fu\u200bck", "fuck"),  # zero-width space
        ("fück", "fuck"),  # accents
        ("殺了你", "杀了你"),  # traditional to simplified
        ("代開發票", "代开发票"),
    ],
)
def test_obfuscation_is_undone(written: str, normalised: str) -> None:
    assert normalize(written).text == normalised


def test_repeats_keep_their_length() -> None:
    norm = normalize("boob fuuuck")
    assert norm.text == "bob fuck"
    assert norm.runs[:3] == (1, 2, 1)
    assert norm.runs[5] == 3


def test_one_can_read_as_l() -> None:
    assert normalize("ki11").text == "ki"  # "kiii": the run of three i collapses
    assert normalize("ki11", one="l").text == "kil"


def test_sentence_punctuation_stays_a_break() -> None:
    assert normalize("你好傻，逼着他走").text == "你好傻 逼着他走"
    assert normalize("wow! great").text == "wow great"


def test_ordinary_words_are_not_joined_or_rewritten() -> None:
    assert normalize("I am a big fan of 2024").text == "i am a big fan of 2024"
    assert normalize("1488").text == "148"  # digits without letters are not leetspeak


def test_offsets_map_back_to_the_original() -> None:
    for text in ("Ｆ Ｕ Ｃ Ｋ", "f.u.c.k", "sh1t", "發票", "fuuuuck"):
        assert original(text) == text
    norm = normalize("hey you f u c k off")
    position = norm.text.index("fuck")
    start, end = norm.span(position, position + 4)
    assert "hey you f u c k off"[start:end] == "f u c k"


def test_fold_is_width_case_and_script_only() -> None:
    assert fold("ＡＢＣ 發票 s.e.x") == "abc 发票 s.e.x"
