"""``vodguard review`` as a user runs it: a subprocess, real files, exit status and output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest

from tests.paths import MODEL_CACHE, fixture_path


def review(*args: str | Path, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vodguard", "review", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
        timeout=300,
        env={
            "PATH": "/usr/bin:/bin",
            "VODGUARD_DATA_DIR": str(cwd / "data"),
            "VODGUARD_MODEL_CACHE_DIR": str(MODEL_CACHE),
            **env,
        },
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
    assert "--budget {fast,balanced,thorough}" in done.stdout and "--budget fast --early-exit" in done.stdout


def test_one_json_line_per_file_and_exit_3_on_an_undecodable_one(clean_video, tmp_path):
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"this is not a video" * 100)
    done = review(clean_video, junk, "--labels", "Porn", "--json", cwd=tmp_path)
    assert done.returncode == 3
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["Path"] for line in lines] == [str(clean_video), str(junk)]
    assert lines[0] == {
        "Path": str(clean_video),
        "Labels": ["Porn"],
        "Suggestion": "pass",
        "Label": "",
        "Form": "",
        "SegmentSet": [],
    }
    for line in lines[1:]:
        assert line["Labels"] == ["Porn"]
        assert line["Error"]["Code"] == "SourceFileError"
        assert line["Error"]["Message"]


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    """The captioned video and the text picture, reviewed for Porn and Ad with a JSON line each and a report."""
    tmp = tmp_path_factory.mktemp("planted")
    report = tmp / "out" / "report.html"
    done = review(fixture_path("text_video.mp4"), fixture_path("images/text.png"), "--labels", "Porn,Ad", "--json",
                  "--html", report, cwd=tmp)  # fmt: skip
    return done, report


def test_planted_captions_block_with_timed_segments(planted):
    done, _ = planted
    assert done.returncode == 2, done.stderr
    video, image = (json.loads(line) for line in done.stdout.splitlines())
    assert (video["Suggestion"], video["Label"], video["Form"]) == ("block", "Porn", "OCR")
    captions = json.loads(fixture_path("text_video.json").read_text(encoding="utf-8"))["text"]
    for caption in captions:
        hits = [
            s for s in video["SegmentSet"]
            if abs(s["StartTimeOffset"] - caption["start"]) <= 1 and abs(s["EndTimeOffset"] - caption["end"]) <= 1
        ]  # fmt: skip
        assert {s["Label"] for s in hits} == {"Porn", "Ad"}
        assert all(s["Form"] == "OCR" and s["KeywordSet"] and len(s["AreaCoordSet"]) == 4 for s in hits)
    assert len(video["SegmentSet"]) == 4
    # a picture's segments have no time (ReviewImageSegmentItem)
    assert image["Suggestion"] == "block" and image["SegmentSet"]
    assert all("StartTimeOffset" not in s and s["Form"] == "OCR" for s in image["SegmentSet"])


def test_the_html_report_is_self_contained(planted):
    _, report = planted
    html = report.read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>") and "text_video.mp4" in html and "text.png" in html
    assert "http://" not in html and "https://" not in html
    assert html.count('src="data:image/jpeg;base64,') >= 4  # every OCR segment shows its frame
    assert "<mark>porn</mark>" in html and "<mark>色情视频</mark>" in html  # keywords highlighted in the text


def test_every_label_by_default_and_each_output_names_them(tmp_path):
    picture = fixture_path("images/text.png")  # "add wechat abc123 for free porn", and the same in Chinese
    report = tmp_path / "report.html"
    done = review(picture, "--json", "--html", report, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    (line,) = (json.loads(text) for text in done.stdout.splitlines())
    assert line["Labels"] == ["Porn", "Terror", "Polity", "Ad", "Illegal", "Abuse", "Moan"]
    assert {s["Label"] for s in line["SegmentSet"]} >= {"Porn", "Ad"}
    assert "Labels checked: Porn, Terror, Polity, Ad, Illegal, Abuse, Moan" in report.read_text(
        encoding="utf-8"
    )
    # the cloud's preset leaves Ad out, and says so
    preset = review(picture, "--json", "--template", "10", cwd=tmp_path)
    (line,) = (json.loads(text) for text in preset.stdout.splitlines())
    assert line["Labels"] == ["Porn", "Terror", "Polity"]
    assert "Ad" not in {s["Label"] for s in line["SegmentSet"]}
    readable = review(picture, "--template", "10", cwd=tmp_path)
    assert "checked Porn,Terror,Polity" in readable.stdout


def test_the_readable_summary(clean_video, tmp_path):
    done = review(clean_video, fixture_path("images/text.png"), "--labels", "porn,ad", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith(str(clean_video)) and "PASS" in lines[0]
    assert "BLOCK" in lines[1] and "Porn/OCR" in lines[1]
    assert any("block" in line and "Porn" in line and "porn" in line for line in lines[2:])


@pytest.mark.parametrize(
    ("option", "value", "needle"),
    [
        ("--template", "11", "--labels"),
        ("--labels", "Porn,Gore", "Gore"),
        ("--labels", "", "empty"),
        ("--budget", "quick", "'fast', 'balanced', 'thorough'"),
    ],
)
def test_bad_options_exit_4_and_say_why(clean_video, tmp_path, option, value, needle):
    done = review(clean_video, option, value, cwd=tmp_path)
    assert done.returncode == 4
    assert needle in done.stderr


def test_the_servers_engine_settings_apply(clean_video, tmp_path):
    # the CLI reads the same VODGUARD_* engine settings as the server: a broken custom-models file is named
    models = tmp_path / "models.json"
    models.write_text(
        json.dumps([{"path": str(tmp_path / "gone.onnx"), "kind": "image", "labels": {"0": "Porn"}}])
    )
    done = review(clean_video, "--json", cwd=tmp_path, VODGUARD_CUSTOM_MODELS_FILE=str(models))
    assert done.returncode == 4
    assert "gone.onnx" in done.stderr and "Traceback" not in done.stderr


def test_derived_model_files_go_to_the_model_cache_folder(tmp_path):
    # VODGUARD_MODEL_CACHE_DIR: what the engine derives on first use is kept there, not in the data directory
    cache = tmp_path / "cache"
    done = review(
        fixture_path("images/gradient.jpg"), "--json", cwd=tmp_path, VODGUARD_MODEL_CACHE_DIR=str(cache)
    )
    assert done.returncode == 0, done.stderr
    kept = sorted(p.name for p in cache.iterdir())
    assert any(name.startswith("efficientnet-lite0-") for name in kept), kept
    assert any(name.startswith("use-tokenizer-") for name in kept), kept
    assert not any(name.endswith(".tmp") for name in kept), kept
    assert not (tmp_path / "data" / "models").exists()


@pytest.mark.parametrize("args", [(), ("--bogus",), ("--template", "abc")])
def test_usage_errors_exit_4_never_a_verdict(clean_video, tmp_path, args):
    # 2 is "block" to a script: argparse's own usage status must not leak out of vodguard review
    done = review(*([clean_video] if args else []), *args, cwd=tmp_path)
    assert done.returncode == 4 and "see vodguard review --help" in done.stderr


def test_a_model_file_that_is_not_one_exits_4_naming_it(clean_video, tmp_path):
    bogus = tmp_path / "nudenet.onnx"
    bogus.write_text("not a model")
    image = fixture_path("images/text.png")
    done = review(image, clean_video, "--json", cwd=tmp_path, VODGUARD_NUDENET_PATH=str(bogus))
    assert done.returncode == 4, done.stderr
    assert "nsfw" in done.stderr and "Traceback" not in done.stderr and done.stdout == ""
    done = review(fixture_path("speech.wav"), "--json", cwd=tmp_path, VODGUARD_ASR_MODEL="large")
    assert done.returncode == 4 and "large" in done.stderr


def test_the_servers_limits_apply(clean_video, tmp_path):
    done = review(clean_video, "--json", cwd=tmp_path, VODGUARD_MAX_UPLOAD_BYTES="1000")
    assert done.returncode == 3
    assert json.loads(done.stdout)["Error"]["Code"] == "SourceFileError"
    assert "limit" in json.loads(done.stdout)["Error"]["Message"]


def test_a_terminal_sees_a_progress_bar_per_file_and_stage(tmp_path):
    import os
    import pty

    try:
        leader, follower = pty.openpty()  # stderr is a terminal, as for a person at a shell
    except OSError as exc:
        pytest.skip(f"no pseudo-terminal here ({exc})")
    import threading

    chunks: list[bytes] = []

    def drain() -> None:
        # read while the command runs: a full pseudo-terminal buffer would block its progress bar's writes
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the other end is closed: everything was read
                return
            if not chunk:
                return
            chunks.append(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "vodguard", "review", str(fixture_path("speech_video.mp4")), "--labels", "all"],
            stdout=subprocess.PIPE, stderr=follower, text=True, timeout=300,
            cwd=Path(__file__).resolve().parents[1],
            env={"PATH": "/usr/bin:/bin", "VODGUARD_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "120",
                 "TERM": "xterm", "VODGUARD_MODEL_CACHE_DIR": str(MODEL_CACHE)},
        )  # fmt: skip
        os.close(follower)
        follower = -1
        reader.join(timeout=30)
    finally:
        if follower >= 0:
            os.close(follower)
        reader.join(timeout=30)
        os.close(leader)
    drawn = b"".join(chunks)
    screen = drawn.decode("utf-8", "replace")
    assert done.returncode == 2 and "BLOCK" in done.stdout
    assert "speech_video.mp4 · pictures" in screen and "speech_video.mp4 · audio" in screen


def test_early_exit_stops_at_the_first_block(tmp_path):
    args = (fixture_path("text_video.mp4"), "--labels", "Porn,Ad", "--json")
    full = json.loads(review(*args, cwd=tmp_path).stdout)
    early = review(*args, "--early-exit", cwd=tmp_path)
    assert early.returncode == 2
    quick = json.loads(early.stdout)
    second = json.loads(fixture_path("text_video.json").read_text(encoding="utf-8"))["text"][1]
    assert quick["Suggestion"] == "block" and quick["SegmentSet"]
    assert all(s["StartTimeOffset"] < second["start"] for s in quick["SegmentSet"])  # it stopped at the first
    assert any(s["StartTimeOffset"] >= second["start"] for s in full["SegmentSet"])  # the whole run goes on


def test_a_fast_budget_still_blocks_the_caption(tmp_path):
    done = review(
        fixture_path("text_video.mp4"), "--labels", "Porn,Ad", "--budget", "fast", "--json", cwd=tmp_path
    )
    assert done.returncode == 2, done.stderr
    found = json.loads(done.stdout)
    first = json.loads(fixture_path("text_video.json").read_text(encoding="utf-8"))["text"][0]
    assert found["Suggestion"] == "block"
    assert any(s["Label"] == "Porn" and s["StartTimeOffset"] <= first["end"] for s in found["SegmentSet"])
