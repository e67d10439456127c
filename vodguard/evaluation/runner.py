"""Run the engine over a manifest's files and turn its results into ``Prediction``s for the scorer."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from vodguard.evaluation.manifest import Entry, Span
from vodguard.evaluation.scoring import Prediction
from vodguard.moderation.errors import ModerationError
from vodguard.moderation.types import ModerationResult, Template

_IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"BM")


def looks_like_image(path: Path) -> bool:
    """Whether a file is a picture (JPEG, PNG, GIF, BMP, WebP) by its first bytes, whatever its name."""
    try:
        with Path(path).open("rb") as fh:
            head = fh.read(16)
    except OSError:
        return False
    return head.startswith(_IMAGE_MAGIC) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")


def to_prediction(result: ModerationResult, *, seconds: float, image: bool) -> Prediction:
    """The scorer's view of an engine result."""
    spans = tuple(
        Span(s.form, s.label, 0.0 if image else s.start, 0.0 if image else s.end, s.suggestion)
        for s in result.segments
    )
    details = tuple(
        {
            "sub_label": s.sub_label,
            "confidence": round(s.confidence, 1),
            "text": s.text,
            "keywords": list(s.keywords),
        }
        for s in result.segments
    )
    return Prediction(
        suggestion=result.suggestion,
        segments=spans,
        details=details,
        duration=0.0 if image else result.duration,
        seconds=seconds,
        image=image,
    )


def predict(engine: Any, entry: Entry, media: Template, image: Template) -> Prediction:
    """Moderate one file with ``engine``; a file the engine cannot handle becomes an error prediction."""
    is_image = looks_like_image(entry.path)
    start = time.perf_counter()
    try:
        if not entry.path.is_file():
            raise FileNotFoundError(f"{entry.path}: no such file")
        if is_image:
            result = engine.moderate_image(entry.path, image)
        else:
            result = engine.moderate_media(entry.path, media)
    except ModerationError as exc:
        return Prediction(error=f"{exc.code}: {exc}", image=is_image, seconds=time.perf_counter() - start)
    except OSError as exc:
        return Prediction(
            error=f"SourceFileError: {exc}", image=is_image, seconds=time.perf_counter() - start
        )
    return to_prediction(result, seconds=time.perf_counter() - start, image=is_image)


def run_manifest(
    engine: Any,
    entries: Sequence[Entry],
    media: Template,
    image: Template,
    *,
    on_file: Callable[[int, Entry, Prediction], None] | None = None,
) -> Iterator[tuple[Entry, Prediction]]:
    """(entry, prediction) for every entry, in order; ``on_file(i, entry, prediction)`` after each."""
    for i, entry in enumerate(entries):
        prediction = predict(engine, entry, media, image)
        if on_file is not None:
            on_file(i, entry, prediction)
        yield entry, prediction
