"""What each API 3.0 action answers: one model per action, named ``<Action>Response``, without ``RequestId``
(``api/endpoint.py`` adds it). The nested shapes are in ``shapes.py``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from vodguard.services.wire.shapes import (
    MediaInfo,
    ProcedureTemplateInfo,
    ReviewAudioVideoTask,
    ReviewDecisionInfo,
    ReviewTemplate,
    TaskSimpleInfo,
    WireModel,
    review_task,
)
from vodguard.store.models import EventConfig, Task, UploadSession
from vodguard.timeutil import iso


class EmptyResponse(WireModel):
    """The answer of an action that only changes something: the envelope's RequestId alone."""


# Uploads (spec §2.7, §2.8)


class TempCertificate(WireModel):
    SecretId: str
    SecretKey: str
    Token: str
    ExpiredTime: int


class ApplyUploadResponse(WireModel):
    StorageBucket: str
    StorageRegion: str
    VodSessionKey: str
    MediaStoragePath: str
    CoverStoragePath: str
    TempCertificate: TempCertificate


def apply_upload(row: UploadSession, *, storage_region: str) -> ApplyUploadResponse:
    """ApplyUpload's answer for the session ``row`` opened."""
    expires = row.expires_at
    epoch = expires.timestamp() if expires.tzinfo else (expires - datetime(1970, 1, 1)).total_seconds()
    return ApplyUploadResponse(
        StorageBucket=row.bucket,
        StorageRegion=storage_region,
        VodSessionKey=row.session_key,
        MediaStoragePath="/" + row.media_key,
        CoverStoragePath="/" + row.cover_key if row.cover_key else "",
        TempCertificate=TempCertificate(
            SecretId=row.temp_secret_id,
            SecretKey=row.temp_secret_key,
            Token=row.temp_token,
            ExpiredTime=int(epoch),
        ),
    )


class CommitUploadResponse(WireModel):
    FileId: str
    MediaUrl: str
    CoverUrl: str


# Media (spec §2.9, §2.10, §2.13)


class DescribeMediaInfosResponse(WireModel):
    MediaInfoSet: list[MediaInfo]
    NotExistFileIdSet: list[str]


class ForbidMediaDistributionResponse(WireModel):
    NotExistFileIdSet: list[str]


# Reviews and tasks (spec §2.1-2.4)


class ReviewAudioVideoResponse(WireModel):
    TaskId: str


class ReviewImageResponse(WireModel):
    MediaReviewResult: Mapping[str, Any]  # ReviewImageResult: results.ReviewOutput
    ReviewResultSet: list[Any]


class ProcessMediaByProcedureResponse(WireModel):
    TaskId: str
    ReviewAudioVideoTaskId: str
    ImportMediaKnowledgeTaskIdSet: list[str]


class DescribeTaskDetailResponse(WireModel):
    TaskType: str
    Status: str
    CreateTime: str
    BeginProcessTime: str
    FinishTime: str
    ReviewAudioVideoTask: ReviewAudioVideoTask


def describe_task_detail(task: Task) -> DescribeTaskDetailResponse:
    """DescribeTaskDetail's answer for a review task (spec §2.3); ``vodguard task show`` prints the same."""
    return DescribeTaskDetailResponse(
        TaskType=task.task_type,
        Status=task.status,
        CreateTime=iso(task.created_at),
        BeginProcessTime=iso(task.begin_at),
        FinishTime=iso(task.finish_at),
        ReviewAudioVideoTask=review_task(task),
    )


class DescribeTasksResponse(WireModel):
    TaskSet: list[TaskSimpleInfo]
    ScrollToken: str


class SetReviewDecisionResponse(WireModel):
    DecisionId: int


class DescribeReviewDecisionsResponse(WireModel):
    DecisionSet: list[ReviewDecisionInfo]


# Templates (spec §2.11, §2.12)


class CreateReviewTemplateResponse(WireModel):
    Definition: int


class DescribeReviewTemplatesResponse(WireModel):
    TotalCount: int
    ReviewTemplateSet: list[ReviewTemplate]


class DescribeProcedureTemplatesResponse(WireModel):
    TotalCount: int
    ProcedureTemplateSet: list[ProcedureTemplateInfo]


# Events (spec §2.5, §2.6)


class DescribeEventConfigResponse(WireModel):
    """The SignKey is a secret the app set; like the cloud, it is not echoed."""

    Mode: str
    NotificationUrl: str
    UploadMediaCompleteEventSwitch: str
    DeleteMediaCompleteEventSwitch: str
    PersistenceCompleteEventSwitch: str


def describe_event_config(config: EventConfig) -> DescribeEventConfigResponse:
    return DescribeEventConfigResponse(
        Mode=config.mode,
        NotificationUrl=config.notification_url,
        UploadMediaCompleteEventSwitch=config.upload_switch,
        DeleteMediaCompleteEventSwitch=config.delete_switch,
        PersistenceCompleteEventSwitch=config.persistence_switch,
    )


class PullEventsResponse(WireModel):
    EventSet: Sequence[Mapping[str, Any]]  # shapes.EventContent: stored as emitted, with its EventHandle


# The app's own settings (vodguard extension)


class DescribeAppSettingsResponse(WireModel):
    SubAppId: int
    Name: str
    PublishMode: str


# Known content (vodguard extension, docs/known-content.md): entries are shaped in known.py


class CreateKnownContentResponse(WireModel):
    KnownContent: Mapping[str, Any]  # known.KnownContent


class DescribeKnownContentsResponse(WireModel):
    TotalCount: int
    KnownContentSet: list[Mapping[str, Any]]
