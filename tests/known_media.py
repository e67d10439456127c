"""Videos for the known-content tests, made with ffmpeg in a temporary folder: an original of photos, its copies
(re-encoded, resized, cropped, watermarked, trimmed, another fps, mirrored) and unrelated videos."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.paths import FIXTURES

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
PHOTOS = FIXTURES / "clean_pictures"


def ffmpeg(*args: str) -> None:
    # a Debian package, not one pip installs: without it the tests that need these videos skip and say why
    if shutil.which("ffmpeg") is None:
        pytest.skip(
            "ffmpeg is not installed (apt-get install ffmpeg): the known-content tests make their videos with it"
        )
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *args], check=True, timeout=300)


def x264(out: Path, crf: int = 23) -> list[str]:
    return [
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-crf",
        str(crf),
        "-pix_fmt",
        "yuv420p",
        "-an",
        str(out),
    ]


def slideshow(out: Path, photos: list[str], *, seconds: int = 2, size: str = "960x540") -> Path:
    """Photos one after another, each slowly zooming in: a video of real pictures."""
    inputs: list[str] = []
    parts = []
    w, h = size.split("x")
    for i, name in enumerate(photos):
        inputs += ["-loop", "1", "-t", str(seconds), "-i", str(PHOTOS / f"photo_{name}_full.jpg")]
        parts.append(
            f"[{i}:v]scale={w}:{h}:force_original_aspect_ratio=increase,crop={w}:{h},"
            f"zoompan=z='1+0.004*on':d=1:s={size}:fps=25,setsar=1[v{i}]"
        )
    graph = ";".join(parts) + ";" + "".join(f"[v{i}]" for i in range(len(photos)))
    graph += f"concat=n={len(photos)}:v=1:a=0[out]"
    ffmpeg(*inputs, "-filter_complex", graph, "-map", "[out]", "-r", "25", *x264(out))
    return out


ORIGINAL_PHOTOS = [
    "skimage_astronaut",
    "skimage_chelsea",
    "skimage_coffee",
    "sklearn_china",
    "skimage_rocket",
]

VARIANTS: dict[str, list[str]] = {
    "crf": ["-c:v", "libx264", "-preset", "veryfast", "-crf", "38"],
    "480p": ["-vf", "scale=-2:480"],
    "crop5": ["-vf", "crop=iw*0.95:ih*0.95"],
    "watermark": ["-vf", f"drawtext=fontfile={FONT}:text='@reuploader 2026':x=w-tw-20:y=h-th-20:fontsize=h/14:"
                         "fontcolor=white:box=1:boxcolor=black@0.4"],
    "trim2s": ["-ss", "2"],
    "fps": ["-vf", "fps=12"],
    "mirror": ["-vf", "hflip"],
}  # fmt: skip


def variant(original: Path, name: str, folder: Path) -> Path:
    out = folder / f"copy-{name}.mp4"
    args = VARIANTS[name]
    if args[0] == "-ss":  # trimming: seek the input
        ffmpeg(*args, "-i", str(original), *x264(out))
    elif args[0] == "-c:v":
        ffmpeg("-i", str(original), *args, "-pix_fmt", "yuv420p", "-an", str(out))
    else:
        ffmpeg("-i", str(original), *args, *x264(out))
    return out


def unrelated(folder: Path) -> list[Path]:
    """Ten videos that share nothing with the original: lavfi sources, other photos, captions."""
    out = []
    lavfi = {
        "testsrc2": "testsrc2=size=640x360:rate=25",
        "mandelbrot": "mandelbrot=size=640x360:rate=25",
        "life": "life=size=640x360:rate=25:mold=10:ratio=0.3:death_color=#203040:life_color=#e0c080",
        "smpte": "smptehdbars=size=640x360:rate=25",
        "cellauto": "cellauto=size=640x360:rate=25:rule=110",
    }
    for name, source in lavfi.items():
        path = folder / f"other-{name}.mp4"
        ffmpeg("-f", "lavfi", "-i", source, "-t", "6", *x264(path))
        out.append(path)
    out.append(slideshow(folder / "other-photos-a.mp4", ["matplotlib_grace_hopper", "skimage_camera",
                                                         "skimage_brick"], size="640x360"))  # fmt: skip
    out.append(slideshow(folder / "other-photos-b.mp4", ["skimage_coins", "sklearn_flower", "skimage_horse"],
                         size="640x360"))  # fmt: skip
    captions = [("caption-news", "navy", "Weekly update - the river walk opens on Monday"),
                ("caption-recipe", "darkgreen", "Step 3 - fold the flour in gently"),
                ("caption-scroll", "teal", "Thanks for watching, see you next week")]  # fmt: skip
    for name, colour, words in captions:
        path = folder / f"other-{name}.mp4"
        draw = (f"drawtext=fontfile={FONT}:text='{words}':fontsize=28:fontcolor=white:"
                "x=(w-tw)/2+60*sin(t):y=h/2+40*cos(t/2)")  # fmt: skip
        ffmpeg(
            "-f", "lavfi", "-i", f"color=c={colour}:size=640x360:rate=25", "-t", "6", "-vf", draw, *x264(path)
        )
        out.append(path)
    return out
