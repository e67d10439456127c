"""The file extensions vodguard takes as video, audio and pictures: a module of its own, with no imports, so that
the command line can check paths without loading the services (the parser imports every command's module)."""

from __future__ import annotations

VIDEO_TYPES = {"mp4", "mov", "mkv", "webm", "flv", "ts", "avi", "wmv", "3gp", "mpeg", "mpg", "m4v", "f4v", "rmvb", "rm", "asf", "vob", "mts", "m2ts", "ogv"}  # fmt: skip
AUDIO_TYPES = {"mp3", "m4a", "aac", "wav", "ogg", "flac", "wma", "amr", "opus", "ac3"}
IMAGE_TYPES = {"jpg", "jpeg", "png", "bmp", "webp", "gif", "tif", "tiff", "heic"}
