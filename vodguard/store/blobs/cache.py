"""``DownloadCache``: local copies of remote blobs, for code that needs a file path (the decoders).

One file per blob and version (the S3 ETag), in a folder of its own, so a changed blob is downloaded again and the
old copy goes. Past ``max_bytes`` the least recently used files are deleted; a file's mtime is its "last used".
Several processes may share the folder: each download lands under a temporary name and is renamed into place.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


class DownloadCache:
    """Cached files under ``folder``, at most ``max_bytes`` of them (but the one just asked for)."""

    def __init__(self, folder: Path, *, max_bytes: int, grace_seconds: float = 60.0) -> None:
        self.folder = folder
        self.max_bytes = max_bytes
        self.grace_seconds = grace_seconds
        self.folder.mkdir(parents=True, exist_ok=True)

    def get(
        self, name: str, version: str | None, *, suffix: str, download: Callable[[BinaryIO], None]
    ) -> Path:
        """The local copy of ``version`` of ``name``, written by ``download(out)`` unless already cached.

        ``version`` None means there is no such blob: the answer is a path that does not exist. ``suffix`` ends the
        file name, since decoders may guess the container from it.
        """
        stem = hashlib.sha256(name.encode()).hexdigest()[:40]
        if version is None:
            return self.folder / stem[:2] / f"{stem}-missing{suffix}"
        tag = version.replace("/", "_")[:48]
        path = self.folder / stem[:2] / f"{stem}-{tag}{suffix}"
        if path.is_file():
            os.utime(path)
            return path
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as out:
                download(out)
            os.replace(tmp, path)  # whole or absent, also for another process downloading the same file
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        for old in path.parent.glob(f"{stem}-*"):
            if old != path:
                old.unlink(missing_ok=True)
        self._evict(keep=path)
        return path

    def _evict(self, *, keep: Path) -> None:
        """Delete the least recently used cached files until the cache fits ``max_bytes``."""
        entries = []
        for path in self.folder.glob("*/*"):
            if path.name.startswith(".part-"):
                continue
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            entries.append((stat.st_mtime, stat.st_size, path))
        total = sum(size for _, size, _ in entries)
        # Files used in the last moments may be about to be opened by the caller that asked for them.
        fresh = time.time() - self.grace_seconds
        for mtime, size, path in sorted(entries, key=lambda e: e[0]):
            if total <= self.max_bytes:
                break
            if path == keep or mtime > fresh:
                continue
            path.unlink(missing_ok=True)
            total -= size
