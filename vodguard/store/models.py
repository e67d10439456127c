"""SQLAlchemy models: the whole persistent state. Times are naive UTC ``datetime`` values.

Every row that belongs to an app carries ``app_id``; services always filter by it, which is what makes apps walls.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    # A ``Mapping`` column holds one of the API's stored shapes (``services/wire/results.py`` names their keys). It is
    # written whole and read only: SQLAlchemy does not see a change made inside a JSON value.
    type_annotation_map = {dict[str, Any]: JSON, Mapping[str, Any]: JSON, list[Any]: JSON}


class App(Base):
    """A sub-application (SubAppId): the wall around media, templates, events and tasks."""

    __tablename__ = "apps"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(64), default="")
    publish_mode: Mapped[str] = mapped_column(String(8), default="post")  # "pre" or "post" moderation
    console_password: Mapped[str] = mapped_column(String(256), default="")  # pbkdf2 hash, empty = keys only
    created_at: Mapped[datetime] = mapped_column(DateTime)


class ApiKey(Base):
    __tablename__ = "api_keys"
    secret_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    secret_key: Mapped[str] = mapped_column(String(64))
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    name: Mapped[str] = mapped_column(String(64), default="", server_default="")  # what uses it, for people
    # to the minute: written at most once a minute per key, so busy keys do not write on every request
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)


class ConsoleUser(Base):
    """A person who signs in to an app's console: a name, a role (``admin`` or ``moderator``) and a password hash."""

    __tablename__ = "console_users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(256))  # scrypt, with its parameters and salt
    created_at: Mapped[datetime] = mapped_column(DateTime)
    __table_args__ = (UniqueConstraint("app_id", "name", name="uq_console_users_app_name"),)


class Media(Base):
    """A stored file. The row exists only once its bytes are complete in the blob store."""

    __tablename__ = "media"
    file_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id"), index=True)
    name: Mapped[str] = mapped_column(String(256), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    media_type: Mapped[str] = mapped_column(String(16))  # extension, e.g. mp4
    category: Mapped[str] = mapped_column(String(8))  # Video / Audio / Image
    class_id: Mapped[int] = mapped_column(Integer, default=0)
    blob_key: Mapped[str] = mapped_column(String(512))
    storage_path: Mapped[str] = mapped_column(String(512))  # MediaStoragePath as the app sees it, leading "/"
    cover_blob_key: Mapped[str] = mapped_column(String(512), default="")
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    md5: Mapped[str] = mapped_column(String(32), default="")
    meta: Mapped[Mapping[str, Any]] = mapped_column(JSON, default=dict)  # MediaMetaData, PascalCase
    status: Mapped[str] = mapped_column(String(16), default="Normal")  # Normal / Forbidden
    published: Mapped[bool] = mapped_column(Boolean, default=True)
    source_type: Mapped[str] = mapped_column(String(16), default="Upload")
    source_context: Mapped[str] = mapped_column(String(256), default="")
    session_context: Mapped[str] = mapped_column(Text, default="")
    storage_region: Mapped[str] = mapped_column(String(32), default="")
    expire_time: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    review: Mapped[Mapping[str, Any] | None] = mapped_column(JSON, default=None)  # latest MediaReviewInfo
    cover_review: Mapped[Mapping[str, Any] | None] = mapped_column(JSON, default=None)
    sha256: Mapped[str] = mapped_column(String(64), default="")  # of the bytes, once a review has hashed them
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    __table_args__ = (UniqueConstraint("app_id", "storage_path", name="uq_media_app_path"),)


class UploadSession(Base):
    """An ApplyUpload session: where the bytes go, who may put them there, and until when."""

    __tablename__ = "upload_sessions"
    session_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id"), index=True)
    params: Mapped[dict[str, Any]] = mapped_column(
        JSON, default=dict
    )  # the ApplyUpload fields to apply on commit
    media_key: Mapped[str] = mapped_column(String(512))  # object key, no leading "/"
    cover_key: Mapped[str] = mapped_column(String(512), default="")
    bucket: Mapped[str] = mapped_column(String(64))
    temp_secret_id: Mapped[str] = mapped_column(String(64), index=True)
    temp_secret_key: Mapped[str] = mapped_column(String(64))
    temp_token: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    committed_file_id: Mapped[str] = mapped_column(String(32), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime)


class StagedObject(Base):
    """An object PUT to the COS endpoint, waiting for CommitUpload (bytes under the staging prefix)."""

    __tablename__ = "staged_objects"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_key: Mapped[str] = mapped_column(ForeignKey("upload_sessions.session_key"), index=True)
    object_key: Mapped[str] = mapped_column(String(512))
    blob_key: Mapped[str] = mapped_column(String(512))
    size: Mapped[int] = mapped_column(BigInteger)
    etag: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    __table_args__ = (UniqueConstraint("session_key", "object_key", name="uq_staged_object"),)


class MultipartUpload(Base):
    __tablename__ = "multipart_uploads"
    upload_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    session_key: Mapped[str] = mapped_column(ForeignKey("upload_sessions.session_key"), index=True)
    object_key: Mapped[str] = mapped_column(String(512))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class MultipartPart(Base):
    __tablename__ = "multipart_parts"
    upload_id: Mapped[str] = mapped_column(ForeignKey("multipart_uploads.upload_id"), primary_key=True)
    part_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    blob_key: Mapped[str] = mapped_column(String(512))
    size: Mapped[int] = mapped_column(BigInteger)
    etag: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class UsedSignature(Base):
    """One-time client upload signatures already spent (kept until they expire)."""

    __tablename__ = "used_signatures"
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime)


class SeenApiSignature(Base):
    """API 3.0 signatures seen while their timestamp is still accepted, and the action each was first used for.

    The digest (of SecretId and signature) is the primary key, so two API servers cannot both take it first.
    """

    __tablename__ = "seen_api_signatures"
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    action: Mapped[str] = mapped_column(String(128))
    first_seen: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)


class SignInFailure(Base):
    """One failed console sign-in of an account from a client address (``subject`` is a digest of both)."""

    __tablename__ = "sign_in_failures"
    __table_args__ = (Index("ix_sign_in_failures_subject_at", "subject", "at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subject: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime, index=True)


class ReviewTemplate(Base):
    __tablename__ = "review_templates"
    definition: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id"), index=True)
    name: Mapped[str] = mapped_column(String(64), default="")
    comment: Mapped[str] = mapped_column(String(256), default="")
    labels: Mapped[list[Any]] = mapped_column(JSON, default=list)
    thresholds: Mapped[dict[str, Any]] = mapped_column(
        JSON, default=dict
    )  # label -> {"review": x, "block": y} (services.templates.TemplateThresholds)
    # the app's own text labels: [{"label": "Ad", "sub_label": "Crypto", "examples": ["...", ...]}]
    custom_labels: Mapped[list[Any]] = mapped_column(JSON, default=list, server_default="[]")
    # fast / balanced / thorough: how densely the engine samples a video (moderation.plan.BUDGETS)
    budget: Mapped[str] = mapped_column(String(16), default="balanced", server_default="balanced")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class ProcedureTemplate(Base):
    __tablename__ = "procedure_templates"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    comment: Mapped[str] = mapped_column(String(256), default="")
    review_definition: Mapped[int | None] = mapped_column(Integer, default=None)
    review_contents: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    __table_args__ = (UniqueConstraint("app_id", "name", name="uq_procedure_app_name"),)


class EventConfig(Base):
    __tablename__ = "event_configs"
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id"), primary_key=True)
    mode: Mapped[str] = mapped_column(String(8), default="PULL")
    notification_url: Mapped[str] = mapped_column(String(1024), default="")
    upload_switch: Mapped[str] = mapped_column(String(3), default="OFF")
    delete_switch: Mapped[str] = mapped_column(String(3), default="OFF")
    persistence_switch: Mapped[str] = mapped_column(String(3), default="OFF")
    sign_key: Mapped[str] = mapped_column(String(32), default="")


class Event(Base):
    """The outbox: written in the transaction that makes the change it reports."""

    __tablename__ = "events"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id"))
    event_type: Mapped[str] = mapped_column(String(48))
    body: Mapped[Mapping[str, Any]] = mapped_column(JSON)  # EventContent without EventHandle (StoredEvent)
    order_key: Mapped[str] = mapped_column(String(64), default="")  # FileId: push delivery keeps this order
    mode: Mapped[str] = mapped_column(String(8))  # PULL or PUSH, fixed when written
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # PULL: invisible until visible_at (set 30 s ahead when handed out); handle changes on every hand-out.
    visible_at: Mapped[datetime] = mapped_column(DateTime)
    handle: Mapped[str] = mapped_column(String(64), default="", index=True)
    # PUSH: next attempt time, a dispatcher lease, attempts made.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(String(512), default="")
    lease_until: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    done_at: Mapped[datetime | None] = mapped_column(
        DateTime, default=None
    )  # confirmed (PULL) or delivered (PUSH)
    __table_args__ = (
        Index("ix_events_pending", "app_id", "done_at", "visible_at"),
        Index("ix_events_push_due", "mode", "done_at", "visible_at"),
        Index("ix_events_order", "app_id", "order_key", "done_at"),
    )


class Task(Base):
    """A moderation task. This row is the truth; the queue only carries its id."""

    __tablename__ = "tasks"
    task_id: Mapped[str] = mapped_column(String(96), primary_key=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id"), index=True)
    task_type: Mapped[str] = mapped_column(String(32), default="ReviewAudioVideo")
    file_id: Mapped[str] = mapped_column(String(32), index=True)
    status: Mapped[str] = mapped_column(String(16), default="WAITING")
    priority: Mapped[int] = mapped_column(Integer, default=0)
    definition: Mapped[int] = mapped_column(Integer, default=10)
    review_contents: Mapped[list[Any]] = mapped_column(JSON, default=list)
    session_id: Mapped[str] = mapped_column(String(64), default="")
    session_context: Mapped[str] = mapped_column(Text, default="")
    ext_info: Mapped[str] = mapped_column(Text, default="")
    err_code_ext: Mapped[str] = mapped_column(String(64), default="")
    message: Mapped[str] = mapped_column(Text, default="")
    output: Mapped[Mapping[str, Any] | None] = mapped_column(JSON, default=None)  # ReviewAudioVideoTaskOutput
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    begin_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    finish_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    # services/reuse.py: set when the task succeeds, so a later task on identical content can replay it
    reuse_key: Mapped[str] = mapped_column(String(64), default="")
    reused_from: Mapped[str] = mapped_column(
        String(96), default=""
    )  # the task whose result this one replayed
    __table_args__ = (
        Index("ix_tasks_claim", "status", "priority", "created_at"),
        Index("ix_tasks_reuse", "app_id", "reuse_key"),
    )


class ReviewDecision(Base):
    """A person's decision on a media (console or the SetReviewDecision extension action): the audit log."""

    __tablename__ = "review_decisions"
    __table_args__ = (Index("ix_review_decisions_sha256", "app_id", "sha256"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id"), index=True)
    file_id: Mapped[str] = mapped_column(String(32), index=True)
    decision: Mapped[str] = mapped_column(String(16))  # approve / block
    reason: Mapped[str] = mapped_column(String(512), default="")
    operator: Mapped[str] = mapped_column(String(128), default="")
    # the media's SHA-256 when it was decided: the decision then holds for identical bytes, even after a delete
    sha256: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime)


class AuditEntry(Base):
    """One thing a person did in an app: a decision, or a change to keys, settings, templates or people."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_app_at", "app_id", "at"),)
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id"))
    at: Mapped[datetime] = mapped_column(DateTime)
    person: Mapped[str] = mapped_column(
        String(128)
    )  # an account name, key:<SecretId>, or what an API caller named
    action: Mapped[str] = mapped_column(String(48))  # e.g. decision.block, template.modify, key.create
    target: Mapped[str] = mapped_column(
        String(256), default=""
    )  # the FileId, template number, SecretId, name
    detail: Mapped[str] = mapped_column(String(512), default="")  # a decision's reason, what changed


class UsedSessionId(Base):
    """SessionIds seen in the last days: the primary key makes deduplication race-free across API servers."""

    __tablename__ = "used_session_ids"
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id"), primary_key=True)
    session_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    task_id: Mapped[str] = mapped_column(String(96))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class KnownEntry(Base):
    """An entry of an app's bank of known content (``services/known.py``): media a person blocked, a file an
    operator added, or an imported hash list. A review whose frames match an entry's frames blocks."""

    __tablename__ = "known_entries"
    __table_args__ = (Index("ix_known_entries_file", "app_id", "file_id"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id"), index=True)
    label: Mapped[str] = mapped_column(String(32))
    sub_label: Mapped[str] = mapped_column(String(64), default="")
    reason: Mapped[str] = mapped_column(String(512), default="")
    file_id: Mapped[str] = mapped_column(String(32), default="")  # the media it was taken from, if any
    source_name: Mapped[str] = mapped_column(
        String(256), default=""
    )  # file name, or the entry name of a list
    kind: Mapped[str] = mapped_column(String(8))  # video / picture
    origin: Mapped[str] = mapped_column(String(8))  # decision (a person's block) / file / media / import
    created_by: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime)


class KnownFrame(Base):
    """One frame hash of a known entry: the 64-bit perceptual hash as a signed integer (what SQL integers hold) and
    its three chunks of 22, 21 and 21 bits, each indexed, for multi-index hashing (``services/known_lookup.py``).
    The chunk indexes hold the hash too, so a lookup reads the index alone and never visits the table's rows."""

    __tablename__ = "known_frames"
    __table_args__ = (
        Index("ix_known_frames_k0", "app_id", "k0", "hash"),
        Index("ix_known_frames_k1", "app_id", "k1", "hash"),
        Index("ix_known_frames_k2", "app_id", "k2", "hash"),
    )
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    entry_id: Mapped[str] = mapped_column(ForeignKey("known_entries.id", ondelete="CASCADE"), index=True)
    app_id: Mapped[int] = mapped_column(Integer)
    time: Mapped[float] = mapped_column(Float)
    hash: Mapped[int] = mapped_column(BigInteger)
    k0: Mapped[int] = mapped_column(Integer)
    k1: Mapped[int] = mapped_column(Integer)
    k2: Mapped[int] = mapped_column(Integer)


class KnownPending(Base):
    """A person's block whose frames are not in the bank yet, written in the decision's own transaction: a worker
    claims it with a lease, hashes the media and deletes it in the transaction that adds the entry, so a process
    stopped mid-way leaves the row for the next worker (``services/known_banking.py``)."""

    __tablename__ = "known_pending"
    decision_id: Mapped[int] = mapped_column(ForeignKey("review_decisions.id"), primary_key=True)
    app_id: Mapped[int] = mapped_column(Integer)
    file_id: Mapped[str] = mapped_column(String(32), index=True)
    label: Mapped[str] = mapped_column(String(32), default="")  # empty: the label the media's review flagged
    lease_until: Mapped[datetime] = mapped_column(DateTime, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime)
