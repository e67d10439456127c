"""Frame sampling: the frames worth looking at, decoding as few packets as the sampling allows.

The packets are read once and the decoder gets only what it needs: every keyframe, plus the packets from a
keyframe up to the next frame that is due (one per ``interval``) when no keyframe comes in time. Cost then
follows the GOP: short GOPs decode a small share of the frames, long GOPs most of them.
"""

from __future__ import annotations

import math
import os
from collections import deque
from collections.abc import Iterator
from contextlib import closing
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

import av
import numpy as np
from av.video.reformatter import VideoReformatter

from vodguard.moderation.config import Limits
from vodguard.moderation.errors import MediaLimitExceeded
from vodguard.moderation.media.guards import (
    check_complete,
    check_deadline,
    check_duration,
    check_pixels,
    decode_packets,
    media_errors,
    open_av,
    to_seconds,
)
from vodguard.moderation.media.images import MAX_SIDE, load_image_frames
from vodguard.moderation.media.info import MediaInfo
from vodguard.moderation.sampling import THUMB_SIDE, FrameSelector, thumbnail
from vodguard.moderation.types import Frame

if TYPE_CHECKING:
    from av.video.stream import VideoStream

_LOOKAHEAD_PACKETS = 1500  # packets buffered while looking for the next keyframe


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


# FFmpeg's frame threads pay only where cores are idle. On two cores the engine's lanes (OCR, four picture
# models, speech) keep both busy, and the decoder's three threads only added handovers: one thread cut the
# benchmark video's decoding CPU by 15 to 20 % and the engine's end-to-end time by 4 %, with identical frames.
# On more cores the threads decode ahead of the lanes, as a 4K video needs.
_DECODER_THREADING: Literal["AUTO", "NONE"] = "AUTO" if _cores() > 2 else "NONE"


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
    check_deadline(deadline)
    selector = FrameSelector(
        interval=interval, scene_threshold=scene_threshold, dedupe_hamming=dedupe_hamming
    )
    if info.category == "Image":
        with closing(load_image_frames(path, limits, max_side=max_side, deadline=deadline)) as frames:
            kept = 0
            for frame in frames:
                thumb = thumbnail(frame.image)
                if selector.consider(thumb, frame.time, keyframe=True):
                    yield Frame(image=frame.image, time=frame.time, index=kept, thumb=thumb)
                    kept += 1
        return
    if not info.has_video:
        return
    with media_errors(path.name), open_av(path) as container:
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
        # probe took the index from the container's video streams
        self.stream = cast("VideoStream", container.streams[info.video_streams[0].index])
        self.stream.thread_type = _DECODER_THREADING
        self.container = container
        self.info = info
        self.selector = selector
        self.limits = limits
        self.deadline = deadline
        self.name = name
        tb = self.stream.time_base
        self.tb = float(tb) if tb else None
        self.start = to_seconds(self.stream.start_time, tb)
        fps = info.fps if info.fps > 0 else 25.0
        self.tolerance = 0.5 / fps  # half a frame: a frame that late still counts as on time
        self.out_size = _scaled((round(info.width * info.sample_aspect), info.height), max_side)
        self.rotation = info.rotation
        self.interval = selector.interval
        self.decoded = 0  # frames out of the decoder, for benchmarks
        self.fed = 0  # packets sent to the decoder
        self.packets = 0
        # One scaler per kind of output: a reformatter keeps its swscale context while the input and output stay
        # the same, and building one costs several times the scaling itself (0.31 against 0.04 ms a thumbnail
        # of a 720p frame). Three, because a context is rebuilt whenever its sizes or interpolation change.
        self._rough = VideoReformatter()
        self._detail = VideoReformatter()
        self._full = VideoReformatter()

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
                check_duration(self.name, t, self.limits)
            if frame.width * frame.height > self.limits.max_pixels:  # the size may change mid-stream
                check_pixels(self.name, frame.width, frame.height, self.limits)
            keyframe = bool(frame.key_frame) or frame.pict_type == 1  # 1 is AV_PICTURE_TYPE_I
            # Every decoded frame needs a thumbnail for the scene test: the fast scaler costs a third of the
            # area-averaging one, which is kept for the frames that may be kept (the duplicate test).
            rough = _thumb(self._rough, frame, "FAST_BILINEAR")
            detail = partial(_thumb, self._detail, frame, "AREA")
            if not self.selector.consider(rough, t, keyframe=keyframe, detail=detail):
                continue
            if kept >= self.limits.max_frames:
                raise MediaLimitExceeded(f"{self.name}: more than {self.limits.max_frames} sampled frames")
            yield Frame(
                image=self._rgb(frame), time=round(max(t, 0.0), 3), index=kept, thumb=self._upright_thumb()
            )
            kept += 1

    def _rgb(self, frame: Any) -> np.ndarray:
        w, h = self.out_size
        rgb: np.ndarray = self._full.reformat(
            frame, width=w, height=h, format="rgb24", interpolation="AREA"
        ).to_ndarray()
        if self.rotation:
            rgb = np.ascontiguousarray(np.rot90(rgb, k=-(self.rotation // 90)))  # negative k: clockwise
        return rgb

    def _upright_thumb(self) -> np.ndarray | None:
        """The selector's clean thumbnail of the frame it just kept, turned as ``_rgb`` turns the frame."""
        thumb = self.selector.kept_thumb
        if thumb is not None and self.rotation:
            thumb = np.ascontiguousarray(np.rot90(thumb, k=-(self.rotation // 90)))
        return thumb

    def _decoded_frames(self) -> Iterator[Any]:
        return decode_packets(self._chosen_packets(), self.name, self.deadline)

    def _chosen_packets(self) -> Iterator[Any]:
        """The packets worth decoding, in decode order.

        A keyframe is always sent. After one, packets are sent while the next due frame comes before the next
        keyframe; once one is held back, the rest of that GOP is held back too (the decoder could not rebuild
        it without the missing reference), and so are the next GOP's leading pictures, which may refer to it.
        """
        buffered: deque[tuple[int, Any, float | None]] = deque()  # (sequence number, packet, time)
        keys: deque[tuple[int, float]] = deque()  # keyframe packets in ``buffered``
        demux = self.container.demux(self.stream)
        ended = False
        latest = -math.inf  # the time of the latest packet read
        pulled = 0  # packets read: the last one's sequence number

        def pull() -> None:
            nonlocal ended, latest, pulled
            packet = next(demux, None)
            if packet is None:
                ended = True
                return
            if packet.size == 0:
                return  # the demuxer's end-of-stream marker
            self.packets += 1
            t = self._time(packet.pts if packet.pts is not None else packet.dts)
            pulled += 1
            if t is not None:
                latest = max(latest, t)
                if packet.is_keyframe:
                    keys.append((pulled, t))
            buffered.append((pulled, packet, t))

        def check_whole() -> None:
            frame = 1.0 / (self.info.fps or 25.0)
            check_complete(self.name, "video", latest + frame, self.stream)

        codec = self.stream.codec_context
        complete = True  # the decoder has had every packet since the last keyframe sent
        previous_complete = True  # the same, for the GOP before the current one
        gop_time = -math.inf
        while True:
            if not buffered:
                pull()
                if ended and not buffered:
                    check_whole()
                    return
                continue
            seq, packet, t = buffered.popleft()
            if keys and keys[0][0] == seq:
                keys.popleft()
            skip: Literal["DEFAULT", "NONREF"] = "DEFAULT"
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
                while not ended and not keys and latest <= horizon:
                    if len(buffered) >= _LOOKAHEAD_PACKETS:
                        break
                    pull()
                # With no keyframe ahead, the stream's end plays that part: nothing is due past the last one.
                stop = keys[0][1] if keys else (latest if ended else math.inf)
                send = complete = horizon < stop
                # On the way to the due frame, frames nothing refers to are of no use: the decoder drops them.
                if t < horizon - 2 * self.tolerance:
                    skip = "NONREF"
            if send:
                if skip != codec.skip_frame:
                    codec.skip_frame = skip
                self.fed += 1
                yield packet


def _thumb(scaler: VideoReformatter, frame: Any, interpolation: str) -> np.ndarray:
    small = scaler.reformat(
        frame, width=THUMB_SIDE, height=THUMB_SIDE, format="rgb24", interpolation=interpolation
    )
    thumb: np.ndarray = small.to_ndarray().astype(np.float32)
    return thumb


def _scaled(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    w, h = size
    if max(w, h) <= max_side:
        return w, h
    scale = max_side / max(w, h)
    return max(2, round(w * scale)), max(2, round(h * scale))
