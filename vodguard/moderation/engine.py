"""The engine: decode a file, run the detectors its template needs, and turn their findings into a result.

A file goes through two paths at once, which keeps both cores of a small machine busy:

* pictures: one thread decodes and samples frames into a short queue while the calling thread runs the frame
  detectors on batches of them, and OCR on the sparser ``ocr_interval`` subset;
* audio: a second thread decodes the audio track and runs speech (ASR), sound (Voice) and custom audio models.

onnxruntime, CTranslate2 and FFmpeg release the GIL while they work, so the threads overlap for real.
Detectors are loaded on first use, once per ``Engine``, and shared by every call and thread (they keep no
per-call state). A template's custom text labels are fitted into heads once per ``Engine`` (``custom_labels.py``)
and reach OCR and ASR as a per-call text moderator, never as detector state.
"""

from __future__ import annotations

import contextlib
import dataclasses
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vodguard.moderation import media
from vodguard.moderation.config import EngineConfig
from vodguard.moderation.custom_labels import CustomHeadCache
from vodguard.moderation.errors import DeadlineExceeded, ModelUnavailable, ModerationError, SourceFileError
from vodguard.moderation.evidence import FrameKeeper, attach_thumbnails
from vodguard.moderation.policy import suggest, verdict
from vodguard.moderation.presets import IMAGE_LABELS
from vodguard.moderation.segments import gaps_for, merge_findings
from vodguard.moderation.types import (
    AudioTrack,
    Finding,
    Frame,
    ModerateText,
    ModerationResult,
    StageTiming,
    Template,
    TextHit,
)

if TYPE_CHECKING:
    from vodguard.moderation.text.intent import CustomHead

Progress = Callable[[str, float], None]

BATCH = 8  # frames per detector call: big enough to amortise the call, small enough for timely progress
# Labels whose evidence can be text: they make OCR read the frames and ASR transcribe the speech. Porn is one:
# a template of Porn alone must still catch "free porn videos" in a caption or in speech, as the cloud's does.
TEXT_LABELS = frozenset({"Porn", "Terror", "Polity", "Ad", "Illegal", "Abuse"})
SPEECH_LABELS = TEXT_LABELS | {"Moan"}
_PICTURE_FORMS = frozenset({"Image", "OCR"})


@dataclass(frozen=True)
class Plan:
    """Which detectors one call runs, by the names ``Engine`` loads them under."""

    frame_detectors: tuple[str, ...] = ()
    ocr: bool = False
    audio_detectors: tuple[str, ...] = ()

    @property
    def pictures(self) -> bool:
        return bool(self.frame_detectors) or self.ocr

    @property
    def audio(self) -> bool:
        return bool(self.audio_detectors)


def plan_for(
    labels: Iterable[str], config: EngineConfig, *, image: bool = False, custom: Iterable[str] = ()
) -> Plan:
    """The detectors that can report any of ``labels``: nothing runs that no wanted label needs.

    ``custom`` are the labels of the template's custom text labels: text can carry them, so OCR and ASR run.
    """
    wanted = frozenset(labels)
    frame: list[str] = []
    # Tiles find small or off-centre things but cost several model runs a frame: worth it for a single
    # picture, while a video's many frames (and the same thing seen closer in other shots) make one view enough.
    tiled = ":tiled" if image or config.video_tiles else ""
    if "Porn" in wanted:
        frame.append("nsfw" + tiled)
    if "Terror" in wanted:
        frame.append("terror" + tiled)
    audio: list[str] = []
    # an operator's text model can bring a label of its own to OCR lines and speech (Moan in subtitles, say)
    text_labels = {
        target.split(".", 1)[0]
        for m in config.custom_models
        if m.kind == "text"
        for target in m.labels.values()
    } | set(custom)
    if not image:
        if wanted & (SPEECH_LABELS | text_labels):
            audio.append("asr")
        if "Terror" in wanted:
            audio.append("voice")
    for i, model in enumerate(config.custom_models):
        if not wanted & {target.split(".", 1)[0] for target in model.labels.values()}:
            continue
        if model.kind == "image":
            frame.append(f"custom:{i}")
        elif model.kind == "audio" and not image:
            audio.append(f"custom:{i}")
    ocr = bool(wanted & (TEXT_LABELS | text_labels))
    return Plan(frame_detectors=tuple(frame), ocr=ocr, audio_detectors=tuple(audio))


class _Timings:
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


class _Run:
    """The state of one moderation call, shared by its threads."""

    def __init__(self, template: Template, progress: Progress | None, deadline: float) -> None:
        self.template = template
        self.deadline = deadline
        self.stop = threading.Event()  # early exit, or the other path failed
        self.timings = _Timings()
        self.keeper = FrameKeeper()
        # the text moderator for OCR and ASR in this call, when the template's custom labels need their own
        self.moderate: ModerateText | None = None
        self._progress = progress
        self._lock = threading.Lock()
        self._findings: list[Finding] = []
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
            suggestion = suggest(finding, self.template)
            if suggestion is None:
                continue
            counted.append(finding)
            if frame is not None and finding.form in _PICTURE_FORMS:
                self.keeper.keep(frame)
            if suggestion == "block" and self.template.early_exit:
                self.stop.set()
        with self._lock:
            self._findings.extend(kept)
        return counted

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


class Engine:
    """Loads the detectors that the config and labels need, lazily and once; safe to share between threads."""

    def __init__(self, config: EngineConfig | None = None) -> None:
        self.config = config if config is not None else EngineConfig()
        self._lock = threading.Lock()
        self._loaded: dict[str, Any] = {}
        self._loading: dict[str, threading.Lock] = {}
        self._custom_heads = CustomHeadCache()

    # --- detectors ---------------------------------------------------------------------------------------

    def detector(self, name: str) -> Any:
        """The detector called ``name`` (see ``plan_for``), loaded on first use."""
        with self._lock:
            if name in self._loaded:
                return self._loaded[name]
            lock = self._loading.setdefault(name, threading.Lock())
        with lock:  # one load per name; other names load in parallel
            with self._lock:
                if name in self._loaded:
                    return self._loaded[name]
            try:
                made = self._build(name)
            except ModerationError:
                raise
            except Exception as exc:  # a model file that is not one (a bad path in the config, a broken copy)
                raise ModelUnavailable(f"the {name} detector could not load its model: {exc}") from exc
            with self._lock:
                self._loaded[name] = made
            return made

    def _build(self, name: str) -> Any:
        cfg = self.config
        if name == "text":
            from vodguard.moderation.text import TextModerator, get_text_moderator

            texts = [m for m in cfg.custom_models if m.kind == "text"]
            if not texts:
                return get_text_moderator()
            from vodguard.moderation.detectors.custom import CustomTextModel

            return TextModerator(extra=[CustomTextModel(m, threads=cfg.threads) for m in texts])
        if name in ("nsfw", "nsfw:tiled"):
            from vodguard.moderation.detectors.nsfw import NsfwDetector

            return NsfwDetector(cfg.nudenet_path, tiles=name == "nsfw:tiled", threads=cfg.threads)
        if name in ("terror", "terror:tiled"):
            from vodguard.moderation.detectors.terror import TerrorDetector

            return TerrorDetector(cfg, tiles=name == "terror:tiled")
        if name == "ocr":
            from vodguard.moderation.detectors.ocr import OcrDetector, OcrReader

            reader = OcrReader(
                threads=cfg.threads,
                det_model=cfg.ocr_det_model_path,
                rec_model=cfg.ocr_rec_model_path,
                rec_keys=cfg.ocr_rec_keys_path,
            )
            return OcrDetector(self.detector("text"), reader)
        if name == "transcriber":
            from vodguard.moderation.detectors.asr import Transcriber

            return Transcriber(cfg)
        if name == "asr":
            from vodguard.moderation.detectors.asr import AsrDetector

            return AsrDetector(self.detector("text"), self.detector("transcriber"))
        if name == "voice":
            from vodguard.moderation.detectors.voice import VoiceDetector

            return VoiceDetector()
        if name.startswith("custom:"):
            from vodguard.moderation.detectors.custom import CustomAudioModel, CustomImageModel

            model = cfg.custom_models[int(name.split(":", 1)[1])]
            if model.kind == "image":
                return CustomImageModel(model, threads=cfg.threads)
            return CustomAudioModel(model, threads=cfg.threads)
        raise KeyError(f"no detector called {name!r}")

    def _load(self, names: Iterable[str], run: _Run) -> None:
        with run.timings.stage("load_models"):
            for name in names:
                self.detector(name)

    # --- custom text labels ------------------------------------------------------------------------------

    def custom_heads(self, template: Template, labels: Iterable[str] | None = None) -> tuple[CustomHead, ...]:
        """The fitted heads (``text.intent.CustomHead``) of the template's custom labels under ``labels`` (default:
        the template's labels), fitted on first use and cached by their examples."""
        wanted = template.labels if labels is None else frozenset(labels)
        chosen = [custom for custom in template.custom_labels if custom.label in wanted]
        if not chosen:
            return ()
        return self._custom_heads.heads(chosen, self.detector("text"))

    def _text_for_run(self, run: _Run, plan: Plan) -> None:
        """Give the run its text moderator for OCR and ASR: the engine's, with the template's custom labels, and
        timed as its own stage ("text") so that reading meaning is measured apart from reading pixels or speech
        (its time is also inside the "ocr" and "asr" stages that call it)."""
        if not (plan.ocr or "asr" in plan.audio_detectors):
            return
        with run.timings.stage("load_models"):
            moderator = self.detector("text")
        heads: tuple[CustomHead, ...] = ()
        if run.template.custom_labels:
            with run.timings.stage("custom_labels"):
                heads = self.custom_heads(run.template)

        def moderate(text: str) -> list[TextHit]:
            with run.timings.stage("text", 1):
                return moderator(text, custom=heads)

        run.moderate = moderate

    # --- audio/video -------------------------------------------------------------------------------------

    def moderate_media(
        self,
        source: Path,
        template: Template,
        *,
        progress: Progress | None = None,
        deadline: float | None = None,
    ) -> ModerationResult:
        """Moderate an audio or video file (ReviewAudioVideoTaskOutput-shaped result).

        ``deadline`` is a ``time.monotonic()`` instant (default: now plus ``limits.wall_seconds``); past it
        the call raises ``DeadlineExceeded``. ``progress(stage, fraction)`` reports the stages ``pictures``
        and ``audio`` (each from 0 to 1, when the file has them); it may be called from any of the call's
        threads, never two at once.
        """
        source = Path(source)
        if not source.is_file():
            raise SourceFileError(f"{source} does not exist or is not a file")
        limits = self.config.limits
        run = _Run(
            template, progress, deadline if deadline is not None else time.monotonic() + limits.wall_seconds
        )
        with run.timings.stage("probe"):
            info = media.probe(source, limits)
        custom = [c.label for c in template.custom_labels]
        wanted = plan_for(template.labels, self.config, custom=custom)
        plan = Plan(
            frame_detectors=wanted.frame_detectors if info.has_video else (),
            ocr=wanted.ocr and info.has_video,
            audio_detectors=wanted.audio_detectors if info.has_audio else (),
        )
        self._text_for_run(run, plan)
        duration = float(info.duration or 0.0)
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="vodguard-engine") as pool:
            audio_job = pool.submit(self._audio_path, source, info, plan, run) if plan.audio else None
            try:
                # picture models load here while the audio thread loads its own
                self._load([*plan.frame_detectors, *(["ocr"] if plan.ocr else [])], run)
                run.check()
                if plan.pictures:
                    frames = media.sample_frames(
                        source,
                        info,
                        interval=self.config.frame_interval,
                        scene_threshold=self.config.scene_threshold,
                        dedupe_hamming=self.config.dedupe_hamming,
                        limits=limits,
                        deadline=run.deadline,
                    )
                    self._picture_path(frames, plan, run, duration, pool)
            except BaseException:
                run.stop.set()  # the audio path gives up at its next check
                raise
            if audio_job is not None:
                audio_job.result()
        return self._finish(run, duration, gaps_for(self.config.frame_interval, self.config.ocr_interval))

    def _picture_path(
        self, frames: Iterable[Frame], plan: Plan, run: _Run, duration: float, pool: ThreadPoolExecutor | None
    ) -> None:
        """Run the frame detectors (and OCR on its subset) on batches of frames as the decoder yields them.

        Each detector is a lane with its own thread, fed the same batches in order, so a slow OCR does not hold
        the cheap detectors back and the cores stay busy while the decoder works ahead.
        """
        lanes: list[_Lane] = []
        for name in plan.frame_detectors:
            stage = name.removesuffix(":tiled")  # timings and progress speak of the detector, not its mode
            lanes.append(_Lane(stage, _frame_work(stage, self.detector(name), run), run))
        ocr = None
        if plan.ocr:
            # Every frame of a picture is read; in a video, one every ocr_interval, with half a frame interval
            # of slack so that a sampler's jitter does not skip a tick.
            interval = self.config.ocr_interval if duration > 0 else 0.0
            ocr = _OcrPass(self.detector("ocr"), run, interval=interval, slack=self.config.frame_interval / 2)
            lanes.append(_Lane("ocr", ocr.batch, run))
        try:
            for batch in _batches(_decoded(frames, run, pool), BATCH):
                run.check()
                for lane in lanes:
                    lane.submit(batch)
                if duration > 0 and lanes:
                    run.report("pictures", min(lane.done_until for lane in lanes) / duration)
                if run.stop.is_set():
                    break
            for lane in lanes:
                lane.drain()
            if ocr is not None and not run.stop.is_set():
                ocr.finish()
        except BaseException:
            run.stop.set()  # queued lane work is skipped
            raise
        finally:
            for lane in lanes:
                lane.close()
        run.report("pictures", 1.0)

    def _audio_path(self, source: Path, info: media.MediaInfo, plan: Plan, run: _Run) -> None:
        """Decode the audio track, then run the audio detectors on it chunk by chunk."""
        try:
            self._load(plan.audio_detectors, run)
            run.check()
            with run.timings.stage("decode_audio"):
                track: AudioTrack | None = media.load_audio(source, info, self.config.limits, run.deadline)
            if track is None:
                return
            run.report("audio", 0.05)
            total = max(track.duration, 1e-9)
            for offset, chunk in media.audio_chunks(track):
                for name in plan.audio_detectors:
                    if run.stop.is_set():
                        return
                    run.check()
                    detector = self.detector(name)
                    with run.timings.stage(name, 1):
                        if name == "asr" and run.moderate is not None:
                            found = detector(chunk, moderate=run.moderate)
                        else:
                            found = detector(chunk)
                    run.add(_shifted(found, offset))
                run.report("audio", 0.05 + 0.95 * (offset + chunk.duration) / total)
        except BaseException:
            run.stop.set()  # the picture path gives up at its next batch
            raise

    def _finish(self, run: _Run, duration: float, gaps: dict[str, float] | float) -> ModerationResult:
        with run.timings.stage("segments"):
            merged = merge_findings(run.findings(duration), run.template, gaps=gaps)
            evidence = attach_thumbnails(merged, run.keeper)
        segments = [m.segment for m in merged]
        suggestion, label, form = verdict(segments)
        return ModerationResult(
            suggestion=suggestion,
            label=label,
            form=form,
            segments=segments,
            evidence=evidence,
            duration=duration,
            timings=run.timings.as_list(),
        )

    # --- images ------------------------------------------------------------------------------------------

    def moderate_image(self, source: Path | bytes, template: Template) -> ModerationResult:
        """Moderate a picture, an animated GIF frame by frame (ReviewImageResult-shaped result)."""
        limits = self.config.limits
        labels = template.labels & IMAGE_LABELS
        image_template = dataclasses.replace(template, labels=labels)
        run = _Run(image_template, None, time.monotonic() + limits.wall_seconds)
        plan = plan_for(labels, self.config, image=True, custom=[c.label for c in template.custom_labels])
        self._load([*plan.frame_detectors, *(["ocr"] if plan.ocr else [])], run)
        self._text_for_run(run, plan)
        with run.timings.stage("decode"):
            frames = media.load_image_frames(source, limits, deadline=run.deadline)
        with contextlib.closing(frames):  # an early exit must not leave the image open
            if plan.pictures:
                self._picture_path(frames, plan, run, 0.0, None)
        # one picture: every hit of one kind is one segment, however many GIF frames carry it
        return self._finish(run, 0.0, float("inf"))


def _shifted(findings: Iterable[Finding], offset: float) -> list[Finding]:
    if not offset:
        return list(findings)
    return [dataclasses.replace(f, start=f.start + offset, end=f.end + offset) for f in findings]


def _frame_work(name: str, detector: Any, run: _Run) -> Callable[[list[Frame]], None]:
    def work(batch: list[Frame]) -> None:
        run.looked_at("Image", batch)
        with run.timings.stage(name, len(batch)):
            run.add(detector(batch), batch)

    return work


class _Lane:
    """One picture detector on its own thread, fed batches in order, with at most ``depth`` batches queued."""

    def __init__(self, name: str, work: Callable[[list[Frame]], None], run: _Run, *, depth: int = 2) -> None:
        self._work = work
        self._run = run
        self._depth = depth
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"vodguard-{name}")
        self._jobs: deque[tuple[Future[None], float]] = deque()
        self.done_until = 0.0  # time of the last frame this lane has finished

    def _do(self, batch: list[Frame]) -> None:
        if self._run.stop.is_set():
            return
        self._run.check()
        self._work(batch)

    def _wait_oldest(self) -> None:
        job, until = self._jobs.popleft()
        job.result()  # a detector's error surfaces in the calling thread
        self.done_until = until

    def submit(self, batch: list[Frame]) -> None:
        """Queue ``batch``, first waiting while the lane is ``depth`` batches behind (bounded memory)."""
        while len(self._jobs) >= self._depth:
            self._wait_oldest()
        self._jobs.append((self._pool.submit(self._do, batch), batch[-1].time))

    def drain(self) -> None:
        """Wait for every queued batch."""
        while self._jobs:
            self._wait_oldest()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class _OcrPass:
    """OCR over a stream of batches: every ``ocr_interval``, plus the frames in between where the text changed.

    Reading one frame in ``ocr_interval / frame_interval`` keeps OCR affordable, but a caption would then start
    and end up to ``ocr_interval`` late. When two consecutive OCR frames disagree about what they show (a hit
    appears, goes, or changes), the sampled frames between them are read too, so the segment's edges are as
    precise as the frame sampling; a caption that never changes costs nothing more.
    """

    def __init__(self, detector: Any, run: _Run, *, interval: float, slack: float) -> None:
        # a session keeps OCR's change gate and text verdicts from batch to batch of this one file
        self._detector = detector.session(moderate=run.moderate) if hasattr(detector, "session") else detector
        self._run = run
        self._interval = interval
        self._slack = slack
        self._next = 0.0
        self._pending: list[Frame] = []  # sampled since the last OCR frame, not read
        self._last_keys: frozenset[tuple[str, str, str]] | None = None

    def _read(self, frames: list[Frame]) -> list[Finding]:
        self._run.looked_at("OCR", frames)
        with self._run.timings.stage("ocr", len(frames)):
            return self._run.add(self._detector(frames), frames)

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


def _batches(frames: Iterable[Frame], size: int) -> Iterator[list[Frame]]:
    batch: list[Frame] = []
    for frame in frames:
        batch.append(frame)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


_END = object()


def _decoded(frames: Iterable[Frame], run: _Run, pool: ThreadPoolExecutor | None) -> Iterator[Frame]:
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


_DEFAULT_LOCK = threading.Lock()
_DEFAULT_ENGINES: list[tuple[EngineConfig, Engine]] = []


def default_engine(config: EngineConfig | None = None) -> Engine:
    """A process-wide engine per config, so repeated module-level calls load each model once."""
    config = config if config is not None else EngineConfig()
    with _DEFAULT_LOCK:
        for known, engine in _DEFAULT_ENGINES:
            if known == config:
                return engine
        engine = Engine(config)
        _DEFAULT_ENGINES.append((config, engine))
        return engine


def moderate_media(
    source: Path,
    template: Template,
    progress: Progress | None = None,
    deadline: float | None = None,
    config: EngineConfig | None = None,
) -> ModerationResult:
    """``Engine.moderate_media`` on the shared engine for ``config``."""
    return default_engine(config).moderate_media(source, template, progress=progress, deadline=deadline)


def moderate_image(
    source: Path | bytes, template: Template, config: EngineConfig | None = None
) -> ModerationResult:
    """``Engine.moderate_image`` on the shared engine for ``config``."""
    return default_engine(config).moderate_image(source, template)


__all__ = [
    "Engine",
    "ModerationError",
    "Plan",
    "default_engine",
    "moderate_image",
    "moderate_media",
    "plan_for",
]
