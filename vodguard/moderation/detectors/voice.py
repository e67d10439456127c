"""Sounds (Form Voice): a weak, numpy-only flag for gunshot- and explosion-like bangs where nobody speaks.

What exists offline and what it is worth (research/voice.md, 2 s clips, gunshots vs other urban sounds):

* Whisper's sound tags are not evidence. With default decoding they never appear (0 % recall); prompted and
  unsuppressed they appear at random (34–44 % recall, 37 % false positives on other sounds, ``[music]`` on
  plain speech); with VAD on they cannot appear at all. So this module does not read them.
* An impulsive-event score from spectral-flux onsets with an onset-jump gate is the only usable signal:
  about 40–60 % recall at 8–20 % false positives against other urban sounds, plus 10–26 % flags on ordinary
  speech or noise clips; it misses gunshots under speech (0–1 of 8 mixes). No AudioSet model ships offline.
  This module adds two gates not in that measurement: a decay gate (a sound switched on and held, like a
  tone or music, is not a bang) and VAD (speech is skipped); both cut false flags, their effect on recall on
  real gunshots is unmeasured here.
* Moan: there is no offline signal (no model wrote moan/groan/sigh on anything). Voice.Moan comes only from
  operator-supplied audio models (``detectors/custom.py``); moaning words in speech are the ASR form's job.

Hence ``VoiceDetector`` reports ``Terror``/``Impulsive`` with a confidence between 50 and ``MAX_CONFIDENCE`` (60):
with the default thresholds (review ≥ 50, block ≥ 90) it can ask for human review and never block. It listens
only where Silero VAD (bundled in faster-whisper) hears no speech, which keeps plosives and laughter out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vodguard.moderation.errors import ModelUnavailable
from vodguard.moderation.types import AudioTrack, Finding

MAX_CONFIDENCE = 60.0
_FRAME = 512  # 32 ms at 16 kHz
_HOP = 256  # 16 ms
_JUMP_DB = 15.0  # an onset must rise this far above the quietest of the 100 ms before it
_FLUX_RATIO = 15.0  # and its flux must stand this far above the stretch's median flux
_DECAY_DB = 6.0  # and fall back this far 200-300 ms later: a bang is short, a sound switched on is not
_FLOOR_DBFS = -45.0  # an onset quieter than this is not a bang, whatever its shape
_MERGE_SECONDS = 1.0  # onsets closer than this are one event (a burst of fire, an echo)
_TAIL_SECONDS = 0.5  # an event lasts at least this long after its last onset
_SPEECH_PAD_SECONDS = 0.2


@dataclass(frozen=True)
class Onset:
    """A sharp rise in energy: its time (s), how far it jumped (dB) and its flux over the stretch's median."""

    time: float
    jump_db: float
    flux_ratio: float


def speech_spans(samples: np.ndarray, sample_rate: int = 16000) -> list[tuple[float, float]]:
    """Where Silero VAD hears speech, in seconds."""
    try:
        from faster_whisper.vad import VadOptions, get_speech_timestamps
    except ImportError as exc:
        raise ModelUnavailable("Silero VAD comes with the 'faster-whisper' package: pip install it") from exc
    chunks = get_speech_timestamps(samples, VadOptions(min_silence_duration_ms=300, speech_pad_ms=100))
    return [(c["start"] / sample_rate, c["end"] / sample_rate) for c in chunks]


def onsets(samples: np.ndarray, sample_rate: int = 16000) -> list[Onset]:
    """The onsets of a stretch of audio that pass the level gate, from its spectral flux."""
    if samples.size < _FRAME * 4:
        return []
    count = 1 + (samples.size - _FRAME) // _HOP
    idx = np.arange(_FRAME)[None, :] + _HOP * np.arange(count)[:, None]
    frames = samples[idx] * np.hanning(_FRAME).astype(np.float32)
    magnitude = np.abs(np.fft.rfft(frames, axis=1))
    # log compression keeps one loud partial from drowning the broadband rise that marks a bang
    logmag = np.log1p(100.0 * magnitude)
    # compare with the frame two hops back, so a bang that straddles two frames still shows as one peak
    flux = np.concatenate([[0.0, 0.0], np.maximum(logmag[2:] - logmag[:-2], 0.0).sum(axis=1)])
    energy_db = 10 * np.log10(np.mean(frames**2, axis=1) * 2.67 + 1e-12)  # 2.67: Hann window power
    median = float(np.median(flux)) + 1e-3
    look_back = max(1, round(0.1 * sample_rate / _HOP))
    min_gap = max(1, round(0.05 * sample_rate / _HOP))
    decay_from, decay_to = round(0.2 * sample_rate / _HOP), round(0.3 * sample_rate / _HOP)
    found: list[Onset] = []
    last = -min_gap
    for i in range(1, count - decay_to):
        if flux[i] < flux[i - 1] or flux[i] < flux[i + 1] or i - last < min_gap:
            continue  # not a local peak, or too close to the last onset
        ratio = float(flux[i]) / median
        peak_db = float(energy_db[i : i + 3].max())
        jump = peak_db - float(energy_db[max(0, i - look_back) : i].min())
        decay = peak_db - float(energy_db[i + decay_from : i + decay_to].mean())
        if ratio >= _FLUX_RATIO and jump >= _JUMP_DB and peak_db >= _FLOOR_DBFS and decay >= _DECAY_DB:
            found.append(Onset(i * _HOP / sample_rate, jump, ratio))
            last = i
    return found


def quiet_spans(duration: float, speech: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The complement of the speech spans (each padded) within ``[0, duration]``."""
    spans: list[tuple[float, float]] = []
    cursor = 0.0
    for start, end in sorted(speech):
        if start - _SPEECH_PAD_SECONDS > cursor:
            spans.append((cursor, start - _SPEECH_PAD_SECONDS))
        cursor = max(cursor, end + _SPEECH_PAD_SECONDS)
    if cursor < duration:
        spans.append((cursor, duration))
    return spans


class VoiceDetector:
    """Form Voice: impulsive bangs (gunshot, explosion) outside speech, as a low-confidence Terror flag."""

    name = "voice"
    labels = frozenset({"Terror"})

    def __call__(self, audio: AudioTrack) -> list[Finding]:
        """One finding per cluster of impulsive onsets in the stretches without speech."""
        samples = np.asarray(audio.samples, dtype=np.float32)
        if samples.size == 0:
            return []
        rate = audio.sample_rate
        findings: list[Finding] = []
        for start, end in quiet_spans(audio.duration, speech_spans(samples, rate)):
            stretch = samples[int(start * rate) : int(end * rate)]
            events = [Onset(start + o.time, o.jump_db, o.flux_ratio) for o in onsets(stretch, rate)]
            findings.extend(_finding(group, end) for group in _cluster(events))
        return findings


def _cluster(events: list[Onset]) -> list[list[Onset]]:
    groups: list[list[Onset]] = []
    for event in events:
        if groups and event.time - groups[-1][-1].time <= _MERGE_SECONDS:
            groups[-1].append(event)
        else:
            groups.append([event])
    return groups


def _finding(group: list[Onset], limit: float) -> Finding:
    strongest = max(o.jump_db for o in group)
    # 50 at the gate, 60 for a 30 dB rise out of quiet: a sharper bang is likelier a shot, never certain
    confidence = 50.0 + (MAX_CONFIDENCE - 50.0) * min(1.0, (strongest - _JUMP_DB) / 15.0)
    return Finding(
        form="Voice",
        label="Terror",
        sub_label="Impulsive",
        confidence=round(confidence, 1),
        start=round(group[0].time, 3),
        end=round(min(limit, group[-1].time + _TAIL_SECONDS), 3),
    )
