"""Copies of a banked video are blocked by the engine, and ten unrelated videos are not (known content, #16).

The videos are made here with PyAV and Pillow from the committed clean pictures: an original slideshow, the copies
an uploader makes of it (re-encoded, smaller, cropped, watermarked, trimmed, re-timed, mirrored, all at once),
and unrelated videos of other photos, drawn patterns and captions. ``scripts/measure_known_variants.py`` does the
same at full size with ffmpeg, for the figures in docs/quality.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from tests.paths import fixture_path
from vodguard.moderation import Engine, Limits
from vodguard.moderation.known import MemoryIndex, hash_file
from vodguard.moderation.types import Template

NO_MODELS = Template(definition=0, labels=frozenset())
SIZE = (480, 270)
FPS = 15
SECONDS = 10.0
Picture = Callable[[float], np.ndarray]  # time in seconds -> RGB frame


def _photo(name: str) -> Image.Image:
    with Image.open(fixture_path(f"clean_pictures/{name}")) as pic:
        return pic.convert("RGB")


def slideshow(names: list[str], seconds: float = SECONDS, size: tuple[int, int] = SIZE) -> Picture:
    """Each photo in turn, zooming in slowly towards a corner of its own (a slideshow's Ken Burns move)."""
    photos = [_photo(n) for n in names]
    per = seconds / len(photos)
    w, h = size

    def frame(t: float) -> np.ndarray:
        i = min(int(t / per), len(photos) - 1)
        pic = photos[i]
        zoom = 1.0 + 0.25 * (t - i * per) / per
        cw, ch = pic.width / zoom, min(pic.height / zoom, pic.width / zoom * h / w)
        cw = ch * w / h
        corner = [(0, 0), (1, 0), (0, 1), (1, 1)][i % 4]
        x, y = corner[0] * (pic.width - cw), corner[1] * (pic.height - ch)
        return np.asarray(pic.resize(size, Image.Resampling.BILINEAR, box=(x, y, x + cw, y + ch)))

    return frame


def pattern(kind: str, seed: int) -> Picture:
    """Drawn moving pictures: shapes, stripes, a checkerboard, blurred noise, or a caption card."""
    rng = np.random.default_rng(seed)
    w, h = SIZE
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    colours = rng.integers(0, 256, (6, 3))
    noise = np.asarray(
        Image.fromarray(rng.integers(0, 256, (h // 16, w // 16), dtype=np.uint8)).resize(
            SIZE, Image.Resampling.BICUBIC
        )
    ).astype(np.float32)
    font = ImageFont.truetype(str(_font()), 40)

    def frame(t: float) -> np.ndarray:
        if kind == "stripes":
            v = 127 + 120 * np.sin((xx * np.cos(seed) + yy * np.sin(seed)) / (12 + seed) + t)
            return np.stack([v, v[::-1], 255 - v], axis=-1).astype(np.uint8)
        if kind == "checker":
            cells = ((xx + 20 * t) // (30 + seed * 4) + yy // (30 + seed * 4)) % 2
            return np.where(cells[..., None] > 0, colours[0], colours[1]).astype(np.uint8)
        if kind == "noise":
            v = np.roll(noise, int(15 * t), axis=1)
            return np.stack([v, np.roll(v, 40, axis=0), 255 - v], axis=-1).astype(np.uint8)
        pic = Image.new("RGB", SIZE, tuple(int(c) for c in colours[2]))
        draw = ImageDraw.Draw(pic)
        if kind == "shapes":
            for k in range(4):
                cx = (w * (0.2 + 0.2 * k) + 40 * t * (k + 1)) % w
                cy = h * (0.3 + 0.4 * ((k + seed) % 2))
                draw.ellipse(
                    (cx - 50, cy - 50, cx + 50, cy + 50), fill=tuple(int(c) for c in colours[3 + k % 3])
                )
        else:  # a caption card that changes its words every 3 s
            words = ["Breaking news", "Weather today", "Sports results", "Goodbye"][int(t // 3) % 4]
            draw.rectangle((0, 0, w * (0.3 + 0.1 * seed), h), fill=tuple(int(c) for c in colours[4]))
            draw.text((40, h * 0.4), f"{words} {seed}", fill=(255, 255, 255), font=font)
        return np.asarray(pic)

    return frame


def _font() -> Path:
    return Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def encode(
    path: Path,
    picture: Picture,
    *,
    seconds: float = SECONDS,
    fps: int = FPS,
    start: float = 0.0,
    crf: int = 23,
    edit: Callable[[np.ndarray], np.ndarray] | None = None,
) -> Path:
    """An H.264 mp4 of ``picture`` from ``start`` to ``seconds``, each frame passed through ``edit``."""
    first = edit(picture(start)) if edit else picture(start)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps, options={"crf": str(crf), "preset": "veryfast"})
        stream.height, stream.width = first.shape[:2]
        stream.pix_fmt = "yuv420p"
        for t in _times(start, seconds, fps):
            image = picture(t)
            image = edit(image) if edit else image
            for packet in stream.encode(
                av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
            ):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def _times(start: float, seconds: float, fps: int) -> Iterator[float]:
    n = 0
    while start + n / fps < seconds:
        yield start + n / fps
        n += 1


def resized(size: tuple[int, int]) -> Callable[[np.ndarray], np.ndarray]:
    return lambda image: np.asarray(Image.fromarray(image).resize(size, Image.Resampling.BILINEAR))


def cropped(share: float) -> Callable[[np.ndarray], np.ndarray]:
    """Cut ``share`` off every side, then scale back to the original size."""

    def edit(image: np.ndarray) -> np.ndarray:
        h, w = image.shape[:2]
        dy, dx = round(h * share), round(w * share)
        return np.asarray(
            Image.fromarray(image[dy : h - dy, dx : w - dx]).resize((w, h), Image.Resampling.BILINEAR)
        )

    return edit


def watermarked(image: np.ndarray) -> np.ndarray:
    """A red logo box top left and a half-transparent handle bottom right."""
    pic = Image.fromarray(image).convert("RGBA")
    layer = Image.new("RGBA", pic.size)
    draw = ImageDraw.Draw(layer)
    w, h = pic.size
    draw.rectangle((w * 0.03, h * 0.04, w * 0.11, h * 0.12), fill=(220, 30, 30, 210))
    font = ImageFont.truetype(str(_font()), max(12, h // 14))
    draw.text((w * 0.62, h * 0.86), "@reuploader 2026", fill=(255, 255, 255, 180), font=font)
    return np.asarray(Image.alpha_composite(pic, layer).convert("RGB"))


def mirrored(image: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(image[:, ::-1])


ORIGINAL = [
    "photo_skimage_astronaut_full.jpg",
    "photo_skimage_coffee_full.jpg",
    "photo_sklearn_china_full.jpg",
]
COPIES: dict[str, dict[str, object]] = {
    "CRF 35": {"crf": 35},
    "smaller (320x180)": {"edit": resized((320, 180))},
    "cropped 5 % a side": {"edit": cropped(0.05)},
    "watermarked": {"edit": watermarked},
    "first 2 s trimmed": {"start": 2.0},
    "10 fps": {"fps": 10},
    "mirrored": {"edit": mirrored},
    "all at once": {
        "edit": lambda i: resized((320, 180))(watermarked(i)),
        "crf": 30,
        "start": 1.0,
        "fps": 10,
    },
}
UNRELATED: dict[str, Picture] = {
    "other photos": slideshow(
        ["photo_skimage_camera_full.jpg", "photo_skimage_horse_full.jpg", "photo_skimage_rocket_full.jpg"]
    ),
    "more photos": slideshow(["photo_sklearn_flower_full.jpg", "photo_skimage_chelsea_full.jpg"]),
    "textures": slideshow(
        ["photo_skimage_brick_full.jpg", "photo_skimage_grass_full.jpg", "photo_skimage_gravel_full.jpg"]
    ),
    "drawn pictures": slideshow(["chart_02.jpg", "fireworks_04.jpg", "ui_screen_05.jpg"]),
    "stripes": pattern("stripes", 1),
    "checkerboard": pattern("checker", 2),
    "blurred noise": pattern("noise", 3),
    "moving shapes": pattern("shapes", 4),
    "caption card": pattern("caption", 5),
    "another caption card": pattern("caption", 6),
}


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[MemoryIndex, Path]:
    folder = tmp_path_factory.mktemp("known")
    original = encode(folder / "original.mp4", slideshow(ORIGINAL))
    bank = MemoryIndex()
    bank.add("original", hash_file(original, Limits()))
    return bank, folder


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine()


@pytest.mark.parametrize("copy", list(COPIES))
def test_a_copy_of_a_banked_video_is_blocked(made: tuple[MemoryIndex, Path], engine: Engine, copy: str):
    bank, folder = made
    path = encode(folder / f"copy{list(COPIES).index(copy)}.mp4", slideshow(ORIGINAL), **COPIES[copy])  # type: ignore[arg-type]
    result = engine.moderate_media(path, NO_MODELS, known=bank)
    assert result.known_match is not None, copy
    assert result.known_match.entry_id == "original" and result.suggestion == "block"
    assert result.known_match.score >= 0.5
    assert all(f.flipped for f in result.known_match.frames) == (copy == "mirrored")


@pytest.mark.parametrize("name", list(UNRELATED))
def test_an_unrelated_video_is_not(made: tuple[MemoryIndex, Path], engine: Engine, name: str):
    bank, folder = made
    path = encode(folder / f"unrelated{list(UNRELATED).index(name)}.mp4", UNRELATED[name])
    result = engine.moderate_media(path, NO_MODELS, known=bank)
    assert result.known_match is None and result.suggestion == "pass"
