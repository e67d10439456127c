"""The committed media fixtures as pytest fixtures: ``fixture_file(name)`` and ``truth(name)`` (from tests/paths.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.paths import fixture_path, fixture_truth


@pytest.fixture(scope="session")
def fixture_file() -> Callable[[str], Path]:
    """``fixture_file("speech.wav")`` gives the path of a committed fixture; fails if it is missing."""
    return fixture_path


@pytest.fixture(scope="session")
def truth() -> Callable[[str], dict[str, Any]]:
    """``truth("speech.json")`` gives a fixture's ground truth."""
    return fixture_truth
