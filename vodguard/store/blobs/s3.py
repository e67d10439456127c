"""``S3BlobStore``: the ``BlobStore`` contract on any S3-compatible object store (AWS S3, SeaweedFS, MinIO, COS).

Every object carries its MD5 in ``x-amz-meta-md5`` (multipart ETags are not MD5s), so ``move`` can answer the digest
without reading the bytes. Memory stays bounded by one part (``part_size``) everywhere:

- ``put_stream`` keeps at most one part in memory; a longer stream is spooled to a local scratch file while it is
  hashed and counted, then uploaded in parts. Spooling (rather than streaming straight into a multipart upload) is
  chosen because an object's metadata is fixed when its upload starts, and the MD5 is only known at the end; it also
  means a stream over ``limit`` never reaches the bucket.
- ``concat`` hashes the parts once (streamed), then builds the result in one multipart upload: big parts are copied
  server-side (``UploadPartCopy``), runs of small ones (S3 wants 5 MiB per part but the last) are regrouped through
  a one-part buffer.
- ``local_path`` downloads into a ``DownloadCache`` (``cache.py``) keyed by key and ETag.

Writes are atomic for readers: a single PUT or a completed multipart upload appears whole or not at all.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import tempfile
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from vodguard.store.blobs.base import BlobInfo, BlobTooLarge, safe_key
from vodguard.store.blobs.cache import DownloadCache
from vodguard.store.blobs.multipart import MIN_PART, MiB, MultipartUpload, content_type, part_size_for

GiB = 1 << 30
_READ = MiB  # read size for streams and downloads
_MISSING = {"404", "NoSuchKey", "NotFound"}


_session_lock = threading.Lock()
_session: boto3.session.Session | None = None


def _new_client(service: str, **kwargs: Any) -> Any:
    """A client; explicit keys share one boto3 session (loading a session's data files takes a while)."""
    global _session
    if kwargs.get("aws_access_key_id") is None:
        # A session resolves and caches credentials from the environment once: each store asks anew.
        return boto3.session.Session().client(service, **kwargs)
    with _session_lock:  # sessions are not thread-safe; the clients they make are
        if _session is None:
            _session = boto3.session.Session()
        return _session.client(service, **kwargs)


def _is_missing(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code", "") in _MISSING


class S3BlobStore:
    """Blobs as objects in one bucket (under an optional key prefix), with a local download cache."""

    def __init__(
        self,
        bucket: str,
        local_root: Path,
        *,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key: str | None = None,
        secret_key: str | None = None,
        addressing_style: str = "path",
        create_bucket: bool = True,
        part_size: int = 8 * MiB,
        max_copy: int = 5 * GiB,
        copy_part_size: int = 512 * MiB,
        cache_bytes: int = 10 * GiB,
        cache_grace_seconds: float = 60.0,
    ) -> None:
        if part_size < MIN_PART or copy_part_size < MIN_PART:
            raise ValueError(f"part sizes must be at least {MIN_PART} bytes (S3's minimum part)")
        self.bucket = bucket
        self.prefix = "/".join(p for p in prefix.split("/") if p)
        self.part_size = part_size
        self.max_copy = max_copy
        self.copy_part_size = copy_part_size
        self.cache = DownloadCache(
            local_root / "s3-cache", max_bytes=cache_bytes, grace_seconds=cache_grace_seconds
        )
        self._tmp = local_root / ".tmp"
        self._tmp.mkdir(parents=True, exist_ok=True)
        config = Config(
            s3={"addressing_style": addressing_style},
            retries={"mode": "standard", "max_attempts": 4},
            max_pool_connections=32,  # API threads, workers and the sweeper share one client
            connect_timeout=10,
            read_timeout=120,
            # Only the checksums S3 requires: many S3-compatible servers reject the newer default CRC headers.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        self.client: Any = _new_client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region or "us-east-1",
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            config=config,
        )
        if create_bucket:
            self._ensure_bucket()

    def _ensure_bucket(self) -> None:
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            if not _is_missing(exc):
                raise
            self.client.create_bucket(Bucket=self.bucket)

    # Keys

    def _key(self, key: str) -> str:
        safe = safe_key(key)
        return f"{self.prefix}/{safe}" if self.prefix else safe

    def _head(self, key: str) -> dict[str, Any] | None:
        try:
            head: dict[str, Any] = self.client.head_object(Bucket=self.bucket, Key=self._key(key))
            return head
        except ClientError as exc:
            if _is_missing(exc):
                return None
            raise

    def _head_or_raise(self, key: str) -> dict[str, Any]:
        head = self._head(key)
        if head is None:
            raise FileNotFoundError(f"no blob {key!r}")
        return head

    def _get(self, key: str, **kwargs: Any) -> dict[str, Any]:
        try:
            got: dict[str, Any] = self.client.get_object(Bucket=self.bucket, Key=self._key(key), **kwargs)
            return got
        except ClientError as exc:
            if _is_missing(exc):
                raise FileNotFoundError(f"no blob {key!r}") from None
            raise

    # Writes

    def _put(self, key: str, body: bytes | BinaryIO, md5: str) -> None:
        self.client.put_object(
            Bucket=self.bucket,
            Key=self._key(key),
            Body=body,
            Metadata={"md5": md5},
            ContentType=content_type(key),
        )

    def _multipart(self, key: str, md5: str) -> MultipartUpload:
        return MultipartUpload(
            self.client, self.bucket, self._key(key), md5=md5, content_type=content_type(key)
        )

    def _upload_file(self, key: str, path: Path, size: int, md5: str) -> None:
        """Upload a local file: one PUT up to ``part_size``, else a multipart upload read part by part."""
        with path.open("rb") as f:
            if size <= self.part_size:
                self._put(key, f, md5)
                return
            part = part_size_for(size, self.part_size)
            with self._multipart(key, md5) as upload:
                for data in iter(lambda: f.read(part), b""):
                    upload.add_bytes(data)

    def put_stream(self, key: str, stream: BinaryIO, *, limit: int | None = None) -> BlobInfo:
        """Store the stream under ``key`` atomically; raise ``BlobTooLarge`` past ``limit`` bytes, storing nothing."""
        md5 = hashlib.md5()
        head = bytearray()
        size = 0
        chunk = b""
        while len(head) <= self.part_size:
            chunk = stream.read(_READ)
            if not chunk:
                break
            size += len(chunk)
            if limit is not None and size > limit:
                raise BlobTooLarge(f"more than {limit} bytes")
            md5.update(chunk)
            head += chunk
        if not chunk:  # the whole stream fits in one part: a single PUT
            self._put(key, bytes(head), md5.hexdigest())
            return BlobInfo(size=size, md5=md5.hexdigest())
        spool = self.temp_file()
        try:
            with spool.open("wb") as out:
                out.write(head)
                del head[:]
                for chunk in iter(lambda: stream.read(_READ), b""):
                    size += len(chunk)
                    if limit is not None and size > limit:
                        raise BlobTooLarge(f"more than {limit} bytes")
                    md5.update(chunk)
                    out.write(chunk)
            self._upload_file(key, spool, size, md5.hexdigest())
        finally:
            spool.unlink(missing_ok=True)
        return BlobInfo(size=size, md5=md5.hexdigest())

    def put_bytes(self, key: str, data: bytes) -> BlobInfo:
        """Store ``data`` under ``key`` (one PUT; meant for small files such as evidence)."""
        md5 = hashlib.md5(data).hexdigest()
        self._put(key, data, md5)
        return BlobInfo(size=len(data), md5=md5)

    def temp_file(self) -> Path:
        """A fresh local scratch path; ``adopt`` uploads it and removes it."""
        fd, tmp = tempfile.mkstemp(dir=self._tmp)
        os.close(fd)
        return Path(tmp)

    def adopt(self, key: str, path: Path) -> None:
        """Upload a finished local file (from ``temp_file``) under ``key`` atomically, then remove the file."""
        md5 = hashlib.md5()
        size = 0
        with path.open("rb") as f:
            for chunk in iter(lambda: f.read(_READ), b""):
                md5.update(chunk)
                size += len(chunk)
        self._upload_file(key, path, size, md5.hexdigest())
        path.unlink(missing_ok=True)

    def concat(self, key: str, parts: Iterable[str]) -> BlobInfo:
        """Store the concatenation of existing blobs under ``key`` atomically (copied server-side where S3 allows)."""
        names = list(parts)
        md5 = hashlib.md5()
        sizes: list[int] = []
        small: bytearray | None = bytearray()  # the whole result, while it still fits in one part
        for name in names:
            body = self._get(name)["Body"]
            size = 0
            with body:
                for chunk in body.iter_chunks(_READ):
                    md5.update(chunk)
                    size += len(chunk)
                    if small is not None:
                        small += chunk
                        if len(small) > self.part_size:
                            small = None
            sizes.append(size)
        digest, total = md5.hexdigest(), sum(sizes)
        if small is not None:
            self._put(key, bytes(small), digest)
            return BlobInfo(size=total, md5=digest)
        part = part_size_for(total, self.part_size)
        with self._multipart(key, digest) as upload:
            buffer = bytearray()
            for name, size in zip(names, sizes, strict=True):
                pos = 0
                while pos < size:
                    remaining = size - pos
                    if not buffer and remaining >= MIN_PART:
                        # Copied server-side; a tail under MIN_PART left behind joins the buffer below.
                        length = min(remaining, self.copy_part_size)
                        upload.add_copy(self._key(name), pos, pos + length - 1)
                        pos += length
                        continue
                    take = min(part - len(buffer), remaining)
                    for chunk in self.read_range(name, pos, pos + take - 1, _READ):
                        buffer += chunk
                    pos += take
                    if len(buffer) >= part:
                        upload.add_bytes(bytes(buffer))
                        buffer.clear()
            if buffer:
                upload.add_bytes(bytes(buffer))
        return BlobInfo(size=total, md5=digest)

    def move(self, src: str, dst: str) -> BlobInfo:
        """Server-side copy then delete; the MD5 comes from the source's metadata (or one read when it has none)."""
        head = self._head_or_raise(src)
        size = int(head["ContentLength"])
        same = self._key(src) == self._key(dst)
        md5 = head.get("Metadata", {}).get("md5", "")
        if not md5:
            digest = hashlib.md5()
            for chunk in self.read_range(src, 0, size - 1, _READ):
                digest.update(chunk)
            md5 = digest.hexdigest()
        source = {"Bucket": self.bucket, "Key": self._key(src)}
        if size <= self.max_copy:
            self.client.copy_object(
                Bucket=self.bucket,
                Key=self._key(dst),
                CopySource=source,
                Metadata={"md5": md5},
                MetadataDirective="REPLACE",
                ContentType=content_type(dst),
            )
        else:
            with self._multipart(dst, md5) as upload:
                for start in range(0, size, self.copy_part_size):
                    upload.add_copy(self._key(src), start, min(start + self.copy_part_size, size) - 1)
        if not same:
            self.delete(src)
        return BlobInfo(size=size, md5=md5)

    # Reads

    def open(self, key: str) -> BinaryIO:
        """A streaming reader of the whole blob (close it when done)."""
        body: BinaryIO = self._get(key)["Body"]
        return body

    def read_range(self, key: str, start: int, end: int, chunk: int = 1 << 16) -> Iterator[bytes]:
        """Yield bytes ``start..end`` inclusive, streamed from one ranged GET."""
        if end < start:
            return
        try:
            body = self._get(key, Range=f"bytes={start}-{end}")["Body"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "InvalidRange":  # start past the end
                return
            raise
        with body:
            yield from body.iter_chunks(chunk)

    def size(self, key: str) -> int:
        return int(self._head_or_raise(key)["ContentLength"])

    def exists(self, key: str) -> bool:
        return self._head(key) is not None

    def local_path(self, key: str) -> Path:
        """A local copy of the blob, downloaded once per ETag into the cache (a missing blob gives a missing path)."""
        head = self._head(key)
        etag = None if head is None else str(head.get("ETag", "")).strip('"')
        return self.cache.get(
            self._key(key), etag, suffix=Path(key).suffix[:16], download=lambda out: self._download(key, out)
        )

    def _download(self, key: str, out: BinaryIO) -> None:
        body = self._get(key)["Body"]
        with body:
            for chunk in body.iter_chunks(_READ):
                out.write(chunk)

    # Deletes

    def delete(self, key: str) -> None:
        """Remove the blob; missing keys are ignored."""
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def _list(self, prefix: str) -> Iterator[dict[str, Any]]:
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            yield from page.get("Contents", [])

    def _delete_keys(self, keys: list[str]) -> None:
        for start in range(0, len(keys), 1000):
            batch = [{"Key": k} for k in keys[start : start + 1000]]
            self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})

    def delete_prefix(self, prefix: str) -> None:
        """Remove the blob named ``prefix`` and every blob under ``prefix/``."""
        base = self._key(prefix)
        self.client.delete_object(Bucket=self.bucket, Key=base)
        batch: list[str] = []
        for obj in self._list(base + "/"):
            batch.append(obj["Key"])
            if len(batch) >= 1000:
                self._delete_keys(batch)
                batch = []
        self._delete_keys(batch)

    def delete_starting(self, folder: str, start: str) -> None:
        """Remove every blob and folder directly in ``folder`` whose name starts with ``start`` (a plain string)."""
        if not start or "/" in start:
            return
        self._delete_keys([obj["Key"] for obj in self._list(f"{self._key(folder)}/{start}")])

    def sweep_older(self, prefix: str, cutoff: float, *, depth: int) -> int:
        """Delete the folders ``depth`` levels under ``prefix`` whose newest object is older than ``cutoff``."""
        base = self._key(prefix) + "/"
        swept = 0
        keys: list[str] = []
        folder, newest = "", 0.0
        # A listing is sorted, so each folder's objects arrive together: decide per folder as it ends.
        for obj in itertools.chain(self._list(base), [None]):
            name = ""
            if obj is not None:
                rest = obj["Key"][len(base) :].split("/")
                if len(rest) <= depth:
                    continue  # a blob at folder level, not inside a folder
                name = "/".join(rest[:depth])
            if name != folder:
                if keys and newest < cutoff:
                    self._delete_keys(keys)
                    swept += 1
                folder, newest, keys = name, 0.0, []
            if obj is not None:
                keys.append(obj["Key"])
                newest = max(newest, obj["LastModified"].timestamp())
        return swept
