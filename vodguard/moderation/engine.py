"""The engine: decode a file, run the detectors its template needs, and turn their findings into a result.

A file goes through two paths at once, which keeps both cores of a small machine busy:

* pictures: one thread decodes and samples frames into a short queue while the calling thread runs the frame
  detectors on batches of them, and OCR on the sparser ``ocr_interval`` subset;
* audio: a second thread decodes the audio track and runs speech (ASR), sound (Voice) and custom audio models.

onnxruntime, CTranslate2 and FFmpeg release the GIL while they work, so the threads overlap for real.
Detectors are loaded on first use, once per ``Engine``, and shared by every call and thread (they keep no
per-call state). A template's custom text labels are fitted into heads once per ``Engine`` (``custom_labels.py``)
and reach OCR and ASR as a per-call text moderator, never as detector state.

The planner (``plan.py``) chooses the detectors, ``detectors.build`` makes them, and ``lanes.py`` holds the
threads of a call and the state they share. Given a bank of known content (``known=``), the calling thread also
hashes each batch of sampled frames and looks it up (``known.py``); a copy of banked media is a block.
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, cast

from vodguard.moderation import detectors, media
from vodguard.moderation.cascade import CASCADED, MODEL_OF, FrameCascade, lane_rank
from vodguard.moderation.config import EngineConfig
from vodguard.moderation.custom_labels import CustomHeadCache
from vodguard.moderation.errors import ModelUnavailable, ModerationError, SourceFileError
from vodguard.moderation.evidence import attach_thumbnails
from vodguard.moderation.known import KnownLookup, KnownMatcher, is_empty
from vodguard.moderation.lanes import BATCH, Lane, OcrPass, Progress, Run, batches, decoded, frame_work
from vodguard.moderation.near_copies import NearCopies
from vodguard.moderation.plan import Plan, budgeted, plan_for
from vodguard.moderation.policy import verdict
from vodguard.moderation.presets import IMAGE_LABELS
from vodguard.moderation.segments import gaps_for, merge_findings
from vodguard.moderation.types import AudioTrack, Finding, Frame, ModerationResult, Template, TextHit

if TYPE_CHECKING:
    from vodguard.moderation.detectors.base import (
        AudioDetector,
        CascadedDetector,
        FrameDetector,
        TextAudioDetector,
        TextFrameDetector,
    )
    from vodguard.moderation.text import TextModerator
    from vodguard.moderation.text.intent import CustomHead


class Engine:
    """Loads the detectors that the config and labels need, lazily and once; safe to share between threads."""

    def __init__(self, config: EngineConfig | None = None) -> None:
        self.config = config if config is not None else EngineConfig()
        self._lock = threading.Lock()
        self._loaded: dict[str, object] = {}
        self._loading: dict[str, threading.Lock] = {}
        self._custom_heads = CustomHeadCache()

    # --- detectors ---------------------------------------------------------------------------------------

    def detector(self, name: str) -> object:
        """The detector or part called ``name`` (see ``detectors.build``), loaded on first use."""
        with self._lock:
            if name in self._loaded:
                return self._loaded[name]
            lock = self._loading.setdefault(name, threading.Lock())
        with lock:  # one load per name; other names load in parallel
            with self._lock:
                if name in self._loaded:
                    return self._loaded[name]
            try:
                made = detectors.build(name, self.config, self.detector)
            except ModerationError:
                raise
            except Exception as exc:  # a model file that is not one (a bad path in the config, a broken copy)
                raise ModelUnavailable(f"the {name} detector could not load its model: {exc}") from exc
            with self._lock:
                self._loaded[name] = made
            return made

    def _preload(self, name: str, run: Run) -> None:
        """Load ``name`` ahead of its first use, on a thread of its own; a failure is left for that use to raise
        again (``detector`` retries), where the call reports it.

        Timed as its own stage (``load_<name>``), not as "load_models": that stage is the time the call's own
        threads spent loading, or waiting for this load, before their work; adding this thread's time to it
        would count the same seconds twice (the benchmark subtracts it from the wall time)."""
        with contextlib.suppress(ModerationError), run.timings.stage(f"load_{name}"):
            self.detector(name)

    def loaded(self, name: str) -> bool:
        """Whether the detector or part called ``name`` is loaded already."""
        with self._lock:
            return name in self._loaded

    def _text_moderator(self) -> TextModerator:
        return cast("TextModerator", self.detector("text"))

    def _load(self, names: Iterable[str], run: Run) -> None:
        with run.timings.stage("load_models"):
            for name in names:
                self.detector(name)

    def warm_up(self, labels: Iterable[str]) -> tuple[str, ...]:
        """Load now every model that reviews of ``labels`` need, in video and in pictures, rather than in the
        first task; returns the names loaded. ``ModelUnavailable`` names a model that will not load."""
        names: list[str] = []
        for image in (False, True):
            plan = plan_for(labels, self.config, image=image)
            names += [*plan.frame_detectors, *plan.audio_detectors]
            if plan.ocr:
                names += ["ocr", "text"]
            elif "asr" in plan.audio_detectors:
                names.append("text")
        loaded = tuple(dict.fromkeys(names))
        for name in loaded:
            self.detector(name)
        return loaded

    # --- custom text labels ------------------------------------------------------------------------------

    def custom_heads(self, template: Template, labels: Iterable[str] | None = None) -> tuple[CustomHead, ...]:
        """The fitted heads (``text.intent.CustomHead``) of the template's custom labels under ``labels`` (default:
        the template's labels), fitted on first use and cached by their examples."""
        wanted = template.labels if labels is None else frozenset(labels)
        chosen = [custom for custom in template.custom_labels if custom.label in wanted]
        if not chosen:
            return ()
        return self._custom_heads.heads(chosen, self._text_moderator())

    def _text_for_run(self, run: Run, plan: Plan) -> None:
        """Give the run its text moderator for OCR and ASR: the engine's, with the template's custom labels, and
        timed as its own stage ("text") so that reading meaning is measured apart from reading pixels or speech
        (its time is also inside the "ocr" and "asr" stages that call it).

        The text models take about two seconds to load, and OCR and ASR need them only once their own models
        have loaded and read a frame or a sentence, so a first load runs on a thread of its own beside that work
        (a caller that gets there first waits for it in ``detector``). Custom labels are fitted here, before
        anything runs, so that a label the engine cannot fit fails the call at once.
        """
        if not (plan.ocr or "asr" in plan.audio_detectors):
            return
        heads: tuple[CustomHead, ...] = ()
        if run.template.custom_labels:
            with run.timings.stage("load_models"):
                self._text_moderator()
            with run.timings.stage("custom_labels"):
                heads = self.custom_heads(run.template)
        elif not self.loaded("text"):
            threading.Thread(
                target=self._preload, args=("text", run), name="vodguard-load-text", daemon=True
            ).start()

        def moderate(text: str) -> list[TextHit]:
            moderator = self._text_moderator()  # a failed load raises its ModelUnavailable here
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
        known: KnownLookup | None = None,
    ) -> ModerationResult:
        """Moderate an audio or video file (ReviewAudioVideoTaskOutput-shaped result).

        ``deadline`` is a ``time.monotonic()`` instant (default: now plus ``limits.wall_seconds``); past it
        the call raises ``DeadlineExceeded``. ``progress(stage, fraction)`` reports the stages ``pictures``
        and ``audio`` (each from 0 to 1, when the file has them); it may be called from any of the call's
        threads, never two at once. ``known`` is a bank of known content to match the file's frames against:
        a match is ``result.known_match`` and makes the suggestion ``block``.
        """
        source = Path(source)
        if not source.is_file():
            raise SourceFileError(f"{source} does not exist or is not a file")
        config = budgeted(self.config, template.budget)  # the template's sampling density
        limits = config.limits
        run = Run(
            template, progress, deadline if deadline is not None else time.monotonic() + limits.wall_seconds
        )
        with run.timings.stage("probe"):
            info = media.probe(source, limits)
        custom = [c.label for c in template.custom_labels]
        wanted = plan_for(template.labels, config, custom=custom)
        plan = Plan(
            frame_detectors=wanted.frame_detectors if info.has_video else (),
            ocr=wanted.ocr and info.has_video,
            audio_detectors=wanted.audio_detectors if info.has_audio else (),
        )
        self._text_for_run(run, plan)
        duration = float(info.duration or 0.0)
        matcher = (
            KnownMatcher(known) if known is not None and info.has_video and not is_empty(known) else None
        )
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="vodguard-engine") as pool:
            audio_job = pool.submit(self._audio_path, source, info, plan, run) if plan.audio else None
            try:
                # picture models load here while the audio thread loads its own
                self._load([*plan.frame_detectors, *(["ocr"] if plan.ocr else [])], run)
                run.check()
                if plan.pictures or matcher is not None:
                    frames = media.sample_frames(
                        source,
                        info,
                        interval=config.frame_interval,
                        scene_threshold=config.scene_threshold,
                        dedupe_hamming=config.dedupe_hamming,
                        limits=limits,
                        deadline=run.deadline,
                    )
                    self._picture_path(frames, plan, run, duration, pool, matcher)
            except BaseException:
                run.stop.set()  # the audio path gives up at its next check
                raise
            if audio_job is not None:
                audio_job.result()
        return self._finish(run, duration, gaps_for(config.frame_interval, config.ocr_interval), matcher)

    def _picture_path(
        self,
        frames: Iterable[Frame],
        plan: Plan,
        run: Run,
        duration: float,
        pool: ThreadPoolExecutor | None,
        matcher: KnownMatcher | None = None,
    ) -> None:
        """Run the frame detectors (and OCR on its subset) on batches of frames as the decoder yields them.

        Each detector is a lane with its own thread, fed the same batches in order, so a slow OCR does not hold
        the cheap detectors back and the cores stay busy while the decoder works ahead. The known-content
        lookup runs here, in the calling thread: it costs well under a millisecond a frame.
        """
        lanes: list[Lane] = []
        picture = duration <= 0
        config = budgeted(self.config, run.template.budget)
        copies = NearCopies() if self.config.skip_unchanged and plan.frame_detectors else None
        cascades = config.safety_cascade and not picture
        # in cascade.ORDER: a cascade consults what the models before it found, so their lanes get each batch first
        ranked = sorted(plan.frame_detectors, key=lambda name: lane_rank(name.removesuffix(":tiled")))
        ranks: list[int] = []
        for name in ranked:
            stage = name.removesuffix(":tiled")  # timings and progress speak of the detector, not its mode
            detector = cast("FrameDetector", self.detector(name))
            if cascades and stage in CASCADED:
                cascade = FrameCascade(
                    MODEL_OF[stage], cast("CascadedDetector", detector).screened, run, copies, stage=stage
                )
                first = [lane for lane, rank in zip(lanes, ranks, strict=True) if rank < lane_rank(stage)]
                lanes.append(Lane(stage, cascade.batch, run, end=cascade.finish, after=first))
            else:
                lanes.append(Lane(stage, frame_work(stage, detector, run, copies), run))
            ranks.append(lane_rank(stage))
        if plan.ocr:
            # Every frame of a picture is read (and screened for text first, even the first one); in a video,
            # one every ocr_interval, with half a frame interval of slack so that a sampler's jitter does not
            # skip a tick.
            interval = 0.0 if picture else config.ocr_interval
            reader = cast("TextFrameDetector", self.detector("ocr"))
            ocr = OcrPass(
                reader,
                run,
                interval=interval,
                slack=config.frame_interval / 2,
                pictures=picture,
                ticking=config.ocr_ticking,  # the budget's: thorough reads every change of a ticking line
            )
            lanes.append(Lane("ocr", ocr.batch, run, end=ocr.finish))
        try:
            for batch in batches(decoded(frames, run, pool), BATCH):
                run.check()
                if copies is not None:  # before any lane sees the batch: every lane skips the same frames
                    run.timings.add("near_copies", 0.0, copies.plan(batch))
                for lane in lanes:
                    lane.submit(batch)
                if matcher is not None:
                    with run.timings.stage("known", len(batch)):
                        matcher.add(batch)
                        # A match is already a block; the models still run unless the template asks to stop at
                        # the first block, so that the evidence (what else the file shows) stays complete.
                        if run.template.early_exit and matcher.match() is not None:
                            run.stop.set()
                if duration > 0 and lanes:
                    run.report("pictures", min(lane.done_until for lane in lanes) / duration)
                if run.stop.is_set():
                    break
            for lane in lanes:
                lane.drain()
        except BaseException:
            run.stop.set()  # queued lane work is skipped
            raise
        finally:
            for lane in lanes:
                lane.close()
        run.report("pictures", 1.0)

    def _audio_path(self, source: Path, info: media.MediaInfo, plan: Plan, run: Run) -> None:
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
                    with run.timings.stage(name, 1):
                        if name == "asr" and run.moderate is not None:
                            speech = cast("TextAudioDetector", self.detector(name))
                            found = speech(chunk, moderate=run.moderate)
                        else:
                            found = cast("AudioDetector", self.detector(name))(chunk)
                    run.add(_shifted(found, offset))
                run.report("audio", 0.05 + 0.95 * (offset + chunk.duration) / total)
        except BaseException:
            run.stop.set()  # the picture path gives up at its next batch
            raise

    def _finish(
        self, run: Run, duration: float, gaps: dict[str, float] | float, matcher: KnownMatcher | None
    ) -> ModerationResult:
        with run.timings.stage("segments"):
            merged = merge_findings(run.findings(duration), run.template, gaps=gaps)
            evidence = attach_thumbnails(merged, run.keeper)
        segments = [m.segment for m in merged]
        suggestion, label, form = verdict(segments)
        known_match = matcher.match() if matcher is not None else None
        if known_match is not None:
            # The bank entry's label is the caller's to give (the engine knows only the entry's id); the models'
            # label stays until then.
            suggestion = "block"
        return ModerationResult(
            suggestion=suggestion,
            label=label,
            form=form,
            segments=segments,
            evidence=evidence,
            duration=duration,
            timings=run.timings.as_list(),
            known_match=known_match,
        )

    # --- images ------------------------------------------------------------------------------------------

    def moderate_image(
        self, source: Path | bytes, template: Template, *, known: KnownLookup | None = None
    ) -> ModerationResult:
        """Moderate a picture, an animated GIF frame by frame (ReviewImageResult-shaped result); ``known`` as
        for ``moderate_media`` (each frame, straight and mirrored)."""
        limits = self.config.limits
        labels = template.labels & IMAGE_LABELS
        image_template = dataclasses.replace(template, labels=labels)
        run = Run(image_template, None, time.monotonic() + limits.wall_seconds)
        plan = plan_for(labels, self.config, image=True, custom=[c.label for c in template.custom_labels])
        self._text_for_run(run, plan)  # first: the text models load on their own thread while these do
        self._load([*plan.frame_detectors, *(["ocr"] if plan.ocr else [])], run)
        with run.timings.stage("decode"):
            frames = media.load_image_frames(source, limits, deadline=run.deadline)
        matcher = KnownMatcher(known) if known is not None and not is_empty(known) else None
        with contextlib.closing(frames):  # an early exit must not leave the image open
            if plan.pictures or matcher is not None:
                self._picture_path(frames, plan, run, 0.0, None, matcher)
        # one picture: every hit of one kind is one segment, however many GIF frames carry it
        return self._finish(run, 0.0, float("inf"), matcher)


def _shifted(findings: Iterable[Finding], offset: float) -> list[Finding]:
    if not offset:
        return list(findings)
    return [dataclasses.replace(f, start=f.start + offset, end=f.end + offset) for f in findings]


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
    known: KnownLookup | None = None,
) -> ModerationResult:
    """``Engine.moderate_media`` on the shared engine for ``config``."""
    return default_engine(config).moderate_media(
        source, template, progress=progress, deadline=deadline, known=known
    )


def moderate_image(
    source: Path | bytes,
    template: Template,
    config: EngineConfig | None = None,
    known: KnownLookup | None = None,
) -> ModerationResult:
    """``Engine.moderate_image`` on the shared engine for ``config``."""
    return default_engine(config).moderate_image(source, template, known=known)


__all__ = [
    "Engine",
    "ModerationError",
    "default_engine",
    "moderate_image",
    "moderate_media",
]
