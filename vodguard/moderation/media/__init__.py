"""Reading untrusted media: probe, sample video frames, load audio and images.

PyAV (bundled FFmpeg) reads audio and video; Pillow reads still and animated images. Every failure the media
can cause comes out as ``SourceFileError`` (``MediaLimitExceeded`` for a file over a ``Limits`` cap) or
``DeadlineExceeded``, never as a PyAV or Pillow exception (``guards.py``).

* ``info.py``: ``MediaInfo`` and its stream infos, what ``probe`` learns;
* ``guards.py``: the limit and deadline checks, error translation, opening a container, tolerant decoding;
* ``probe.py``: ``probe``, a file's category and streams from its headers and first frame;
* ``images.py``: ``check_image``, ``load_image`` and ``load_image_frames`` through Pillow;
* ``audio.py``: ``load_audio`` and ``audio_chunks``;
* ``video.py``: ``sample_frames``, which decodes only the packets the frame sampling needs.
"""

from vodguard.moderation.media.audio import AUDIO_RATE, audio_chunks, load_audio
from vodguard.moderation.media.images import MAX_SIDE, ImageFrames, check_image, load_image, load_image_frames
from vodguard.moderation.media.info import AudioStreamInfo, MediaInfo, VideoStreamInfo
from vodguard.moderation.media.probe import probe
from vodguard.moderation.media.video import sample_frames

__all__ = [
    "AUDIO_RATE",
    "AudioStreamInfo",
    "ImageFrames",
    "MAX_SIDE",
    "MediaInfo",
    "VideoStreamInfo",
    "audio_chunks",
    "check_image",
    "load_audio",
    "load_image",
    "load_image_frames",
    "probe",
    "sample_frames",
]
