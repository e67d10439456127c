"""Speech (Form ASR): transcripts from Whisper (``detectors/whisper.py``), read by the text moderator.

Bracketed sound tags ("[BLANK_AUDIO]", "(upbeat music)") and Whisper's known hallucinations on non-speech
("Thank you.", "you", ". . .") are dropped: research/voice.md found the tags are not evidence of anything.
A finding spans the words that carry its keywords, not the whole 30 s window Whisper decoded.

Each sentence is moderated alone and together with the next one (when they follow within ``PAIR_GAP``
seconds): "I have the rifles ready." means little until "Everyone at that school will be shot on Friday."
comes before it, and Whisper often cuts one thought into two sentences. A pair's hit counts only for a label
that neither sentence reported alone, and spans both.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from vodguard.moderation.types import AudioTrack, Finding, ModerateText, TextHit

_TAG = re.compile(r"\[[^\]]*\]|\([^)]*\)|\*[^*]*\*|♪")
_HALLUCINATIONS = frozenset(
    {"", "you", "thank you", "thanks", "thank you for watching", "thanks for watching", "bye", "blank_audio"}
)
_SENTENCE_END = (".", "!", "?", "。", "！", "？")
_UNSURE_WORDS = 0.5  # mean word probability under which a hit can prompt review but never block
_UNSURE_CEILING = 75.0
PAIR_GAP = 2.0  # seconds of silence after which two sentences are not read as one thought


@dataclass(frozen=True)
class Word:
    """One recognised word with its time in the audio (seconds) and Whisper's probability 0..1."""

    text: str
    start: float
    end: float
    probability: float


@dataclass(frozen=True)
class Sentence:
    """Timed text: a run of words ending at sentence punctuation (or at the end of a Whisper segment)."""

    words: tuple[Word, ...]

    @property
    def text(self) -> str:
        return "".join(w.text for w in self.words).strip()

    @property
    def start(self) -> float:
        return self.words[0].start

    @property
    def end(self) -> float:
        return self.words[-1].end


def drop_tags(words: Sequence[Word]) -> list[Word]:
    """The words outside bracketed sound tags ("[BLANK_AUDIO]", "(upbeat music)", "*sighs*", "♪")."""
    kept: list[Word] = []
    closer = ""
    for word in words:
        token = word.text.strip()
        if closer:  # inside a tag that spans several words
            if closer in token:
                closer = ""
            continue
        opened = next((pair for pair in ("[]", "()", "**") if token.startswith(pair[0])), None)
        if opened and opened[1] not in token[1:]:
            closer = opened[1]
            continue
        text = _TAG.sub("", word.text).replace("♪", "")
        if text.strip():
            kept.append(Word(text, word.start, word.end, word.probability))
    return kept


def split_sentences(words: Sequence[Word]) -> list[Sentence]:
    """Cut a run of words after each word that ends a sentence."""
    out: list[Sentence] = []
    current: list[Word] = []
    for word in words:
        current.append(word)
        if word.text.rstrip().endswith(_SENTENCE_END):
            out.append(Sentence(tuple(current)))
            current = []
    if current:
        out.append(Sentence(tuple(current)))
    return out


def is_hallucination(text: str) -> bool:
    """Whether the text is one of the phrases Whisper writes over silence or noise."""
    folded = re.sub(r"[^\w\s]", "", text.lower()).strip()
    return folded in _HALLUCINATIONS


class AsrDetector:
    """Form ASR: transcribes the audio and turns each text-moderation hit on a sentence into a ``Finding``."""

    name = "asr"
    # Every label text can carry. Porn is one: a template of Porn alone must still catch "free porn videos" in
    # speech, as the cloud's does. Moan too: with no sound model for it, it is spotted in the transcribed words.
    labels = frozenset({"Porn", "Terror", "Polity", "Ad", "Illegal", "Abuse", "Moan"})

    def __init__(
        self, text_moderator: ModerateText, transcriber: Callable[[AudioTrack], list[Sentence]]
    ) -> None:
        self._moderate = text_moderator
        self._transcribe = transcriber

    def __call__(self, audio: AudioTrack, *, moderate: ModerateText | None = None) -> list[Finding]:
        """Findings for every sentence (and neighbouring pair) the text moderator flags, timed by the words that
        carry the keywords. ``moderate`` stands in for the detector's text moderator in this call (the engine
        passes one that also reads the template's custom labels)."""
        moderate = moderate or self._moderate
        sentences = self._transcribe(audio)
        alone = [moderate(sentence.text) for sentence in sentences]
        findings = [self._finding(s, hit) for s, hits in zip(sentences, alone, strict=True) for hit in hits]
        for i in range(len(sentences) - 1):
            first, second = sentences[i], sentences[i + 1]
            if second.start - first.end > PAIR_GAP:
                continue
            seen = {hit.label for hit in (*alone[i], *alone[i + 1])}
            pair = Sentence(first.words + second.words)
            findings.extend(self._finding(pair, hit) for hit in moderate(pair.text) if hit.label not in seen)
        return findings

    @staticmethod
    def _finding(sentence: Sentence, hit: TextHit) -> Finding:
        carriers = words_with_keywords(sentence.words, hit.keywords)
        certainty = sum(w.probability for w in carriers) / len(carriers)
        confidence = hit.confidence if certainty >= _UNSURE_WORDS else min(hit.confidence, _UNSURE_CEILING)
        return Finding(
            form="ASR",
            label=hit.label,
            sub_label=hit.sub_label,
            confidence=confidence,
            start=round(carriers[0].start, 3),
            end=round(carriers[-1].end, 3),
            text=sentence.text,
            keywords=hit.keywords,
        )


def words_with_keywords(words: Sequence[Word], keywords: Sequence[str]) -> list[Word]:
    """The words that hold an occurrence of any keyword; all words when a keyword is not found verbatim."""
    text = ""
    spans: list[tuple[int, int]] = []
    for word in words:
        spans.append((len(text), len(text) + len(word.text)))
        text += word.text
    folded = text.lower()
    hit: set[int] = set()
    for keyword in keywords:
        key = keyword.lower().strip()
        start = folded.find(key) if key else -1
        if start < 0:
            return list(words)  # the moderator matched normalised text: the sentence is the best time we have
        while start >= 0:
            end = start + len(key)
            hit.update(i for i, (a, b) in enumerate(spans) if a < end and start < b)
            start = folded.find(key, end)
    return [words[i] for i in sorted(hit)] or list(words)
