"""nsfwjs's MobileNetV2 converted to ONNX (scripts/convert_nsfwjs.py): the same probabilities as nsfwjs itself,
its preprocessing, its findings and a bad model file.

The reference numbers in tests/fixtures/nsfwjs_reference.json come from the real nsfwjs 4.4.0 in node
(scripts/nsfwjs_reference.py). Nothing here shows it finding drawn porn: no such picture can be committed, so
its recall is not tested (docs/quality.md says so too).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.paths import FIXTURES, fixture_path
from vodguard.moderation.detectors import DETECTORS
from vodguard.moderation.detectors.drawn import (
    BUNDLED,
    CLASSES,
    DrawnDetector,
    _axis,
    findings_for,
    to_input,
)
from vodguard.moderation.errors import ModelUnavailable
from vodguard.moderation.policy import suggest
from vodguard.moderation.presets import ALL_LABELS
from vodguard.moderation.types import Frame, Signal

REFERENCE = json.loads((FIXTURES / "nsfwjs_reference.json").read_text())


@pytest.fixture(scope="module")
def detector() -> DrawnDetector:
    return DrawnDetector()


def picture(name: str) -> np.ndarray:
    return np.asarray(Image.open(fixture_path(f"clean_pictures/{name}")).convert("RGB"))


def test_the_conversion_gives_nsfwjs_own_probabilities(detector: DrawnDetector) -> None:
    assert tuple(REFERENCE["classes"]) == CLASSES
    names = list(REFERENCE["probabilities"])
    assert len(names) >= 8
    frames = [Frame(picture(name), 0.0, i) for i, name in enumerate(names)]
    ours = detector.probabilities(frames)
    theirs = np.array([REFERENCE["probabilities"][name] for name in names], np.float32)
    np.testing.assert_allclose(ours, theirs, atol=1e-4, rtol=0)
    # the set is not all one answer: a gradient and a skin-tone blob are drawings, photos are neutral
    assert set(ours.argmax(axis=1)) >= {CLASSES.index("Drawing"), CLASSES.index("Neutral")}


def test_resize_keeps_the_corners_and_scales_to_one() -> None:
    image = np.zeros((300, 500, 3), np.uint8)
    image[0, 0] = (255, 0, 0)
    image[-1, -1] = (0, 0, 255)
    image[-1, 0] = (0, 255, 0)
    tensor = to_input(image)
    assert tensor.shape == (224, 224, 3) and tensor.dtype == np.float32
    # aligned corners: the corner pixels land exactly on the output's corners
    np.testing.assert_allclose(tensor[0, 0], (1, 0, 0))
    np.testing.assert_allclose(tensor[-1, -1], (0, 0, 1))
    np.testing.assert_allclose(tensor[-1, 0], (0, 1, 0))
    exact = np.full((224, 224, 3), 51, np.uint8)
    np.testing.assert_allclose(to_input(exact), 0.2)  # already 224 square: no resize, as nsfwjs skips it
    assert to_input(np.full((5, 3, 3), 9, np.uint8)).shape == (224, 224, 3)  # tiny pictures are upsampled


def neighbours_reference(image: np.ndarray, size: int = 224) -> np.ndarray:
    """The aligned-corner bilinear resize indexing the pixel axis, as to_input computed it before."""
    y0, y1, wy = _axis(image.shape[0], size)
    x0, x1, wx = _axis(image.shape[1], size)
    top_left, top_right, bottom_left, bottom_right = (
        part[:, x].astype(np.float32) / np.float32(255.0) for part in (image[y0], image[y1]) for x in (x0, x1)
    )
    upper = top_left + (top_right - top_left) * wx[None, :, None]
    lower = bottom_left + (bottom_right - bottom_left) * wx[None, :, None]
    out: np.ndarray = upper + (lower - upper) * wy[:, None, None]
    return out


@pytest.mark.parametrize("shape", [(270, 480, 3), (720, 1280, 3), (500, 90, 3), (5, 3, 3)])
def test_the_flat_byte_indexing_gives_the_same_floats(shape: tuple[int, int, int]) -> None:
    image = np.random.default_rng(sum(shape)).integers(0, 256, shape, dtype=np.uint8)
    np.testing.assert_array_equal(to_input(image), neighbours_reference(image))
    strided = np.random.default_rng(1).integers(0, 256, (shape[0], shape[1] * 2, 3), dtype=np.uint8)[:, ::2]
    np.testing.assert_array_equal(to_input(strided), neighbours_reference(strided))  # a view, not a copy


def test_a_batch_scores_each_frame_as_alone(detector: DrawnDetector) -> None:
    frames = [Frame(picture(name), 0.0, i) for i, name in enumerate(REFERENCE["probabilities"])] * 2
    assert len(frames) > 16  # more than one session batch
    together = detector.probabilities(frames)
    alone = np.concatenate([detector.probabilities([f]) for f in frames])
    np.testing.assert_allclose(together, alone, atol=1e-5)
    np.testing.assert_allclose(together.sum(axis=1), 1.0, atol=1e-5)
    assert detector.probabilities([]).shape == (0, 5) and detector([]) == []


def test_probabilities_become_signals_that_alone_only_ask() -> None:
    frame = Frame(np.zeros((10, 20, 3), np.uint8), time=2.0, index=3)

    def probs(**named: float) -> np.ndarray:
        return np.array([named.get(name, 0.0) for name in CLASSES], np.float32)

    assert findings_for(frame, probs(Neutral=0.6, Porn=0.4)) == []
    (drawing,) = findings_for(frame, probs(Drawing=1.0))
    assert drawing.sub_label == "Drawing" and suggest(drawing, ALL_LABELS) is None  # wallpapers are drawings
    (porn,) = findings_for(frame, probs(Porn=0.94, Neutral=0.06))
    assert (porn.form, porn.label, porn.sub_label, porn.confidence) == ("Image", "Porn", "Porn", 94.0)
    assert (porn.start, porn.frame_index, porn.box) == (2.0, 3, (0, 0, 20, 10))
    assert porn.signals == (Signal("nsfwjs", "Porn", 0.94),)
    assert suggest(porn, ALL_LABELS) is None  # clean micrographs reached 0.88: alone it needs 0.95
    (sure,) = findings_for(frame, probs(Porn=0.99))
    assert suggest(sure, ALL_LABELS) == "review"  # never blocks alone, whatever the score
    (hentai,) = findings_for(frame, probs(Hentai=0.99))
    assert hentai.sub_label == "Hentai" and suggest(hentai, ALL_LABELS) == "review"
    (sexy,) = findings_for(frame, probs(Sexy=0.85))
    assert sexy.sub_label == "Sexy" and suggest(sexy, ALL_LABELS) == "review"


def test_it_is_planned_for_porn_and_ships_with_the_package() -> None:
    assert DETECTORS["drawn"].labels == {"Porn"} and DETECTORS["drawn"].feeds == "frames"
    assert BUNDLED.is_file() and BUNDLED.stat().st_size < 4_000_000  # uint8 weights, dequantised in the graph


def test_a_missing_model_is_named(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable, match="gone.onnx"):
        DrawnDetector(tmp_path / "gone.onnx")


def test_a_corrupt_model_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "broken.onnx"
    bad.write_bytes(b"not a model at all")
    with pytest.raises(ModelUnavailable, match="broken.onnx"):
        DrawnDetector(bad)


def test_the_converter_reads_minified_javascript_literals() -> None:
    # the tarball itself is not committed (25 MB); its model JSON is a JavaScript object literal like this one
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "convert_nsfwjs", FIXTURES.parent.parent / "scripts" / "convert_nsfwjs.py"
    )
    assert spec is not None and spec.loader is not None
    converter = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(converter)
    source = (
        r'x.exports=e();{1:[function(e,t,a){t.exports={a:!0,b:.5,c:[null,-1e-3,7],"d":"q\"r}",f:!1}},{}]}'
    )
    assert converter.js_literal(converter._exported(source)) == {
        "a": True,
        "b": 0.5,
        "c": [None, -0.001, 7],
        "d": 'q"r}',
        "f": False,
    }
