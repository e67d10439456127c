"""Checks of the paths a command is given, made before any work: the files to moderate (folders are searched
recursively) and the reports to write. Each problem is a ``UsageError`` naming the path."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from vodguard.commands.common import UsageError
from vodguard.services.media_types import AUDIO_TYPES, IMAGE_TYPES, VIDEO_TYPES

MEDIA_SUFFIXES = frozenset(f".{ext}" for ext in VIDEO_TYPES | AUDIO_TYPES | IMAGE_TYPES)


def media_files(paths: Sequence[Path]) -> list[Path]:
    """The files to moderate: each file as given (whatever its name), and the video, audio and image files found
    in each folder and its sub-folders (by suffix, hidden ones left out, sorted)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            inside = _walk(path)
            if not inside:
                raise UsageError(f"{path}: no video, audio or image files in this folder or under it")
            found += inside
        elif path.is_file():
            if not os.access(path, os.R_OK):
                raise UsageError(f"{path}: cannot be read (permissions)")
            found.append(path)
        elif path.exists() or path.is_symlink():
            raise UsageError(f"{path}: not a file or a folder" if path.exists() else f"{path}: a broken link")
        else:
            raise UsageError(f"{path}: not found")
    return found


def _walk(folder: Path) -> list[Path]:
    def refuse(error: OSError) -> None:
        raise UsageError(f"{error.filename}: cannot be read ({error.strerror})")

    if not os.access(folder, os.R_OK | os.X_OK):
        raise UsageError(f"{folder}: cannot be read (permissions)")
    found = []
    for root, dirs, files in os.walk(folder, onerror=refuse):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith(".") and Path(name).suffix.lower() in MEDIA_SUFFIXES:
                found.append(Path(root) / name)
    return found


def check_output_file(path: Path, flag: str) -> None:
    """Refuse an output path that is a folder, sits under a file, or where nothing can be written (missing
    folders on the way are fine: the writer makes them)."""
    if path.is_dir():
        raise UsageError(f"{flag} {path} is a folder; name a file in it, such as {path / 'report.html'}")
    ancestor = next((p for p in (path.parent, *path.parent.parents) if p.exists()), Path("/"))
    if not ancestor.is_dir():
        raise UsageError(f"{flag} {path}: {ancestor} is a file, not a folder")
    try:
        with tempfile.TemporaryFile(dir=ancestor):  # the one sure test of "can write here", even as root
            pass
    except OSError as exc:
        raise UsageError(f"{flag} {path} cannot be written: {exc.strerror} in {ancestor}") from None
