"""Reading untrusted media: probe, sample video frames, load audio and images.

PyAV (bundled FFmpeg) reads audio and video; Pillow reads still and animated images. Every failure the media
can cause comes out as ``SourceFileError`` (``MediaLimitExceeded`` for a file over a ``Limits`` cap) or
``DeadlineExceeded``, never as a PyAV or Pillow exception. Only the container formats in ``VIDEO_FORMATS`` are
opened: FFmpeg's playlist demuxers (HLS, concat) would follow references to other files.

Frame sampling reads the packets once and sends the decoder only what it needs: every keyframe, plus the
packets from a keyframe up to the next frame that is due (one per ``interval``) when no keyframe comes in
time. Cost then follows the GOP: short GOPs decode a small share of the frames, long GOPs most of them.
"""

from __future__ import annotations

import io
import math
import struct
import time
import warnings
from collections import deque
from collections.abc import Generator, Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import av.error
import numpy as np
from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from vodguard.moderation.config import Limits
from vodguard.moderation.errors import DeadlineExceeded, MediaLimitExceeded, ModerationError, SourceFileError
from vodguard.moderation.sampling import THUMB_SIDE, FrameSelector, thumbnail
from vodguard.moderation.types import AudioTrack, Frame

__all__ = [
    "AudioStreamInfo",
    "MediaInfo",
    "VideoStreamInfo",
    "check_image",
    "load_audio",
    "load_image",
    "load_image_frames",
    "probe",
    "sample_frames",
]

MAX_SIDE = 1280  # sampled frames are scaled down so that their long side is at most this
AUDIO_RATE = 16000
IMAGE_FORMATS = ("JPEG", "PNG", "BMP", "WEBP", "GIF")  # Pillow format names we open (JPEG covers MPO)
# FFmpeg demuxer names we accept (a demuxer matches when any of its comma-separated names is listed).
VIDEO_FORMATS = "mov,matroska,webm,mpegts,flv,avi,mp3,wav,ogg,flac,aac,asf,mpeg,aiff,amr"
_MAX_BAD_PACKETS = 50  # corrupt packets tolerated in one file before it counts as unreadable
_PROBE_PACKETS = 600  # packets read while looking for the first decodable frame
_LOOKAHEAD_PACKETS = 1500  # packets buffered while looking for the next keyframe


@dataclass(frozen=True)
class VideoStreamInfo:
    """One video stream, as MediaMetaData.VideoStreamSet describes it."""

    index: int
    codec: str
    width: int
    height: int
    fps: float
    bitrate: int
    duration: float
    frame_count: int | None

    def to_wire(self) -> dict[str, Any]:
        return {
            "Bitrate": self.bitrate,
            "Height": self.height,
            "Width": self.width,
            "Codec": self.codec,
            "Fps": round(self.fps),
        }


@dataclass(frozen=True)
class AudioStreamInfo:
    """One audio stream, as MediaMetaData.AudioStreamSet describes it."""

    index: int
    codec: str
    sample_rate: int
    channels: int
    bitrate: int
    duration: float

    def to_wire(self) -> dict[str, Any]:
        return {"Bitrate": self.bitrate, "SamplingRate": self.sample_rate, "Codec": self.codec}


@dataclass(frozen=True)
class MediaInfo:
    """What ``probe`` learnt from a file's headers (and its first frame).

    ``width``/``height`` are the coded picture's; ``rotation`` (0/90/180/270, clockwise) turns it for display.
    For images ``container`` is the image format and ``frame_count`` the number of frames (animations).
    """

    path: Path
    category: str  # Video / Audio / Image
    container: str
    size: int
    duration: float
    width: int = 0
    height: int = 0
    rotation: int = 0
    bitrate: int = 0
    fps: float = 0.0
    frame_count: int | None = None
    video_streams: tuple[VideoStreamInfo, ...] = ()
    audio_streams: tuple[AudioStreamInfo, ...] = ()
    video_duration: float = 0.0
    audio_duration: float = 0.0
    sample_aspect: float = 1.0

    @property
    def has_video(self) -> bool:
        """True when there are pictures to look at: a video stream, or the frames of an image."""
        return bool(self.video_streams) or self.category == "Image"

    @property
    def has_audio(self) -> bool:
        return bool(self.audio_streams)

    @property
    def display_size(self) -> tuple[int, int]:
        """Width and height as a viewer sees them (pixel aspect and rotation applied)."""
        w, h = max(1, round(self.width * self.sample_aspect)), self.height
        return (h, w) if self.rotation in (90, 270) else (w, h)

    def to_wire(self) -> dict[str, Any]:
        """MediaMetaData in the API's PascalCase, without Md5 (the caller knows the stored bytes)."""
        return {
            "Size": self.size,
            "Container": self.container,
            "Bitrate": self.bitrate,
            "Height": self.height,
            "Width": self.width,
            "Duration": round(self.duration, 3),
            "Rotate": self.rotation,
            "VideoStreamSet": [s.to_wire() for s in self.video_streams],
            "AudioStreamSet": [s.to_wire() for s in self.audio_streams],
            "VideoDuration": round(self.video_duration, 3),
            "AudioDuration": round(self.audio_duration, 3),
        }


# ----------------------------------------------------------------------------------------------------- guards


def _check_deadline(deadline: float | None) -> None:
    if deadline is not None and time.monotonic() > deadline:
        raise DeadlineExceeded("the time budget for decoding this file ran out")


def _check_file(path: Path, limits: Limits) -> int:
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


def _check_pixels(name: str, width: int, height: int, limits: Limits) -> None:
    if width * height > limits.max_pixels:
        raise MediaLimitExceeded(
            f"{name}: {width}x{height} pixels is over the limit of {limits.max_pixels} pixels per picture"
        )


def _check_duration(name: str, seconds: float, limits: Limits) -> None:
    if seconds > limits.max_duration_seconds:
        raise MediaLimitExceeded(
            f"{name}: {seconds:.0f} s is over the duration limit of {limits.max_duration_seconds:.0f} s"
        )


@contextmanager
def _media_errors(name: str) -> Iterator[None]:
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


def _open_av(path: Path) -> av.container.InputContainer:
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


# ------------------------------------------------------------------------------------------------------ probe


def probe(path: str | Path, limits: Limits, *, complete: bool = True) -> MediaInfo:
    """Read a file's headers, decide its category by content, and check it against ``limits``.

    ``complete`` also refuses a file cut off before the duration it declares, when its streams declare none
    of their own (Matroska, WebM, FLV): that reads every packet, which moderation needs and metadata does not.
    """
    path = Path(path)
    size = _check_file(path, limits)
    with _media_errors(path.name):
        image = _open_image(path, limits)
        if image is not None:
            with image:
                return _image_info(path, size, image, limits)
        with _open_av(path) as container:
            return _av_info(path, size, container, limits, complete=complete)


def _seconds(value: int | None, time_base: Fraction | None) -> float:
    if value is None or time_base is None:
        return 0.0
    return float(value * time_base)


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
                duration=_seconds(s.duration, s.time_base) or total,
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
            duration=_seconds(s.duration, s.time_base) or total,
        )
        for s in _decodable(container.streams.audio, "audio", name)
    ]
    if not videos and not audios:
        raise SourceFileError(f"{name}: no audio or video stream")
    duration = total or max([v.duration for v in videos] + [a.duration for a in audios])
    _check_duration(name, duration, limits)
    rotation, aspect, width, height = 0, 1.0, 0, 0
    if videos:
        main = videos[0]
        width, height = main.width, main.height
        _check_pixels(name, width, height, limits)
        stream = container.streams[main.index]
        sar = stream.sample_aspect_ratio
        aspect = float(sar) if sar and 0.2 < float(sar) < 5 else 1.0
        first = _first_frame(container, stream, name)
        rotation = _clockwise(getattr(first, "rotation", 0), stream.metadata.get("rotate"))
        if not width or not height:
            width, height = first.width, first.height
            _check_pixels(name, width, height, limits)
    else:
        _first_frame(container, container.streams[audios[0].index], name)
    streams = [container.streams[s.index] for s in (*videos, *audios)]
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


# ----------------------------------------------------------------------------------------------------- images


def _open_image(source: Path | bytes, limits: Limits, *, name: str = "image") -> Image.Image | None:
    """A lazily-decoded Pillow image if the content is in IMAGE_FORMATS, after the pixel check; else None."""
    fp: Any = io.BytesIO(source) if isinstance(source, bytes) else source
    with warnings.catch_warnings():
        # Our own pixel cap is checked right below; Pillow's warning would only duplicate it.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        if isinstance(source, Path):
            name = source.name
        try:
            img = Image.open(fp, formats=IMAGE_FORMATS)
        except UnidentifiedImageError:
            return None
        except Image.DecompressionBombError as exc:
            # Pillow refuses beyond twice its own cap (about 179 MP) before we see the size: our verdict too.
            raise MediaLimitExceeded(
                f"{name}: the image is over the limit of {limits.max_pixels} pixels per picture ({exc})"
            ) from None
    try:
        _check_pixels(name, img.width, img.height, limits)
        frames = int(getattr(img, "n_frames", 1))
    except BaseException:
        img.close()
        raise
    if frames > limits.max_gif_frames:
        img.close()
        raise MediaLimitExceeded(f"{name}: {frames} frames is over the limit of {limits.max_gif_frames}")
    return img


def _exif_rotation(img: Image.Image) -> int:
    try:
        orientation = img.getexif().get(0x0112, 1)
    except Exception:  # a broken EXIF block must not fail the image; it only loses the orientation
        return 0
    return {3: 180, 6: 90, 8: 270}.get(orientation, 0)


def _image_info(path: Path, size: int, img: Image.Image, limits: Limits) -> MediaInfo:
    frames = int(getattr(img, "n_frames", 1))
    # Frame times of an animation come from sample_frames; here the first frame's delay stands for all of
    # them, so probing a big GIF does not decode it.
    delay = float(img.info.get("duration") or 100) / 1000.0 if frames > 1 else 0.0
    return MediaInfo(
        path=path,
        category="Image",
        container=(img.format or "").lower(),
        size=size,
        duration=frames * delay,
        width=img.width,
        height=img.height,
        rotation=_exif_rotation(img),
        frame_count=frames,
    )


def _to_rgb(img: Image.Image) -> Image.Image:
    if img.mode == "RGB":
        return img
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        # Transparent areas show on white, as a web page would show them.
        rgba = img.convert("RGBA")
        canvas = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(canvas, rgba).convert("RGB")
    return img.convert("RGB")


def _fit(img: Image.Image, max_side: int | None) -> Image.Image:
    if max_side and max(img.size) > max_side:
        scale = max_side / max(img.size)
        size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
        return img.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    return img


def _image_source(source: str | Path | bytes, limits: Limits) -> tuple[Path | bytes, str]:
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        if not data:
            raise SourceFileError("image: the data is empty")
        if len(data) > limits.max_image_bytes:
            raise MediaLimitExceeded(
                f"image: {len(data)} bytes is over the limit of {limits.max_image_bytes}"
            )
        return data, "image"
    path = Path(source)
    size = _check_file(path, limits)
    if size > limits.max_image_bytes:
        raise MediaLimitExceeded(
            f"{path.name}: {size} bytes is over the image limit of {limits.max_image_bytes}"
        )
    return path, path.name


def check_image(source: str | Path | bytes, limits: Limits) -> None:
    """Refuse an image over ``limits`` (bytes, pixels, frames) or in no supported format, from its header alone.

    Nothing is decoded, so a small file that declares a huge picture costs no memory: the caller can refuse it
    before it queues for a decoder.
    """
    src, name = _image_source(source, limits)
    with _media_errors(name):
        img = _open_image(src, limits, name=name)
        if img is None:
            raise SourceFileError(f"{name}: not a supported image format (JPEG, PNG, BMP, WebP or GIF)")
        img.close()


def load_image(source: str | Path | bytes, limits: Limits, *, max_side: int | None = MAX_SIDE) -> Frame:
    """An image's first frame (path or bytes): RGB, EXIF orientation applied, long side <= ``max_side``."""
    src, name = _image_source(source, limits)
    with _media_errors(name):
        img = _open_image(src, limits, name=name)
        if img is None:
            raise SourceFileError(f"{name}: not a supported image format (JPEG, PNG, BMP, WebP or GIF)")
        with img:
            if img.format in ("JPEG", "MPO") and max_side:
                img.draft("RGB", (max_side, max_side))  # decode a big JPEG at 1/2, 1/4 or 1/8 size directly
            pic = _fit(_to_rgb(ImageOps.exif_transpose(img)), max_side)
            return Frame(image=np.asarray(pic, dtype=np.uint8), time=0.0, index=0)


def load_image_frames(
    source: str | Path | bytes,
    limits: Limits,
    *,
    max_side: int | None = MAX_SIDE,
    deadline: float | None = None,
) -> ImageFrames:
    """Every distinct frame of an image with its display time (one frame at 0 for a still image), lazily.

    An animated GIF or WebP can hold thousands of big frames in a small file, so frames are decoded one at a
    time, and a frame whose pixels repeat the last one returned is skipped. Only a repeat to the pixel: a faint
    caption over the same picture barely moves a perceptual hash, and is exactly what must be read.
    Errors about the file itself are raised before the first frame is returned.
    """
    src, name = _image_source(source, limits)
    _check_deadline(deadline)
    with _media_errors(name):
        img = _open_image(src, limits, name=name)
        if img is None:
            raise SourceFileError(f"{name}: not a supported image format (JPEG, PNG, BMP, WebP or GIF)")
    return ImageFrames(img, _image_frames(img, name, max_side, deadline))


class ImageFrames(Iterator[Frame]):
    """The frames of an open image; ``close()`` closes the file even when no frame was asked for."""

    def __init__(self, img: Image.Image, frames: Generator[Frame, None, None]) -> None:
        self._img, self._frames = img, frames

    def __next__(self) -> Frame:
        return next(self._frames)

    def close(self) -> None:
        self._frames.close()
        self._img.close()


_REPEAT_LEVELS = 2  # grey levels a repeated frame may differ by anywhere (palette and codec rounding)


def _image_frames(
    img: Image.Image, name: str, max_side: int | None, deadline: float | None
) -> Generator[Frame, None, None]:
    last: np.ndarray | None = None
    t = 0.0
    with img, _media_errors(name):
        rotation = _exif_rotation(img)
        for index, page in enumerate(ImageSequence.Iterator(img)):
            _check_deadline(deadline)
            page.load()  # WebP fills in the frame's duration only once it is loaded
            delay = float(page.info.get("duration") or 0) / 1000.0
            pic = _fit(_to_rgb(page), max_side)
            if rotation:
                pic = pic.rotate(-rotation, expand=True)
            image = np.asarray(pic, dtype=np.uint8)
            repeat = (
                last is not None
                and last.shape == image.shape
                and int(np.abs(image.astype(np.int16) - last).max()) <= _REPEAT_LEVELS
            )
            if not repeat:
                last = image
                yield Frame(image=image, time=round(t, 3), index=index)
            t += delay if delay > 0 else 0.1  # browsers show a 0-delay frame for about 0.1 s


# ------------------------------------------------------------------------------------------------------ audio


def load_audio(
    path: str | Path, info: MediaInfo, limits: Limits, deadline: float | None = None
) -> AudioTrack | None:
    """The first audio stream as 16 kHz mono float32, or None when the file has no audio."""
    if not info.has_audio:
        return None
    path = Path(path)
    _check_deadline(deadline)
    chunks: list[np.ndarray] = []
    with _media_errors(path.name), _open_av(path) as container:
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
                _check_duration(path.name, total / AUDIO_RATE, limits)

        for frame in _decode_packets(container.demux(stream), path.name, deadline):
            take(frame)
        take(None)
        _check_complete(path.name, "audio", total / AUDIO_RATE, stream)
    if not chunks:
        raise SourceFileError(f"{path.name}: the audio stream holds no decodable audio")
    samples = np.concatenate(chunks).astype(np.float32, copy=False)
    np.clip(samples, -1.0, 1.0, out=samples)
    return AudioTrack(samples=samples, sample_rate=AUDIO_RATE)


def _check_complete(name: str, kind: str, reached: float, stream: Any) -> None:
    """Refuse a stream whose data stops well before the duration its own header declares (a cut-off file)."""
    declared = _seconds(stream.duration, stream.time_base)
    if declared > 0 and reached < declared - max(0.5, 0.05 * declared):
        raise SourceFileError(
            f"{name}: the file is truncated: its {kind} stops at {reached:.1f} s of the {declared:.1f} s declared"
        )


def _decode_packets(packets: Iterator[Any], name: str, deadline: float | None) -> Iterator[Any]:
    """Decode a packet stream, skipping a few corrupt packets, then flush the decoder."""
    bad = 0
    codec = None
    for packet in packets:
        _check_deadline(deadline)
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


# ------------------------------------------------------------------------------------------------------ video


def sample_frames(
    path: str | Path,
    info: MediaInfo,
    *,
    interval: float,
    scene_threshold: float,
    dedupe_hamming: int,
    limits: Limits,
    deadline: float | None = None,
    max_side: int = MAX_SIDE,
) -> Iterator[Frame]:
    """Frames to look at, in time order: keyframes, one per ``interval`` s at least, scene changes; no twins.

    Images give their frames (one at time 0 for a still). Frames are RGB, upright, long side <= ``max_side``.
    """
    path = Path(path)
    _check_deadline(deadline)
    selector = FrameSelector(
        interval=interval, scene_threshold=scene_threshold, dedupe_hamming=dedupe_hamming
    )
    if info.category == "Image":
        with closing(load_image_frames(path, limits, max_side=max_side, deadline=deadline)) as frames:
            kept = 0
            for frame in frames:
                if selector.consider(thumbnail(frame.image), frame.time, keyframe=True):
                    yield Frame(image=frame.image, time=frame.time, index=kept)
                    kept += 1
        return
    if not info.has_video:
        return
    with _media_errors(path.name), _open_av(path) as container:
        yield from _VideoSampler(container, info, selector, limits, deadline, max_side, path.name).run()


class _VideoSampler:
    """One pass over a video's packets that decodes only what the selector can use."""

    def __init__(
        self,
        container: av.container.InputContainer,
        info: MediaInfo,
        selector: FrameSelector,
        limits: Limits,
        deadline: float | None,
        max_side: int,
        name: str,
    ) -> None:
        self.stream = container.streams[info.video_streams[0].index]
        self.stream.thread_type = "AUTO"
        self.container = container
        self.info = info
        self.selector = selector
        self.limits = limits
        self.deadline = deadline
        self.name = name
        tb = self.stream.time_base
        self.tb = float(tb) if tb else None
        self.start = _seconds(self.stream.start_time, tb)
        fps = info.fps if info.fps > 0 else 25.0
        self.tolerance = 0.5 / fps  # half a frame: a frame that late still counts as on time
        self.out_size = _scaled((round(info.width * info.sample_aspect), info.height), max_side)
        self.rotation = info.rotation
        self.interval = selector.interval
        self.decoded = 0  # frames out of the decoder, for benchmarks
        self.fed = 0  # packets sent to the decoder
        self.packets = 0

    def _time(self, pts: int | None) -> float | None:
        if pts is None or self.tb is None:
            return None
        return pts * self.tb - self.start

    def run(self) -> Iterator[Frame]:
        kept = 0
        for frame in self._decoded_frames():
            self.decoded += 1
            t = self._time(frame.pts)
            if t is None:
                t = self.decoded / (self.info.fps or 25.0)
            if t > self.limits.max_duration_seconds:
                _check_duration(self.name, t, self.limits)
            if frame.width * frame.height > self.limits.max_pixels:  # the size may change mid-stream
                _check_pixels(self.name, frame.width, frame.height, self.limits)
            keyframe = bool(frame.key_frame) or frame.pict_type == 1  # 1 is AV_PICTURE_TYPE_I
            # Every decoded frame needs a thumbnail for the scene test: the fast scaler costs a third of the
            # area-averaging one, which is kept for the frames that may be kept (the duplicate test).
            rough = _thumb(frame, "FAST_BILINEAR")
            if not self.selector.consider(
                rough, t, keyframe=keyframe, detail=lambda f=frame: _thumb(f, "AREA")
            ):
                continue
            if kept >= self.limits.max_frames:
                raise MediaLimitExceeded(f"{self.name}: more than {self.limits.max_frames} sampled frames")
            yield Frame(image=self._rgb(frame), time=round(max(t, 0.0), 3), index=kept)
            kept += 1

    def _rgb(self, frame: Any) -> np.ndarray:
        w, h = self.out_size
        rgb = frame.reformat(width=w, height=h, format="rgb24", interpolation="AREA").to_ndarray()
        if self.rotation:
            rgb = np.ascontiguousarray(np.rot90(rgb, k=-(self.rotation // 90)))  # negative k: clockwise
        return rgb

    def _decoded_frames(self) -> Iterator[Any]:
        return _decode_packets(self._chosen_packets(), self.name, self.deadline)

    def _chosen_packets(self) -> Iterator[Any]:
        """The packets worth decoding, in decode order.

        A keyframe is always sent. After one, packets are sent while the next due frame comes before the next
        keyframe; once one is held back, the rest of that GOP is held back too (the decoder could not rebuild
        it without the missing reference), and so are the next GOP's leading pictures, which may refer to it.
        """
        buffered: deque[tuple[int, Any, float | None]] = deque()  # (sequence number, packet, time)
        keys: deque[tuple[int, float]] = deque()  # keyframe packets in ``buffered``
        demux = self.container.demux(self.stream)
        state = {"ended": False, "latest": -math.inf, "seq": 0}

        def pull() -> None:
            packet = next(demux, None)
            if packet is None:
                state["ended"] = True
                return
            if packet.size == 0:
                return  # the demuxer's end-of-stream marker
            self.packets += 1
            t = self._time(packet.pts if packet.pts is not None else packet.dts)
            seq = state["seq"] = state["seq"] + 1
            if t is not None:
                state["latest"] = max(state["latest"], t)
                if packet.is_keyframe:
                    keys.append((seq, t))
            buffered.append((seq, packet, t))

        def check_complete() -> None:
            frame = 1.0 / (self.info.fps or 25.0)
            _check_complete(self.name, "video", state["latest"] + frame, self.stream)

        codec = self.stream.codec_context
        complete = True  # the decoder has had every packet since the last keyframe sent
        previous_complete = True  # the same, for the GOP before the current one
        gop_time = -math.inf
        while True:
            if not buffered:
                pull()
                if state["ended"] and not buffered:
                    check_complete()
                    return
                continue
            seq, packet, t = buffered.popleft()
            if keys and keys[0][0] == seq:
                keys.popleft()
            skip = "DEFAULT"
            if t is None:
                send = True  # no timestamp: nothing to plan with, so decode it
            elif packet.is_keyframe:
                send, previous_complete, complete, gop_time = True, complete, True, t
            elif not complete:
                send = False
            elif t < gop_time:
                send = previous_complete  # a leading picture: decodable only if the previous GOP was
            else:
                # Every keyframe is looked at, so the next due time is at least one interval after this GOP's.
                horizon = max(self.selector.next_due, gop_time + self.interval) + self.tolerance
                while not state["ended"] and not keys and state["latest"] <= horizon:
                    if len(buffered) >= _LOOKAHEAD_PACKETS:
                        break
                    pull()
                # With no keyframe ahead, the stream's end plays that part: nothing is due past the last one.
                stop = keys[0][1] if keys else (state["latest"] if state["ended"] else math.inf)
                send = complete = horizon < stop
                # On the way to the due frame, frames nothing refers to are of no use: the decoder drops them.
                if t < horizon - 2 * self.tolerance:
                    skip = "NONREF"
            if send:
                if skip != codec.skip_frame:
                    codec.skip_frame = skip
                self.fed += 1
                yield packet


def _thumb(frame: Any, interpolation: str) -> np.ndarray:
    small = frame.reformat(width=THUMB_SIDE, height=THUMB_SIDE, format="rgb24", interpolation=interpolation)
    return small.to_ndarray().astype(np.float32)


def _scaled(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    w, h = size
    if max(w, h) <= max_side:
        return w, h
    scale = max_side / max(w, h)
    return max(2, round(w * scale)), max(2, round(h * scale))


def decode_everything(path: str | Path, info: MediaInfo, *, deadline: float | None = None) -> int:
    """Decode every frame of the main video stream; returns the count (the benchmark's baseline)."""
    path = Path(path)
    with _media_errors(path.name), _open_av(path) as container:
        stream = container.streams[info.video_streams[0].index]
        stream.thread_type = "AUTO"
        return sum(1 for _ in _decode_packets(container.demux(stream), path.name, deadline))
