"""``probe``: a file's category, streams and duration from its headers and first frame, checked against limits."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import av
import av.error

from vodguard.moderation.config import Limits
from vodguard.moderation.errors import SourceFileError
from vodguard.moderation.media.guards import (
    check_duration,
    check_file,
    check_pixels,
    media_errors,
    open_av,
    to_seconds,
)
from vodguard.moderation.media.images import image_info, open_image
from vodguard.moderation.media.info import AudioStreamInfo, MediaInfo, VideoStreamInfo

if TYPE_CHECKING:
    from av.video.stream import VideoStream

_PROBE_PACKETS = 600  # packets read while looking for the first decodable frame


def probe(path: str | Path, limits: Limits, *, complete: bool = True) -> MediaInfo:
    """Read a file's headers, decide its category by content, and check it against ``limits``.

    ``complete`` also refuses a file cut off before the duration it declares, when its streams declare none
    of their own (Matroska, WebM, FLV): that reads every packet, which moderation needs and metadata does not.
    """
    path = Path(path)
    size = check_file(path, limits)
    with media_errors(path.name):
        image = open_image(path, limits)
        if image is not None:
            with image:
                return image_info(path, size, image, limits)
        with open_av(path) as container:
            return _av_info(path, size, container, limits, complete=complete)


def _decodable(streams: Iterable[Any], kind: str, name: str) -> list[Any]:
    """The streams FFmpeg can decode; if there are streams of ``kind`` but none decodable, refuse the file."""
    streams = list(streams)
    usable = [s for s in streams if s.codec_context is not None]
    if streams and not usable:
        raise SourceFileError(f"{name}: the {kind} stream uses a codec this server cannot decode")
    return usable


def _codec_name(stream: Any) -> str:
    # The codec's own name ("mp3"), not the decoder's ("mp3float").
    codec = stream.codec_context.codec
    return str(getattr(codec, "canonical_name", None) or codec.name)


def _av_info(
    path: Path, size: int, container: av.container.InputContainer, limits: Limits, *, complete: bool
) -> MediaInfo:
    name = path.name
    fmt = container.format.name
    total = container.duration / 1_000_000 if container.duration else 0.0
    # Cover art in MP3/M4A is a one-picture "video" stream flagged attached_pic: it is not video.
    pictures = [s for s in container.streams.video if not s.disposition & av.stream.Disposition.attached_pic]
    videos: list[VideoStreamInfo] = []
    for s in _decodable(pictures, "video", name):
        cc = s.codec_context
        rate = s.average_rate or s.guessed_rate or s.base_rate
        videos.append(
            VideoStreamInfo(
                index=s.index,
                codec=_codec_name(s),
                width=cc.width,
                height=cc.height,
                fps=float(rate) if rate else 0.0,
                bitrate=int(cc.bit_rate or 0),
                duration=to_seconds(s.duration, s.time_base) or total,
                frame_count=int(s.frames) or None,
            )
        )
    audios = [
        AudioStreamInfo(
            index=s.index,
            codec=_codec_name(s),
            sample_rate=int(s.codec_context.sample_rate or 0),
            channels=int(s.codec_context.channels or 0),
            bitrate=int(s.codec_context.bit_rate or 0),
            duration=to_seconds(s.duration, s.time_base) or total,
        )
        for s in _decodable(container.streams.audio, "audio", name)
    ]
    if not videos and not audios:
        raise SourceFileError(f"{name}: no audio or video stream")
    duration = total or max([v.duration for v in videos] + [a.duration for a in audios])
    check_duration(name, duration, limits)
    rotation, aspect, width, height = 0, 1.0, 0, 0
    if videos:
        main = videos[0]
        width, height = main.width, main.height
        check_pixels(name, width, height, limits)
        stream = cast("VideoStream", container.streams[main.index])  # one of the video streams above
        sar = stream.sample_aspect_ratio
        aspect = float(sar) if sar and 0.2 < float(sar) < 5 else 1.0
        first = _first_frame(container, stream, name)
        rotation = _clockwise(getattr(first, "rotation", 0), stream.metadata.get("rotate"))
        if not width or not height:
            width, height = first.width, first.height
            check_pixels(name, width, height, limits)
    else:
        _first_frame(container, container.streams[audios[0].index], name)
    streams = [container.streams[i] for i in [v.index for v in videos] + [a.index for a in audios]]
    if complete and total > 0 and any(s.duration is None for s in streams):
        _check_packets_reach(container, total, name)
    return MediaInfo(
        path=path,
        category="Video" if videos else "Audio",
        container=fmt,
        size=size,
        duration=duration,
        width=width,
        height=height,
        rotation=rotation,
        bitrate=int(container.bit_rate or 0),
        fps=videos[0].fps if videos else 0.0,
        frame_count=videos[0].frame_count if videos else None,
        video_streams=tuple(videos),
        audio_streams=tuple(audios),
        video_duration=videos[0].duration if videos else 0.0,
        audio_duration=audios[0].duration if audios else 0.0,
        sample_aspect=aspect,
    )


def _check_packets_reach(container: av.container.InputContainer, total: float, name: str) -> None:
    """Refuse a file whose packets stop well before the duration its container declares (a cut-off file).

    Matroska, WebM and FLV keep no per-stream duration, so the decoders cannot tell a truncated stream from a
    short one; reading the packets without decoding them (about 0.1 s for ten minutes of 720p) tells. Every
    stream counts, subtitles too: the container's duration is that of its longest track.
    """
    start = container.start_time / 1_000_000 if container.start_time else 0.0  # MPEG-TS clocks start late
    reached = 0.0
    for packet in container.demux():
        if packet.pts is None or packet.time_base is None:
            continue
        reached = max(reached, float((packet.pts + (packet.duration or 0)) * packet.time_base) - start)
    if reached < total - max(0.5, 0.05 * total):
        raise SourceFileError(
            f"{name}: the file is truncated: its data stops at {reached:.1f} s of the {total:.1f} s declared"
        )


def _first_frame(container: av.container.InputContainer, stream: Any, name: str) -> Any:
    """Decode a stream's first frame: proves there is a working decoder and gives the display rotation."""
    for n, packet in enumerate(container.demux(stream)):
        if n >= _PROBE_PACKETS:
            break
        try:
            frames = packet.decode()
        except av.error.InvalidDataError:
            continue
        if frames:
            return frames[0]
    try:
        frames = stream.codec_context.decode(None)
    except av.error.FFmpegError:
        frames = []
    if frames:
        return frames[0]
    raise SourceFileError(f"{name}: no decodable {stream.type} frame in the {stream.type} stream")


def _clockwise(frame_rotation: float | int | None, rotate_tag: str | None) -> int:
    """Clockwise display rotation (0/90/180/270) from the display matrix (counter-clockwise) or rotate tag."""
    if frame_rotation:
        degrees = -float(frame_rotation)
    elif rotate_tag:
        try:
            degrees = float(rotate_tag)
        except ValueError:
            degrees = 0.0
    else:
        degrees = 0.0
    return int(round(degrees / 90.0)) % 4 * 90
