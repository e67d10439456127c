"""``vodguard review`` as a user runs it: a subprocess, real files, exit status and output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

av = pytest.importorskip("av")


def review(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vodguard", "review", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "VODGUARD_DATA_DIR": str(cwd / "data")},
    )


@pytest.fixture(scope="module")
def clean_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four seconds of moving colour bars and a tone: nothing to find."""
    path = tmp_path_factory.mktemp("media") / "bars.mp4"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 320, 180, "yuv420p"
        for i in range(40):
            image = np.zeros((180, 320, 3), np.uint8)
            image[:, (i * 8) % 280 : (i * 8) % 280 + 40] = (30 * (i % 8), 200, 90)
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def test_help_explains_templates_and_labels(tmp_path):
    done = review("--help", cwd=tmp_path)
    assert done.returncode == 0
    assert "--labels" in done.stdout and "template 10" in done.stdout


def test_a_clean_video_passes_with_one_json_line(clean_video, tmp_path):
    done = review(clean_video, "--labels", "Porn", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    [line] = done.stdout.splitlines()
    assert json.loads(line) == {"Path": str(clean_video), "Suggestion": "pass", "Label": "", "Form": "",
                                "SegmentSet": []}  # fmt: skip


def test_an_unreadable_file_exits_3_with_its_error(clean_video, tmp_path):
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"this is not a video" * 100)
    missing = tmp_path / "missing.mp4"
    done = review(clean_video, junk, missing, "--labels", "Porn", "--json", cwd=tmp_path)
    assert done.returncode == 3
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["Path"] for line in lines] == [str(clean_video), str(junk), str(missing)]
    assert lines[0]["Suggestion"] == "pass"
    for line in lines[1:]:
        assert line["Error"]["Code"] == "SourceFileError"
        assert line["Error"]["Message"]


def test_the_readable_summary_and_html_report(clean_video, tmp_path):
    report = tmp_path / "out" / "report.html"
    done = review(clean_video, "--labels", "porn", "--html", report, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "PASS" in done.stdout and clean_video.name in done.stdout
    html = report.read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>") and str(clean_video) in html
    assert "http://" not in html and "https://" not in html  # self-contained


@pytest.mark.parametrize(
    ("option", "value", "needle"),
    [("--template", "11", "--labels"), ("--labels", "Porn,Gore", "Gore")],
)
def test_bad_options_exit_4_and_say_why(clean_video, tmp_path, option, value, needle):
    done = review(clean_video, option, value, cwd=tmp_path)
    assert done.returncode == 4
    assert needle in done.stderr
