"""A result's evidence under ``evidence/<app>/<task>/``: the thumbnails, the full segment list and the replayable
result (``services/reuse.py``), and the wire output that points at them with signed URLs."""

from __future__ import annotations

import json

from vodguard.moderation.types import ModerationResult
from vodguard.services import reuse, wire
from vodguard.services.urls import UrlSigner
from vodguard.store.blobs import BlobStore
from vodguard.timeutil import from_unix, iso

INLINE_SEGMENTS = 10


def store_result(
    blobs: BlobStore,
    urls: UrlSigner,
    *,
    base: str,
    result: ModerationResult,
    timed: bool,
    ttl: int,
    prefix: str = "",
) -> wire.results.ReviewOutput:
    """Write thumbnails and the full segment list under ``base``, and the wire output with their signed URLs,
    valid for ``ttl`` seconds."""
    for evidence in result.evidence:
        blobs.put_bytes(f"{base}/{prefix}{evidence.name}", evidence.data)
    signed: dict[str, tuple[str, str]] = {}
    if timed:  # only the segments of a video or audio carry their thumbnail's URL
        for name in {s.thumbnail for s in result.segments if s.thumbnail}:
            url, expires = urls.url(f"/{base}/{prefix}{name}", ttl=ttl)
            signed[name] = (url, iso(from_unix(expires)))
    segments = wire.results.segment_set(result.segments, timed=timed, signed=signed)
    blobs.put_bytes(f"{base}/{prefix}segments.json", json.dumps(segments, ensure_ascii=False).encode())
    reuse.save_result(blobs, base, result, prefix=prefix)
    file_url, expires = urls.url(f"/{base}/{prefix}segments.json", ttl=ttl)
    out = wire.results.review_output(result, segments[:INLINE_SEGMENTS])
    out["SegmentSetFileUrl"] = file_url
    out["SegmentSetFileUrlExpireTime"] = iso(from_unix(expires))
    return out
