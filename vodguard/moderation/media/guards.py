"""Guards around untrusted media: file and limit checks, the deadline, and PyAV and Pillow errors made ours.

Every failure the media can cause leaves this package as ``SourceFileError`` (``MediaLimitExceeded`` for a file
over a ``Limits`` cap) or ``DeadlineExceeded``. Only the container formats in ``VIDEO_FORMATS`` are opened:
FFmpeg's playlist demuxers (HLS, concat) would follow references to other files.
"""

from __future__ import annotations

import struct
import time
from collections.abc import Iterator
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import av.error
from PIL import Image, UnidentifiedImageError

from vodguard.moderation.config import Limits
from vodguard.moderation.errors import DeadlineExceeded, MediaLimitExceeded, ModerationError, SourceFileError

# FFmpeg demuxer names we accept (a demuxer matches when any of its comma-separated names is listed).
VIDEO_FORMATS = "mov,matroska,webm,mpegts,flv,avi,mp3,wav,ogg,flac,aac,asf,mpeg,aiff,amr"
_MAX_BAD_PACKETS = 50  # corrupt packets tolerated in one file before it counts as unreadable


def check_deadline(deadline: float | None) -> None:
    if deadline is not None and time.monotonic() > deadline:
        raise DeadlineExceeded("the time budget for decoding this file ran out")


def check_file(path: Path, limits: Limits) -> int:
    """The file's size, after checking it exists, is not empty and is under the size cap."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise SourceFileError(f"{path.name}: file does not exist") from None
    except OSError as exc:
        raise SourceFileError(f"{path.name}: cannot read the file ({exc.strerror})") from None
    if not path.is_file():
        raise SourceFileError(f"{path.name}: not a regular file")
    if size == 0:
        raise SourceFileError(f"{path.name}: the file is empty")
    if size > limits.max_file_bytes:
        raise MediaLimitExceeded(f"{path.name}: {size} bytes is over the limit of {limits.max_file_bytes}")
    return size


def check_pixels(name: str, width: int, height: int, limits: Limits) -> None:
    if width * height > limits.max_pixels:
        raise MediaLimitExceeded(
            f"{name}: {width}x{height} pixels is over the limit of {limits.max_pixels} pixels per picture"
        )


def check_duration(name: str, seconds: float, limits: Limits) -> None:
    if seconds > limits.max_duration_seconds:
        raise MediaLimitExceeded(
            f"{name}: {seconds:.0f} s is over the duration limit of {limits.max_duration_seconds:.0f} s"
        )


@contextmanager
def media_errors(name: str) -> Iterator[None]:
    """Turn whatever PyAV or Pillow raise on bad input into ``SourceFileError`` naming the file."""
    try:
        yield
    except ModerationError:
        raise
    except Image.DecompressionBombError as exc:
        raise MediaLimitExceeded(f"{name}: the image is too large to decode ({exc})") from exc
    except av.error.FFmpegError as exc:
        reason = exc.strerror or type(exc).__name__
        raise SourceFileError(f"{name}: cannot decode the media ({reason})") from exc
    except UnidentifiedImageError as exc:
        raise SourceFileError(f"{name}: not a supported image format") from exc
    except (OSError, ValueError, EOFError, SyntaxError, IndexError, struct.error) as exc:
        # Pillow reports truncated or malformed images with these; PyAV a few odd cases with ValueError.
        raise SourceFileError(f"{name}: the file is damaged or truncated ({exc})") from exc


def open_av(path: Path) -> av.container.InputContainer:
    try:
        # Tags are free text that many tools write in a local encoding (GBK, Latin-1): a tag must never make a
        # playable file unreadable, so undecodable bytes become U+FFFD instead of an error.
        return av.open(str(path), options={"format_whitelist": VIDEO_FORMATS}, metadata_errors="replace")
    except (av.error.ArgumentError, av.error.InvalidDataError) as exc:
        # FFmpeg answers EINVAL when the content matches a demuxer outside the whitelist, EINVALIDDATA when it
        # matches none (or a known one cannot read its own header: an MP4 cut before its index).
        raise SourceFileError(
            f"{path.name}: not a supported audio, video or image format, or damaged"
        ) from exc


def to_seconds(value: int | None, time_base: Fraction | None) -> float:
    if value is None or time_base is None:
        return 0.0
    return float(value * time_base)


def check_complete(name: str, kind: str, reached: float, stream: Any) -> None:
    """Refuse a stream whose data stops well before the duration its own header declares (a cut-off file)."""
    declared = to_seconds(stream.duration, stream.time_base)
    if declared > 0 and reached < declared - max(0.5, 0.05 * declared):
        raise SourceFileError(
            f"{name}: the file is truncated: its {kind} stops at {reached:.1f} s of the {declared:.1f} s declared"
        )


def decode_packets(packets: Iterator[Any], name: str, deadline: float | None) -> Iterator[Any]:
    """Decode a packet stream, skipping a few corrupt packets, then flush the decoder."""
    bad = 0
    codec = None
    for packet in packets:
        check_deadline(deadline)
        if packet.size == 0:
            continue  # the demuxer's end-of-stream marker; the decoder is flushed below
        codec = packet.stream.codec_context
        try:
            frames = codec.decode(packet)
        except av.error.InvalidDataError:
            bad += 1
            if bad > _MAX_BAD_PACKETS:
                raise SourceFileError(f"{name}: too many corrupt packets") from None
            continue
        yield from frames
    if codec is not None:
        try:
            yield from codec.decode(None)
        except av.error.InvalidDataError:
            pass  # a broken last packet loses the frames still in the decoder, not the file
