"""The audio track: decoded to 16 kHz mono, and cut into pieces at quiet places for the audio detectors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import numpy as np

from vodguard.moderation.config import Limits
from vodguard.moderation.errors import SourceFileError
from vodguard.moderation.media.guards import (
    check_complete,
    check_deadline,
    check_duration,
    decode_packets,
    media_errors,
    open_av,
)
from vodguard.moderation.media.info import MediaInfo
from vodguard.moderation.types import AudioTrack

AUDIO_RATE = 16000
CHUNK_SECONDS = 300.0
_CUT_SEARCH = 20.0  # seconds before a chunk's nominal end searched for the quietest place to cut


def load_audio(
    path: str | Path, info: MediaInfo, limits: Limits, deadline: float | None = None
) -> AudioTrack | None:
    """The first audio stream as 16 kHz mono float32, or None when the file has no audio."""
    if not info.has_audio:
        return None
    path = Path(path)
    check_deadline(deadline)
    chunks: list[np.ndarray] = []
    with media_errors(path.name), open_av(path) as container:
        stream = container.streams[info.audio_streams[0].index]
        resampler = av.AudioResampler(format="flt", layout="mono", rate=AUDIO_RATE)
        limit = int(limits.max_duration_seconds * AUDIO_RATE) + AUDIO_RATE
        total = 0

        def take(frame: Any) -> None:
            nonlocal total
            for out in resampler.resample(frame):
                pcm = out.to_ndarray().reshape(-1)
                chunks.append(pcm)
                total += len(pcm)
            if total > limit:
                check_duration(path.name, total / AUDIO_RATE, limits)

        for frame in decode_packets(container.demux(stream), path.name, deadline):
            take(frame)
        take(None)
        check_complete(path.name, "audio", total / AUDIO_RATE, stream)
    if not chunks:
        raise SourceFileError(f"{path.name}: the audio stream holds no decodable audio")
    samples = np.concatenate(chunks).astype(np.float32, copy=False)
    np.clip(samples, -1.0, 1.0, out=samples)
    return AudioTrack(samples=samples, sample_rate=AUDIO_RATE)


def audio_chunks(track: AudioTrack, *, seconds: float = CHUNK_SECONDS) -> Iterator[tuple[float, AudioTrack]]:
    """(offset, piece) of a long track in pieces of at most ``seconds``, each cut at its quietest 0.1 s.

    Pieces let a long file report progress and meet its deadline between them; cutting in the quietest spot
    near the limit keeps words whole.
    """
    rate = track.sample_rate
    samples = track.samples
    size = int(seconds * rate)
    start = 0
    while len(samples) - start > size:
        hop = rate // 10
        lo = start + size - int(min(_CUT_SEARCH, seconds / 2) * rate)
        window = samples[lo : start + size]
        usable = len(window) // hop * hop
        energy = np.square(window[:usable].reshape(-1, hop)).mean(axis=1)
        cut = lo + int(np.argmin(energy)) * hop + hop // 2
        yield start / rate, AudioTrack(samples=samples[start:cut], sample_rate=rate)
        start = cut
    yield start / rate, AudioTrack(samples=samples[start:], sample_rate=rate)
