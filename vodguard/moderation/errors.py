"""Engine errors. ``code`` is the task's ``ErrCodeExt`` when the error ends a task.

ModerationError
├── SourceFileError     the media cannot be read: missing, empty, truncated, no decodable stream, wrong type
├── MediaLimitExceeded  the media is over a configured limit (size, duration, pixels, frames)
├── DeadlineExceeded    the wall-time budget ran out
└── ModelUnavailable    a detector's weights cannot be found; the message names the package or setting
"""

from __future__ import annotations

from typing import ClassVar


class ModerationError(Exception):
    code: ClassVar[str] = "InternalError"


class SourceFileError(ModerationError):
    code = "SourceFileError"


class MediaLimitExceeded(SourceFileError):
    code = "SourceFileError"


class DeadlineExceeded(ModerationError):
    code = "InternalError"


class ModelUnavailable(ModerationError):
    code = "InternalError"
