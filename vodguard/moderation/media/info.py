"""What ``probe`` learns about a file: its category, size, duration and streams."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


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


@dataclass(frozen=True)
class AudioStreamInfo:
    """One audio stream, as MediaMetaData.AudioStreamSet describes it."""

    index: int
    codec: str
    sample_rate: int
    channels: int
    bitrate: int
    duration: float


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
