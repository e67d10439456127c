"""The API's nested shapes as pydantic models (PascalCase fields, as the wire has them), and the functions that
build them from the service layer's rows.

Field order is the order of the JSON keys. Every field is sent, ``None`` as ``null``, except the few a model lists
in ``OMIT_WHEN_NONE``: those the official SDK would warn about, so they go only when they hold something.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, NotRequired, TypedDict, cast

from pydantic import BaseModel, ConfigDict, SerializerFunctionWrapHandler, model_serializer

from vodguard.services.templates import DEFAULT_BUDGET, ReviewTemplateView
from vodguard.store.models import Media, ProcedureTemplate, ReviewDecision, Task
from vodguard.timeutil import iso

NEVER = "9999-12-31T23:59:59Z"  # ExpireTime of a media that does not expire
TEMPLATE_EPOCH = "2018-07-17T00:00:00Z"  # CreateTime/UpdateTime of the preset template, which is not a row


class WireModel(BaseModel):
    """Base of every wire shape: no field beyond those declared."""

    model_config = ConfigDict(extra="forbid")
    OMIT_WHEN_NONE: ClassVar[frozenset[str]] = frozenset()

    @model_serializer(mode="wrap")
    def _omit_absent(self, handler: SerializerFunctionWrapHandler) -> Any:
        out = handler(self)
        for name in self.OMIT_WHEN_NONE:
            if out.get(name, 0) is None:
                del out[name]
        return out


# Tasks (spec §2.3, §2.4, §3.1)


class ReviewTaskInput(WireModel):
    FileId: str
    Definition: int
    ReviewContents: list[str]


class ReviewAudioVideoTask(WireModel):
    """ReviewAudioVideoTask, as DescribeTaskDetail and the completion event carry it."""

    TaskId: str
    Status: str
    ErrCodeExt: str
    Message: str
    Input: ReviewTaskInput
    Output: Mapping[str, Any] | None  # results.ReviewOutput, stored as the worker shaped it
    SessionId: str
    SessionContext: str


class TaskSimpleInfo(WireModel):
    TaskId: str
    TaskType: str
    Status: str
    FileId: str
    FileName: str
    CreateTime: str
    BeginProcessTime: str
    FinishTime: str
    SessionId: str
    SessionContext: str


def review_task(task: Task) -> ReviewAudioVideoTask:
    finished = task.status == "FINISH"
    return ReviewAudioVideoTask(
        TaskId=task.task_id,
        Status=task.status,
        ErrCodeExt=task.err_code_ext,
        Message=task.message if finished else "",
        Input=ReviewTaskInput(
            FileId=task.file_id, Definition=task.definition, ReviewContents=list(task.review_contents)
        ),
        Output=task.output if finished else None,
        SessionId=task.session_id,
        SessionContext=task.session_context,
    )


def task_simple_info(task: Task) -> TaskSimpleInfo:
    return TaskSimpleInfo(
        TaskId=task.task_id,
        TaskType=task.task_type,
        Status=task.status,
        FileId=task.file_id,
        FileName="",
        CreateTime=iso(task.created_at),
        BeginProcessTime=iso(task.begin_at),
        FinishTime=iso(task.finish_at),
        SessionId=task.session_id,
        SessionContext=task.session_context,
    )


# Media (spec §2.9, §3.8)


class MediaSourceInfo(WireModel):
    SourceType: str
    SourceContext: str


class MediaBasicInfo(WireModel):
    Name: str
    Description: str
    CreateTime: str
    UpdateTime: str
    ExpireTime: str
    ClassId: int
    ClassName: str
    ClassPath: str
    CoverUrl: str
    Type: str
    MediaUrl: str
    SourceInfo: MediaSourceInfo
    StorageRegion: str
    TagSet: list[str]
    Vid: str
    Category: str
    Status: str
    StorageClass: str
    StoragePath: str


def basic_info(media: Media, *, media_url: str, cover_url: str) -> MediaBasicInfo:
    """MediaBasicInfo with the URLs the caller signed."""
    return MediaBasicInfo(
        Name=media.name,
        Description=media.description,
        CreateTime=iso(media.created_at),
        UpdateTime=iso(media.updated_at),
        ExpireTime=iso(media.expire_time) or NEVER,
        ClassId=media.class_id,
        ClassName="",
        ClassPath="",
        CoverUrl=cover_url,
        Type=media.media_type,
        MediaUrl=media_url,
        SourceInfo=MediaSourceInfo(SourceType=media.source_type, SourceContext=media.source_context),
        StorageRegion=media.storage_region,
        TagSet=[],
        Vid="",
        Category=media.category,
        Status=media.status,
        StorageClass="STANDARD",
        StoragePath=media.storage_path,
    )


class MediaReviewInfo(WireModel):
    """The media's latest review and its cover's, as stored (``results.review_info`` shaped them)."""

    MediaReviewInfo: Mapping[str, Any] | None  # results.ReviewInfo
    CoverReviewInfo: Mapping[str, Any] | None


def review_info(media: Media) -> MediaReviewInfo:
    return MediaReviewInfo(MediaReviewInfo=media.review, CoverReviewInfo=media.cover_review)


class MediaInfo(WireModel):
    """One item of DescribeMediaInfos' MediaInfoSet. The slots of the cloud's other products are always null."""

    FileId: str
    TranscodeInfo: None = None
    AnimatedGraphicsInfo: None = None
    SampleSnapshotInfo: None = None
    ImageSpriteInfo: None = None
    SnapshotByTimeOffsetInfo: None = None
    KeyFrameDescInfo: None = None
    AdaptiveDynamicStreamingInfo: None = None
    MiniProgramReviewInfo: None = None
    SubtitleInfo: None = None
    MPSAiMediaInfo: None = None
    ImageUnderstandingInfo: None = None
    KnowledgeBasesInfo: None = None
    FaceRecognitionInfo: None = None
    BasicInfo: MediaBasicInfo | None
    MetaData: Mapping[str, Any] | None  # results.MediaMetaData, stored as probed
    ReviewInfo: MediaReviewInfo | None


# Templates (spec §2.11, §2.12)


class CustomLabelItem(WireModel):
    Label: str
    SubLabel: str
    Examples: list[str]


class ReviewTemplate(WireModel):
    # vodguard's extensions: the SDK's model does not know them and warns about each, so they appear only when set
    # (Budget when it is not the default, balanced)
    OMIT_WHEN_NONE = frozenset({"CustomLabels", "Budget"})

    Definition: int
    Name: str
    Comment: str
    Type: str
    Labels: list[str]
    CreateTime: str
    UpdateTime: str
    CustomLabels: list[CustomLabelItem] | None = None
    Budget: str | None = None


def review_template(view: ReviewTemplateView) -> ReviewTemplate:
    custom = [
        CustomLabelItem(Label=c.label, SubLabel=c.sub_label, Examples=list(c.examples))
        for c in view.custom_labels
    ]
    return ReviewTemplate(
        Definition=view.definition,
        Name=view.name,
        Comment=view.comment,
        Type=view.type,
        Labels=view.labels,
        CreateTime=iso(view.created_at) or TEMPLATE_EPOCH,
        UpdateTime=iso(view.updated_at) or TEMPLATE_EPOCH,
        CustomLabels=custom or None,
        Budget=None if view.budget == DEFAULT_BUDGET else view.budget,
    )


class ReviewTaskTemplate(WireModel):
    Definition: int
    ReviewContents: list[str]


class ProcedureTemplateInfo(WireModel):
    """ProcedureTemplate. The tasks of the cloud's other products are always null."""

    Name: str
    Type: str
    Comment: str
    ReviewAudioVideoTask: ReviewTaskTemplate | None
    MediaProcessTask: None = None
    AiContentReviewTask: None = None
    AiAnalysisTask: None = None
    AiRecognitionTask: None = None
    MiniProgramPublishTask: None = None
    AiRecognitionTaskSet: list[Any]
    CreateTime: str
    UpdateTime: str


def procedure_template(row: ProcedureTemplate) -> ProcedureTemplateInfo:
    review = None
    if row.review_definition is not None:
        review = ReviewTaskTemplate(
            Definition=row.review_definition, ReviewContents=list(row.review_contents)
        )
    return ProcedureTemplateInfo(
        Name=row.name,
        Type="Custom",
        Comment=row.comment,
        ReviewAudioVideoTask=review,
        AiRecognitionTaskSet=[],
        CreateTime=iso(row.created_at),
        UpdateTime=iso(row.updated_at),
    )


# Events and decisions


class ReviewDecisionInfo(WireModel):
    """vodguard extension: one person's decision, as DescribeReviewDecisions lists it."""

    DecisionId: int
    FileId: str
    Decision: str
    Reason: str
    Operator: str
    CreateTime: str


def review_decision(row: ReviewDecision) -> ReviewDecisionInfo:
    return ReviewDecisionInfo(
        DecisionId=row.id,
        FileId=row.file_id,
        Decision=row.decision,
        Reason=row.reason,
        Operator=row.operator,
        CreateTime=iso(row.created_at),
    )


# EventContent bodies (spec §2.5), stored as JSON when the event is emitted; EventType and EventHandle are added by
# services/events.py.


class FileUploadEventInfo(TypedDict):
    FileId: str
    MediaBasicInfo: dict[str, Any]  # MediaBasicInfo, dumped
    ProcedureTaskId: str
    ReviewAudioVideoTaskId: str
    MetaData: Mapping[str, Any]  # results.MediaMetaData, as stored on the media


class FileDeleteResult(TypedDict):
    FileId: str
    DeleteParts: list[Any]


class FileDeleteEventInfo(TypedDict):
    FileIdSet: list[str]
    FileDeleteResultInfo: list[FileDeleteResult]


class EventBody(TypedDict, total=False):
    """What an event reports, by its EventType: one of these keys (the builders below make each)."""

    FileUploadEvent: FileUploadEventInfo  # NewFileUpload
    FileDeleteEvent: FileDeleteEventInfo  # FileDeleted
    ReviewAudioVideoCompleteEvent: dict[str, Any]  # ReviewAudioVideoComplete: ReviewAudioVideoTask, dumped


class StoredEvent(EventBody):
    """An event as the outbox keeps it (``Event.body``): its body and EventType."""

    EventType: str


class EventContent(StoredEvent):
    """EventContent as PullEvents hands it out and PUSH delivers it."""

    EventHandle: NotRequired[str]  # PULL only: the handle that confirms it


def upload_event(media: Media, basic: MediaBasicInfo, *, review_task_id: str) -> EventBody:
    """NewFileUpload's body."""
    return {
        "FileUploadEvent": {
            "FileId": media.file_id,
            "MediaBasicInfo": basic.model_dump(),
            "ProcedureTaskId": "",
            "ReviewAudioVideoTaskId": review_task_id,
            "MetaData": media.meta,
        }
    }


def delete_event(file_id: str) -> EventBody:
    """FileDeleted's body."""
    return {
        "FileDeleteEvent": {
            "FileIdSet": [file_id],
            "FileDeleteResultInfo": [{"FileId": file_id, "DeleteParts": []}],
        }
    }


def review_complete_event(task: Task) -> EventBody:
    """ReviewAudioVideoComplete's body."""
    return {"ReviewAudioVideoCompleteEvent": review_task(task).model_dump()}


def stored_event(event_type: str, body: EventBody) -> StoredEvent:
    """The outbox's copy of an event: EventType, then the body."""
    return {"EventType": event_type, **body}


def event_content(handle: str, stored: Mapping[str, Any]) -> EventContent:
    """EventContent as PullEvents hands it out: the stored event (``StoredEvent``) with the handle that confirms
    it."""
    # The outbox holds what stored_event made; its JSON column gives it back as a plain mapping.
    return cast(EventContent, {"EventHandle": handle, **stored})
