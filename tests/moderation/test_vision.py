"""Picture detectors on real models: NudeNet (Porn), EfficientNet-Lite0 (Terror, embeddings), custom ONNX models."""

from __future__ import annotations

import pickle
from pathlib import Path

import cv2
import numpy as np
import onnx
import pytest
from nudenet import nudenet as nudenet_reference
from onnx import TensorProto, helper
from PIL import Image, ImageDraw

from tests.paths import fixture_path
from vodguard.moderation.config import CustomModel, EngineConfig
from vodguard.moderation.detectors.base import package_dir
from vodguard.moderation.detectors.custom import (
    CustomAudioModel,
    CustomImageModel,
    audio_windows,
    load_custom_models,
    to_probabilities,
)
from vodguard.moderation.detectors.efficientnet import (
    center_view,
    class_names,
    ensure_onnx,
    read_legacy_state_dict,
    square_views,
    to_input,
)
from vodguard.moderation.detectors.nsfw import (
    CLASSES,
    NsfwDetector,
    decode,
    letterbox,
    merge_boxes,
    porn_findings,
    tile_boxes,
    views_of,
)
from vodguard.moderation.detectors.terror import SUB_LABELS, TERROR_CLASSES, TerrorDetector, sub_label_scores
from vodguard.moderation.engine import Engine
from vodguard.moderation.errors import ModelUnavailable
from vodguard.moderation.plan import plan_for
from vodguard.moderation.policy import fuse
from vodguard.moderation.presets import labels_template
from vodguard.moderation.types import AudioTrack, Frame, Signal

DATA = Path(__file__).parent / "data"
SKLEARN_IMAGES = package_dir("sklearn") / "datasets" / "images"


def photo(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


def rendered_scene(width: int = 1280, height: int = 720) -> np.ndarray:
    """A synthetic neutral frame: sky, ground, a house, a sun and some text."""
    img = Image.new("RGB", (width, height), (120, 170, 230))
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, height * 2 // 3, width, height), fill=(70, 140, 60))
    draw.rectangle((width // 3, height // 3, width // 2, height * 2 // 3), fill=(180, 90, 60))
    draw.polygon(
        [(width // 3 - 20, height // 3), (width * 5 // 12, height // 6), (width // 2 + 20, height // 3)],
        fill=(90, 40, 30),
    )
    draw.ellipse((width - 200, 40, width - 80, 160), fill=(250, 220, 80))
    draw.text((40, 40), "Weather today: sunny", fill=(0, 0, 0))
    return np.asarray(img)


def neutral_frames() -> list[Frame]:
    rng = np.random.default_rng(7)
    images = [
        photo(SKLEARN_IMAGES / "china.jpg"),
        photo(SKLEARN_IMAGES / "flower.jpg"),
        photo(DATA / "astronaut.jpg"),
        photo(DATA / "rocket.jpg"),
        rendered_scene(),
        rng.integers(0, 256, (720, 1280, 3), dtype=np.uint8),
        np.full((720, 1280, 3), (224, 172, 140), np.uint8),  # flat skin tone
    ]
    return [Frame(image=img, time=float(i), index=i) for i, img in enumerate(images)]


@pytest.fixture(scope="module")
def nsfw() -> NsfwDetector:
    return NsfwDetector()


@pytest.fixture(scope="module")
def engine_config(tmp_path_factory: pytest.TempPathFactory) -> EngineConfig:
    return EngineConfig(models_dir=tmp_path_factory.mktemp("models"), threads=1)


@pytest.fixture(scope="module")
def terror(engine_config: EngineConfig) -> TerrorDetector:
    return TerrorDetector(engine_config)


# --- NSFW: pre/post-processing on arrays ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shape", "cut"),
    [((427, 640), (224, 320)), ((640, 427), (320, 224)), ((300, 200), (320, 224)), ((50, 50), (320, 320))],
)
def test_letterbox_has_nudenets_geometry(shape: tuple[int, int], cut: tuple[int, int]) -> None:
    image = np.asarray(Image.fromarray(photo(SKLEARN_IMAGES / "china.jpg")).resize(shape[::-1]))
    # NudeNet's reader swaps channels twice, so an array goes in and comes out in the same channel order.
    reference = nudenet_reference._read_image(image)[0][0]
    ours, scale = letterbox(image)
    # NudeNet's square, cut to the first multiple of 32 that holds the picture (427 → 213.5 px → 224 rows)
    rows, columns = cut
    assert ours.shape == (3, rows, columns)
    assert np.abs(ours - reference[:, :rows, :columns]).max() < 1e-6
    assert not reference[:, rows:].any() and not reference[:, :, columns:].any()  # only black padding is cut
    assert scale == pytest.approx(max(shape) / 320)


def test_a_cut_input_finds_what_the_square_finds(nsfw: NsfwDetector) -> None:
    # The astronaut photo low in a 16:9 frame, near the cut: the same face at about the score NudeNet's whole
    # square gives. The model's deep layers see the whole input, so the padding it no longer sees moves scores
    # a little anywhere in the frame: at most 0.058 for this face over 40 sizes and heights, median 0.028.
    canvas = np.full((720, 1280, 3), 90, np.uint8)
    canvas[320:720, 500:900] = np.asarray(Image.open(DATA / "astronaut.jpg").resize((400, 400)))
    tensor, scale = letterbox(canvas)
    assert tensor.shape == (3, 192, 320)
    square = nudenet_reference._read_image(canvas)[0]
    face = CLASSES.index("FACE_FEMALE")
    scores = []
    for batch in (tensor[None], square):
        output = nsfw._session.run(None, {nsfw._input: batch})[0][0]
        rows = [r for r in decode(output, scale=scale, offset=(0, 0), floor=0.3) if int(r[5]) == face]
        scores.append(max(r[4] for r in rows))
    assert scores[0] == pytest.approx(scores[1], abs=0.07)


def test_decode_places_boxes_like_nudenet() -> None:
    output = np.zeros((22, 2100), np.float32)
    # (cx, cy, w, h) in model pixels and one class score for three anchors
    for anchor, (cx, cy, w, h, cls, score) in zip(
        (5, 700, 2000),
        [(100, 80, 40, 30, 3, 0.9), (200, 150, 60, 50, 14, 0.6), (60, 150, 20, 24, 1, 0.35)],
        strict=True,
    ):
        output[:4, anchor] = cx, cy, w, h
        output[4 + cls, anchor] = score
    width, height = 1280, 720
    rows = decode(output, scale=width / 320, offset=(0, 0), floor=0.3)
    reference = nudenet_reference._postprocess(
        [output[None]], 0, width - height, 4.0, 1.0, width, height, 320, 320
    )
    assert len(rows) == len(reference) == 3
    for ref in reference:
        x, y, w, h = ref["box"]
        match = [r for r in rows if CLASSES[int(r[5])] == ref["class"]]
        assert len(match) == 1
        assert np.allclose(match[0][:4], [x, y, x + w, y + h], atol=1.0)
        assert match[0][4] == pytest.approx(ref["score"])


def test_decode_maps_tile_boxes_back_to_the_frame() -> None:
    output = np.zeros((22, 2100), np.float32)
    output[:4, 10] = 160, 100, 32, 20
    output[4 + 2, 10] = 0.8
    tile = tile_boxes(1280, 720)[3]  # bottom right
    scale = max(tile[2] - tile[0], tile[3] - tile[1]) / 320
    (row,) = decode(output, scale=scale, offset=tile[:2], floor=0.3)
    assert row[:4] == pytest.approx(
        [tile[0] + 144 * scale, tile[1] + 90 * scale, tile[0] + 176 * scale, tile[1] + 110 * scale]
    )
    assert int(row[5]) == CLASSES.index("BUTTOCKS_EXPOSED")


def test_tiles_cover_the_frame_and_overlap() -> None:
    tiles = tile_boxes(1280, 720)
    assert len(tiles) == 4
    covered = np.zeros((720, 1280), np.int32)
    for x1, y1, x2, y2 in tiles:
        assert 0 <= x1 < x2 <= 1280 and 0 <= y1 < y2 <= 720
        covered[y1:y2, x1:x2] += 1
    assert covered.min() >= 1
    assert covered[360, 640] == 4  # the middle of the frame is in every tile
    assert views_of(1280, 720) == [(0, 0, 1280, 720), *tiles]
    assert views_of(640, 480) == [(0, 0, 640, 480)]  # small frames are looked at whole only
    assert views_of(1280, 720, tiles=False) == [(0, 0, 1280, 720)]


def test_merge_boxes_suppresses_duplicates_per_class() -> None:
    rows = np.array(
        [
            [100, 100, 200, 200, 0.9, 3],
            [105, 102, 203, 198, 0.7, 3],  # same part seen again: suppressed
            [100, 100, 200, 150, 0.6, 3],  # the same part cut by a tile border: inside the first, dropped
            [102, 101, 199, 201, 0.8, 14],  # another class at the same place: kept
            [600, 400, 650, 460, 0.5, 3],  # another place: kept
        ],
        np.float32,
    )
    merged = merge_boxes(rows)
    assert merged[:, 4].tolist() == pytest.approx([0.9, 0.8, 0.5])
    assert merged[:, 5].tolist() == [3, 14, 3]
    assert merge_boxes(np.zeros((0, 6), np.float32)).shape == (0, 6)


# --- NSFW: the real model --------------------------------------------------------------------------------------


def test_exposed_parts_become_porn_findings_with_their_sub_label_and_box() -> None:
    # No nude picture can be had offline, so the mapping from NudeNet's detections is checked on detections.
    frame = Frame(np.zeros((360, 640, 3), np.uint8), time=12.0, index=7)

    def row(name: str, score: float, box: tuple[float, float, float, float]) -> list[float]:
        return [*box, score, float(CLASSES.index(name))]

    rows = np.array(
        [
            row("FEMALE_BREAST_EXPOSED", 0.82, (100, 50, 220, 170)),
            row("MALE_GENITALIA_EXPOSED", 0.31, (300, 200, 340, 250)),
            row("BUTTOCKS_EXPOSED", 0.9, (600, 300, 700, 420)),  # runs past the frame's edge: clipped
            row("FEMALE_BREAST_COVERED", 0.45, (10, 10, 60, 60)),  # covered: a signal the rule table ignores
            row("FEMALE_BREAST_COVERED", 0.8, (10, 10, 60, 60)),  # covered and sure: suggestive only
            row("FACE_FEMALE", 0.99, (400, 20, 460, 90)),  # a face is no evidence of anything
            row("ANUS_EXPOSED", 0.2, (0, 0, 5, 5)),  # under every floor
        ],
        np.float32,
    )
    found = [(f.sub_label, f.confidence, f.box, f.form, f.label) for f in porn_findings(frame, rows)]
    assert found == [
        ("Breast", 82.0, (100, 50, 220, 170), "Image", "Porn"),
        ("Genitalia", 31.0, (300, 200, 340, 250), "Image", "Porn"),
        ("Buttocks", 90.0, (600, 300, 640, 360), "Image", "Porn"),
        ("SexyBehavior", 45.0, (10, 10, 60, 60), "Image", "Porn"),
        ("SexyBehavior", 80.0, (10, 10, 60, 60), "Image", "Porn"),
    ]
    found_all = porn_findings(frame, rows)
    assert all((f.start, f.end, f.frame_index) == (12.0, 12.0, 7) for f in found_all)
    assert found_all[0].signals == (Signal("NudeNet", "FEMALE_BREAST_EXPOSED", 0.82),)
    # what they mean is the rule table's: a covered breast is suggestive (x 0.6, review at most), unsure is nothing
    judged = {(f.sub_label, f.confidence, f.rule) for f in fuse(found_all)}
    assert ("SexyBehavior", 48.0, "covered") in judged and ("SexyBehavior", 27.0, "covered") not in judged
    assert ("Breast", 82.0, "part") in judged


def test_neutral_pictures_give_no_porn(nsfw: NsfwDetector) -> None:
    assert nsfw(neutral_frames()) == []
    assert nsfw([]) == []


def test_tiles_find_a_small_figure_at_its_place_in_the_frame(nsfw: NsfwDetector) -> None:
    # The astronaut photo at 200 px in the corner of a 1280x720 frame: her face is about 40 px wide, too
    # small for the 320-pixel view of the whole frame, but found in a tile and reported in frame pixels.
    canvas = np.full((720, 1280, 3), 128, np.uint8)
    x0, y0, size = 1040, 490, 200
    canvas[y0 : y0 + size, x0 : x0 + size] = np.asarray(
        Image.open(DATA / "astronaut.jpg").resize((size, size), Image.Resampling.BILINEAR)
    )
    frame = Frame(canvas, time=3.0, index=5)
    face = CLASSES.index("FACE_FEMALE")
    tiled = [r for r in nsfw.detect([frame])[0] if int(r[5]) == face]
    whole = [r for r in NsfwDetector(tiles=False).detect([frame])[0] if int(r[5]) == face]
    assert len(tiled) == 1
    # where the face is in the photo (measured on the photo alone), moved to the frame
    expected = np.array([109, 51, 171, 112]) * size / 320 + [x0, y0, x0, y0]
    x1, y1, x2, y2 = tiled[0][:4]
    inter = max(0, min(x2, expected[2]) - max(x1, expected[0])) * max(
        0, min(y2, expected[3]) - max(y1, expected[1])
    )
    union = (x2 - x1) * (y2 - y1) + (expected[2] - expected[0]) * (expected[3] - expected[1]) - inter
    assert inter / union > 0.6
    assert tiled[0][4] > max([r[4] for r in whole], default=0.0)
    assert nsfw([frame]) == []  # a face is not a finding


# --- EfficientNet-Lite0 ----------------------------------------------------------------------------------------


def synthetic_input(k: int) -> np.ndarray:
    """The same deterministic input as scripts/efficientnet_reference.py builds."""
    h = np.arange(224, dtype=np.float64)[:, None]
    w = np.arange(224, dtype=np.float64)[None, :]
    chans = [
        np.sin(h * 0.021 * (k + 1) + w * 0.013 * (c + 1) + k + c) * np.cos(w * 0.007 * (c + k + 1))
        for c in range(3)
    ]
    return np.stack(chans).astype(np.float32)


def test_onnx_conversion_matches_the_torch_reference(terror: TerrorDetector) -> None:
    reference = np.load(DATA / "efficientnet_reference.npz")
    china = photo(SKLEARN_IMAGES / "china.jpg")
    batch = np.stack([synthetic_input(k) for k in range(3)] + [to_input(china, center_view(640, 427))])
    logits, embedding = terror._model.run(batch)
    assert np.abs(logits - reference["logits"]).max() < 1e-3
    assert np.abs(embedding - reference["embedding"]).max() < 1e-3
    assert logits.argmax(axis=1).tolist() == reference["logits"].argmax(axis=1).tolist()
    # the detector's own preprocessing of the photo gives the reference's embedding
    assert np.abs(terror.embed([Frame(china, 0.0)]) - reference["embedding"][3]).max() < 1e-3
    assert class_names()[int(logits[3].argmax())] == "palace"


def test_conversion_runs_once_and_leaves_no_temporary_files(engine_config: EngineConfig) -> None:
    first = ensure_onnx(engine_config)
    stamp = first.stat().st_mtime_ns
    assert ensure_onnx(engine_config) == first
    assert first.stat().st_mtime_ns == stamp
    # the folder may hold other derived files (the text tokenizer's): only this conversion's are looked at
    kept = [p.name for p in Path(engine_config.models_dir).iterdir() if "efficientnet" in p.name]
    assert kept == [first.name]
    onnx.checker.check_model(str(first))
    outputs = [o.name for o in onnx.load(str(first), load_external_data=False).graph.output]
    assert outputs == ["logits", "embedding"]


def test_an_explicit_onnx_file_is_used_as_it_is(engine_config: EngineConfig, tmp_path: Path) -> None:
    converted = ensure_onnx(engine_config)
    assert ensure_onnx(EngineConfig(models_dir=tmp_path, efficientnet_path=converted)) == converted
    assert list(tmp_path.iterdir()) == []


def test_state_dict_reader_refuses_code(tmp_path: Path) -> None:
    class Exploit:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (print, ("pwned",))

    path = tmp_path / "evil.pth"
    with open(path, "wb") as f:
        for obj in (0x1950A86A20F9469CFC6C, 1001, {"little_endian": True}, Exploit()):
            pickle.dump(obj, f, protocol=2)
    with pytest.raises(pickle.UnpicklingError, match=r"__builtin__\.print is not allowed"):
        read_legacy_state_dict(path)


def test_class_table_and_terror_mapping() -> None:
    names = class_names()
    assert len(names) == 1000
    assert (names[0], names[281], names[999]) == ("tench", "tabby", "toilet tissue")
    expected = {
        413: "assault rifle",
        763: "revolver",
        764: "rifle",
        597: "holster",
        657: "missile",
        744: "projectile",
        471: "cannon",
        847: "tank",
        652: "military uniform",
        465: "bulletproof vest",
        895: "warplane",
        403: "aircraft carrier",
        833: "submarine",
    }
    assert {i: names[i] for i in TERROR_CLASSES} == expected
    probs = np.zeros((2, 1000), np.float32)
    probs[0, [413, 763, 657]] = 0.3, 0.2, 0.1
    probs[1, 281] = 1.0
    assert np.allclose(sub_label_scores(probs), [[0.5, 0.0, 0.1], [0.0, 0.0, 0.0]])


@pytest.mark.parametrize("size", [(1280, 720), (640, 427), (427, 640), (500, 500), (3000, 400)])
def test_square_views_cover_the_frame_around_the_center_crop(size: tuple[int, int]) -> None:
    width, height = size
    views = square_views(width, height)
    assert center_view(width, height) in views
    assert len(views) % 2 == 1 and len(views) <= 5
    for x1, y1, x2, y2 in views:
        assert 0 <= x1 < x2 <= width and 0 <= y1 < y2 <= height and x2 - x1 == y2 - y1
    if len(views) > 1:
        assert min(v[0] for v in views) == 0 or min(v[1] for v in views) == 0
        assert max(v[2] for v in views) == width or max(v[3] for v in views) == height


def test_terror_on_neutral_pictures_and_on_a_rocket(terror: TerrorDetector) -> None:
    frames = neutral_frames()
    probs = terror.probabilities(frames)
    weapon_classes = set(TERROR_CLASSES)
    rocket_index = 3
    for i, row in enumerate(probs):
        if i != rocket_index:
            assert int(row.argmax()) not in weapon_classes
    findings = terror(frames)
    # A civilian launch looks like a missile to ImageNet: the known false positive, and proof the mapping
    # works on real logits. Nothing else scores.
    assert {(f.frame_index, f.sub_label) for f in findings} == {(rocket_index, "Explosive")}
    (rocket,) = findings
    assert 30 <= rocket.confidence < 95 and rocket.label == "Terror" and rocket.form == "Image"
    assert rocket.start == rocket.end == float(rocket_index)
    assert rocket.box in square_views(640, 427)
    assert set(SUB_LABELS) == {"Weapon", "Military", "Explosive"}
    assert terror([]) == []


def test_terror_without_tiles_looks_at_the_central_square(engine_config: EngineConfig) -> None:
    frames = neutral_frames()
    findings = TerrorDetector(engine_config, tiles=False)(frames)
    (rocket,) = findings  # the rocket is in the middle of its picture: one view still finds it
    assert rocket.frame_index == 3 and rocket.sub_label == "Explosive"
    assert rocket.box == center_view(640, 427)


def test_embeddings_find_near_duplicates(terror: TerrorDetector) -> None:
    china = photo(SKLEARN_IMAGES / "china.jpg")
    brighter = np.clip(china.astype(np.int16) + 25, 0, 255).astype(np.uint8)
    recoded = cv2.imdecode(
        cv2.imencode(".jpg", brighter, [cv2.IMWRITE_JPEG_QUALITY, 40])[1], cv2.IMREAD_UNCHANGED
    )
    frames = [Frame(china, 0), Frame(recoded, 1), Frame(photo(SKLEARN_IMAGES / "flower.jpg"), 2)]
    vectors = terror.embed(frames)
    assert vectors.shape == (3, 1280) and vectors.dtype == np.float32
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    assert unit[0] @ unit[1] > 0.9
    assert unit[0] @ unit[2] < 0.6
    assert terror.embed([]).shape == (0, 1280)


# --- custom ONNX models ----------------------------------------------------------------------------------------


def red_detector(path: Path, *, size: int = 32) -> Path:
    """A two-class image model (plain, gun) whose 'gun' logit grows with how much redder than green/blue it is."""
    k = 20.0
    weights = np.array([[-k, k], [k / 2, -k / 2], [k / 2, -k / 2]], np.float32)
    graph = helper.make_graph(
        [
            helper.make_node("ReduceMean", ["image"], ["means"], axes=[2, 3], keepdims=0),
            helper.make_node("MatMul", ["means", "w"], ["scores"]),
        ],
        "red",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 3, size, size])],
        [helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["N", 2])],
        [onnx.numpy_helper.from_array(weights, "w")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    helper.set_model_props(model, {"labels": '["plain", "gun"]'})
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def loudness_detector(path: Path, *, samples: int = 16000) -> Path:
    """A one-output audio model: logit = 50 * (mean power - 0.01), so loud windows score high."""
    graph = helper.make_graph(
        [
            helper.make_node("Mul", ["wave", "wave"], ["power"]),
            helper.make_node("ReduceMean", ["power"], ["mean"], axes=[1], keepdims=1),
            helper.make_node("Sub", ["mean", "threshold"], ["centred"]),
            helper.make_node("Mul", ["centred", "gain"], ["logit"]),
        ],
        "loud",
        [helper.make_tensor_value_info("wave", TensorProto.FLOAT, ["N", samples])],
        [helper.make_tensor_value_info("logit", TensorProto.FLOAT, ["N", 1])],
        [
            onnx.numpy_helper.from_array(np.array(0.01, np.float32), "threshold"),
            onnx.numpy_helper.from_array(np.array(500.0, np.float32), "gain"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def plain(rgb: tuple[int, int, int], time: float, index: int) -> Frame:
    return Frame(np.full((360, 640, 3), rgb, np.uint8), time=time, index=index)


@pytest.mark.parametrize("key", ["gun", "1"])
def test_custom_image_model_end_to_end(tmp_path: Path, key: str) -> None:
    spec = CustomModel(
        path=red_detector(tmp_path / "red.onnx"),
        kind="image",
        labels={key: "Terror.Weapon"},
        input_size=32,
        mean=(0.0, 0.0, 0.0),
        std=(1.0, 1.0, 1.0),
    )
    model = CustomImageModel(spec)
    assert model.labels == frozenset({"Terror"}) and model.name == "custom:red"
    frames = [plain((220, 30, 30), 0.0, 0), plain((128, 128, 128), 1.0, 1), plain((30, 30, 220), 2.0, 2)]
    findings = model(frames)
    assert [(f.frame_index, f.label, f.sub_label, f.form) for f in findings] == [
        (0, "Terror", "Weapon", "Image")
    ]
    assert findings[0].confidence > 99
    assert model([]) == []


def test_custom_audio_model_merges_adjacent_windows(tmp_path: Path) -> None:
    spec = CustomModel(
        path=loudness_detector(tmp_path / "loud.onnx"), kind="audio", labels={"0": "Moan.Loud"}
    )
    (model,) = load_custom_models([spec])[1]
    rng = np.random.default_rng(3)
    samples = np.zeros(16000 * 5, np.float32)
    samples[16000:48000] = rng.uniform(-0.9, 0.9, 32000)  # loud from 1 s to 3 s
    samples[64000:64100] = 0.9  # a click too short to matter
    findings = model(AudioTrack(samples))
    assert [(f.form, f.label, f.sub_label, f.start, f.end) for f in findings] == [
        ("Voice", "Moan", "Loud", 1.0, 3.0)
    ]
    assert findings[0].confidence > 99
    assert model(AudioTrack(np.zeros(16000 * 3, np.float32))) == []


def test_custom_model_configuration_errors(tmp_path: Path) -> None:
    path = red_detector(tmp_path / "red.onnx")
    with pytest.raises(ValueError, match="'knife' is not a class index or name"):
        CustomImageModel(CustomModel(path=path, kind="image", labels={"knife": "Terror"}, input_size=32))
    with pytest.raises(ValueError, match="must start with one of"):
        CustomImageModel(CustomModel(path=path, kind="image", labels={"gun": "Violence"}, input_size=32))
    with pytest.raises(ValueError, match="input is 32x32 but input_size is 224"):
        CustomImageModel(CustomModel(path=path, kind="image", labels={"gun": "Terror"}))
    with pytest.raises(ValueError, match="kind is 'image', expected 'audio'"):
        CustomAudioModel(CustomModel(path=path, kind="image", labels={"gun": "Terror"}, input_size=32))
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not a model")
    with pytest.raises(ModelUnavailable, match="broken.onnx cannot be loaded"):
        CustomImageModel(CustomModel(path=broken, kind="image", labels={"0": "Terror"}))
    with pytest.raises(ModelUnavailable, match="does not exist"):
        CustomImageModel(CustomModel(path=tmp_path / "missing.onnx", kind="image", labels={"0": "Terror"}))
    with pytest.raises(ValueError, match="past its 2 outputs"):
        CustomImageModel(CustomModel(path=path, kind="image", labels={"7": "Terror"}, input_size=32))


def keyword_text_model(path: Path, pattern: str) -> Path:
    """A two-class text model (clean, scam) that is sure of 'scam' when the text fully matches ``pattern``."""
    graph = helper.make_graph(
        [
            helper.make_node("RegexFullMatch", ["text"], ["hit"], pattern=pattern),
            helper.make_node("Cast", ["hit"], ["p"], to=TensorProto.FLOAT),
            helper.make_node("Sub", ["one", "p"], ["q"]),
            helper.make_node("Concat", ["q", "p"], ["scores"], axis=1),
        ],
        "scam",
        [helper.make_tensor_value_info("text", TensorProto.STRING, ["N", 1])],
        [helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["N", 2])],
        [onnx.numpy_helper.from_array(np.array(1.0, np.float32), "one")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20)])
    model.ir_version = 9
    helper.set_model_props(model, {"labels": '["clean", "scam"]', "vodguard.activation": "none"})
    onnx.save(model, str(path))
    return path


def test_custom_text_model_joins_text_moderation(tmp_path: Path) -> None:
    from vodguard.moderation.text import TextModerator

    path = keyword_text_model(tmp_path / "scam.onnx", r"(?i).*\b(bitcoin|crypto) (giveaway|doubling)\b.*")
    spec = CustomModel(path=path, kind="text", labels={"scam": "Ad.CryptoScam"})
    (model,) = load_custom_models([spec])[2]
    assert [(h.label, h.sub_label, h.confidence) for h in model("Join the Bitcoin giveaway")] == [
        ("Ad", "CryptoScam", 100.0)
    ]
    assert model("A walk in the park") == [] and model("  ") == []
    moderator = TextModerator(extra=[model])
    ad = next(h for h in moderator("bitcoin giveaway, sign up now") if h.label == "Ad")
    # the model's certainty leads; the call to action the ad patterns found stays as a keyword
    assert (ad.sub_label, ad.confidence, ad.keywords) == ("CryptoScam", 100.0, ("sign up now",))
    assert moderator("bitcoin giveaway", labels={"Porn"}) == []
    with pytest.raises(ValueError, match="takes a string tensor"):
        load_custom_models([CustomModel(red_detector(tmp_path / "red.onnx"), "text", {"gun": "Terror"})])


def test_custom_text_model_reads_pictures_and_brings_its_label(tmp_path: Path) -> None:
    path = keyword_text_model(tmp_path / "handle.onnx", r"(?i).*\babc123\b.*")
    spec = CustomModel(path=path, kind="text", labels={"1": "Illegal.Handle"})
    config = EngineConfig(custom_models=(spec,))
    result = Engine(config).moderate_image(fixture_path("images/text.png"), labels_template(["Illegal"]))
    (segment,) = result.segments  # the bundled rules see nothing illegal here; the operator's model does
    assert (segment.form, segment.label, segment.sub_label) == ("OCR", "Illegal", "Handle")
    assert "abc123" in segment.text and segment.box
    # a label the bundled text rules never give (Moan) makes OCR read, when a text model can give it
    moan = EngineConfig(custom_models=(CustomModel(path=path, kind="text", labels={"1": "Moan.Words"}),))
    assert plan_for({"Moan"}, moan).ocr and not plan_for({"Moan"}, EngineConfig()).ocr


def test_scores_become_probabilities() -> None:
    probs, one = to_probabilities(np.array([[0.2, 0.8], [0.5, 0.5]]), None)
    assert one and probs.tolist() == [[0.2, 0.8], [0.5, 0.5]]
    probs, one = to_probabilities(np.array([[0.9, 0.7]]), None)  # independent sigmoids
    assert not one and probs.tolist() == [[0.9, 0.7]]
    probs, one = to_probabilities(np.array([[2.0, -1.0, 0.5]]), None)  # logits: softmax
    assert one and probs.sum() == pytest.approx(1.0) and probs.argmax() == 0
    probs, one = to_probabilities(np.array([[3.0]]), None)  # one logit: sigmoid
    assert not one and probs[0, 0] == pytest.approx(1 / (1 + np.exp(-3.0)))
    probs, _ = to_probabilities(np.array([[0.2, 0.8]]), "softmax")  # the model's metadata wins
    assert probs[0, 1] == pytest.approx(np.exp(0.8) / (np.exp(0.2) + np.exp(0.8)))


def test_audio_windows() -> None:
    assert audio_windows(np.ones(16000 * 2 + 8000, np.float32), 16000).shape == (3, 16000)
    assert audio_windows(np.ones(16000 * 2 + 100, np.float32), 16000).shape == (2, 16000)
    short = audio_windows(np.ones(3000, np.float32), 16000)
    assert short.shape == (1, 16000) and short[0, :3000].all() and not short[0, 3000:].any()
    assert audio_windows(np.zeros(0, np.float32), 16000).shape == (0, 16000)


@pytest.mark.parametrize("zipmap", [True, False])
def test_a_scikit_learn_text_pipeline_exported_with_skl2onnx_works(tmp_path: Path, zipmap: bool) -> None:
    # the route docs/models.md gives operators: TF-IDF and a linear model, exported by skl2onnx
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import StringTensorType
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    scams = [
        "bitcoin giveaway now",
        "double your crypto today",
        "crypto giveaway send coins",
        "free bitcoin now",
    ]
    fine = [
        "a nice walk in the park",
        "lunch with friends today",
        "the weather is good now",
        "a quiet evening",
    ]
    pipeline = make_pipeline(TfidfVectorizer(lowercase=False), LogisticRegression(C=100.0))
    pipeline.fit(scams + fine, ["scam"] * 4 + ["fine"] * 4)  # class names, as they usually are
    options = None if zipmap else {id(pipeline): {"zipmap": False}}
    exported = to_onnx(pipeline, initial_types=[("text", StringTensorType([None, 1]))], options=options)
    path = tmp_path / "scam.onnx"
    path.write_bytes(exported.SerializeToString())
    labels = {"scam": "Ad.Scam"} if zipmap else {"1": "Ad.Scam"}  # zipmap keeps the class names; else columns
    (model,) = load_custom_models([CustomModel(path=path, kind="text", labels=labels, min_confidence=50)])[2]
    (hit,) = model("crypto giveaway now")
    assert (hit.label, hit.sub_label) == ("Ad", "Scam") and hit.confidence > 50
    assert model("a walk with friends") == []
