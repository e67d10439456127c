"""Still and animated images through Pillow: the header check, the first frame, and every distinct frame."""

from __future__ import annotations

import io
import warnings
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from vodguard.moderation.config import Limits
from vodguard.moderation.errors import MediaLimitExceeded, SourceFileError
from vodguard.moderation.media.guards import check_deadline, check_file, check_pixels, media_errors
from vodguard.moderation.media.info import MediaInfo
from vodguard.moderation.types import Frame

MAX_SIDE = 1280  # sampled frames are scaled down so that their long side is at most this
IMAGE_FORMATS = ("JPEG", "PNG", "BMP", "WEBP", "GIF")  # Pillow format names we open (JPEG covers MPO)


def open_image(source: Path | bytes, limits: Limits, *, name: str = "image") -> Image.Image | None:
    """A lazily-decoded Pillow image if the content is in IMAGE_FORMATS, after the pixel check; else None."""
    fp: Any = io.BytesIO(source) if isinstance(source, bytes) else source
    with warnings.catch_warnings():
        # Our own pixel cap is checked right below; Pillow's warning would only duplicate it.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        if isinstance(source, Path):
            name = source.name
        try:
            img = Image.open(fp, formats=IMAGE_FORMATS)
        except UnidentifiedImageError:
            return None
        except Image.DecompressionBombError as exc:
            # Pillow refuses beyond twice its own cap (about 179 MP) before we see the size: our verdict too.
            raise MediaLimitExceeded(
                f"{name}: the image is over the limit of {limits.max_pixels} pixels per picture ({exc})"
            ) from None
    try:
        check_pixels(name, img.width, img.height, limits)
        frames = int(getattr(img, "n_frames", 1))
    except BaseException:
        img.close()
        raise
    if frames > limits.max_gif_frames:
        img.close()
        raise MediaLimitExceeded(f"{name}: {frames} frames is over the limit of {limits.max_gif_frames}")
    return img


def exif_rotation(img: Image.Image) -> int:
    try:
        orientation = img.getexif().get(0x0112, 1)
    except Exception:  # a broken EXIF block must not fail the image; it only loses the orientation
        return 0
    return {3: 180, 6: 90, 8: 270}.get(orientation, 0)


def image_info(path: Path, size: int, img: Image.Image, limits: Limits) -> MediaInfo:
    frames = int(getattr(img, "n_frames", 1))
    # Frame times of an animation come from sample_frames; here the first frame's delay stands for all of
    # them, so probing a big GIF does not decode it.
    delay = float(img.info.get("duration") or 100) / 1000.0 if frames > 1 else 0.0
    return MediaInfo(
        path=path,
        category="Image",
        container=(img.format or "").lower(),
        size=size,
        duration=frames * delay,
        width=img.width,
        height=img.height,
        rotation=exif_rotation(img),
        frame_count=frames,
    )


def _to_rgb(img: Image.Image) -> Image.Image:
    if img.mode == "RGB":
        return img
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        # Transparent areas show on white, as a web page would show them.
        rgba = img.convert("RGBA")
        canvas = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(canvas, rgba).convert("RGB")
    return img.convert("RGB")


def _fit(img: Image.Image, max_side: int | None) -> Image.Image:
    if max_side and max(img.size) > max_side:
        scale = max_side / max(img.size)
        size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
        return img.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    return img


def _image_source(source: str | Path | bytes, limits: Limits) -> tuple[Path | bytes, str]:
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        if not data:
            raise SourceFileError("image: the data is empty")
        if len(data) > limits.max_image_bytes:
            raise MediaLimitExceeded(
                f"image: {len(data)} bytes is over the limit of {limits.max_image_bytes}"
            )
        return data, "image"
    path = Path(source)
    size = check_file(path, limits)
    if size > limits.max_image_bytes:
        raise MediaLimitExceeded(
            f"{path.name}: {size} bytes is over the image limit of {limits.max_image_bytes}"
        )
    return path, path.name


def check_image(source: str | Path | bytes, limits: Limits) -> None:
    """Refuse an image over ``limits`` (bytes, pixels, frames) or in no supported format, from its header alone.

    Nothing is decoded, so a small file that declares a huge picture costs no memory: the caller can refuse it
    before it queues for a decoder.
    """
    src, name = _image_source(source, limits)
    with media_errors(name):
        img = open_image(src, limits, name=name)
        if img is None:
            raise SourceFileError(f"{name}: not a supported image format (JPEG, PNG, BMP, WebP or GIF)")
        img.close()


def load_image(source: str | Path | bytes, limits: Limits, *, max_side: int | None = MAX_SIDE) -> Frame:
    """An image's first frame (path or bytes): RGB, EXIF orientation applied, long side <= ``max_side``."""
    src, name = _image_source(source, limits)
    with media_errors(name):
        img = open_image(src, limits, name=name)
        if img is None:
            raise SourceFileError(f"{name}: not a supported image format (JPEG, PNG, BMP, WebP or GIF)")
        with img:
            if img.format in ("JPEG", "MPO") and max_side:
                img.draft("RGB", (max_side, max_side))  # decode a big JPEG at 1/2, 1/4 or 1/8 size directly
            pic = _fit(_to_rgb(ImageOps.exif_transpose(img)), max_side)
            return Frame(image=np.asarray(pic, dtype=np.uint8), time=0.0, index=0)


def load_image_frames(
    source: str | Path | bytes,
    limits: Limits,
    *,
    max_side: int | None = MAX_SIDE,
    deadline: float | None = None,
) -> ImageFrames:
    """Every distinct frame of an image with its display time (one frame at 0 for a still image), lazily.

    An animated GIF or WebP can hold thousands of big frames in a small file, so frames are decoded one at a
    time, and a frame whose pixels repeat the last one returned is skipped. Only a repeat to the pixel: a faint
    caption over the same picture barely moves a perceptual hash, and is exactly what must be read.
    Errors about the file itself are raised before the first frame is returned.
    """
    src, name = _image_source(source, limits)
    check_deadline(deadline)
    with media_errors(name):
        img = open_image(src, limits, name=name)
        if img is None:
            raise SourceFileError(f"{name}: not a supported image format (JPEG, PNG, BMP, WebP or GIF)")
    return ImageFrames(img, _image_frames(img, name, max_side, deadline))


class ImageFrames(Iterator[Frame]):
    """The frames of an open image; ``close()`` closes the file even when no frame was asked for."""

    def __init__(self, img: Image.Image, frames: Generator[Frame, None, None]) -> None:
        self._img, self._frames = img, frames

    def __next__(self) -> Frame:
        return next(self._frames)

    def close(self) -> None:
        self._frames.close()
        self._img.close()


_REPEAT_LEVELS = 2  # grey levels a repeated frame may differ by anywhere (palette and codec rounding)


def _image_frames(
    img: Image.Image, name: str, max_side: int | None, deadline: float | None
) -> Generator[Frame, None, None]:
    last: np.ndarray | None = None
    t = 0.0
    with img, media_errors(name):
        rotation = exif_rotation(img)
        for index, page in enumerate(ImageSequence.Iterator(img)):
            check_deadline(deadline)
            page.load()  # WebP fills in the frame's duration only once it is loaded
            delay = float(page.info.get("duration") or 0) / 1000.0
            pic = _fit(_to_rgb(page), max_side)
            if rotation:
                pic = pic.rotate(-rotation, expand=True)
            image = np.asarray(pic, dtype=np.uint8)
            repeat = (
                last is not None
                and last.shape == image.shape
                and int(np.abs(image.astype(np.int16) - last).max()) <= _REPEAT_LEVELS
            )
            if not repeat:
                last = image
                yield Frame(image=image, time=round(t, 3), index=index)
            t += delay if delay > 0 else 0.1  # browsers show a 0-delay frame for about 0.1 s
