#!/usr/bin/env python3
"""Make the media the tests read, under tests/fixtures/ (run once by a developer; the outputs are committed).

usage: .venv/bin/python scripts/make_fixtures.py [OUT_DIR]

Needs, besides the venv (PyAV, Pillow, numpy): Debian's espeak-ng, sox, fonts-wqy-microhei and
fonts-dejavu-core (apt-get install -y espeak-ng sox fonts-wqy-microhei fonts-dejavu-core). The tests need only
the committed files.

Everything is drawn or synthesised here, so every file has an exact ground truth, written next to it as JSON
where a test needs it (text_video.json, speech.json, clean_video.json, cuts.json, text_image.json).
"""

from __future__ import annotations

import io
import json
import shutil
import struct
import subprocess
import sys
import tempfile
import wave
import zlib
from collections.abc import Callable, Iterable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "tests" / "fixtures"
LATIN_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
CJK_FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
RATE = 16000

EN_TEXT = "add wechat abc123 for free porn"
ZH_TEXT = "加微信abc123看色情视频"
CLEAN_SENTENCE = "The weather is lovely today, so we are taking the children to the park."
VIOLENT_SENTENCE = "I will kill you and bomb the building."
NEUTRAL_SENTENCE = "Welcome to our cooking show. Today we will bake a loaf of fresh bread."


# ------------------------------------------------------------------------------------------------- pictures


def background(t: float, width: int, height: int) -> np.ndarray:
    """A calm moving picture: a slowly drifting colour gradient with a soft ball crossing it."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    phase = 2 * np.pi * t / 10.0
    r = 90 + 50 * np.sin(x / width * np.pi + phase)
    g = 110 + 40 * np.sin(y / height * np.pi + phase * 0.7)
    b = 150 + 50 * np.cos((x + y) / (width + height) * np.pi - phase)
    img = np.stack([r, g, b], axis=-1)
    cx = (0.1 + 0.8 * ((t / 8.0) % 1.0)) * width
    cy = height * (0.35 + 0.15 * np.sin(phase * 2))
    ball = np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * (height / 10) ** 2))[..., None]
    img = img * (1 - 0.6 * ball) + np.array([240, 200, 80], np.float32) * 0.6 * ball
    return np.clip(img, 0, 255).astype(np.uint8)


def draw_caption(
    img: np.ndarray, text: str, font_path: str, size: int, y: int
) -> tuple[np.ndarray, list[int]]:
    """White text on a dark box at row ``y``; returns the picture and the text's box [x1, y1, x2, y2]."""
    pic = Image.fromarray(img)
    draw = ImageDraw.Draw(pic, "RGBA")
    font = ImageFont.truetype(font_path, size)
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    x = (pic.width - (right - left)) // 2 - left
    box = [x + left, y + top, x + right, y + bottom]
    draw.rectangle([box[0] - 10, box[1] - 8, box[2] + 10, box[3] + 8], fill=(0, 0, 0, 190))
    draw.text((x, y), text, font=font, fill=(255, 255, 255, 255))
    return np.asarray(pic), box


# ------------------------------------------------------------------------------------------------- encoding


def write_media(
    path: Path,
    *,
    video: Iterable[np.ndarray] | None = None,
    fps: int = 25,
    vcodec: str = "libx264",
    voptions: dict[str, str] | None = None,
    audio: np.ndarray | None = None,
    acodec: str = "aac",
    audio_rate: int = 44100,
    rotation: int = 0,
    forced_keyframes: frozenset[int] = frozenset(),
    fmt: str | None = None,
    container_options: dict[str, str] | None = None,
) -> None:
    """Encode RGB frames and/or mono float audio (at RATE) into one file with PyAV."""
    out = av.open(str(path), "w", format=fmt, options=container_options or {})
    frames = iter(video) if video is not None else None
    first = next(frames) if frames is not None else None
    vstream = astream = None
    if first is not None:
        vstream = out.add_stream(vcodec, rate=fps, options=voptions or {})
        vstream.width, vstream.height = first.shape[1], first.shape[0]
        vstream.pix_fmt = "yuv420p"
        if rotation:
            vstream.set_display_rotation(-rotation)  # the display matrix turns counter-clockwise
    if audio is not None:
        astream = out.add_stream(acodec, rate=audio_rate)
        astream.layout = "mono"
    if vstream is not None and frames is not None:
        for i, img in enumerate(_chain(first, frames)):
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts = i
            frame.time_base = Fraction(1, fps)
            if i in forced_keyframes:
                frame.pict_type = av.video.frame.PictureType.I
            out.mux(vstream.encode(frame))
        out.mux(vstream.encode(None))
    if astream is not None and audio is not None:
        pcm = (np.clip(audio, -1, 1) * 32767).astype(np.int16)
        resampler = av.AudioResampler(format=astream.format, layout="mono", rate=audio_rate)
        step = 4096
        for i in range(0, len(pcm), step):
            frame = av.AudioFrame.from_ndarray(pcm[None, i : i + step], format="s16", layout="mono")
            frame.sample_rate = RATE
            frame.pts = i
            frame.time_base = Fraction(1, RATE)
            for piece in resampler.resample(frame):
                out.mux(astream.encode(piece))
        for piece in resampler.resample(None):
            out.mux(astream.encode(piece))
        out.mux(astream.encode(None))
    out.close()


def _chain(first: np.ndarray, rest: Iterable[np.ndarray]) -> Iterable[np.ndarray]:
    yield first
    yield from rest


def clip(seconds: float, fps: int, draw: Callable[[float], np.ndarray]) -> Iterable[np.ndarray]:
    for i in range(round(seconds * fps)):
        yield draw(i / fps)


def room_tone(seconds: float, level: float = 0.002, seed: int = 7) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal(int(seconds * RATE)) * level).astype(np.float32)


def tone(seconds: float, freq: float = 440.0, level: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (level * np.sin(2 * np.pi * freq * t)).astype(np.float32)


# ------------------------------------------------------------------------------------------------- speech


def speak(text: str, tmp: Path, voice: str = "en-us", speed: int = 150) -> np.ndarray:
    """espeak-ng's voice (English by default), resampled by sox to 16 kHz mono, silence trimmed at both ends."""
    raw, out = tmp / "raw.wav", tmp / "speech.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw), text], check=True)
    subprocess.run(["sox", str(raw), "-r", str(RATE), "-c", "1", "-b", "16", str(out)], check=True)
    with wave.open(str(out)) as w:
        pcm = np.frombuffer(w.readframes(w.getnframes()), np.int16).astype(np.float32) / 32768.0
    loud = np.flatnonzero(np.abs(pcm) > 0.01)
    return pcm[loud[0] : loud[-1] + 1] if len(loud) else pcm


def write_wav(path: Path, samples: np.ndarray) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes((np.clip(samples, -1, 1) * 32767).astype(np.int16).tobytes())


# --------------------------------------------------------------------------------------------------- fixtures


def make_text_video(out: Path) -> None:
    w, h, fps, seconds = 640, 360, 25, 20.0
    shows = [
        {
            "text": EN_TEXT,
            "language": "en",
            "start": 4.0,
            "end": 8.0,
            "font": LATIN_FONT,
            "size": 30,
            "y": 250,
        },
        {
            "text": ZH_TEXT,
            "language": "zh",
            "start": 12.0,
            "end": 16.0,
            "font": CJK_FONT,
            "size": 36,
            "y": 250,
        },
    ]
    boxes: dict[str, list[int]] = {}

    def draw(t: float) -> np.ndarray:
        img = background(t, w, h)
        for s in shows:
            if s["start"] <= t < s["end"]:
                img, boxes[s["text"]] = draw_caption(img, s["text"], s["font"], s["size"], s["y"])
        return img

    write_media(
        out / "text_video.mp4",
        video=clip(seconds, fps, draw),
        fps=fps,
        voptions={"crf": "28", "preset": "veryfast", "g": "50"},
        audio=room_tone(seconds),
    )
    truth = {
        "file": "text_video.mp4",
        "width": w,
        "height": h,
        "fps": fps,
        "duration": seconds,
        "audio": "room tone only (no speech)",
        "text": [
            {
                "text": s["text"],
                "language": s["language"],
                "start": s["start"],
                "end": s["end"],
                "box": boxes[s["text"]],
                "expected_labels": ["Ad", "Porn"],
            }
            for s in shows
        ],
        "note": "seconds: the caption is on screen for start <= t < end; box is [x1, y1, x2, y2] in pixels",
    }
    (out / "text_video.json").write_text(json.dumps(truth, ensure_ascii=False, indent=2) + "\n")


def make_speech(out: Path, tmp: Path) -> None:
    clean, violent = speak(CLEAN_SENTENCE, tmp), speak(VIOLENT_SENTENCE, tmp)
    lead, gap, tail = 0.5, 2.0, 0.7
    parts = [room_tone(lead), clean, room_tone(gap, seed=8), violent, room_tone(tail, seed=9)]
    samples = np.concatenate(parts)
    write_wav(out / "speech.wav", samples)
    t1 = lead + len(clean) / RATE
    t2 = t1 + gap
    t3 = t2 + len(violent) / RATE
    truth = {
        "file": "speech.wav",
        "sample_rate": RATE,
        "duration": round(len(samples) / RATE, 3),
        "segments": [
            {"text": CLEAN_SENTENCE, "start": lead, "end": round(t1, 3), "violating": False, "labels": []},
            {
                "text": VIOLENT_SENTENCE,
                "start": round(t2, 3),
                "end": round(t3, 3),
                "violating": True,
                "labels": ["Terror", "Abuse"],
            },
        ],
        "video": "speech_video.mp4 carries the same audio under a neutral picture (320x240, 25 fps)",
    }
    (out / "speech.json").write_text(json.dumps(truth, indent=2) + "\n")
    seconds = len(samples) / RATE
    write_media(
        out / "speech_video.mp4",
        video=clip(seconds, 25, lambda t: background(t, 320, 240)),
        voptions={"crf": "30", "preset": "veryfast", "g": "50"},
        audio=samples,
    )

    sentence = speak(NEUTRAL_SENTENCE, tmp)
    seconds = 10.0
    start = 1.0
    track = room_tone(seconds, seed=3)
    track[int(start * RATE) : int(start * RATE) + len(sentence)] += sentence
    write_media(
        out / "clean_video.mp4",
        video=clip(seconds, 25, lambda t: background(t, 480, 270)),
        voptions={"crf": "30", "preset": "veryfast", "g": "50"},
        audio=track,
    )
    clean_truth = {
        "file": "clean_video.mp4",
        "duration": seconds,
        "speech": [{"text": NEUTRAL_SENTENCE, "start": start, "end": round(start + len(sentence) / RATE, 3)}],
        "expected": "pass: no violating picture, text or speech",
    }
    (out / "clean_video.json").write_text(json.dumps(clean_truth, indent=2) + "\n")


def make_babble(out: Path, tmp: Path) -> None:
    """babble.wav: espeak-ng's Mandarin voice, which spells most characters out as English letters. English
    Whisper cannot make sense of it and falls back to other decodings, which is where runs could disagree."""
    write_wav(
        out / "babble.wav",
        np.concatenate([room_tone(0.3), speak("加微信领取福利", tmp, "cmn", 130), room_tone(0.3)]),
    )


def make_videos(out: Path) -> None:
    # Video with no audio track.
    write_media(
        out / "silent.mp4", video=clip(2.0, 25, lambda t: background(t, 320, 180)), voptions={"crf": "32"}
    )

    # A phone video: the coded picture is landscape 320x180 with a red block in its top-left corner; the
    # display matrix says turn it 90 degrees clockwise: a player shows it 180x320, the red block top-right.
    def phone(t: float) -> np.ndarray:
        img = background(t, 320, 180)
        img[:40, :60] = (255, 0, 0)
        return img

    write_media(out / "rotated.mp4", video=clip(1.0, 25, phone), voptions={"crf": "32"}, rotation=90)

    # Known cuts: four scenes, each with a moving bar so that frames a second apart are not near-duplicates.
    # x264's scene detection is off and the GOP is long, so the only keyframes are frames 0 and 125 (5.0 s);
    # the cuts at 2.6 s and 7.8 s are found by the sampler's scene test, not handed over as keyframes.
    fps, seconds = 25, 10.0
    cuts = [2.6, 5.0, 7.8]
    colours = [(200, 40, 40), (40, 160, 60), (40, 60, 200), (230, 220, 60)]

    def scene(t: float) -> np.ndarray:
        k = sum(t >= c - 1e-9 for c in cuts)
        img = np.empty((144, 256, 3), np.uint8)
        img[:] = colours[k]
        x = int((t * 60) % 216)
        img[40:104, x : x + 40] = 255 - np.array(colours[k], np.uint8)
        return img

    write_media(
        out / "cuts.mp4",
        video=clip(seconds, fps, scene),
        fps=fps,
        voptions={"crf": "30", "g": "250", "x264-params": "scenecut=0:keyint-min=250"},
        forced_keyframes=frozenset({125}),
    )
    truth = {"file": "cuts.mp4", "fps": fps, "duration": seconds, "keyframes": [0.0, 5.0], "cuts": cuts}
    (out / "cuts.json").write_text(json.dumps(truth, indent=2) + "\n")

    # A still picture for 4 s with a keyframe every 0.4 s: the sampler should keep one frame.
    still = background(0.0, 256, 144)
    write_media(out / "static.mp4", video=clip(4.0, 25, lambda t: still), voptions={"crf": "30", "g": "10"})


def make_containers(out: Path) -> None:
    """One or two seconds of each container and codec pair the decode tests probe."""
    d = out / "containers"
    d.mkdir(exist_ok=True)
    pics = [background(i / 10, 160, 120) for i in range(10)]
    beep = tone(1.0)
    small = {"crf": "35", "preset": "veryfast"}
    cases: list[tuple[str, dict]] = [
        ("tiny.mp4", {"vcodec": "libx264", "voptions": small, "acodec": "aac"}),
        ("tiny.mov", {"vcodec": "libx264", "voptions": small, "acodec": "aac"}),
        ("tiny.mkv", {"vcodec": "libx264", "voptions": small, "acodec": "flac"}),
        (
            "tiny.webm",
            {
                "vcodec": "libvpx-vp9",
                "voptions": {"crf": "50", "b": "0"},
                "acodec": "libopus",
                "audio_rate": 48000,
            },
        ),
        ("tiny.ts", {"vcodec": "libx264", "voptions": small, "acodec": "aac", "fmt": "mpegts"}),
        ("tiny.flv", {"vcodec": "flv", "acodec": "libmp3lame"}),
        ("tiny.avi", {"vcodec": "mpeg4", "acodec": "libmp3lame"}),
    ]
    for name, opts in cases:
        write_media(d / name, video=pics, fps=10, audio=beep, **opts)
    audio_only = [
        ("tiny.mp3", {"acodec": "libmp3lame"}),
        ("tiny.m4a", {"acodec": "aac", "fmt": "ipod"}),
        ("tiny.ogg", {"acodec": "libopus", "audio_rate": 48000}),
        ("tiny.flac", {"acodec": "flac", "audio_rate": RATE}),
    ]
    for name, opts in audio_only:
        write_media(d / name, audio=beep, **opts)
    write_wav(d / "tiny.wav", beep)
    write_media(d / "tiny.aac", audio=beep, acodec="aac", fmt="adts")  # raw ADTS, no container around it
    # The AVI again with its software tag (INFO/ISFT) in GBK, as Chinese editing tools write it: not UTF-8.
    raw = (d / "tiny.avi").read_bytes()
    at = raw.index(b"ISFT") + 8
    size = struct.unpack("<I", raw[at - 4 : at])[0]
    tag = "视频编辑器".encode("gbk")[: size - 1].ljust(size - 1, b" ")
    (d / "gbk_tag.avi").write_bytes(raw[:at] + tag + raw[at + size - 1 :])
    # The MP3 again with cover art (an ID3v2.3 APIC frame): FFmpeg shows the picture as a video stream.
    cover = io.BytesIO()
    Image.fromarray(background(0.0, 64, 64)).save(cover, format="JPEG")
    apic = b"\0image/jpeg\0\x03\0" + cover.getvalue()
    frame = b"APIC" + struct.pack(">I", len(apic)) + b"\0\0" + apic
    size = len(frame)
    synchsafe = bytes([(size >> 21) & 0x7F, (size >> 14) & 0x7F, (size >> 7) & 0x7F, size & 0x7F])
    tag = b"ID3\x03\x00\x00" + synchsafe + frame
    (d / "cover_art.mp3").write_bytes(tag + (d / "tiny.mp3").read_bytes())


def make_images(out: Path) -> None:
    d = out / "images"
    d.mkdir(exist_ok=True)
    y, x = np.mgrid[0:480, 0:640]
    grad = np.stack([x * 255 // 639, y * 255 // 479, np.full_like(x, 128)], axis=-1).astype(np.uint8)
    Image.fromarray(grad).save(d / "gradient.jpg", quality=85)

    shapes = Image.new("RGB", (512, 384), (235, 240, 245))
    g = ImageDraw.Draw(shapes)
    g.ellipse([40, 40, 200, 200], fill=(220, 80, 60))
    g.rectangle([260, 60, 460, 180], fill=(60, 120, 200))
    g.polygon([(120, 340), (260, 220), (400, 340)], fill=(80, 170, 90))
    shapes.save(d / "shapes.png")
    shapes.save(d / "shapes.webp", quality=80)
    shapes.resize((128, 96)).save(d / "shapes.bmp")

    text = Image.new("RGB", (800, 300), (255, 255, 255))
    t = ImageDraw.Draw(text)
    en_font, zh_font = ImageFont.truetype(LATIN_FONT, 40), ImageFont.truetype(CJK_FONT, 48)
    t.text((40, 60), EN_TEXT, font=en_font, fill=(0, 0, 0))
    t.text((40, 170), ZH_TEXT, font=zh_font, fill=(0, 0, 0))
    text.save(d / "text.png")
    truth = {
        "file": "images/text.png",
        "text": [
            {"text": EN_TEXT, "language": "en", "box": list(t.textbbox((40, 60), EN_TEXT, font=en_font))},
            {"text": ZH_TEXT, "language": "zh", "box": list(t.textbbox((40, 170), ZH_TEXT, font=zh_font))},
        ],
        "expected_labels": ["Ad", "Porn"],
    }
    (d / "text_image.json").write_text(json.dumps(truth, ensure_ascii=False, indent=2) + "\n")

    frames = []
    for colour, box in [
        ((220, 60, 60), (10, 10, 60, 60)),
        ((60, 200, 60), (70, 10, 120, 60)),
        ((60, 60, 220), (40, 70, 90, 120)),
    ]:
        f = Image.new("RGB", (128, 128), (250, 250, 250))
        ImageDraw.Draw(f).rectangle(box, fill=colour)
        frames.append(f)
    frames[0].save(
        d / "animated.gif", save_all=True, append_images=frames[1:], duration=[100, 200, 300], loop=0
    )

    # A phone photo stored sideways: 320x240 pixels, EXIF orientation 6 (turn 90 degrees clockwise to show).
    photo = Image.new("RGB", (320, 240), (200, 200, 200))
    ImageDraw.Draw(photo).rectangle([0, 0, 60, 40], fill=(255, 0, 0))
    exif = Image.Exif()
    exif[0x0112] = 6
    photo.save(d / "exif_rotated.jpg", exif=exif.tobytes(), quality=90)


def make_bad(out: Path) -> None:
    d = out / "bad"
    d.mkdir(exist_ok=True)
    (d / "empty.mp4").write_bytes(b"")
    (d / "text.mp4").write_text("This is a plain text file that someone renamed to .mp4.\n" * 20)
    (d / "playlist.mp4").write_text(
        "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10.0,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n"
    )

    pics = [background(i / 25, 320, 180) for i in range(50)]
    # moov at the end (no faststart): half the file has no index at all.
    with tempfile.TemporaryDirectory() as tmp:
        full = Path(tmp) / "full.mp4"
        write_media(full, video=pics, voptions={"crf": "30"}, audio=tone(2.0))
        data = full.read_bytes()
        (d / "truncated.mp4").write_bytes(data[: len(data) // 2])
        fast = Path(tmp) / "fast.mp4"
        write_media(
            fast,
            video=pics,
            voptions={"crf": "30"},
            audio=tone(2.0),
            container_options={"movflags": "faststart"},
        )
        data = fast.read_bytes()
        (d / "truncated_faststart.mp4").write_bytes(data[: len(data) * 2 // 5])
        # An AVI whose video codec tag names no codec FFmpeg knows.
        avi = Path(tmp) / "x.avi"
        write_media(avi, video=pics[:10], fps=10, vcodec="mpeg4")
        raw = avi.read_bytes()
        for tag in (b"FMP4", b"mp4v", b"MP4V", b"DIVX", b"XVID"):
            raw = raw.replace(tag, b"QQQQ")
        (d / "unknown_codec.avi").write_bytes(raw)

        # WebM and FLV keep no per-stream duration: cut at 30 %, only the container's says data is missing.
        for name, opts in (
            ("truncated.webm", {"vcodec": "libvpx-vp9", "voptions": {"crf": "50", "b": "0"},
                                "acodec": "libopus", "audio_rate": 48000}),
            ("truncated.flv", {"vcodec": "flv", "acodec": "libmp3lame"}),
        ):  # fmt: skip
            whole = Path(tmp) / f"whole{Path(name).suffix}"
            write_media(whole, video=[background(i / 10, 160, 120) for i in range(40)], fps=10,
                        audio=tone(4.0), **opts)  # fmt: skip
            data = whole.read_bytes()
            (d / name).write_bytes(data[: len(data) * 3 // 10])

    # A Matroska file whose only stream is subtitles: a container with no audio or video.
    sub = av.open(str(d / "subtitles_only.mkv"), "w")
    s = sub.add_mux_stream("subrip")
    s.time_base = Fraction(1, 1000)
    packet = av.Packet(b"hello")
    packet.stream = s
    packet.pts = packet.dts = 0
    packet.duration = 1000
    sub.mux(packet)
    sub.close()

    # A WAV header that promises audio and holds none.
    write_wav(d / "no_samples.wav", np.zeros(0, np.float32))

    # Decompression bomb: a valid PNG header claiming 50000 x 50000 RGB pixels, with a tiny IDAT.
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", 50000, 50000, 8, 2, 0, 0, 0)
    bomb = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 1024))
        + chunk(b"IEND", b"")
    )
    (d / "bomb.png").write_bytes(bomb)

    # A video named like a photo: must be recognised by content.
    shutil.copy(out / "silent.mp4", d / "video_named.jpg")


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUT
    out.mkdir(parents=True, exist_ok=True)
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            sys.exit(
                f"{tool} is missing: apt-get install -y espeak-ng sox fonts-wqy-microhei fonts-dejavu-core"
            )
    for font in (LATIN_FONT, CJK_FONT):
        if not Path(font).exists():
            sys.exit(f"{font} is missing: apt-get install -y fonts-wqy-microhei fonts-dejavu-core")
    with tempfile.TemporaryDirectory() as tmp:
        make_text_video(out)
        make_speech(out, Path(tmp))
        make_babble(out, Path(tmp))
        make_videos(out)
        make_containers(out)
        make_images(out)
        make_bad(out)
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"wrote {out} ({total / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
