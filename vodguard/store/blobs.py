"""Blob stores: where media bytes, covers and evidence files live.

``BlobStore`` is the contract; ``LocalBlobStore`` keeps files under the data directory. Writes are atomic: bytes go
to a temporary file first and are renamed into place, so a reader never sees a half-written blob.
"""

from __future__ import annotations

import glob
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class BlobInfo:
    size: int
    md5: str


class BlobStore(Protocol):
    def put_stream(self, key: str, stream: BinaryIO, *, limit: int | None = None) -> BlobInfo:
        """Store the stream under ``key`` atomically; raise ``BlobTooLarge`` past ``limit`` bytes, storing nothing."""

    def put_bytes(self, key: str, data: bytes) -> BlobInfo:
        """Store ``data`` under ``key`` atomically."""

    def concat(self, key: str, parts: Iterable[str]) -> BlobInfo:
        """Store the concatenation of existing blobs under ``key`` atomically."""

    def open(self, key: str) -> BinaryIO: ...

    def local_path(self, key: str) -> Path:
        """A filesystem path holding the blob (downloaded first on remote stores)."""

    def size(self, key: str) -> int: ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None:
        """Remove the blob; missing keys are ignored."""

    def delete_prefix(self, prefix: str) -> None:
        """Remove the blob ``prefix`` and every blob under ``prefix/``."""

    def delete_starting(self, folder: str, start: str) -> None:
        """Remove every blob and folder directly in ``folder`` whose name starts with ``start`` (a plain string)."""

    def sweep_older(self, prefix: str, cutoff: float, *, depth: int) -> int:
        """Delete the folders ``depth`` levels under ``prefix`` last written before ``cutoff``; returns how many."""

    def temp_file(self) -> Path: ...

    def adopt(self, key: str, path: Path) -> None: ...

    def move(self, src: str, dst: str) -> BlobInfo: ...

    def read_range(self, key: str, start: int, end: int, chunk: int = 1 << 16) -> Iterator[bytes]:
        """Yield bytes ``start..end`` inclusive."""


class BlobTooLarge(Exception):
    """The stream was longer than the limit the caller set."""


def _safe_key(key: str) -> str:
    parts = [p for p in key.split("/") if p]
    if not parts or any(p in (".", "..") for p in parts):
        raise ValueError(f"invalid blob key {key!r}")
    return "/".join(parts)


class LocalBlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        self._tmp = root / ".tmp"
        self._tmp.mkdir(exist_ok=True)

    def _path(self, key: str) -> Path:
        return self.root / _safe_key(key)

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


def open_blob_store(storage_url: str, default_root: Path) -> BlobStore:
    """Pick the blob store from the settings; the one place that knows the backends.

    ``""`` or ``file:///path``: a local folder. ``s3://bucket[/key-prefix]?endpoint=http://host:port&region=...``:
    an S3-compatible bucket (created if missing), with its download cache and scratch files under ``default_root``.
    Credentials come from the ``access_key=``/``secret_key=`` query parameters, else ``VODGUARD_S3_ACCESS_KEY``/
    ``VODGUARD_S3_SECRET_KEY``, else boto3's own chain (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, profiles,
    instance roles). Optional: ``addressing=virtual`` (default path-style), ``cache_gb=`` (local cache size, 10).
    """
    if not storage_url:
        return LocalBlobStore(default_root)
    if storage_url.startswith("file://"):
        return LocalBlobStore(Path(storage_url.removeprefix("file://")))
    if storage_url.startswith("s3://"):
        return _open_s3(storage_url, default_root)
    raise SystemExit(
        f"VODGUARD_STORAGE_URL {storage_url!r}: expected file:///path or s3://bucket?endpoint=..."
    )


def _open_s3(storage_url: str, default_root: Path) -> BlobStore:
    from vodguard.store.s3 import S3BlobStore  # boto3 is imported only when S3 is configured

    url = urlsplit(storage_url)
    query = {name: values[-1] for name, values in parse_qs(url.query).items()}
    if not url.hostname:
        raise SystemExit("VODGUARD_STORAGE_URL: the bucket name is missing (s3://bucket?endpoint=...)")
    try:
        cache_bytes = int(float(query.get("cache_gb", "10")) * (1 << 30))
    except ValueError:
        raise SystemExit(f"VODGUARD_STORAGE_URL: cache_gb={query['cache_gb']!r} is not a number") from None
    return S3BlobStore(
        url.netloc,
        default_root,
        prefix=url.path,
        endpoint_url=query.get("endpoint") or None,
        region=query.get("region") or None,
        access_key=query.get("access_key") or os.environ.get("VODGUARD_S3_ACCESS_KEY") or None,
        secret_key=query.get("secret_key") or os.environ.get("VODGUARD_S3_SECRET_KEY") or None,
        addressing_style=query.get("addressing", "path"),
        cache_bytes=cache_bytes,
    )
