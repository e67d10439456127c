"""Blob stores: where media bytes, covers and evidence files live.

``base.py`` holds the ``BlobStore`` contract, ``local.py`` the local folder, ``s3.py`` any S3-compatible bucket, and
``cache.py`` the S3 store's local download cache. ``open_blob_store`` is the one place that picks a backend.
``S3BlobStore`` is not re-exported here: importing it loads boto3, which only an S3 deployment needs.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from vodguard.store.blobs.base import BlobInfo, BlobStore, BlobTooLarge, safe_key
from vodguard.store.blobs.local import LocalBlobStore

__all__ = ["BlobInfo", "BlobStore", "BlobTooLarge", "LocalBlobStore", "open_blob_store", "safe_key"]


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
    from vodguard.store.blobs.s3 import S3BlobStore  # boto3 is imported only when S3 is configured

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
