"""The engine's plain results in the API's PascalCase: segments, review outputs, review info and media metadata.

These shapes are also stored (a task's ``Output``, ``segments.json``, the media's ``ReviewInfo`` and ``MetaData``),
so they are dicts that go into JSON columns and files as they are; the ``TypedDict`` classes below name their keys
for the type checker and change nothing at run time. URLs come in already signed (``services`` signs; this module
only places them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import NotRequired, TypedDict

from vodguard.moderation.media.info import AudioStreamInfo, MediaInfo, VideoStreamInfo
from vodguard.moderation.types import ModerationResult, Segment
from vodguard.timeutil import iso

# A thumbnail's signed URL and its expiry time (ISO 8601), by the thumbnail's file name.
SignedUrls = Mapping[str, tuple[str, str]]


class SegmentItem(TypedDict):
    """ReviewAudioVideoSegmentItem (spec §3.4) or, without the four time and URL keys, ReviewImageSegmentItem (§3.6).

    The keys run in this order in the JSON: the two offsets first, then the rest, then the URL and its expiry.
    """

    StartTimeOffset: NotRequired[float]
    EndTimeOffset: NotRequired[float]
    Confidence: float
    Suggestion: str
    Label: str
    SubLabel: str
    Form: str
    AreaCoordSet: list[int]
    Text: str
    KeywordSet: list[str]
    Url: NotRequired[str]
    PicUrlExpireTime: NotRequired[str]


class MatchedFrameItem(TypedDict):
    """One frame of a known-content match: its time, the bank frame's time, their distance, mirrored or not."""

    Time: float
    EntryTime: float
    Distance: int
    Flipped: bool


class KnownContentMatch(TypedDict):
    """The bank entry a review matched (an extension of the output; ``services/wire/known.py`` builds it)."""

    EntryId: str
    FileId: str
    SourceName: str
    Label: str
    SubLabel: str
    Reason: str
    Origin: str
    BlockedBy: str
    BlockedTime: str
    Distance: int
    Score: float
    FrameSet: list[MatchedFrameItem]
    Summary: str


class ReviewOutput(TypedDict):
    """ReviewAudioVideoTaskOutput (a task's ``Output``) or ReviewImageResult: the verdict and the first segments.

    ``review_output`` makes the first four keys; the services add the segment file's URL once it is stored
    (``services/evidence.py``), and a task's worker the known-content match and the cover's own output.
    """

    Suggestion: str
    Label: str
    Form: str
    SegmentSet: list[SegmentItem]
    SegmentSetFileUrl: NotRequired[str]
    SegmentSetFileUrlExpireTime: NotRequired[str]
    KnownContentMatch: NotRequired[KnownContentMatch]
    CoverReviewResult: NotRequired[ReviewOutput | None]


class ReviewInfo(TypedDict):
    """MediaReviewInfo / CoverReviewInfo (spec §2.9), stored on the media row."""

    Definition: int
    Suggestion: str
    TypeSet: list[str]
    ReviewTime: str


class VideoStreamItem(TypedDict):
    Bitrate: int
    Height: int
    Width: int
    Codec: str
    Fps: int


class AudioStreamItem(TypedDict):
    Bitrate: int
    SamplingRate: int
    Codec: str


class MediaMetaData(TypedDict):
    """MediaMetaData (spec §3.8), stored on the media row. A file that could not be decoded has only ``Size`` and
    ``Container``; ``Md5`` is added by the upload, which knows the stored bytes."""

    Size: int
    Container: str
    Bitrate: NotRequired[int]
    Height: NotRequired[int]
    Width: NotRequired[int]
    Duration: NotRequired[float]
    Rotate: NotRequired[int]
    VideoStreamSet: NotRequired[list[VideoStreamItem]]
    AudioStreamSet: NotRequired[list[AudioStreamItem]]
    VideoDuration: NotRequired[float]
    AudioDuration: NotRequired[float]
    Md5: NotRequired[str]


def segment(seg: Segment, *, timed: bool = True, signed: SignedUrls | None = None) -> SegmentItem:
    """ReviewAudioVideoSegmentItem (``timed``, with the thumbnail's URL) or ReviewImageSegmentItem (spec §3.4, §3.6)."""
    out: SegmentItem = {
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
) -> list[SegmentItem]:
    """Every segment, as ``segment`` shapes it."""
    return [segment(s, timed=timed, signed=signed) for s in segments]


def review_output(result: ModerationResult, segments: Sequence[SegmentItem]) -> ReviewOutput:
    """ReviewAudioVideoTaskOutput or ReviewImageResult: the verdict and the given (inline) segments."""
    flagged = result.suggestion != "pass"
    return {
        "Suggestion": result.suggestion,
        "Label": result.label if flagged else "",
        "Form": result.form if flagged else "",
        "SegmentSet": list(segments),
    }


# The output of a task that reviewed no media (only its cover, or nothing).
def empty_output() -> ReviewOutput:
    return {"Suggestion": "pass", "Label": "", "Form": "", "SegmentSet": []}


def review_info(
    definition: int, output: ReviewOutput, segments: Sequence[SegmentItem], now: datetime
) -> ReviewInfo:
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


def video_stream(info: VideoStreamInfo) -> VideoStreamItem:
    return {
        "Bitrate": info.bitrate,
        "Height": info.height,
        "Width": info.width,
        "Codec": info.codec,
        "Fps": round(info.fps),
    }


def audio_stream(info: AudioStreamInfo) -> AudioStreamItem:
    return {"Bitrate": info.bitrate, "SamplingRate": info.sample_rate, "Codec": info.codec}


def media_meta(info: MediaInfo) -> MediaMetaData:
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


def bare_meta(size: int, container: str) -> MediaMetaData:
    """MediaMetaData of a file that could not be decoded: only what is known without decoding it."""
    return {"Size": size, "Container": container}
