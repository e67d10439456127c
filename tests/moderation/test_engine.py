"""The engine end to end on real files with real models, plus its evidence thumbnails and detector plan."""

from __future__ import annotations

import dataclasses
import io
import time

import numpy as np
import pytest
from PIL import Image

from tests.paths import FIXTURES, fixture_path, fixture_truth
from vodguard.moderation import (
    ALL_LABELS,
    DeadlineExceeded,
    Engine,
    EngineConfig,
    MediaLimitExceeded,
    ModerationResult,
    SourceFileError,
    labels_template,
    preset_template,
)
from vodguard.moderation.config import CustomModel
from vodguard.moderation.evidence import FrameKeeper, attach_thumbnails, thumbnail
from vodguard.moderation.media import audio_chunks
from vodguard.moderation.plan import plan_for
from vodguard.moderation.segments import merge_findings
from vodguard.moderation.types import AudioTrack, Finding, Frame
from vodguard.services import wire

TOLERANCE = 1.0  # seconds, on every planted segment's start and end

# --- evidence ------------------------------------------------------------------------------------------------


def _jpeg_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as pic:
        assert pic.format == "JPEG"
        return pic.size


def test_thumbnail_is_a_small_jpeg_with_the_box_drawn():
    image = np.full((720, 1280, 3), 200, np.uint8)
    data = thumbnail(image, (640, 360, 960, 540))
    assert _jpeg_size(data) == (480, 270)
    pic = np.asarray(Image.open(io.BytesIO(data)).convert("RGB")).astype(int)
    # the box's left edge at x = 640 * 480/1280 = 240 is red; the middle of the box is untouched
    assert pic[150, 240, 0] > 200 and pic[150, 240, 1] < 100
    assert abs(pic[168, 300] - 200).max() < 12


def test_small_pictures_are_not_enlarged():
    assert _jpeg_size(thumbnail(np.zeros((100, 60, 3), np.uint8))) == (60, 100)


def test_picture_segments_get_their_peak_frames_thumbnail():
    frames = [Frame(image=np.full((360, 640, 3), 40 * i, np.uint8), time=float(i), index=i) for i in range(4)]
    keeper = FrameKeeper()
    for frame in frames[1:3]:
        keeper.keep(frame)
    findings = [
        Finding("Image", "Porn", "", 70, 1, 1, box=(10, 10, 50, 50), frame_index=1),
        Finding("Image", "Porn", "", 95, 2, 2, box=(20, 20, 60, 60), frame_index=2),
        Finding("ASR", "Polity", "", 99, 0, 3, text="words"),
    ]
    merged = merge_findings(findings, preset_template(), gaps=1.5)
    files = attach_thumbnails(merged, keeper)
    assert len(files) == 1  # ASR has no picture
    image_segment = next(m.segment for m in merged if m.segment.form == "Image")
    assert image_segment.thumbnail == files[0].name
    assert files[0].name.endswith(".jpg") and "porn" in files[0].name
    pic = np.asarray(Image.open(io.BytesIO(files[0].data)).convert("L"), dtype=int)
    assert abs(int(np.median(pic)) - 80) < 6  # frame 2 (grey 80), the stronger hit, not frame 1
    assert next(m.segment for m in merged if m.segment.form == "ASR").thumbnail == ""


# --- which detectors run -----------------------------------------------------------------------------------------


def test_only_the_detectors_the_labels_need_are_planned():
    config = EngineConfig()
    porn = plan_for({"Porn"}, config)  # pictures, and text: captions and speech can be porn ads too
    # NudeNet's body parts, the safety classifier's whole-picture NSFW opinion, nsfwjs's drawn/porn classes
    assert (
        porn.frame_detectors == ("nsfw", "safety", "drawn") and porn.ocr and porn.audio_detectors == ("asr",)
    )
    terror = plan_for({"Terror"}, config)
    assert set(terror.frame_detectors) == {"terror", "safety"} and terror.ocr  # weapons, and gore (NSFL)
    assert set(terror.audio_detectors) == {"asr", "voice"}
    ad = plan_for({"Ad"}, config)
    assert ad.frame_detectors == () and ad.ocr and ad.audio_detectors == ("asr",)
    moan = plan_for({"Moan"}, config)
    # Moan is heard in words (ASR) and in sound (YAMNet's moan-like classes)
    assert moan.frame_detectors == () and not moan.ocr and moan.audio_detectors == ("asr", "voice")
    image = plan_for({"Terror", "Moan"}, config, image=True)
    assert image.audio_detectors == () and image.frame_detectors == ("terror:tiled", "safety")
    # a picture is scanned in tiles; video frames only when the config asks
    # the safety classifier sees the whole picture at once: it has no tiles
    assert plan_for({"Porn", "Terror"}, config).frame_detectors == ("nsfw", "terror", "safety", "drawn")
    tiled = plan_for({"Porn", "Terror"}, EngineConfig(video_tiles=True)).frame_detectors
    assert tiled == ("nsfw:tiled", "terror:tiled", "safety", "drawn")


def test_custom_models_run_only_for_their_labels(tmp_path):
    config = EngineConfig(
        custom_models=(
            CustomModel(path=tmp_path / "a.onnx", kind="image", labels={"0": "Porn.Drawn"}),
            CustomModel(path=tmp_path / "b.onnx", kind="audio", labels={"moan": "Moan"}),
        )
    )
    assert plan_for({"Porn"}, config).frame_detectors == ("nsfw", "safety", "drawn", "custom:0")
    assert plan_for({"Moan"}, config).audio_detectors == ("asr", "voice", "custom:1")
    assert plan_for({"Ad"}, config).audio_detectors == ("asr",)


def test_long_audio_is_cut_in_its_quiet_places():
    rate = 16000
    rng = np.random.default_rng(1)
    samples = (0.3 * rng.standard_normal(25 * rate)).astype(np.float32)
    for quiet in (8.0, 17.0):  # 0.3 s of silence just before each 10 s limit
        samples[int(quiet * rate) : int((quiet + 0.3) * rate)] = 0.0
    pieces = list(audio_chunks(AudioTrack(samples), seconds=10.0))
    offsets = [offset for offset, _ in pieces]
    assert len(pieces) == 3 and offsets[0] == 0.0
    assert 8.0 <= offsets[1] <= 8.3 and 17.0 <= offsets[2] <= 17.3
    assert all(piece.duration <= 10.0 for _, piece in pieces)
    assert np.array_equal(np.concatenate([piece.samples for _, piece in pieces]), samples)


def test_short_audio_is_one_piece():
    track = AudioTrack(np.zeros(16000 * 30, np.float32))
    [(offset, piece)] = list(audio_chunks(track))
    assert offset == 0.0 and piece.duration == 30.0


# --- end to end on the fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(EngineConfig())


@dataclasses.dataclass
class Run:
    result: ModerationResult
    progress: list[tuple[str, float]]


def moderate(engine: Engine, name: str, template) -> Run:
    seen: list[tuple[str, float]] = []
    result = engine.moderate_media(
        fixture_path(name), template, progress=lambda stage, f: seen.append((stage, f))
    )
    return Run(result, seen)


@pytest.fixture(scope="module")
def text_video(engine: Engine) -> Run:
    return moderate(engine, "text_video.mp4", ALL_LABELS)


@pytest.fixture(scope="module")
def speech_video(engine: Engine) -> Run:
    return moderate(engine, "speech_video.mp4", preset_template())


def near(a: float, b: float) -> bool:
    return abs(a - b) <= TOLERANCE


def test_model_sessions_sleep_between_runs(engine: Engine):
    # spinning pool threads took a core from the other models: 40 % of the engine's CPU on the benchmark video
    ocr = engine.detector("ocr")._reader
    sessions = {
        "nsfw": engine.detector("nsfw")._session,
        "terror": engine.detector("terror")._model._session,
        "safety": engine.detector("safety")._session,
        "drawn": engine.detector("drawn")._session,
        "ocr det": ocr._det_session,
        "ocr rec": ocr._rec.session.session,
    }
    # the thread budget: the four picture models run side by side on one thread each, OCR on the config's
    side_by_side = {"nsfw", "terror", "safety", "drawn"}
    for name, session in sessions.items():
        options = session.get_session_options()
        assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0", name
        expected = engine.config.picture_model_threads if name in side_by_side else engine.config.threads
        assert options.intra_op_num_threads == expected, name
    assert engine.config.picture_model_threads == 1 < engine.config.threads


def test_captions_give_ocr_segments_at_their_times(text_video):
    segments = text_video.result.segments
    for caption in fixture_truth("text_video.json")["text"]:
        found = {
            s.label
            for s in segments
            if s.form == "OCR" and near(s.start, caption["start"]) and near(s.end, caption["end"])
        }
        assert found >= set(caption["expected_labels"]), (caption["text"], segments)
    assert text_video.result.suggestion == "block"
    assert (text_video.result.label, text_video.result.form) == ("Porn", "OCR")


def test_nothing_is_reported_where_nothing_was_planted(text_video):
    planted = [(c["start"], c["end"]) for c in fixture_truth("text_video.json")["text"]]
    for seg in text_video.result.segments:
        assert seg.form == "OCR", seg
        assert any(near(seg.start, a) and near(seg.end, b) for a, b in planted), seg


def test_ocr_segments_carry_their_text_box_and_thumbnail(text_video):
    result = text_video.result
    files = {e.name: e.data for e in result.evidence}
    captions = fixture_truth("text_video.json")["text"]
    for seg in result.segments:
        caption = next(c for c in captions if near(seg.start, c["start"]))
        assert seg.keywords and all(k.lower() in seg.text.lower() for k in seg.keywords)
        x1, y1, x2, y2 = seg.box
        cx1, cy1, cx2, cy2 = caption["box"]
        assert x1 < cx2 and cx1 < x2 and y1 < cy2 and cy1 < y2, (
            seg.box,
            caption["box"],
        )  # overlaps the caption
        assert max(_jpeg_size(files[seg.thumbnail])) <= 480


def test_progress_and_timings_cover_both_paths(text_video):
    by_stage: dict[str, list[float]] = {}
    for stage, fraction in text_video.progress:
        by_stage.setdefault(stage, []).append(fraction)
    assert set(by_stage) == {"pictures", "audio"}
    for fractions in by_stage.values():
        assert fractions == sorted(fractions) and fractions[-1] == 1.0
    names = {t.name for t in text_video.result.timings}
    assert {
        "probe",
        "decode",
        "nsfw",
        "terror",
        "safety",
        "drawn",
        "ocr",
        "decode_audio",
        "asr",
        "voice",
    } <= names
    assert text_video.result.duration == pytest.approx(20.0, abs=0.1)


def test_threatening_speech_is_found_when_it_is_said(speech_video):
    spoken = fixture_truth("speech.json")["segments"]
    violent = next(s for s in spoken if s["violating"])
    result = speech_video.result
    asr = [s for s in result.segments if s.form == "ASR"]
    assert any(
        s.label == "Terror" and near(s.start, violent["start"]) and near(s.end, violent["end"]) for s in asr
    )
    clean = next(s for s in spoken if not s["violating"])
    assert not [s for s in result.segments if s.start < clean["end"] - TOLERANCE], result.segments
    assert result.suggestion in ("review", "block") and result.label == "Terror"


def test_audio_only_files_skip_the_picture_path(engine):
    run = moderate(engine, "speech.wav", labels_template(["Terror", "Abuse"]))
    assert {stage for stage, _ in run.progress} == {"audio"}
    assert {s.label for s in run.result.segments} >= {"Terror"}
    assert all(s.form in ("ASR", "Voice") for s in run.result.segments)


def test_a_clean_video_passes(engine):
    result = moderate(engine, "clean_video.mp4", ALL_LABELS).result
    assert (result.suggestion, result.segments) == ("pass", [])
    assert result.evidence == []


def test_early_exit_stops_at_the_first_block(engine):
    template = dataclasses.replace(labels_template(["Porn", "Ad"]), early_exit=True)
    result = engine.moderate_media(fixture_path("text_video.mp4"), template)
    assert result.suggestion == "block"
    second = fixture_truth("text_video.json")["text"][1]
    assert all(s.start < second["start"] for s in result.segments)


def test_a_spent_deadline_raises(engine):
    with pytest.raises(DeadlineExceeded):
        engine.moderate_media(fixture_path("clean_video.mp4"), ALL_LABELS, deadline=time.monotonic() - 1)


@pytest.mark.parametrize("name", ["bad/truncated.mp4", "bad/empty.mp4", "bad/text.mp4", "missing.mp4"])
def test_unreadable_media_raise_source_file_error(engine, name):
    # missing.mp4 is the one name that must not exist
    path = FIXTURES / name if name == "missing.mp4" else fixture_path(name)
    with pytest.raises(SourceFileError):
        engine.moderate_media(path, preset_template())


def test_text_in_an_image(engine):
    result = engine.moderate_image(fixture_path("images/text.png"), ALL_LABELS)
    assert {(s.form, s.label) for s in result.segments} == {("OCR", "Porn"), ("OCR", "Ad")}
    assert result.suggestion == "block"
    assert len(result.evidence) == 2
    # the image preset has no Ad: only Porn is reported
    preset = engine.moderate_image(fixture_path("images/text.png").read_bytes(), preset_template(image=True))
    assert {s.label for s in preset.segments} == {"Porn"}


def test_one_engine_serves_several_threads(engine):
    from concurrent.futures import ThreadPoolExecutor

    picture = fixture_path("images/text.png")
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lambda _: engine.moderate_image(picture, ALL_LABELS), range(3)))
    # compared as the wire rounds them: the threads' confidences may differ in the last bits of a float
    wires = [
        wire.results.review_output(r, wire.results.segment_set(r.segments, timed=False)) for r in results
    ]
    assert wires[0]["Suggestion"] == "block" and wires[0] == wires[1] == wires[2]


def test_an_animated_gif_is_read_frame_by_frame(engine):
    result = engine.moderate_image(fixture_path("images/animated.gif"), ALL_LABELS)
    assert result.suggestion == "pass"
    stages = {t.name: t for t in result.timings}
    assert stages["nsfw"].items == 3 and stages["decode"].items == 3 and stages["decode"].seconds > 0


def test_text_in_a_late_frame_of_an_animation_is_found(engine, tmp_path):
    from PIL import Image

    text = Image.open(fixture_path("images/text.png")).convert("RGB")
    blank = Image.new("RGB", text.size, (40, 40, 40))
    path = tmp_path / "late_text.gif"
    blank.save(path, save_all=True, append_images=[blank.rotate(180), text], duration=[2000, 2000, 1000])
    result = engine.moderate_image(path, ALL_LABELS)
    assert result.suggestion == "block"
    assert {(s.form, s.label) for s in result.segments} == {("OCR", "Porn"), ("OCR", "Ad")}


def test_a_faint_caption_added_to_the_same_picture_is_read(engine, tmp_path):
    from PIL import Image, ImageDraw, ImageFont

    y, x = np.mgrid[0:720, 0:1280]
    picture = np.stack([x / 1280 * 120 + 80, y / 720 * 100 + 90, np.full_like(x, 150.0)], -1).astype(np.uint8)
    captioned = Image.fromarray(picture)
    text = "free porn videos, add me on telegram @hotgirls"  # dark grey, small: the picture barely changes
    ImageDraw.Draw(captioned).text((40, 660), text, fill=(60, 60, 60), font=ImageFont.load_default(size=22))
    path = tmp_path / "faint.gif"
    Image.fromarray(picture).save(path, save_all=True, append_images=[captioned], duration=[100, 3000])
    result = engine.moderate_image(path, preset_template(image=True))
    assert result.suggestion == "block" and {s.label for s in result.segments} == {"Porn"}


def test_the_package_exports_the_engine():
    import vodguard.moderation as moderation

    for name in moderation.__all__:
        assert getattr(moderation, name) is not None, name
    result = moderation.moderate_image(fixture_path("images/gradient.jpg"), labels_template(["Porn"]))
    assert (result.suggestion, result.segments) == ("pass", [])


def test_an_image_bomb_is_refused(engine):
    with pytest.raises(MediaLimitExceeded):
        engine.moderate_image(fixture_path("bad/bomb.png"), preset_template(image=True))
