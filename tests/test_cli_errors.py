"""A command line that never throws: every bad option, path or setting is one line on stderr, with its exit
status, before any work, and no traceback; read-only commands never make a data dir; every command's help has
examples; folders given to ``review`` are searched recursively."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.paths import fixture_path
from vodguard.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]


def vodguard(
    *args: str, env: dict[str, str] | None = None, user: str = "", cwd: Path = ROOT, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("VODGUARD_")}
    prefix = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups"] if user else []
    return subprocess.run(
        [*prefix, sys.executable, "-m", "vodguard", *args], capture_output=True, text=True, cwd=cwd,
        env={**clean, "PYTHONPATH": str(ROOT), **(env or {})}, input=stdin, timeout=300,
    )  # fmt: skip


def assert_one_line(done: subprocess.CompletedProcess[str], code: int, needle: str) -> None:
    assert done.returncode == code, (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr and done.stdout == ""
    lines = [line for line in done.stderr.splitlines() if not line.startswith("data: ")]
    assert len(lines) == 1, done.stderr
    assert needle in lines[0], lines[0]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


CLIP = str(fixture_path("static.mp4"))


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (["bogus"], 4, "invalid choice: 'bogus'"),
        (["review"], 4, "the following arguments are required: PATH"),
        (["review", "{tmp}/missing.mp4"], 4, "missing.mp4: not found"),
        (["review", CLIP, "{tmp}/missing.mp4", "--json"], 4, "missing.mp4: not found"),  # before any work
        (["review", "{tmp}/empty"], 4, "no video, audio or image files in this folder"),
        (["review", CLIP, "--html", "/proc/report.html"], 4, "--html /proc/report.html cannot be written"),
        (["review", CLIP, "--html", "{tmp}"], 4, "is a folder; name a file in it"),
        (["review", CLIP, "--html", "{tmp}/afile/report.html"], 4, "afile is a file, not a folder"),
        (["review", CLIP, "--labels", "Porn,Bogus"], 4, "unknown label 'Bogus'"),
        (["review", CLIP, "--labels", ""], 4, "--labels is empty"),
        (["review", CLIP, "--template", "7"], 4, "--template 7: only the preset template 10"),
        (["review", CLIP, "--template", "ten"], 4, "argument --template: invalid int value: 'ten'"),
        (["review", CLIP, "--data-dir", "{tmp}/afile"], 4, "afile is a file, not a folder"),
        (["review", CLIP, "--data-dir", "{tmp}/afile/data"], 4, "does not exist and cannot be made"),
        (["keys", "list", "--data-dir", "{tmp}/nodata"], 4, "no vodguard data in {tmp}/nodata"),
        (["keys", "revoke", "AKIDx", "--data-dir", "{tmp}/nodata"], 4, "no vodguard data in"),
        (["keys", "password", "--app", "1", "--password", "x" * 12, "--data-dir", "{tmp}/nodata"], 4, "no vodguard"),
        (["keys", "create", "--app", "one"], 4, "argument --app: invalid int value"),
        (["task", "show", "T", "--data-dir", "{tmp}/nodata"], 4, "no vodguard data in {tmp}/nodata"),
        (["media", "show", "F", "--data-dir", "{tmp}/nodata"], 4, "no vodguard data in {tmp}/nodata"),
        (["task", "show", "T", "--endpoint", "ftp://x"], 4, "must start with http:// or https://"),
        (["task", "show", "T", "--endpoint", "http://127.0.0.1:9"], 4, "--endpoint needs --secret-id"),
        (["task", "show", "T", "--wait", "--timeout", "0"], 4, "--timeout 0 must be more than 0 seconds"),
        (["task", "show", "T", "--endpoint", "http://127.0.0.1:{port}", "--secret-id", "a", "--secret-key", "b"],
         3, "ClientNetworkError"),
        (["task"], 4, "the following arguments are required: ACTION"),
        (["serve", "--port", "70000", "--data-dir", "{tmp}/data"], 4, "--port 70000 is not a port number"),
        (["serve", "--port", "http", "--data-dir", "{tmp}/data"], 4, "argument --port: invalid int value"),
        (["serve", "--data-dir", "{tmp}/afile"], 4, "afile is a file, not a folder"),
        (["worker", "--concurrency", "0", "--data-dir", "{tmp}/data"], 4, "--concurrency 0 must be 1 or more"),
        (["sign-upload"], 4, "--secret-id and --secret-key"),
        (["sign-upload", "--secret-id", "a", "--secret-key", "b", "--ttl", "0"], 4, "--ttl 0 must be between"),
        (["completion", "fish"], 4, "argument shell: invalid choice: 'fish'"),
        (["text", "--labels", "Nope", "hello"], 4, "unknown label 'Nope'"),
        (["eval", "text", "x.jsonl", "--json", "/proc/x.json"], 4, "--json /proc/x.json cannot be written"),
    ],
)  # fmt: skip
def test_every_error_is_one_line_with_its_exit_status(tmp_path, args, code, needle):
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    (tmp_path / "empty" / "sub" / "notes.txt").write_text("not media")
    (tmp_path / "afile").write_text("a file")
    port = str(_closed_port())
    fill = [a.replace("{tmp}", str(tmp_path)).replace("{port}", port) for a in args]
    done = vodguard(*fill)
    assert_one_line(done, code, needle.replace("{tmp}", str(tmp_path)))
    assert not (tmp_path / "nodata").exists() and not (tmp_path / "data").exists()  # nothing made


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["keys", "list"], "vodguard keys: no vodguard data in {tmp}/data: pass --data-dir"),
        (["keys", "revoke", "AKIDx"], "vodguard keys: no vodguard data in {tmp}/data"),
        (["keys", "password", "--app", "1", "--password", "x" * 12], "vodguard keys: no vodguard data in"),
        (["task", "show", "T"], "vodguard task: no vodguard data in {tmp}/data"),
        (["media", "show", "F"], "vodguard media: no vodguard data in {tmp}/data"),
        (["users", "list"], "vodguard users: no vodguard data in {tmp}/data"),
        (["users", "add", "ann", "--role", "admin", "--password-stdin"], "vodguard users: no vodguard data in"),
        (["users", "remove", "ann"], "vodguard users: no vodguard data in {tmp}/data"),
        (["known", "list"], "vodguard known: no vodguard data in {tmp}/data"),
        (["known", "remove", "known-0001"], "vodguard known: no vodguard data in {tmp}/data"),
        (["known", "export", "out.csv"], "vodguard known: no vodguard data in {tmp}/data"),
    ],
)  # fmt: skip
def test_a_command_run_from_another_folder_makes_no_data_dir(tmp_path, args, needle):
    # the README's commands run from the checkout; from anywhere else ./data is not the server's, and a command
    # that only reads or changes what exists says so instead of making an empty one there
    done = vodguard(*args, cwd=tmp_path, stdin="long enough pw\n")
    assert_one_line(done, 4, needle.replace("{tmp}", str(tmp_path)))
    assert list(tmp_path.iterdir()) == []


def test_a_refused_key_command_is_one_line_on_stderr(tmp_path):
    assert vodguard("keys", "create", "--data-dir", str(tmp_path)).returncode == 0
    done = vodguard("keys", "password", "--app", "99", "--password", "x" * 12, "--data-dir", str(tmp_path))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stdout == "" and done.stderr.splitlines()[1:] == ["error: SubAppId 99 does not exist"]


def test_a_bad_setting_is_one_line_and_exit_4(tmp_path):
    done = vodguard("keys", "create", "--data-dir", str(tmp_path), env={"VODGUARD_PORT": "eighty"})
    assert_one_line(done, 4, "VODGUARD_PORT: Input should be a valid integer")


@pytest.mark.skipif(not shutil.which("setpriv"), reason="needs setpriv to run as another user")
def test_an_unreadable_folder_is_refused_before_any_work():
    # root reads every folder, so the command runs as nobody when the tests run as root
    user = "65534" if os.geteuid() == 0 else ""
    base = Path(tempfile.mkdtemp())
    try:
        base.chmod(0o755)
        locked = base / "locked"
        locked.mkdir(mode=0o000)
        done = vodguard("review", str(locked), user=user)
        assert_one_line(done, 4, f"{locked}: cannot be read (permissions)")
    finally:
        (base / "locked").chmod(0o755)
        shutil.rmtree(base)


def test_read_only_commands_say_which_data_dir_they_read(tmp_path):
    assert vodguard("keys", "create", "--data-dir", str(tmp_path)).returncode == 0
    listed = vodguard("keys", "list", "--data-dir", str(tmp_path))
    assert listed.returncode == 0 and listed.stderr.strip() == f"data: {tmp_path}"
    assert listed.stdout.splitlines()[0].split() == ["SubAppId", "SecretId", "CreateTime", "State"]


def test_version_bare_help_and_examples_on_every_command():
    version = vodguard("--version")
    assert version.returncode == 0 and version.stdout.strip().startswith("vodguard 0.")
    bare = vodguard()
    assert bare.returncode == 0 and "examples:" in bare.stdout and "task show TASKID --wait" in bare.stdout
    for command in (["review"], ["users", "add"], ["known", "export"]):  # a few through the real entry point
        shown = vodguard(*command, "--help")
        assert shown.returncode == 0 and "vodguard" in shown.stdout and "xample" in shown.stdout, command


def _commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from _commands(child, (*path, name))


def test_every_command_and_sub_command_has_examples_and_a_help_line_per_argument():
    commands = list(_commands(build_parser()))
    assert len(commands) > 20  # every group and every action, `users add` and `known export` included
    for path, parser in commands:
        assert "examples:" in parser.format_help(), " ".join(path)
        silent = [a.option_strings or [a.dest] for a in parser._actions
                  if not a.help and not isinstance(a, argparse._SubParsersAction)]  # fmt: skip
        assert silent == [], (" ".join(path), silent)


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_completion_scripts_name_the_commands(shell):
    done = vodguard("completion", shell)
    assert done.returncode == 0
    for word in ("review", "task", "--data-dir", "--labels"):
        assert word in done.stdout
    if shell == "bash":  # the script must at least parse in the shell it is for
        assert subprocess.run(["bash", "-n"], input=done.stdout, text=True).returncode == 0


@pytest.mark.slow
def test_review_searches_folders_recursively(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    shutil.copy(fixture_path("images/shapes.png"), tmp_path / "a" / "shapes.png")
    shutil.copy(fixture_path("images/gradient.jpg"), tmp_path / "a" / "b" / "gradient.jpg")
    (tmp_path / "a" / "b" / "notes.txt").write_text("not media: left out")
    (tmp_path / "a" / ".hidden").mkdir()
    shutil.copy(fixture_path("images/shapes.png"), tmp_path / "a" / ".hidden" / "skipped.png")
    done = vodguard("review", str(tmp_path / "a"), "--json", "--labels", "Porn")
    assert done.returncode == 0, done.stderr
    paths = [json.loads(line)["Path"] for line in done.stdout.splitlines()]
    assert paths == [str(tmp_path / "a" / "shapes.png"), str(tmp_path / "a" / "b" / "gradient.jpg")]
