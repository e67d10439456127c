"""The engine end to end on real files with real models, plus its evidence thumbnails and detector plan."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from vodguard.moderation.config import CustomModel, EngineConfig
from vodguard.moderation.engine import plan_for
from vodguard.moderation.evidence import FrameKeeper, attach_thumbnails, thumbnail
from vodguard.moderation.presets import preset_template
from vodguard.moderation.segments import merge_findings
from vodguard.moderation.types import Finding, Frame

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
    porn = plan_for({"Porn"}, config)
    assert porn.frame_detectors == ("nsfw",) and not porn.ocr and not porn.audio
    terror = plan_for({"Terror"}, config)
    assert set(terror.frame_detectors) == {"terror"} and terror.ocr
    assert set(terror.audio_detectors) == {"asr", "voice"}
    ad = plan_for({"Ad"}, config)
    assert ad.frame_detectors == () and ad.ocr and ad.audio_detectors == ("asr",)
    moan = plan_for({"Moan"}, config)
    assert moan.frame_detectors == () and not moan.ocr and moan.audio_detectors == ("asr",)
    image = plan_for({"Terror", "Moan"}, config, image=True)
    assert image.audio_detectors == () and image.frame_detectors == ("terror",)


def test_custom_models_run_only_for_their_labels(tmp_path):
    config = EngineConfig(
        custom_models=(
            CustomModel(path=tmp_path / "a.onnx", kind="image", labels={"0": "Porn.Drawn"}),
            CustomModel(path=tmp_path / "b.onnx", kind="audio", labels={"moan": "Moan"}),
        )
    )
    assert plan_for({"Porn"}, config).frame_detectors == ("nsfw", "custom:0")
    assert plan_for({"Moan"}, config).audio_detectors == ("asr", "custom:1")
    assert plan_for({"Ad"}, config).audio_detectors == ("asr",)
