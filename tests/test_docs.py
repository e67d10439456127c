"""What users read matches the code: every setting of ``vodguard.config.Settings`` is documented."""

from __future__ import annotations

from pathlib import Path

from vodguard.config import Settings

ROOT = Path(__file__).resolve().parents[1]


def test_every_setting_is_documented_by_its_variable_name():
    docs = "\n".join(p.read_text() for p in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))])
    undocumented = sorted(
        f"VODGUARD_{name.upper()}" for name in Settings.model_fields if f"VODGUARD_{name.upper()}" not in docs
    )
    assert undocumented == []
