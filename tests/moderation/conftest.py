"""Paths to the committed media fixtures (tests/fixtures/, from scripts/make_fixtures.py) and their truths."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def fixture_path(name: str) -> Path:
    """The path of a committed fixture (``"text_video.mp4"``, ``"bad/bomb.png"``); fails if it is missing."""
    path = FIXTURES / name
    if not path.is_file():
        pytest.fail(f"fixture {name} is missing: run scripts/make_fixtures.py and commit tests/fixtures/")
    return path


def fixture_truth(name: str) -> dict[str, Any]:
    """The ground truth written next to a fixture (``"text_video.json"``)."""
    return json.loads(fixture_path(name).read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def fixtures() -> Path:
    """The folder of committed media fixtures."""
    return FIXTURES


@pytest.fixture(scope="session")
def fixture_file() -> Callable[[str], Path]:
    """``fixture_file("speech.wav")`` gives the path of a committed fixture."""
    return fixture_path


@pytest.fixture(scope="session")
def truth() -> Callable[[str], dict[str, Any]]:
    """``truth("speech.json")`` gives a fixture's ground truth."""
    return fixture_truth
