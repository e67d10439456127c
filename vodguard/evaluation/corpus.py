"""``vodguard eval make-corpus DIR``: a labelled corpus with exact ground truth, from what the machine has.

The plan is seeded, so the same size gives the same files. Each file's expected segments come from
construction: a violating caption is an OCR segment from its first to its last frame, a violating sentence an
ASR segment from its first to its last audible sample, with the labels the phrase was written for. Clean
phrases, including ones that borrow risky words ("shooting star"), give no segment; a file that must pass
has none. Nothing here looks at what the moderator says.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict, Unpack

import numpy as np
from PIL import Image

from vodguard.evaluation import synth
from vodguard.evaluation.manifest import Entry, Span, write_manifest
from vodguard.evaluation.phrases import (
    CAPTIONS_BAD,
    CAPTIONS_CLEAN,
    PLACES,
    SIZES,
    SPEECH_BAD,
    SPEECH_CLEAN,
    SPEECH_ZH,
    STYLES,
    VOICES,
    Phrase,
)
from vodguard.evaluation.synth import RATE, CorpusError, Font, Stamp
from vodguard.moderation.types import SUGGESTION_RANK

ROOT = Path(__file__).resolve().parent.parent.parent


@dataclass
class Shown:
    """A caption on screen from ``start`` to ``end`` (seconds)."""

    phrase: Phrase
    start: float
    end: float
    font: Font
    size: float  # font size as a fraction of the frame height
    place: str
    style: str


@dataclass
class Said:
    """A sentence that starts at ``start`` (its end is known once spoken)."""

    phrase: Phrase
    start: float
    voice: str = "en-us"
    speed: int = 150


@dataclass
class Plan:
    """One media file to make."""

    name: str  # relative path with extension
    duration: float
    size: tuple[int, int] | None = (640, 360)  # None: audio only
    fps: int = 10
    backdrop: str = "gradient"
    captions: list[Shown] = field(default_factory=list)
    speech: list[Said] = field(default_factory=list)
    noise: tuple[str, float] = ("pink", 0.004)  # kind, RMS level; ("none", 0) for no audio track
    note: str = ""


# The optional fields of Plan, as the planner's helpers pass them on.
class PlanOptions(TypedDict, total=False):
    size: tuple[int, int] | None
    fps: int
    backdrop: str
    noise: tuple[str, float]
    note: str


def _photos() -> list[np.ndarray]:
    """Clean photos shipped by packages or the repo (scikit-learn's sample images, the test pictures)."""
    found = []
    try:
        import sklearn.datasets

        folder = Path(sklearn.datasets.__file__).parent / "images"
        found += [folder / "china.jpg", folder / "flower.jpg"]
    except ImportError:
        pass
    found += [ROOT / "tests/moderation/data/astronaut.jpg", ROOT / "tests/moderation/data/rocket.jpg"]
    return [np.asarray(Image.open(p).convert("RGB")) for p in found if p.is_file()]


# --------------------------------------------------------------------------------------------- the plan


class Planner:
    """Draws the corpus plan from a seeded generator; ``fonts`` decides which scripts can be captioned."""

    def __init__(self, fonts: list[Font], seed: int = 6) -> None:
        self.rng = random.Random(seed)
        self.latin = [f for f in fonts if not f.cjk] or [f for f in fonts if f.cjk]
        self.cjk = [f for f in fonts if f.cjk]

    def _font(self, phrase: Phrase) -> Font | None:
        if phrase.lang == "zh":
            return self.rng.choice(self.cjk) if self.cjk else None
        return self.rng.choice(self.latin) if self.latin else None

    def shown(self, phrase: Phrase, start: float, end: float) -> Shown | None:
        font = self._font(phrase)
        if font is None:
            return None
        return Shown(
            phrase,
            start,
            end,
            font,
            self.rng.choice([0.05, 0.065, 0.08, 0.1]),
            self.rng.choice(PLACES),
            self.rng.choice(STYLES),
        )

    def said(self, phrase: Phrase, start: float) -> Said:
        if phrase.lang == "zh":
            return Said(phrase, start, "cmn", self.rng.choice([130, 160]))
        voice, speed = self.rng.choice(VOICES)
        return Said(phrase, start, voice, speed)

    def captioned(self, name: str, duration: float, phrases: list[Phrase], **kw: Unpack[PlanOptions]) -> Plan:
        """Captions spread over the file, each on screen 2-10 s with gaps between them."""
        plan = Plan(name, duration, **kw)
        slot = duration / len(phrases)
        for i, phrase in enumerate(phrases):
            length = min(self.rng.uniform(2.0, 10.0), slot * 0.8)
            start = round(i * slot + self.rng.uniform(0.1, max(0.1, slot - length - 0.1)), 1)
            shown = self.shown(phrase, start, round(min(start + length, duration - 0.1), 1))
            if shown is not None:
                plan.captions.append(shown)
        return plan

    def spoken(self, name: str, duration: float, phrases: list[Phrase], **kw: Unpack[PlanOptions]) -> Plan:
        plan = Plan(name, duration, **kw)
        slot = duration / len(phrases)
        for i, phrase in enumerate(phrases):
            plan.speech.append(self.said(phrase, round(i * slot + self.rng.uniform(0.3, slot * 0.3), 1)))
        return plan


def small_plan(planner: Planner) -> list[Plan]:
    """Six short files for CI: two captioned videos, a spoken file, a clean video, (and two pictures)."""
    bad = {p.text: p for p in CAPTIONS_BAD + SPEECH_BAD}
    plans = [
        planner.captioned("video/small_ad_en.mp4", 8.0, [bad["add wechat luckyshop88 for cheap followers"]]),
        planner.spoken(
            "audio/small_abuse_en.wav", 6.0, [bad["You are a stupid idiot and a fucking loser."]], size=None
        ),  # fmt: skip
        planner.captioned("video/small_clean.mp4", 6.0, [CAPTIONS_CLEAN[1]], backdrop="texture"),
    ]
    if planner.cjk:
        plans.append(planner.captioned("video/small_abuse_zh.mp4", 6.0, [bad["你这个傻逼"]]))
    plans[2].speech.append(planner.said(SPEECH_CLEAN[4], 0.5))
    return plans


def full_plan(planner: Planner) -> list[Plan]:
    """About fifty media files, 5 s to 10 min, and the long ones mix everything."""
    rng = planner.rng
    plans: list[Plan] = []
    captions = CAPTIONS_BAD + CAPTIONS_CLEAN
    # captioned videos: one to three captions each, every violating and clean caption at least once
    order = captions[:]
    rng.shuffle(order)
    i = 0
    while i < len(order):
        take = order[i : i + rng.choice([1, 2, 3])]
        i += len(take)
        duration = float(rng.choice([5, 8, 12, 20, 30]) if len(take) == 1 else rng.choice([15, 25, 40, 60]))
        plans.append(
            planner.captioned(
                f"video/caption_{len(plans):02d}.mp4",
                duration,
                take,
                size=rng.choice(SIZES),
                backdrop=rng.choice(["gradient", "texture", "photo"]),
                noise=rng.choice([("pink", 0.003), ("none", 0.0), ("brown", 0.01)]),
            )
        )
    # speech: every sentence, alone or with a clean one, in audio files and videos, with noise of several kinds
    formats = [".wav", ".m4a", ".mp3", ".mp4"]
    for k, phrase in enumerate(SPEECH_BAD + SPEECH_CLEAN):
        pair = [phrase] if k % 2 else [rng.choice(SPEECH_CLEAN), phrase]
        ext = formats[k % len(formats)]
        kind, level = rng.choice([("pink", 0.003), ("white", 0.01), ("brown", 0.03), ("pink", 0.05)])
        plans.append(
            planner.spoken(
                f"{'video' if ext == '.mp4' else 'audio'}/speech_{len(plans):02d}{ext}",
                float(rng.choice([8, 12, 15, 25]) * len(pair)),
                pair,
                size=(480, 270) if ext == ".mp4" else None,
                noise=(kind, level),
                note=f"{kind} noise at RMS {level}",
            )
        )
    for phrase in SPEECH_ZH:
        plans.append(
            planner.spoken(f"audio/speech_zh_{len(plans):02d}.wav", 8.0, [phrase], size=None,
                           note="Mandarin speech (espeak-ng cmn)")
        )  # fmt: skip
    # silent and noisy stretches with nothing to find
    plans += [
        Plan("video/no_audio_track.mp4", 10.0, noise=("none", 0.0), note="no audio track"),
        Plan("audio/silence.wav", 8.0, size=None, noise=("silence", 0.0), note="digital silence"),
        Plan("audio/white_noise.wav", 20.0, size=None, noise=("white", 0.1), note="loud white noise"),
        Plan("video/noisy_texture.mp4", 30.0, (854, 480), backdrop="texture", noise=("brown", 0.08)),
        Plan("video/photo_pan.mp4", 45.0, (1280, 720), backdrop="photo", noise=("pink", 0.02)),
    ]
    # long files: captions and speech scattered over minutes of quiet
    for minutes, size in ((2, (640, 360)), (3, (854, 480)), (5, (640, 360)), (10, (640, 360))):
        duration = minutes * 60.0
        picked = rng.sample(captions, min(len(captions), 2 + minutes))
        plan = planner.captioned(
            f"video/long_{minutes:02d}min.mp4", duration, picked, size=size, backdrop="photo",
            noise=("pink", 0.004), fps=5,
        )  # fmt: skip
        sentences = rng.sample(SPEECH_BAD + SPEECH_CLEAN, min(6, 2 + minutes))
        slot = duration / len(sentences)
        plan.speech = [
            planner.said(s, round(j * slot + rng.uniform(1.0, slot / 2), 1)) for j, s in enumerate(sentences)
        ]
        plan.note = f"{len(picked)} captions and {len(sentences)} sentences over {minutes} min"
        plans.append(plan)
    # short clips where a caption and a sentence share the screen time, as in a talking-head upload
    for _ in range(8):
        seconds = float(rng.choice([6, 10, 15, 20]))
        shown = planner.shown(rng.choice(captions), 0.5, round(seconds - 0.5, 1))
        plan = Plan(f"video/mixed_{len(plans):02d}.mp4", seconds, rng.choice(SIZES[:3]), fps=15,
                    backdrop=rng.choice(["gradient", "photo"]), noise=("pink", 0.005))  # fmt: skip
        if shown is not None:
            plan.captions.append(shown)
        plan.speech.append(planner.said(rng.choice(SPEECH_BAD + SPEECH_CLEAN), 1.0))
        plan.note = "caption and speech at once"
        plans.append(plan)
    return plans


# --------------------------------------------------------------------------------------------- making files


def _spans(form: str, phrase: Phrase, start: float, end: float) -> list[Span]:
    return [Span(form, label, round(start, 3), round(end, 3), phrase.suggestion) for label in phrase.labels]


def _suggestion(spans: list[Span]) -> str:
    return max((s.suggestion for s in spans), key=SUGGESTION_RANK.__getitem__, default="pass")


def make_media(plan: Plan, out: Path, photos: list[np.ndarray], seed: int, *, reuse: bool = False) -> Entry:
    """Render one planned file under ``out`` and return its manifest entry.

    With ``reuse``, a file already there is kept and only its ground truth is worked out again: the plan is
    seeded, so an earlier run of the same version made the same file.
    """
    if plan.speech and plan.noise[0] == "none":
        raise ValueError(
            f"{plan.name}: a file with speech needs an audio track (noise kind 'silence' at least)"
        )
    path = out / plan.name
    path.parent.mkdir(parents=True, exist_ok=True)
    spans: list[Span] = []
    audio = None
    duration = plan.duration
    if plan.noise[0] != "none":
        voiced = []
        cursor = 0.0
        for said in plan.speech:
            pcm = synth.speak(said.phrase.text, voice=said.voice, speed=said.speed)
            start = max(said.start, cursor + 0.5)
            voiced.append((start, pcm, said))
            cursor = start + len(pcm) / RATE
        duration = max(duration, cursor + 0.5)
        audio = synth.noise(plan.noise[0], duration, plan.noise[1], seed)
        for start, pcm, said in voiced:
            at = int(round(start * RATE))
            audio[at : at + len(pcm)] += pcm
            spans += _spans("ASR", said.phrase, at / RATE, (at + len(pcm)) / RATE)
    frames = None
    if plan.size is not None:
        width, height = plan.size
        photo = photos[seed % len(photos)] if photos else None
        back = synth.backdrop(plan.backdrop, width, height, photo, seed)
        stamps = [
            (
                c,
                synth.caption(
                    c.phrase.text, c.font, max(12, int(c.size * height)), c.place, c.style, width, height
                ),
            )
            for c in plan.captions
        ]
        n = int(round(duration * plan.fps))
        for c, _ in stamps:
            # the caption is on the frames whose time t satisfies start <= t < end
            first = int(np.ceil(c.start * plan.fps - 1e-9))
            last = int(np.ceil(c.end * plan.fps - 1e-9)) - 1
            spans += _spans("OCR", c.phrase, first / plan.fps, last / plan.fps)
        frames = _frames(back, width, n, plan.fps, stamps)
    if not (reuse and path.is_file() and path.stat().st_size > 0):
        synth.encode(path, frames=frames, fps=plan.fps, size=plan.size, audio=audio)
    extra: dict[str, Any] = {"duration": round(duration, 3)}
    if plan.note:
        extra["note"] = plan.note
    texts = [c.phrase.text for c in plan.captions] + [s.phrase.text for s in plan.speech]
    if texts:
        extra["content"] = texts
    spans.sort(key=lambda s: (s.start, s.form, s.label))
    return Entry(path, _suggestion(spans), tuple(spans), extra)


def _frames(
    back: np.ndarray, width: int, n: int, fps: int, stamps: list[tuple[Shown, Stamp]]
) -> Iterator[np.ndarray]:
    for i in range(n):
        t = i / fps
        img = synth.frame_at(back, width, t)
        for c, stamp in stamps:
            if c.start <= t < c.end:
                synth.paste(img, stamp)
        yield img


def make_pictures(out: Path, planner: Planner, photos: list[np.ndarray], small: bool) -> list[Entry]:
    """Clean photos (as shipped, resized, grey) and text pictures with violating and clean captions."""
    folder = out / "image"
    folder.mkdir(parents=True, exist_ok=True)
    entries = []
    for k, photo in enumerate(photos[:1] if small else photos):
        variants = [("", photo)]
        if not small:
            pic = Image.fromarray(photo)
            variants.append(("_half", np.asarray(pic.resize((pic.width // 2, pic.height // 2)))))
            variants.append(("_grey", np.asarray(pic.convert("L").convert("RGB"))))
        for suffix, pixels in variants:
            path = folder / f"photo_{k}{suffix}.jpg"
            Image.fromarray(pixels).save(path, quality=88)
            entries.append(Entry(path, "pass", (), {"note": "clean photo"}))
    bad = [p for p in CAPTIONS_BAD if planner.cjk or p.lang == "en"]
    clean = [p for p in CAPTIONS_CLEAN if planner.cjk or p.lang == "en"]
    chosen = bad[:1] if small else planner.rng.sample(bad, 9) + planner.rng.sample(clean, 3)
    for k, phrase in enumerate(chosen):
        font = planner._font(phrase)
        if font is None:
            continue
        width, height = planner.rng.choice([(800, 450), (640, 640), (1024, 576)])
        back = synth.backdrop(planner.rng.choice(["gradient", "photo", "texture"]), width, height,
                              photos[k % len(photos)] if photos else None, k)  # fmt: skip
        img = synth.frame_at(back, width, 0.0)
        size = planner.rng.choice([0.06, 0.08, 0.1])
        synth.paste(img, synth.caption(phrase.text, font, int(size * height), planner.rng.choice(PLACES),
                                       planner.rng.choice(STYLES), width, height))  # fmt: skip
        path = folder / f"text_{k:02d}.{'png' if k % 2 else 'jpg'}"
        params: dict[str, Any] = {} if k % 2 else {"quality": 90}  # JPEG only
        Image.fromarray(img).save(path, **params)
        spans = [Span("OCR", label, suggestion=phrase.suggestion) for label in phrase.labels]
        entries.append(Entry(path, _suggestion(spans), tuple(spans), {"content": [phrase.text]}))
    return entries


def make_corpus(
    out: Path, *, size: str = "small", reuse: bool = False, log: Callable[[str], None] | None = None
) -> list[Entry]:
    """Make the corpus under ``out`` and write ``out/manifest.jsonl``; ``CorpusError`` names what is missing."""
    if size not in ("small", "full"):
        raise ValueError(f"size must be small or full, not {size!r}")
    synth.require_tools()
    fonts = synth.find_fonts()
    if not any(f.cjk for f in fonts):
        if size == "small":
            raise CorpusError(f"no CJK font (WenQuanYi Micro Hei) for the Chinese captions: {synth.APT_HINT}")
        if log:
            log("no CJK font: the Chinese captions are left out")
    if not fonts:
        raise CorpusError(f"none of the fonts {', '.join(synth.FONT_FILES)} is installed: {synth.APT_HINT}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    planner = Planner(fonts)
    photos = _photos()
    plans = small_plan(planner) if size == "small" else full_plan(planner)
    entries = []
    for k, plan in enumerate(plans):
        entries.append(make_media(plan, out, photos, seed=k, reuse=reuse))
        if log:
            log(
                f"{plan.name} ({entries[-1].extra['duration']:.0f} s, {len(entries[-1].segments)} segment(s))"
            )
    entries += make_pictures(out, planner, photos, small=size == "small")
    write_manifest(out / "manifest.jsonl", entries)
    return entries
