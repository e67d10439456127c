"""The engine's plain data in the API's PascalCase: segments, review outputs, review info and media metadata.

These shapes are also stored (a task's ``Output``, ``segments.json``, the media's ``ReviewInfo`` and ``MetaData``),
so they are dicts that go into JSON columns and files as they are. URLs come in already signed (``services``
signs; this module only places them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from vodguard.moderation.media.info import AudioStreamInfo, MediaInfo, VideoStreamInfo
from vodguard.moderation.types import ModerationResult, Segment
from vodguard.timeutil import iso

# A thumbnail's signed URL and its expiry time (ISO 8601), by the thumbnail's file name.
SignedUrls = Mapping[str, tuple[str, str]]


def segment(seg: Segment, *, timed: bool = True, signed: SignedUrls | None = None) -> dict[str, Any]:
    """ReviewAudioVideoSegmentItem (``timed``, with the thumbnail's URL) or ReviewImageSegmentItem (spec §3.4, §3.6)."""
    out: dict[str, Any] = {
        "Confidence": round(seg.confidence, 2),
        "Suggestion": seg.suggestion,
        "Label": seg.label,
        "SubLabel": seg.sub_label,
        "Form": seg.form,
        "AreaCoordSet": list(seg.box) if seg.box else [],
        "Text": seg.text,
        "KeywordSet": list(seg.keywords),
    }
    if timed:
        url, expires = (signed or {}).get(seg.thumbnail, ("", "")) if seg.thumbnail else ("", "")
        out = {
            "StartTimeOffset": round(seg.start, 3),
            "EndTimeOffset": round(seg.end, 3),
            **out,
            "Url": url,
            "PicUrlExpireTime": expires,
        }
    return out


def segment_set(
    segments: Sequence[Segment], *, timed: bool = True, signed: SignedUrls | None = None
) -> list[dict[str, Any]]:
    """Every segment, as ``segment`` shapes it."""
    return [segment(s, timed=timed, signed=signed) for s in segments]


def review_output(result: ModerationResult, segments: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """ReviewAudioVideoTaskOutput or ReviewImageResult: the verdict and the given (inline) segments."""
    flagged = result.suggestion != "pass"
    return {
        "Suggestion": result.suggestion,
        "Label": result.label if flagged else "",
        "Form": result.form if flagged else "",
        "SegmentSet": list(segments),
    }


# The output of a task that reviewed no media (only its cover, or nothing).
def empty_output() -> dict[str, Any]:
    return {"Suggestion": "pass", "Label": "", "Form": "", "SegmentSet": []}


def review_info(
    definition: int, output: Mapping[str, Any], segments: Sequence[Mapping[str, Any]], now: datetime
) -> dict[str, Any]:
    """MediaReviewInfo / CoverReviewInfo (spec §2.9): TypeSet lists ``Form.Label`` of the flagged segments."""
    type_set: list[str] = []
    if output.get("Suggestion") != "pass":
        type_set = list(dict.fromkeys(f"{s['Form']}.{s['Label']}" for s in segments))
    return {
        "Definition": definition,
        "Suggestion": output.get("Suggestion", "pass"),
        "TypeSet": type_set,
        "ReviewTime": iso(now),
    }


def video_stream(info: VideoStreamInfo) -> dict[str, Any]:
    return {
        "Bitrate": info.bitrate,
        "Height": info.height,
        "Width": info.width,
        "Codec": info.codec,
        "Fps": round(info.fps),
    }


def audio_stream(info: AudioStreamInfo) -> dict[str, Any]:
    return {"Bitrate": info.bitrate, "SamplingRate": info.sample_rate, "Codec": info.codec}


def media_meta(info: MediaInfo) -> dict[str, Any]:
    """MediaMetaData, without Md5 (the caller knows the stored bytes)."""
    return {
        "Size": info.size,
        "Container": info.container,
        "Bitrate": info.bitrate,
        "Height": info.height,
        "Width": info.width,
        "Duration": round(info.duration, 3),
        "Rotate": info.rotation,
        "VideoStreamSet": [video_stream(s) for s in info.video_streams],
        "AudioStreamSet": [audio_stream(s) for s in info.audio_streams],
        "VideoDuration": round(info.video_duration, 3),
        "AudioDuration": round(info.audio_duration, 3),
    }


def bare_meta(size: int, container: str) -> dict[str, Any]:
    """MediaMetaData of a file that could not be decoded: only what is known without decoding it."""
    return {"Size": size, "Container": container}
