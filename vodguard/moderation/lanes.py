"""The threads of one moderation call and the state they share.

``Run`` holds one call's findings, timings, deadline and stop flag; every thread of the call writes to it.
``decoded`` decodes frames ahead in a pool thread, ``batches`` groups them, and each picture detector is a
``Lane``: its own thread, fed the same batches in order. ``OcrPass`` chooses the frames OCR reads.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent import futures
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from vodguard.moderation.detectors.base import FrameDetector, TextFrameDetector
from vodguard.moderation.errors import DeadlineExceeded
from vodguard.moderation.evidence import FrameKeeper
from vodguard.moderation.near_copies import NearCopies, reusing
from vodguard.moderation.policy import kind, leads_a_rule, suggest
from vodguard.moderation.types import Finding, Frame, ModerateText, StageTiming, Template

Progress = Callable[[str, float], None]

BATCH = 8  # frames per detector call: big enough to amortise the call, small enough for timely progress
_PICTURE_FORMS = frozenset({"Image", "OCR"})


class Timings:
    """Seconds and items per stage, added up from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stages: dict[str, StageTiming] = {}

    @contextlib.contextmanager
    def stage(self, name: str, items: int = 0) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.add(name, time.perf_counter() - start, items)

    def add(self, name: str, seconds: float, items: int = 0) -> None:
        with self._lock:
            timing = self._stages.setdefault(name, StageTiming(name, 0.0, 0))
            timing.seconds += seconds
            timing.items += items

    def as_list(self) -> list[StageTiming]:
        with self._lock:
            return list(self._stages.values())


class Run:
    """The state of one moderation call, shared by its threads."""

    def __init__(self, template: Template, progress: Progress | None, deadline: float) -> None:
        self.template = template
        self.deadline = deadline
        self.stop = threading.Event()  # early exit, or the other path failed
        self.timings = Timings()
        self.keeper = FrameKeeper()
        # the text moderator for OCR and ASR in this call, when the template's custom labels need their own
        self.moderate: ModerateText | None = None
        self._progress = progress
        self._lock = threading.Lock()
        self._findings: list[Finding] = []
        # frame index -> the kinds of picture-model signal found on it ("NudeNet.Breast"), for the cascades
        self._kinds: dict[int, set[str]] = {}
        # form -> (time, index) of every frame its detectors looked at. A frame stands for the time until the
        # next one (the sampler drops near-duplicates, so a still shot is one frame however long it lasts).
        self._looked: dict[str, list[tuple[float, int]]] = {}

    def check(self) -> None:
        """Raise ``DeadlineExceeded`` once the wall-time budget is spent."""
        if time.monotonic() > self.deadline:
            self.stop.set()
            raise DeadlineExceeded(
                "moderation ran past its deadline; the file is too long for the time budget"
            )

    def report(self, stage: str, fraction: float) -> None:
        if self._progress is not None:
            with self._lock:  # callers need not be thread-safe
                self._progress(stage, min(1.0, max(0.0, fraction)))

    def add(self, findings: Iterable[Finding], frames: Sequence[Frame] = ()) -> list[Finding]:
        """Record findings, keep the frames evidence may need, and stop on a block if the template says so."""
        by_index = {frame.index: frame for frame in frames}
        kept: list[Finding] = []
        counted: list[Finding] = []
        for finding in findings:
            frame = by_index.get(finding.frame_index) if finding.frame_index is not None else None
            if frame is not None and finding.start == 0.0 and finding.end == 0.0 and frame.time:
                # a frame detector that left the time out: the frame knows it
                finding = dataclasses.replace(finding, start=frame.time, end=frame.time)
            kept.append(finding)
            # a picture model's signal is judged alone here (early exit, counting); another model's signal on
            # the same frame may still raise it when policy.fuse sees them together, so its frame is kept
            suggestion = suggest(finding, self.template)
            if frame is not None and finding.form in _PICTURE_FORMS and (suggestion or leads_a_rule(finding)):
                self.keeper.keep(frame)
            if suggestion is None:
                continue
            counted.append(finding)
            if suggestion == "block" and self.template.early_exit:
                self.stop.set()
        with self._lock:
            self._findings.extend(kept)
            for finding in kept:
                if finding.signals and finding.frame_index is not None:
                    self._kinds.setdefault(finding.frame_index, set()).add(kind(finding))
        return counted

    def kinds_on(self, index: int) -> frozenset[str]:
        """The kinds of picture-model signal found so far on the frame with ``index``."""
        with self._lock:
            return frozenset(self._kinds.get(index, ()))

    def looked_at(self, form: str, frames: Sequence[Frame]) -> None:
        """Note the frames that detectors of ``form`` looked at (any order)."""
        with self._lock:
            self._looked.setdefault(form, []).extend((frame.time, frame.index) for frame in frames)

    def _covers(self) -> dict[str, dict[int, float]]:
        """form -> frame index -> time of the next frame that form looked at."""
        out: dict[str, dict[int, float]] = {}
        for form, looked in self._looked.items():
            ordered = sorted(set(looked))
            out[form] = {index: ordered[i + 1][0] for i, (_, index) in enumerate(ordered[:-1])}
        return out

    def findings(self, duration: float = 0.0) -> list[Finding]:
        """Every finding so far; a frame's point finding is stretched over the time its frame stands for."""
        with self._lock:
            all_covers = self._covers()
            out = []
            for finding in self._findings:
                covers = all_covers.get(finding.form)
                if covers is not None and finding.frame_index is not None and finding.end == finding.start:
                    end = covers.get(finding.frame_index, max(duration, finding.start))
                    finding = dataclasses.replace(finding, end=max(end, finding.start))
                out.append(finding)
            return out


def frame_work(
    name: str, detector: FrameDetector, run: Run, copies: NearCopies | None = None
) -> Callable[[list[Frame]], None]:
    """A lane's work: ``detector`` on each batch; with ``copies``, not on the batch's near-copies, which take
    the findings of the frame they repeat (``near_copies.py``). The stage counts the frames the model read."""
    if copies is None:

        def work(batch: list[Frame]) -> None:
            run.looked_at("Image", batch)
            with run.timings.stage(name, len(batch)):
                run.add(detector(batch), batch)

        return work
    detect = reusing(detector, copies)

    def work_reusing(batch: list[Frame]) -> None:
        run.looked_at("Image", batch)
        start = time.perf_counter()
        found, read = detect(batch)
        run.add(found, batch)
        run.timings.add(name, time.perf_counter() - start, read)

    return work_reusing


class Lane:
    """One picture detector on its own thread, fed batches in order, with at most ``depth`` batches queued;
    ``end``, if given, runs on that thread after the last batch (work a lane held back for what came next).

    ``after``: lanes whose work on a batch must be done before this lane starts on it (a cascade reads what the
    models before it found on a frame, ``cascade.py``). They must be fed each batch first; they never wait for
    this one, so the lanes cannot wait for each other in a circle.
    """

    def __init__(
        self,
        name: str,
        work: Callable[[list[Frame]], None],
        run: Run,
        *,
        depth: int = 2,
        end: Callable[[], None] | None = None,
        after: Sequence[Lane] = (),
    ) -> None:
        self._work = work
        self._end = end
        self._run = run
        self._depth = depth
        self._after = tuple(after)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"vodguard-{name}")
        self._jobs: deque[tuple[Future[None], float]] = deque()
        self._latest: Future[None] | None = None  # the job queued last (what a lane after this one waits for)
        self.done_until = 0.0  # time of the last frame this lane has finished
        self._until = 0.0  # time of the last frame queued

    def _do(self, job: Callable[[], None], first: Sequence[Future[None]]) -> None:
        # an earlier lane's failure surfaces in the calling thread through that lane; here it only ends the wait
        futures.wait(first)
        if self._run.stop.is_set():
            return
        self._run.check()
        job()

    def _queue(self, job: Callable[[], None], until: float) -> None:
        first = [lane._latest for lane in self._after if lane._latest is not None]
        self._latest = self._pool.submit(self._do, job, first)
        self._jobs.append((self._latest, until))

    def _wait_oldest(self) -> None:
        job, until = self._jobs.popleft()
        job.result()  # a detector's error surfaces in the calling thread
        self.done_until = until

    def submit(self, batch: list[Frame]) -> None:
        """Queue ``batch``, first waiting while the lane is ``depth`` batches behind (bounded memory)."""
        while len(self._jobs) >= self._depth:
            self._wait_oldest()
        self._queue(functools.partial(self._work, batch), batch[-1].time)
        self._until = batch[-1].time

    def drain(self) -> None:
        """After the last batch: queue ``end`` behind it, and wait for every queued job."""
        end, self._end = self._end, None  # once
        if end is not None:
            self._queue(end, self._until)
        while self._jobs:
            self._wait_oldest()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class OcrPass:
    """OCR over a stream of batches: every ``ocr_interval``, plus the frames in between where the text changed.

    Reading one frame in ``ocr_interval / frame_interval`` keeps OCR affordable, but a caption would then start
    and end up to ``ocr_interval`` late. When two consecutive OCR frames disagree about what they show (a hit
    appears, goes, or changes), the sampled frames between them are read too, so the segment's edges are as
    precise as the frame sampling; a caption that never changes costs nothing more.
    """

    def __init__(
        self,
        detector: TextFrameDetector,
        run: Run,
        *,
        interval: float,
        slack: float,
        pictures: bool = False,
        ticking: bool | None = None,
    ) -> None:
        """``ticking``: whether a ticking line may keep its last reading in this file (the call's budget decides;
        ``None``: as the detector was built)."""
        # a session keeps OCR's change gate and text verdicts from batch to batch of this one file
        self._detector = detector.session(moderate=run.moderate, pictures=pictures, ticking=ticking)
        self._run = run
        self._interval = interval
        self._slack = slack
        self._next = 0.0
        self._pending: list[Frame] = []  # sampled since the last OCR frame, not read
        self._last_keys: frozenset[tuple[str, str, str]] | None = None

    def _read(self, frames: list[Frame]) -> list[Finding]:
        self._run.looked_at("OCR", frames)
        before = self._detector.recognised
        with self._run.timings.stage("ocr", len(frames)):
            found = self._run.add(self._detector(frames), frames)
        # the lines rec read: what the change gate and a ticking line's skips leave of OCR's costliest step
        self._run.timings.add("ocr_rec", 0.0, self._detector.recognised - before)
        return found

    def batch(self, batch: Sequence[Frame]) -> None:
        """OCR the batch's tick frames, then the skipped frames around any change of what they show."""
        chosen = []
        for frame in batch:
            if frame.time + self._slack >= self._next:
                chosen.append(frame)
                self._next = frame.time + self._interval
        if not chosen:
            self._pending.extend(batch)
            return
        hits = self._read(chosen)
        keys: dict[int, set[tuple[str, str, str]]] = {frame.index: set() for frame in chosen}
        for finding in hits:
            if finding.frame_index in keys:
                keys[finding.frame_index].add((finding.form, finding.label, finding.sub_label))
        refine: list[Frame] = []
        for frame in batch:
            if frame.index not in keys:
                self._pending.append(frame)
                continue
            now = frozenset(keys[frame.index])
            if self._last_keys is not None and now != self._last_keys:
                refine.extend(self._pending)
            self._pending = []
            self._last_keys = now
        if refine:
            self._read(refine)

    def finish(self) -> None:
        """At the end of the stream: a hit on the last OCR frame may end before the file does."""
        if self._last_keys and self._pending:
            self._read(self._pending)
        self._pending = []


def batches(frames: Iterable[Frame], size: int) -> Iterator[list[Frame]]:
    batch: list[Frame] = []
    for frame in frames:
        batch.append(frame)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


_END = object()


def decoded(frames: Iterable[Frame], run: Run, pool: ThreadPoolExecutor | None) -> Iterator[Frame]:
    """The frames, decoded ahead in a pool thread when there is one, timed as the ``decode`` stage."""
    if pool is None:  # a picture's frames: decoded here, one at a time, as the detectors ask for them
        iterator = iter(frames)
        while True:
            start = time.perf_counter()
            frame = next(iterator, None)
            if frame is None:
                return
            run.timings.add("decode", time.perf_counter() - start, 1)
            yield frame
    ahead: queue.Queue[Any] = queue.Queue(maxsize=2 * BATCH)
    halt = threading.Event()  # the consumer is gone: stop decoding

    def produce() -> None:
        iterator = iter(frames)
        try:
            while not (halt.is_set() or run.stop.is_set()):
                start = time.perf_counter()
                try:
                    frame = next(iterator)
                except StopIteration:
                    break
                run.timings.add("decode", time.perf_counter() - start, 1)
                while not halt.is_set():
                    try:
                        ahead.put(frame, timeout=0.2)
                        break
                    except queue.Full:
                        continue
            item: Any = _END
        except BaseException as exc:  # handed to the consumer, which raises it in the calling thread
            item = exc
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()  # a generator over a container closes the file now, not at garbage collection
        while not halt.is_set():
            try:
                ahead.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    job = pool.submit(produce)
    try:
        while True:
            try:
                item = ahead.get(timeout=0.5)
            except queue.Empty:
                if job.done() and ahead.empty():  # the producer died without a word: surface why
                    job.result()
                    return
                continue
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        halt.set()
        job.result()
