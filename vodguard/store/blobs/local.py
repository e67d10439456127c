"""``LocalBlobStore``: blobs as files under one folder (by default ``<data dir>/blobs``).

Writes are atomic: bytes go to a temporary file in the store's ``.tmp`` folder first and are renamed into place, so a
reader never sees a half-written blob.
"""

from __future__ import annotations

import glob
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from vodguard.store.blobs.base import BlobInfo, BlobTooLarge, safe_key


class LocalBlobStore:
    """The ``BlobStore`` contract on a local folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        self._tmp = root / ".tmp"
        self._tmp.mkdir(exist_ok=True)

    def _path(self, key: str) -> Path:
        return self.root / safe_key(key)

    def _write(self, key: str, chunks: Iterable[bytes], limit: int | None) -> BlobInfo:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        md5 = hashlib.md5()
        size = 0
        fd, tmp = tempfile.mkstemp(dir=self._tmp)
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    size += len(chunk)
                    if limit is not None and size > limit:
                        raise BlobTooLarge(f"more than {limit} bytes")
                    md5.update(chunk)
                    out.write(chunk)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return BlobInfo(size=size, md5=md5.hexdigest())

    def put_stream(self, key: str, stream: BinaryIO, *, limit: int | None = None) -> BlobInfo:
        return self._write(key, iter(lambda: stream.read(1 << 20), b""), limit)

    def put_bytes(self, key: str, data: bytes) -> BlobInfo:
        return self._write(key, [data], None)

    def concat(self, key: str, parts: Iterable[str]) -> BlobInfo:
        def chunks() -> Iterator[bytes]:
            for part in parts:
                with self._path(part).open("rb") as f:
                    yield from iter(lambda: f.read(1 << 20), b"")

        return self._write(key, chunks(), None)

    def temp_file(self) -> Path:
        """A fresh path in the store's scratch folder, on the same filesystem (so ``adopt`` is a rename)."""
        fd, tmp = tempfile.mkstemp(dir=self._tmp)
        os.close(fd)
        return Path(tmp)

    def adopt(self, key: str, path: Path) -> None:
        """Move a finished file (from ``temp_file``) under ``key`` atomically."""
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)

    def move(self, src: str, dst: str) -> BlobInfo:
        """Rename a blob; returns its size and MD5 (read once more, since callers need the digest)."""
        target = self._path(dst)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self._path(src), target)
        md5 = hashlib.md5()
        with target.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                md5.update(chunk)
        return BlobInfo(size=target.stat().st_size, md5=md5.hexdigest())

    def open(self, key: str) -> BinaryIO:
        return self._path(key).open("rb")

    def local_path(self, key: str) -> Path:
        return self._path(key)

    def size(self, key: str) -> int:
        return self._path(key).stat().st_size

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def delete_prefix(self, prefix: str) -> None:
        path = self._path(prefix)
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)

    def delete_starting(self, folder: str, start: str) -> None:
        root = self._path(folder)
        if not start or "/" in start or not root.is_dir():
            return
        for path in root.glob(glob.escape(start) + "*"):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)

    def sweep_older(self, prefix: str, cutoff: float, *, depth: int) -> int:
        """Delete the folders ``depth`` levels under ``prefix`` last written before ``cutoff`` (Unix seconds)."""
        root = self._path(prefix)
        if not root.is_dir():
            return 0
        swept = 0
        for folder in root.glob("/".join(["*"] * depth)):
            if folder.is_dir() and folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
                swept += 1
        return swept

    def read_range(self, key: str, start: int, end: int, chunk: int = 1 << 16) -> Iterator[bytes]:
        with self._path(key).open("rb") as f:
            f.seek(start)
            remaining = end - start + 1
            while remaining > 0:
                data = f.read(min(chunk, remaining))
                if not data:
                    break
                remaining -= len(data)
                yield data
