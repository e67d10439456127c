"""Where tests find files: the committed media fixtures, and the optional public data sets outside the repository.

A committed fixture that is missing is a broken checkout, so ``fixture_path`` fails the test. The data sets are not
part of the repository (licences, size), so ``shared_data`` skips the test when they are not on this machine.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures"
# The project's workspace keeps the data sets next to the repository (see ../shared/data/README.md there).
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
# The files the engine derives from installed weights on first use (EfficientNet's conversion, int8 forms, Whisper
# base joined, the tokenizer's tables), where in-process tests keep them (EngineConfig's default, data/models in
# the repository). CLI tests that give each run a fresh data directory pass it as VODGUARD_MODEL_CACHE_DIR, so
# that every run does not derive them again: seconds a run, and 145 MB for Whisper base.
MODEL_CACHE = Path(__file__).resolve().parents[1] / "data" / "models"


def fixture_path(name: str) -> Path:
    """The path of a committed fixture (``"text_video.mp4"``, ``"bad/bomb.png"``); fails if it is missing."""
    path = FIXTURES / name
    if not path.is_file():
        pytest.fail(f"fixture {name} is missing: run scripts/make_fixtures.py and commit tests/fixtures/")
    return path


def fixture_truth(name: str) -> dict[str, Any]:
    """The ground truth written next to a fixture (``"text_video.json"``)."""
    return json.loads(fixture_path(name).read_text(encoding="utf-8"))


def shared_data(name: str) -> Path:
    """A file of a public data set (``"cold/dev.csv"``) under ``VODGUARD_TEST_DATA`` (default: the workspace's
    ``shared/data`` beside the repository); skips the test when it is not there."""
    root = Path(os.environ.get("VODGUARD_TEST_DATA") or SHARED_DATA)
    path = root / name
    if not path.is_file():
        pytest.skip(f"{name} is not under {root} (set VODGUARD_TEST_DATA to the folder of the data sets)")
    return path
