"""The import rules of ``vodguard/``, checked on the source with ``ast`` (nothing is imported).

1. **Layers.** Arrows point one way: ``api`` → ``services`` → ``store`` / ``queue`` / ``moderation``. Every part of
   the package (a top-level module or sub-package) is listed in ``MAY_IMPORT`` with the parts it may import; an
   import of anything else fails, wherever it sits (module level, inside a function, under ``TYPE_CHECKING``).
2. **No circles** among vodguard's modules.
3. **The engine stays a library**: ``moderation`` imports nothing of vodguard outside itself, and no HTTP, SQL or
   queue package.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "vodguard"

# Small modules every layer but the engine may use. ``vodguard`` is the package root (its ``__version__``).
SHARED = frozenset({"vodguard", "config", "errors", "ids", "timeutil", "logs", "metrics", "digits"})

# Each part of vodguard, and the parts it may import (a part may always import its own modules).
MAY_IMPORT: dict[str, frozenset[str]] = {
    # The command line composes everything; it reaches the data only through services.
    "__main__": frozenset({"cli"}),
    "cli": frozenset({"commands"}),
    "commands": frozenset({"api", "background", "services", "evaluation", "moderation"}) | SHARED,
    # The surfaces over the domain: HTTP, and the background threads of a process (workers, reaper, sweeps).
    "api": frozenset({"services"}) | SHARED,
    "background": frozenset({"services", "queue"}) | SHARED,
    # The domain, and `vodguard eval`, which drives the engine and nothing else.
    "services": frozenset({"store", "queue", "moderation"}) | SHARED,
    "evaluation": frozenset({"moderation"}) | SHARED,
    # Persistence, the task queue, and the engine.
    "store": SHARED,
    "queue": SHARED,
    "moderation": frozenset(),
    # The shared modules lean on one another at most.
    **{name: SHARED for name in SHARED},
}

# Imports that break the layers, as (importing module, imported module). It is empty now (the console's thresholds
# come through services.templates; VODGUARD_NOTIFY_ALLOW's parser lives in config): keep it so.
# THIS LIST MUST ONLY SHRINK: never add to it; when an import goes, delete its line
# (test_known_exceptions_still_exist fails until you do).
KNOWN_EXCEPTIONS: frozenset[tuple[str, str]] = frozenset()

# What makes a program a server rather than a library: the engine must not import these.
SERVER_PACKAGES = frozenset({
    "alembic", "boto3", "botocore", "fastapi", "httpx", "huey", "prometheus_client", "psycopg", "redis",
    "sqlalchemy", "starlette", "uvicorn",
})  # fmt: skip


@dataclass(frozen=True)
class Import:
    importer: str  # dotted module name, "vodguard.api.app"
    target: str  # the vodguard module it names, or the top-level name of another package
    line: int
    type_only: bool  # under ``if TYPE_CHECKING:`` (never runs)

    @property
    def internal(self) -> bool:
        return self.target == "vodguard" or self.target.startswith("vodguard.")


def module_names(package: Path) -> dict[str, Path]:
    """Every module under ``package``, by dotted name (``vodguard.store.blobs`` for ``store/blobs/__init__.py``)."""
    names = {}
    for path in sorted(package.rglob("*.py")):
        parts = [package.name, *path.relative_to(package).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def _resolve(name: str, modules: dict[str, Path]) -> str:
    """The module ``name`` refers to: itself, or the package holding the attribute it names."""
    while name not in modules and "." in name:
        name = name.rpartition(".")[0]
    return name


def imports_of(module: str, path: Path, modules: dict[str, Path]) -> Iterator[Import]:
    """The imports in one file, each resolved to a vodguard module or to the top-level name of another package."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]

    def targets(node: ast.Import | ast.ImportFrom) -> Iterator[str]:
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield _resolve(alias.name, modules) if alias.name.startswith("vodguard") else alias.name
            return
        base = node.module or ""
        if node.level:  # relative: from .x import y
            anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
            base = f"{anchor}.{base}" if base else anchor
        if not (base == "vodguard" or base.startswith("vodguard.")):
            yield base.partition(".")[0]
            return
        for alias in node.names:  # `from pkg import name`: the module pkg.name if there is one, else pkg
            full = f"{base}.{alias.name}"
            yield full if full in modules else _resolve(base, modules)

    def walk(node: ast.AST, type_only: bool) -> Iterator[Import]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                for target in targets(child):
                    yield Import(module, target, child.lineno, type_only)
            elif isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                yield from walk(ast.Module(body=child.body, type_ignores=[]), True)
                yield from walk(ast.Module(body=child.orelse, type_ignores=[]), type_only)
            else:  # function bodies included: a lazy import is still a dependency
                yield from walk(child, type_only)

    yield from walk(tree, False)


def all_imports(package: Path) -> list[Import]:
    modules = module_names(package)
    return [imp for name, path in modules.items() for imp in imports_of(name, path, modules)]


def part(module: str) -> str:
    """The part of vodguard a module belongs to: ``api`` for ``vodguard.api.console.auth``."""
    pieces = module.split(".")
    return pieces[1] if len(pieces) > 1 else pieces[0]


def layer_violations(imports: list[Import], known: frozenset[tuple[str, str]] = frozenset()) -> list[str]:
    """Every vodguard import that ``MAY_IMPORT`` does not allow and ``known`` does not excuse."""
    found = []
    for imp in imports:
        if not imp.internal:
            continue
        source, target = part(imp.importer), part(imp.target)
        if source not in MAY_IMPORT:
            found.append(
                f"{imp.importer}: vodguard.{source} is not in MAY_IMPORT (add it with what it may import)"
            )
        elif (
            source != target and target not in MAY_IMPORT[source] and (imp.importer, imp.target) not in known
        ):
            found.append(f"{imp.importer}:{imp.line} imports {imp.target} ({source} may not import {target})")
    return found


def circles(imports: list[Import]) -> list[list[str]]:
    """The groups of vodguard modules that import one another, directly or through others (Tarjan's algorithm).

    Imports inside functions count: a lazy import only hides a circle (the two this step removed, store/blobs ↔
    store/s3 and console/auth ↔ console/views, were hidden so). Imports under ``TYPE_CHECKING`` do not: they never
    run and only name types for annotations.
    """
    graph: dict[str, set[str]] = defaultdict(set)
    for imp in imports:
        if imp.internal and not imp.type_only and imp.target != imp.importer:
            graph[imp.importer].add(imp.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


@pytest.fixture(scope="module")
def imports() -> list[Import]:
    return all_imports(PACKAGE)


def test_imports_follow_the_layers(imports: list[Import]) -> None:
    found = layer_violations(imports, KNOWN_EXCEPTIONS)
    assert not found, "imports against the layers (see MAY_IMPORT):\n" + "\n".join(found)


def test_known_exceptions_still_exist(imports: list[Import]) -> None:
    gone = sorted(KNOWN_EXCEPTIONS - {(imp.importer, imp.target) for imp in imports})
    assert not gone, "these imports are gone; delete them from KNOWN_EXCEPTIONS:\n" + "\n".join(
        map(str, gone)
    )


def test_no_import_circles(imports: list[Import]) -> None:
    found = circles(imports)
    assert not found, "modules that import one another:\n" + "\n".join(" <-> ".join(group) for group in found)


def test_the_engine_is_a_library(imports: list[Import]) -> None:
    engine = [imp for imp in imports if part(imp.importer) == "moderation"]
    assert engine, "no modules found under vodguard/moderation"
    found = [
        f"{imp.importer}:{imp.line} imports {imp.target}" for imp in engine if imp.target in SERVER_PACKAGES
    ]
    assert not found, "the engine imports server packages:\n" + "\n".join(found)


def test_the_checks_catch_what_they_are_for(tmp_path: Path) -> None:
    """The checks on a small made-up package with one fault of each kind, and a type-only loop that is no fault."""
    package = tmp_path / "vodguard"
    files = {
        "__init__.py": "",
        "api/__init__.py": "",
        "newpart.py": "from vodguard import config\n",
        "services/__init__.py": "",
        "services/media.py": "import vodguard.services.tasks\nfrom typing import TYPE_CHECKING\n\n"
        "if TYPE_CHECKING:\n    from vodguard.newpart import x\n",
        "services/tasks.py": "from vodguard.store import db\nfrom . import media\n",
        "store/__init__.py": "",
        "store/db.py": "from vodguard.store import models\n\ndef f():\n    from vodguard.api import thing\n",
        "store/models.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .db import Session\n",
    }
    for name, text in files.items():
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text(text)
    found = all_imports(package)
    assert layer_violations(found) == [
        "vodguard.newpart: vodguard.newpart is not in MAY_IMPORT (add it with what it may import)",
        "vodguard.services.media:5 imports vodguard.newpart (services may not import newpart)",
        "vodguard.store.db:4 imports vodguard.api (store may not import api)",
    ]
    excused = frozenset({("vodguard.store.db", "vodguard.api")})
    assert len(layer_violations(found, excused)) == 2
    assert circles(found) == [["vodguard.services.media", "vodguard.services.tasks"]]
