"""Known content: frame hashes, the multi-index bank, the match rule, and the engine's lookup, on committed fixtures."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.paths import fixture_path
from vodguard.moderation import Engine, Limits, SourceFileError
from vodguard.moderation.known import (
    RADIUS,
    FrameHash,
    KnownMatcher,
    MemoryIndex,
    hash_file,
    hash_frame,
    is_flat,
)
from vodguard.moderation.types import Template

NO_MODELS = Template(definition=0, labels=frozenset())  # only the known-content check runs


def _picture(name: str) -> np.ndarray:
    with Image.open(fixture_path(f"clean_pictures/{name}")) as pic:
        return np.asarray(pic.convert("RGB"))


def _jpeg(image: np.ndarray, quality: int = 85) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def _bits(a: int, b: int) -> int:
    return (a ^ b).bit_count()


# --- hashes --------------------------------------------------------------------------------------------------


def test_the_flipped_hash_is_the_hash_of_the_mirror_image():
    image = _picture("chart_00.jpg")
    straight, flipped = hash_frame(image)
    mirror_straight, mirror_flipped = hash_frame(np.ascontiguousarray(image[:, ::-1]))
    assert _bits(mirror_straight, flipped) <= 1 and _bits(mirror_flipped, straight) <= 1
    assert _bits(straight, flipped) > RADIUS  # a chart is not its own mirror image


def test_a_recompressed_smaller_copy_keeps_its_hash_and_other_pictures_do_not_share_it():
    image = _picture("bench_frame_t12.5.jpg")
    small = Image.open(io.BytesIO(_jpeg(image, quality=30))).resize(
        (image.shape[1] // 2, image.shape[0] // 2)
    )
    assert _bits(hash_frame(image)[0], hash_frame(np.asarray(small))[0]) <= 4
    others = ["chart_03.jpg", "fireworks_02.jpg", "gradient_05.jpg", "bench_frame_t42.5.jpg"]
    for name in others:
        assert _bits(hash_frame(image)[0], hash_frame(_picture(name))[0]) > RADIUS, name


def test_a_flat_frame_is_not_hashed(tmp_path: Path):
    black = np.zeros((240, 320, 3), np.uint8)
    assert is_flat(black) and not is_flat(_picture("chart_00.jpg"))
    path = tmp_path / "black.png"
    Image.fromarray(black).save(path)
    assert hash_file(path, Limits()) == []


def test_hash_file_samples_a_video_at_least_once_a_second():
    hashes = hash_file(fixture_path("cuts.mp4"), Limits(), crops=(1.0,))
    times = [h.time for h in hashes]
    assert times == sorted(times) and times[0] == 0.0 and times[-1] > 9.0
    assert all(b - a <= 1.01 for a, b in zip(times, times[1:], strict=False))
    assert {2.6, 7.8} <= set(times)  # the cuts are sampled too


def test_hash_file_gives_a_picture_its_hashes_whole_and_cropped_at_time_zero():
    whole, centre = hash_file(fixture_path("clean_pictures/chart_00.jpg"), Limits())
    image = _picture("chart_00.jpg")
    h, w = image.shape[:2]
    assert whole.time == centre.time == 0.0
    assert (whole.straight, whole.flipped) == hash_frame(image)
    assert (centre.straight, centre.flipped) == hash_frame(
        image[round(h * 0.05) : h - round(h * 0.05), round(w * 0.05) : w - round(w * 0.05)]
    )


def test_a_copy_cropped_by_5_percent_a_side_is_near_the_banked_centre():
    image = _picture("photo_skimage_astronaut_full.jpg")
    h, w = image.shape[:2]
    cropped = np.asarray(Image.fromarray(image[h // 20 : h - h // 20, w // 20 : w - w // 20]).resize((w, h)))
    banked = MemoryIndex()
    path = fixture_path("clean_pictures/photo_skimage_astronaut_full.jpg")
    banked.add("astronaut", hash_file(path, Limits()))
    [found] = banked.lookup([hash_frame(cropped)[0]], RADIUS)
    assert found.distance <= 4


def test_hash_file_refuses_what_the_engine_refuses():
    with pytest.raises(SourceFileError):
        hash_file(fixture_path("bad/text.mp4"), Limits())


# --- the bank ------------------------------------------------------------------------------------------------


def _random_bank(rng: np.random.Generator, frames: int) -> tuple[MemoryIndex, np.ndarray]:
    hashes = rng.integers(0, 1 << 63, frames, dtype=np.uint64) * np.uint64(2) + rng.integers(
        0, 2, frames
    ).astype(np.uint64)
    index = MemoryIndex()
    index.add_arrays([f"e{i // 10}" for i in range(frames)], np.arange(frames) % 10 * 1.0, hashes)
    return index, hashes


@pytest.mark.parametrize("radius", [0, 3, 7, 10, 14])
def test_the_index_finds_exactly_what_a_full_scan_finds(radius: int):
    rng = np.random.default_rng(radius)
    index, hashes = _random_bank(rng, 20_000)
    near = [int(h) ^ (int(rng.integers(0, 1 << 12)) << int(rng.integers(0, 52))) for h in hashes[:60]]
    queries = (
        near
        + [int(h) for h in hashes[60:70]]
        + [int(q) for q in rng.integers(0, 1 << 63, 20, dtype=np.uint64)]
    )
    got = sorted((c.entry_id, c.time, c.distance, c.query_hash) for c in index.lookup(queries, radius))
    distances = np.bitwise_count(hashes[None, :] ^ np.array(queries, dtype=np.uint64)[:, None])
    expected = sorted(
        (f"e{j // 10}", float(j % 10), int(distances[i, j]), queries[i])
        for i, j in zip(*np.nonzero(distances <= radius), strict=True)
    )
    assert got == expected and len(expected) >= 10


def test_removed_entries_are_not_found_and_an_empty_bank_finds_nothing():
    index = MemoryIndex()
    assert index.lookup([123], RADIUS) == [] and len(index) == 0
    index.add("a", [FrameHash(0.0, 0xFFFF0000FFFF0000, 0), FrameHash(1.0, 0x0F0F0F0F0F0F0F0F, 0)])
    index.add("b", [FrameHash(0.0, 0xFFFF0000FFFF0001, 0)])
    assert {c.entry_id for c in index.lookup([0xFFFF0000FFFF0000], 2)} == {"a", "b"}
    index.remove("a")
    assert [(c.entry_id, c.distance) for c in index.lookup([0xFFFF0000FFFF0000], 2)] == [("b", 1)]
    assert len(index) == 1
    with pytest.raises(ValueError, match="radius"):
        index.lookup([1], 64)


# --- the rule ------------------------------------------------------------------------------------------------


def _spread(rng: np.random.Generator, n: int) -> list[int]:
    return [int(h) for h in rng.integers(0, 1 << 63, n, dtype=np.uint64)]


def test_frames_that_match_in_order_are_a_match_and_shuffled_ones_are_not():
    rng = np.random.default_rng(1)
    entry = _spread(rng, 10)
    bank = MemoryIndex()
    bank.add("blocked", [FrameHash(float(t), h, 0) for t, h in enumerate(entry)])
    copy = KnownMatcher(bank)
    copy.add_hashes([FrameHash(t + 0.5, h ^ 0b101, 0) for t, h in enumerate(entry[2:])])  # trimmed by 2 s
    match = copy.match()
    assert match is not None and match.entry_id == "blocked" and match.score == 1.0
    assert [(f.time, f.entry_time, f.distance, f.flipped) for f in match.frames[:2]] == [
        (0.5, 2.0, 2, False),
        (1.5, 3.0, 2, False),
    ]
    shuffled = KnownMatcher(bank)
    order = [
        9,
        1,
        7,
        0,
        5,
        3,
    ]  # six of the bank's frames out of order (at most two in order), four of its own
    shuffled.add_hashes(
        [FrameHash(float(t), entry[i], 0) for t, i in enumerate(order)]
        + [FrameHash(6.0 + t, h, 0) for t, h in enumerate(_spread(rng, 4))]
    )
    best = shuffled.best()
    assert best is not None and len(best.frames) == 2 and best.score == 0.2
    assert shuffled.match() is None


def test_a_mirrored_copy_matches_through_the_flipped_hashes():
    rng = np.random.default_rng(2)
    entry = _spread(rng, 5)
    bank = MemoryIndex()
    bank.add("blocked", [FrameHash(float(t), h, 0) for t, h in enumerate(entry)])
    mirrored = KnownMatcher(bank)
    own = _spread(rng, 5)  # the copy's straight hashes are its own; its flipped ones are the bank's
    mirrored.add_hashes([FrameHash(float(t), own[t], entry[t]) for t in range(5)])
    match = mirrored.match()
    assert match is not None and all(f.flipped for f in match.frames) and len(match.frames) == 5


def test_a_short_file_needs_all_its_frames_and_a_long_one_half():
    rng = np.random.default_rng(3)
    entry = _spread(rng, 20)
    bank = MemoryIndex()
    bank.add("blocked", [FrameHash(float(t), h, 0) for t, h in enumerate(entry)])
    short = KnownMatcher(bank)
    short.add_hashes([FrameHash(0.0, entry[4], 0), FrameHash(1.0, entry[5], 0)])
    assert short.match() is not None
    half = KnownMatcher(bank)
    own = _spread(rng, 10)
    half.add_hashes([FrameHash(float(t), entry[t] if t % 2 else own[t], 0) for t in range(10)])
    assert half.match() is not None  # 5 of 10
    less = KnownMatcher(bank)
    less.add_hashes([FrameHash(float(t), entry[t] if t % 3 == 0 else own[t], 0) for t in range(10)])
    assert less.match() is None  # 4 of 10


# --- in the engine -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine()


def test_a_video_in_the_bank_is_blocked_with_its_matched_frames(engine: Engine):
    bank = MemoryIndex()
    bank.add("cuts", hash_file(fixture_path("cuts.mp4"), Limits()))
    result = engine.moderate_media(fixture_path("cuts.mp4"), NO_MODELS, known=bank)
    assert result.suggestion == "block"
    assert result.known_match is not None and result.known_match.entry_id == "cuts"
    assert result.known_match.score == 1.0 and len(result.known_match.frames) >= 10
    assert any(t.name == "known" for t in result.timings)
    other = engine.moderate_media(fixture_path("clean_video.mp4"), NO_MODELS, known=bank)
    assert other.suggestion == "pass" and other.known_match is None


def test_no_bank_or_an_empty_one_changes_nothing(engine: Engine):
    plain = engine.moderate_media(fixture_path("cuts.mp4"), NO_MODELS)
    empty = engine.moderate_media(fixture_path("cuts.mp4"), NO_MODELS, known=MemoryIndex())
    assert plain.known_match is None and empty.known_match is None
    assert plain.suggestion == empty.suggestion == "pass"
    assert not any(t.name == "known" for t in plain.timings + empty.timings)  # nothing hashed


def test_a_mirrored_picture_of_a_banked_one_is_blocked(engine: Engine):
    bank = MemoryIndex()
    bank.add("chart", hash_file(fixture_path("clean_pictures/chart_04.jpg"), Limits()))
    mirrored = _jpeg(np.ascontiguousarray(_picture("chart_04.jpg")[:, ::-1]), quality=60)
    result = engine.moderate_image(mirrored, NO_MODELS, known=bank)
    assert result.suggestion == "block" and result.known_match is not None
    assert result.known_match.entry_id == "chart" and result.known_match.frames[0].flipped
    unrelated = engine.moderate_image(_jpeg(_picture("fireworks_03.jpg")), NO_MODELS, known=bank)
    assert unrelated.known_match is None and unrelated.suggestion == "pass"


def test_early_exit_stops_at_the_first_batch_that_matches_and_otherwise_every_frame_is_looked_at(
    engine: Engine,
):
    bank = MemoryIndex()
    bank.add("cuts", hash_file(fixture_path("cuts.mp4"), Limits()))
    stopping = Template(definition=0, labels=frozenset(), early_exit=True)
    looked = {}
    for name, template in (("stop", stopping), ("all", NO_MODELS)):
        result = engine.moderate_media(fixture_path("cuts.mp4"), template, known=bank)
        assert result.suggestion == "block" and result.known_match is not None
        looked[name] = next(t.items for t in result.timings if t.name == "known")
    # 12 sampled frames in batches of 8: the first batch already holds a chain of 8
    assert looked == {"stop": 8, "all": 12}
