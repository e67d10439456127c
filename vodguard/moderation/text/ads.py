"""Advertising signals: URLs and domains, phone numbers, private contact handles, calls to action.

``find_ad_signals`` finds the pattern-shaped ones (Url, Phone, Contact with an ID); the Ad lexicon adds worded
contacts ("加微信") and calls to action ("扫码", "click the link"). ``score_ad`` turns all of them into one hit:
a lone URL, number or call to action is review-worthy; a way to reach someone plus a push to do it is an ad.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from vodguard.moderation.types import TextHit

__all__ = ["AdSignal", "find_ad_signals", "merge_signals", "score_ad"]

# Bare domains (no scheme, no www.) only count with these endings; ".link", ".co", ".app" are too often code.
_TLDS = "com|cn|net|org|info|biz|io|cc|top|xyz|vip|club|site|online|shop|store|ru|uk|hk|tw|icu|bet|casino"
_URL = re.compile(
    r"(?:https?://|www\.)[^\s，。、！？<>\"'()（）\\]+"
    rf"|(?<![a-z0-9\-_@.])[a-z0-9][a-z0-9\-]*(?:\.[a-z0-9\-]+)*\.(?:{_TLDS})(?![a-z0-9\-])(?:/[^\s，。、]*)?"
    # spelled-out dots: "abc点com", "abc dot com"
    r"|(?<![a-z0-9])[a-z0-9\-]{2,}\s*(?:点|dot|\(dot\)|\[dot\])\s*(?:com|cn|net|org)(?![a-z])",
    re.IGNORECASE,
)
_PHONE = re.compile(
    r"(?<![\d+])(?:\+?86[\s\-]?)?1[3-9]\d(?:[\s\-.]?\d){8}(?!\d)"  # Chinese mobile, with separators
    r"|(?<!\d)(?:400|800)[\s\-]?\d{3}[\s\-]?\d{4}(?!\d)"  # service numbers
    r"|(?<!\d)0\d{2,3}[\s\-]\d{7,8}(?!\d)"  # landline with its area code
    r"|(?<![\d\w])\+\d{1,3}[\s\-]?\(?\d{1,4}\)?(?:[\s\-]?\d){6,10}(?!\d)"  # international
)
_ID = r"(?:[a-z][\-_a-z0-9]{5,19}|\d{5,12})(?![a-z0-9])"  # WeChat IDs: 6-20 characters from a letter; QQ: digits
_CONTACT = re.compile(
    rf"(?:微信|威信|薇信|v信|扣扣|企鹅)\s*(?:号码|号|id|群)?\s*[:：]?\s*{_ID}"
    # Latin names are ordinary words too ("line number"): they need "id"/"号" or a colon before the handle
    rf"|(?<![a-z])(?:v|vx|wx|weixin|wechat|qq|whatsapp|telegram|line|kik)\s*(?:(?:id|号码|号|群)\s*[:：]?|[:：])\s*{_ID}"
    r"|(?<![a-z])(?:vx|wx|qq)\s*\d{5,12}(?!\d)"
    r"|[a-z0-9][\w.+\-]*@[a-z0-9\-]+(?:\.[a-z0-9\-]+)*\.[a-z]{2,}",  # e-mail address
    re.IGNORECASE,
)
# Chinese numerals spell phone numbers past digit-only filters: 一三八… and 壹叁捌…
_NUMERALS = dict(zip("〇零一二三四五六七八九壹贰叁肆伍陆柒捌玖", "00123456789123456789", strict=True))
# Base confidence of a lone signal of each kind; the order is also which kind names a mixed hit.
_BASE = {"Contact": 70.0, "Phone": 65.0, "Url": 60.0, "CallToAction": 55.0}


@dataclass(frozen=True)
class AdSignal:
    """One advertising clue: its kind (Url, Phone, Contact, CallToAction) and the text as written."""

    sub_label: str
    keyword: str
    start: int = 0

    @property
    def end(self) -> int:
        return self.start + len(self.keyword)


@lru_cache(maxsize=8192)
def _fold_char(char: str) -> str:
    if char in _NUMERALS:
        return _NUMERALS[char]
    folded = unicodedata.normalize("NFKC", char).lower()
    return folded if len(folded) == 1 else char  # one for one, so match offsets are offsets into the original


def find_ad_signals(text: str) -> list[AdSignal]:
    """URLs, phone numbers and contact handles (with an ID) in ``text``, in order of appearance."""
    folded = "".join(_fold_char(c) for c in text)
    signals: list[AdSignal] = []
    taken: list[tuple[int, int]] = []
    # Contacts first: an e-mail address also looks like a domain, and a QQ number like a phone number.
    for sub_label, pattern in (("Contact", _CONTACT), ("Url", _URL), ("Phone", _PHONE)):
        for match in pattern.finditer(folded):
            start, end = match.span()
            if any(s < end and start < e for s, e in taken):
                continue
            taken.append((start, end))
            signals.append(AdSignal(sub_label, text[start:end], start))
    return sorted(signals, key=lambda s: s.start)


def merge_signals(signals: Iterable[AdSignal], text: str) -> list[AdSignal]:
    """Signals of one kind that overlap in ``text`` become one: "加微信" + "微信abc123" → "加微信abc123"."""
    merged: list[AdSignal] = []
    for signal in sorted(signals, key=lambda s: (s.start, -s.end)):
        previous = next((m for m in reversed(merged) if m.sub_label == signal.sub_label), None)
        if previous is not None and signal.start < previous.end:
            if signal.end > previous.end:
                merged[merged.index(previous)] = AdSignal(
                    signal.sub_label, text[previous.start : signal.end], previous.start
                )
            continue
        merged.append(signal)
    return merged


def score_ad(signals: Iterable[AdSignal]) -> TextHit | None:
    """One Ad hit from every signal in a text, or None when there is none."""
    signals = list(signals)
    if not signals:
        return None
    kinds = {s.sub_label for s in signals}
    reach = kinds & {"Contact", "Phone"}
    if reach and "CallToAction" in kinds:
        confidence = 95.0  # a way to reach someone and a push to do it: an ad
    elif {"Contact", "Phone"} <= kinds or len(kinds) >= 3:
        confidence = 92.0
    elif len(kinds) == 2:
        confidence = 85.0
    else:
        distinct = len({s.keyword.lower() for s in signals})
        confidence = min(_BASE[next(iter(kinds))] + 5.0 * (distinct - 1), 80.0)
    sub_label = next(k for k in _BASE if k in kinds)
    keywords = tuple(dict.fromkeys(s.keyword for s in signals))
    return TextHit("Ad", sub_label, confidence, keywords)
