"""Small real media files made on the fly with PyAV, for API tests that need a playable upload, and a reader of
the committed WAV fixtures."""

from __future__ import annotations

import wave
from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image

from vodguard.moderation.types import AudioTrack


def read_wav(path: Path) -> AudioTrack:
    """A committed 16 kHz mono 16-bit WAV fixture as the engine's audio track."""
    with wave.open(str(path)) as wav:
        assert wav.getframerate() == 16000 and wav.getnchannels() == 1 and wav.getsampwidth() == 2
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), np.int16)
    return AudioTrack(pcm.astype(np.float32) / 32768.0)


def write_frames(path: Path, frames: Iterable[np.ndarray], *, fps: int, crf: int) -> Path:
    """An H.264 mp4 of ``frames`` (RGB arrays of one size), one every 1/``fps`` s, at constant quality ``crf``."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.pix_fmt, stream.options = "yuv420p", {"crf": str(crf)}
        for i, rgb in enumerate(frames):
            if i == 0:
                stream.height, stream.width = rgb.shape[:2]
            video = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            video.pts, video.time_base = i, Fraction(1, fps)
            for packet in stream.encode(video):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def make_video(
    path: Path, *, seconds: float = 2.0, size: tuple[int, int] = (320, 240), fps: int = 10
) -> Path:
    """An H.264 + AAC mp4 of a moving gradient with a quiet tone."""
    width, height = size
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        audio = out.add_stream("aac", rate=16000)
        audio.layout = "mono"
        x = np.linspace(0, 255, width, dtype=np.float32)
        for i in range(int(seconds * fps)):
            img = np.zeros((height, width, 3), np.uint8)
            img[..., 0] = (x + i * 8) % 256
            img[..., 1] = 96
            img[..., 2] = np.linspace(0, 255, height, dtype=np.uint8)[:, None]
            for packet in video.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(packet)
        for packet in video.encode():
            out.mux(packet)
        t = np.arange(int(seconds * 16000)) / 16000
        samples = (0.1 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
        for start in range(0, len(samples), 1024):
            chunk = samples[start : start + 1024]
            frame = av.AudioFrame.from_ndarray(chunk[None, :], format="flt", layout="mono")
            frame.sample_rate = 16000
            frame.pts = start
            frame.time_base = Fraction(1, 16000)
            for packet in audio.encode(frame):
                out.mux(packet)
        for packet in audio.encode():
            out.mux(packet)
    return path


def make_image(
    path: Path, *, size: tuple[int, int] = (400, 300), color: tuple[int, int, int] = (40, 120, 200)
) -> Path:
    Image.new("RGB", size, color).save(path)
    return path
