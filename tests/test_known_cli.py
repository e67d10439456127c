"""``vodguard known`` and the bank in ``vodguard review`` as a user runs them: subprocesses on real files, a data
directory, exit statuses and output; and hash lists (CSV) with a corrupt line, imported all or nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests import known_media
from tests.paths import MODEL_CACHE

REPO = Path(__file__).resolve().parents[1]


def vodguard(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vodguard", *map(str, args)],
        capture_output=True, text=True, cwd=REPO, timeout=300,
        env={"PATH": "/usr/bin:/bin", "VODGUARD_MODEL_CACHE_DIR": str(MODEL_CACHE)},
    )  # fmt: skip


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("known-cli")
    original = known_media.slideshow(folder / "a.mp4", known_media.ORIGINAL_PHOTOS[:3])
    return (
        original,
        known_media.variant(original, "watermark", folder),
        known_media.variant(original, "mirror", folder),
    )


def listed(data: Path) -> list[dict]:
    done = vodguard("known", "list", "--json", "--data-dir", data)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_known_add_then_review_blocks_a_copy(tmp_path, clips):
    original, watermarked, mirrored = clips
    data = tmp_path / "D"
    # no data directory: review consults no bank, and creates none (the engine may cache built models under
    # models/, as it caches the converted EfficientNet and the int8 OCR detector; that is not a bank)
    before = vodguard("review", watermarked, "--labels", "Porn", "--json", "--data-dir", data)
    assert before.returncode == 0 and json.loads(before.stdout)["Suggestion"] == "pass", before.stderr
    assert not data.exists() or {p.name for p in data.iterdir()} <= {"models"}

    added = vodguard("known", "add", original, "--label", "Porn", "--reason", "leak", "--data-dir", data)
    assert added.returncode == 0, added.stderr
    [entry] = listed(data)
    assert (entry["Label"], entry["Reason"], entry["Kind"], entry["Origin"]) == (
        "Porn",
        "leak",
        "video",
        "file",
    )
    assert entry["SourceName"] == "a.mp4" and entry["FrameCount"] >= 3

    done = vodguard("review", watermarked, mirrored, "--labels", "Porn", "--json", "--data-dir", data)
    assert done.returncode == 2, done.stderr  # block
    for line in done.stdout.splitlines():
        result = json.loads(line)
        assert result["Suggestion"] == "block" and result["Label"] == "Porn"
        assert result["KnownContentMatch"]["EntryId"] == entry["EntryId"]
        assert "matches known content a.mp4" in result["SegmentSet"][0]["Text"]

    removed = vodguard("known", "remove", entry["EntryId"], "--data-dir", data)
    assert removed.returncode == 0 and listed(data) == []
    after = vodguard("review", watermarked, "--labels", "Porn", "--json", "--data-dir", data)
    assert after.returncode == 0 and "KnownContentMatch" not in json.loads(after.stdout)


def test_export_import_round_trip_and_a_corrupt_line_imports_nothing(tmp_path, clips):
    original, watermarked, _ = clips
    first, second = tmp_path / "first", tmp_path / "second"
    assert vodguard("known", "add", original, "--label", "Terror", "--data-dir", first).returncode == 0
    out = tmp_path / "bank.csv"
    exported = vodguard("known", "export", out, "--data-dir", first)
    assert exported.returncode == 0, exported.stderr
    lines = out.read_text().splitlines()
    assert lines[0] == "signal_type,signal,label,note,entry,time,sub_label,kind"
    assert all(line.startswith("vodguard_phash64,") and ",Terror," in line for line in lines[1:])

    corrupt = tmp_path / "corrupt.csv"
    corrupt.write_text(
        "\n".join([*lines[:3], lines[3].replace("vodguard_phash64,", "vodguard_phash64,zz"), *lines[4:]])
        + "\n"
    )
    refused = vodguard("known", "import", corrupt, "--data-dir", second)
    assert refused.returncode == 4
    assert (
        "line 4" in refused.stderr and "signal" in refused.stderr and "nothing was imported" in refused.stderr
    )
    assert listed(second) == []

    imported = vodguard("known", "import", out, "--data-dir", second)
    assert imported.returncode == 0, imported.stderr
    [entry] = listed(second)
    assert (
        entry["Label"] == "Terror" and entry["Origin"] == "import" and entry["FrameCount"] == len(lines) - 1
    )
    done = vodguard("review", watermarked, "--labels", "Porn", "--json", "--data-dir", second)
    assert done.returncode == 2 and json.loads(done.stdout)["Label"] == "Terror"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("signal,label\n", "line 1: the header lacks the column(s) signal_type"),
        ("signal_type,signal,label\nvodguard_phash64,00ff00ff00ff00ff,Spam\n", "line 2: label 'Spam'"),
        (
            "signal_type,signal,label,time\nvodguard_phash64,00ff00ff00ff00ff,Porn,soon\n",
            "line 2: time 'soon'",
        ),
        ("signal_type,signal,label\npdq,00ff00ff00ff00ff,Porn\n", "line 2: signal_type 'pdq'"),
        (
            "signal_type,signal,label\nvodguard_phash64,00ff00ff00ff00ff,Porn,extra\n",
            "line 2: it has 3 columns",
        ),
        ("signal_type,signal,label\n", "line 1: the list has a header but no hash"),
    ],
)
def test_bad_lists_name_the_line(tmp_path, content, message):
    path = tmp_path / "list.csv"
    path.write_text(content)
    done = vodguard("known", "import", path, "--data-dir", tmp_path / "D")
    assert done.returncode == 4 and message in done.stderr, done.stderr


def test_bad_options_are_usage_errors(tmp_path):
    done = vodguard("known", "add", tmp_path / "missing.mp4", "--label", "Porn", "--data-dir", tmp_path / "D")
    assert done.returncode == 4 and "no such file" in done.stderr
    picture = known_media.PHOTOS / "photo_skimage_coffee_full.jpg"
    done = vodguard("known", "add", picture, "--label", "Nope", "--data-dir", tmp_path / "D")
    assert done.returncode == 4 and "Label 'Nope' must be one of" in done.stderr
    done = vodguard("known", "remove", "known-0000", "--data-dir", tmp_path / "D")
    assert done.returncode == 4 and "EntryId known-0000 does not exist" in done.stderr
