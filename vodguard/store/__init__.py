"""Persistence: SQLAlchemy models, migrations and blob stores. Knows nothing of HTTP or moderation."""

from vodguard.store.blobs import BlobStore, BlobTooLarge, LocalBlobStore, open_blob_store
from vodguard.store.db import Database, migrate

__all__ = ["BlobStore", "BlobTooLarge", "Database", "LocalBlobStore", "migrate", "open_blob_store"]
