"""Media the corpus builder draws and speaks: captioned pictures, espeak-ng speech, sox noise, PyAV encoding.

Everything is made here from fonts, voices and pictures already on the machine, so each file's ground truth is
exact: a caption is on screen from its first to its last frame, a sentence is heard from its first to its last
audible sample.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

RATE = 16000
FONT_FILES = {
    "DejaVu Sans Bold": ("DejaVuSans-Bold.ttf", False),
    "DejaVu Serif": ("DejaVuSerif.ttf", False),
    "DejaVu Sans Mono": ("DejaVuSansMono.ttf", False),
    "WenQuanYi Micro Hei": ("wqy-microhei.ttc", True),
}
FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), Path.home() / ".fonts")
APT_HINT = "apt-get install -y espeak-ng sox fonts-wqy-microhei fonts-dejavu-core"


class CorpusError(RuntimeError):
    """A tool or font the corpus needs is missing; the message says what to install."""


@dataclass(frozen=True)
class Font:
    name: str
    path: Path
    cjk: bool  # has Chinese glyphs


def find_fonts() -> list[Font]:
    """The corpus fonts present on this machine (fc-list first, then the usual folders)."""
    known: dict[str, Path] = {}
    if shutil.which("fc-list"):
        listing = subprocess.run(["fc-list", ":", "file"], capture_output=True, text=True).stdout
        for line in listing.splitlines():
            path = Path(line.strip().rstrip(":"))
            known.setdefault(path.name, path)
    for folder in FONT_DIRS:
        if folder.is_dir():
            for path in folder.rglob("*.tt[fc]"):
                known.setdefault(path.name, path)
    return [Font(name, known[file], cjk) for name, (file, cjk) in FONT_FILES.items() if file in known]


def require_tools() -> None:
    """Raise ``CorpusError`` unless espeak-ng and sox are on the PATH."""
    missing = [tool for tool in ("espeak-ng", "sox") if shutil.which(tool) is None]
    if missing:
        raise CorpusError(f"{', '.join(missing)} missing: {APT_HINT}")


# --------------------------------------------------------------------------------------------- sound


def _read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path)) as w:
        pcm = np.frombuffer(w.readframes(w.getnframes()), np.int16)
    return pcm.astype(np.float32) / 32768.0


def speak(text: str, *, voice: str, speed: int) -> np.ndarray:
    """``text`` said by espeak-ng, at 16 kHz mono through sox, with the silence at both ends cut off."""
    with tempfile.TemporaryDirectory(prefix="vodguard-corpus-") as tmp:
        raw, out = Path(tmp) / "raw.wav", Path(tmp) / "out.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw), text], check=True)
        subprocess.run(["sox", str(raw), "-r", str(RATE), "-c", "1", "-b", "16", str(out)], check=True)
        pcm = _read_wav(out)
    loud = np.flatnonzero(np.abs(pcm) > 0.02)
    return pcm[loud[0] : loud[-1] + 1] if len(loud) else pcm


def noise(kind: str, seconds: float, level: float, seed: int) -> np.ndarray:
    """sox's white/pink/brown noise scaled to an RMS of ``level``; silence for kind ``silence``."""
    n = int(round(seconds * RATE))
    if kind == "silence" or n == 0:
        return np.zeros(n, np.float32)
    with tempfile.TemporaryDirectory(prefix="vodguard-corpus-") as tmp:
        out = Path(tmp) / "noise.wav"
        subprocess.run(
            ["sox", "-R", "-n", "-r", str(RATE), "-c", "1", "-b", "16", str(out), "synth", f"{seconds:.3f}",
             f"{kind}noise"],
            check=True,
        )  # fmt: skip
        pcm = _read_wav(out)[:n]
    pcm = np.pad(pcm, (0, n - len(pcm)))
    # sox's -R keeps runs repeatable; the seed varies the noise between files by a cheap circular shift
    pcm = np.roll(pcm, seed * 7919 % max(n, 1))
    rms = float(np.sqrt(np.mean(pcm**2))) or 1.0
    return (pcm * (level / rms)).astype(np.float32)


def write_wav(path: Path, samples: np.ndarray) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes((np.clip(samples, -1, 1) * 32767).astype(np.int16).tobytes())


# --------------------------------------------------------------------------------------------- pictures


def backdrop(kind: str, width: int, height: int, photo: np.ndarray | None, seed: int) -> np.ndarray:
    """A picture twice as wide as the frame, which the video pans across: gradient, texture or photo."""
    rng = np.random.default_rng(seed)
    w2 = width * 2
    if kind == "photo" and photo is not None:
        return np.asarray(Image.fromarray(photo).resize((w2, height)))
    y, x = np.mgrid[0:height, 0:w2].astype(np.float32)
    if kind == "texture":
        base = rng.integers(60, 200, (height // 8 + 1, w2 // 8 + 1, 3)).astype(np.uint8)
        img = np.asarray(Image.fromarray(base).resize((w2, height), Image.Resampling.BICUBIC), np.float32)
        textured: np.ndarray = np.clip(img * 0.7 + 40, 0, 255).astype(np.uint8)
        return textured
    hue = rng.uniform(0, 2 * np.pi, 3)
    r = 120 + 70 * np.sin(2 * np.pi * x / w2 * 2 + hue[0])
    g = 120 + 60 * np.sin(2 * np.pi * y / height + hue[1])
    b = 130 + 60 * np.cos(2 * np.pi * (x + y) / (w2 + height) * 2 + hue[2])
    gradient: np.ndarray = np.clip(np.stack([r, g, b], -1), 0, 255).astype(np.uint8)
    return gradient


def frame_at(back: np.ndarray, width: int, t: float, period: float = 30.0) -> np.ndarray:
    """The frame at ``t``: a window sliding back and forth across the backdrop."""
    span = back.shape[1] - width
    phase = (t % period) / period
    x = int(span * (1 - abs(2 * phase - 1)))
    return back[:, x : x + width].copy()


@dataclass(frozen=True)
class Stamp:
    """A caption drawn once (RGBA) and placed on every frame it shows in."""

    pixels: np.ndarray  # H, W, 4
    x: int
    y: int


def caption(text: str, font: Font, size: int, where: str, style: str, width: int, height: int) -> Stamp:
    """Draw ``text`` in one of three styles (boxed, outlined, plain dark) at top/middle/bottom of the frame."""
    face = ImageFont.truetype(str(font.path), size)
    probe = ImageDraw.Draw(Image.new("RGBA", (1, 1)))
    # typed as floats (a bitmap font may give them); a TrueType face measures whole pixels
    left, top, right, bottom = (int(v) for v in probe.textbbox((0, 0), text, font=face, stroke_width=2))
    pad = max(4, size // 4)
    tw, th = right - left + 2 * pad, bottom - top + 2 * pad
    tw = min(tw, width)
    layer = Image.new("RGBA", (tw, th), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    origin = (pad - left, pad - top)
    if style == "boxed":
        draw.rectangle([0, 0, tw - 1, th - 1], fill=(0, 0, 0, 180))
        draw.text(origin, text, font=face, fill=(255, 255, 255, 255))
    elif style == "outlined":
        draw.text(
            origin, text, font=face, fill=(255, 230, 40, 255), stroke_width=2, stroke_fill=(0, 0, 0, 255)
        )
    else:
        draw.rectangle([0, 0, tw - 1, th - 1], fill=(245, 245, 240, 230))
        draw.text(origin, text, font=face, fill=(20, 20, 20, 255))
    y = {"top": int(height * 0.06), "middle": (height - th) // 2, "bottom": int(height * 0.94) - th}[where]
    x = (width - tw) // 2
    return Stamp(np.asarray(layer), x, max(0, y))


def paste(img: np.ndarray, stamp: Stamp) -> None:
    """Alpha-blend a caption onto a frame in place."""
    h = min(stamp.pixels.shape[0], img.shape[0] - stamp.y)
    w = min(stamp.pixels.shape[1], img.shape[1] - stamp.x)
    part = stamp.pixels[:h, :w]
    alpha = part[..., 3:4].astype(np.float32) / 255.0
    region = img[stamp.y : stamp.y + h, stamp.x : stamp.x + w].astype(np.float32)
    img[stamp.y : stamp.y + h, stamp.x : stamp.x + w] = (region * (1 - alpha) + part[..., :3] * alpha).astype(
        np.uint8
    )


# --------------------------------------------------------------------------------------------- encoding


def encode(
    path: Path, *, frames: Iterator[np.ndarray] | None, fps: int, size: tuple[int, int] | None,
    audio: np.ndarray | None,
) -> None:  # fmt: skip
    """Write H.264 video and/or audio (AAC in mp4/m4a, MP3 in .mp3) with PyAV; WAV goes through ``write_wav``."""
    import av

    if path.suffix == ".wav":
        assert audio is not None and frames is None
        write_wav(path, audio)
        return
    out = av.open(str(path), "w", format="ipod" if path.suffix == ".m4a" else None)
    try:
        vstream = astream = None
        if frames is not None and size is not None:
            vstream = out.add_stream(
                "libx264", rate=fps, options={"crf": "27", "preset": "veryfast", "g": str(fps * 5)}
            )
            vstream.width, vstream.height = size
            vstream.pix_fmt = "yuv420p"
        if audio is not None:
            astream = out.add_stream("libmp3lame" if path.suffix == ".mp3" else "aac", rate=RATE)
            astream.layout = "mono"
        if vstream is not None and frames is not None:
            for i, img in enumerate(frames):
                frame = av.VideoFrame.from_ndarray(img, format="rgb24")
                frame.pts, frame.time_base = i, Fraction(1, fps)
                out.mux(vstream.encode(frame))
            out.mux(vstream.encode(None))
        if astream is not None and audio is not None:
            pcm = (np.clip(audio, -1, 1) * 32767).astype(np.int16)
            resampler = av.AudioResampler(format=astream.format, layout="mono", rate=RATE)
            for i in range(0, len(pcm), 4096):
                chunk = av.AudioFrame.from_ndarray(pcm[None, i : i + 4096], format="s16", layout="mono")
                chunk.sample_rate, chunk.pts, chunk.time_base = RATE, i, Fraction(1, RATE)
                for piece in resampler.resample(chunk):
                    out.mux(astream.encode(piece))
            for piece in resampler.resample(None):
                out.mux(astream.encode(piece))
            out.mux(astream.encode(None))
    finally:
        out.close()
