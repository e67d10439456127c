"""The README's path of a ReviewAudioVideo from ``POST /`` to its completion event, checked against the code (read
with ``ast``, nothing run): each function it names exists where it says, calls the next one (or, across the queue,
names it), and the path takes at most three modules after the action handler (issue #14)."""

from __future__ import annotations

import ast
import re
from itertools import pairwise
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "vodguard"
# "3. `services/tasks.py` `start_review`: ..." in the README's numbered path
STEP = re.compile(r"^\d+\. `(?P<path>[\w/]+\.py)` `(?P<function>\w+)`", re.M)


def readme_path() -> list[tuple[str, str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("A ReviewAudioVideo from `POST /` to its completion event")
    return STEP.findall(text[start : text.index("\n\n", text.index("\n1. ", start))])


def function(path: str, name: str) -> ast.FunctionDef:
    tree = ast.parse((PACKAGE / path).read_text(encoding="utf-8"))
    found = [node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef) and node.name == name]
    assert len(found) == 1, f"vodguard/{path} defines {len(found)} functions named {name}"
    return found[0]


def calls(node: ast.AST) -> set[str]:
    """The names a function calls: ``f(...)`` and ``x.f(...)`` both give ``f``."""
    out = set()
    for call in ast.walk(node):
        if isinstance(call, ast.Call):
            if isinstance(call.func, ast.Name):
                out.add(call.func.id)
            elif isinstance(call.func, ast.Attribute):
                out.add(call.func.attr)
    return out


def module_of(path: str) -> str:
    return path.removesuffix(".py").replace("/", ".")


def test_the_path_starts_at_the_action_and_takes_three_modules_at_most() -> None:
    steps = readme_path()
    assert steps[0] == ("api/actions/review.py", "review_audio_video"), steps
    handler = function(*steps[0])
    decorators = [ast.unparse(d) for d in handler.decorator_list]
    assert any(d.startswith("action('ReviewAudioVideo'") for d in decorators), decorators
    after = list(dict.fromkeys(path for path, _ in steps[1:]))
    assert 1 <= len(after) <= 3, f"the path takes {len(after)} modules after the action handler: {after}"


def test_each_step_leads_to_the_next() -> None:
    for (path, name), (next_path, next_name) in pairwise(readme_path()):
        node = function(path, name)
        if next_name in calls(node):
            continue
        # The queue between the request and the worker is no call: the function that queues names the one that
        # runs, and the worker threads are given that very function.
        assert f"{module_of(next_path)}.{next_name}" in (ast.get_docstring(node) or ""), (
            f"vodguard/{path} {name} neither calls nor names {next_name} (vodguard/{next_path})"
        )
        background = (PACKAGE / "background.py").read_text(encoding="utf-8")
        assert f"{Path(next_path).stem}.{next_name}(" in background, "the workers run another function"


def test_the_last_step_emits_the_completion_event() -> None:
    path, name = readme_path()[-1]
    assert "emit_complete" in calls(function(path, name))
    emit = function(path, "emit_complete")
    assert "emit" in calls(emit) and "'ReviewAudioVideoComplete'" in ast.unparse(emit)
