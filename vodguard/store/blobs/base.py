"""The blob store contract: ``BlobStore``, what its writes answer (``BlobInfo``), its one error, and key checking.

Every backend (``local.py``, ``s3.py``) implements ``BlobStore``; services hold a ``BlobStore`` and never know which
one. Keys are ``/``-separated names such as ``media/12/file/original.mp4``; ``safe_key`` refuses any that could
leave the store's root.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol


@dataclass(frozen=True)
class BlobInfo:
    """What a write stored: the size in bytes and the hex MD5 of the bytes."""

    size: int
    md5: str


class BlobTooLarge(Exception):
    """The stream was longer than the limit the caller set."""


class BlobStore(Protocol):
    """Where media bytes, covers and evidence files live. Writes are atomic: a reader sees a blob whole or not at
    all. A missing key raises ``FileNotFoundError`` on reads; an unsafe one raises ``ValueError``."""

    def put_stream(self, key: str, stream: BinaryIO, *, limit: int | None = None) -> BlobInfo:
        """Store the stream under ``key`` atomically; raise ``BlobTooLarge`` past ``limit`` bytes, storing nothing."""

    def put_bytes(self, key: str, data: bytes) -> BlobInfo:
        """Store ``data`` under ``key`` atomically."""

    def concat(self, key: str, parts: Iterable[str]) -> BlobInfo:
        """Store the concatenation of existing blobs under ``key`` atomically."""

    def open(self, key: str) -> BinaryIO:
        """A reader of the whole blob; the caller closes it."""

    def local_path(self, key: str) -> Path:
        """A filesystem path holding the blob (downloaded first on remote stores; missing if the blob is)."""

    def size(self, key: str) -> int:
        """The blob's size in bytes."""

    def exists(self, key: str) -> bool:
        """Whether a blob is stored under ``key``."""

    def delete(self, key: str) -> None:
        """Remove the blob; missing keys are ignored."""

    def delete_prefix(self, prefix: str) -> None:
        """Remove the blob ``prefix`` and every blob under ``prefix/``."""

    def delete_starting(self, folder: str, start: str) -> None:
        """Remove every blob and folder directly in ``folder`` whose name starts with ``start`` (a plain string)."""

    def sweep_older(self, prefix: str, cutoff: float, *, depth: int) -> int:
        """Delete the folders ``depth`` levels under ``prefix`` last written before ``cutoff``; returns how many."""

    def temp_file(self) -> Path:
        """A fresh local scratch path for a file that ``adopt`` will store."""

    def adopt(self, key: str, path: Path) -> None:
        """Store a finished file (from ``temp_file``) under ``key`` atomically; the file is gone afterwards."""

    def move(self, src: str, dst: str) -> BlobInfo:
        """Rename a blob atomically; answers its size and MD5."""

    def read_range(self, key: str, start: int, end: int, chunk: int = 1 << 16) -> Iterator[bytes]:
        """Yield bytes ``start..end`` inclusive."""


def safe_key(key: str) -> str:
    """``key`` without empty parts; ``ValueError`` for an empty key or one with ``.`` or ``..`` parts."""
    parts = [p for p in key.split("/") if p]
    if not parts or any(p in (".", "..") for p in parts):
        raise ValueError(f"invalid blob key {key!r}")
    return "/".join(parts)
