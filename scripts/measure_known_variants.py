"""Measure the known-content match rule on copies of videos: which variants match, and how close unrelated ones get.

    PYTHONPATH=. nice -n 10 python scripts/measure_known_variants.py [--seconds 20] [--work DIR] [--keep]

Builds with Debian's ffmpeg (drawtext needs fonts-dejavu-core) a set of varied originals (lavfi testsrc2,
mandelbrot, life and cellauto, slideshows of the photos in tests/fixtures/clean_pictures, caption cards drawn
with drawtext) and, for each, the copies an uploader makes: CRF 35, 480p, a 5 % crop on every side rescaled,
a text watermark with a logo box, the first 2 s trimmed, 15 fps, a horizontal mirror, and a combination. Then
12 unrelated videos made the same ways from other sources, photos and captions. Every file is hashed by the
engine's own sampler (``known.hash_file``), the originals go into a ``MemoryIndex``, and each other video is
matched against it with ``KnownMatcher`` at several radii. It prints, per radius, the share of each variant that
matches its original and the best score and chain of any unrelated video against any original, so the rule in
``moderation/known.py`` can be checked. Generated media stays in a temporary folder (removed unless --keep).
"""

from __future__ import annotations

import argparse
import collections
import io
import itertools
import re
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from vodguard.moderation.config import Limits
from vodguard.moderation.known import (
    BANK_CROPS,
    MIN_FRAMES,
    MIN_SHARE,
    RADIUS,
    FrameHash,
    KnownMatcher,
    MemoryIndex,
    hash_file,
    hash_frame,
)

ROOT = Path(__file__).resolve().parent.parent
PHOTOS = ROOT / "tests" / "fixtures" / "clean_pictures"
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
FPS = 25
QUERY = (1.0,)  # the engine looks up whole frames only


@dataclass(frozen=True)
class Source:
    """How to make one video: a lavfi graph, or a slideshow of photos; with an optional caption."""

    name: str
    lavfi: str = ""
    photos: tuple[str, ...] = ()
    caption: str = ""


def _photos(*names: str) -> tuple[str, ...]:
    return tuple(f"photo_{n}_full.jpg" for n in names)


ORIGINALS = [
    Source("testsrc2", lavfi="testsrc2=s={s}:r=25", caption="Original one"),
    Source("mandelbrot", lavfi="mandelbrot=s={s}:r=25:start_scale=2.5:end_scale=0.2"),
    Source("life", lavfi="life=s={s}:r=25:seed=7:ratio=0.2:mold=10:life_color=#30c0ff:death_color=#202020"),
    Source("cellauto", lavfi="cellauto=s={s}:r=25:rule=30:seed=3"),
    Source(
        "photos_a", photos=_photos("skimage_astronaut", "skimage_coffee", "sklearn_china", "skimage_chelsea")
    ),
    Source("photos_b", photos=_photos("skimage_camera", "skimage_rocket", "skimage_horse", "sklearn_flower")),
    Source(
        "photos_captioned",
        photos=_photos("matplotlib_grace_hopper", "skimage_coins", "skimage_clock_motion", "skimage_retina"),
        caption="Breaking news from the harbour",
    ),
    Source(
        "caption_card", lavfi="gradients=s={s}:r=25:seed=11:speed=0.02", caption="Subscribe for more clips"
    ),
]

UNRELATED = [
    Source("u_testsrc", lavfi="testsrc=s={s}:r=25", caption="Another test"),
    Source("u_smptehdbars", lavfi="smptehdbars=s={s}:r=25", caption="Colour bars with a moving line"),
    Source(
        "u_mandelbrot", lavfi="mandelbrot=s={s}:r=25:start_x=-0.75:start_y=0.1:start_scale=1.5:end_scale=0.05"
    ),
    Source("u_life", lavfi="life=s={s}:r=25:seed=99:ratio=0.35:life_color=#ffcc00:death_color=#000040"),
    Source("u_cellauto", lavfi="cellauto=s={s}:r=25:rule=110:seed=5"),
    Source("u_sierpinski", lavfi="sierpinski=s={s}:r=25:seed=4"),
    Source("u_gradients", lavfi="gradients=s={s}:r=25:seed=42:speed=0.03"),
    Source("u_photos_c", photos=_photos("skimage_brick", "skimage_grass", "skimage_gravel", "skimage_text")),
    Source(
        "u_photos_d",
        photos=_photos("skimage_hubble_deep_field", "skimage_ihc", "skimage_cell", "skimage_microaneurysms"),
    ),
    Source(
        "u_drawn",
        photos=("chart_02.jpg", "fireworks_04.jpg", "ui_screen_05.jpg", "kitchen_knife_03.jpg"),
    ),
    Source(
        "u_caption_card",
        lavfi="gradients=s={s}:r=25:seed=5:speed=0.03",
        caption="Completely different words here",
    ),
    Source(
        "u_drawn_captioned",
        photos=("rocket_01.jpg", "toy_gun_02.jpg", "chart_07.jpg"),
        caption="Weather for the weekend",
    ),
]

# name -> (ffmpeg -ss seconds, video filter, x264 CRF)
VARIANTS: dict[str, tuple[float, str, int]] = {
    "CRF 35": (0.0, "null", 35),
    "480p": (0.0, "scale=-2:480", 23),
    "crop 2.5 % a side": (0.0, "crop=iw*0.95:ih*0.95,scale={w}:{h}", 23),
    "crop 5 % a side": (0.0, "crop=iw*0.9:ih*0.9,scale={w}:{h}", 23),
    "text watermark + logo": (0.0, "{watermark}", 23),
    "first 2 s trimmed": (2.0, "null", 23),
    "15 fps": (0.0, "fps=15", 23),
    "mirrored": (0.0, "hflip", 23),
    "480p + CRF 30 + watermark + 1 s trim + 15 fps": (1.0, "{watermark},scale=-2:480,fps=15", 30),
}
WATERMARK = (
    "drawbox=x=iw*0.03:y=ih*0.04:w=iw*0.08:h=ih*0.08:color=red@0.8:t=fill,"
    f"drawtext=fontfile={FONT}:text='@reuploader 2026':fontsize=h/14:fontcolor=white@0.7:"
    "x=w-tw-w*0.04:y=h-th-h*0.05:borderw=2:bordercolor=black@0.5"
)


def _ffmpeg(args: list[str]) -> None:
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


def _caption(text: str) -> str:
    return (
        f"drawtext=fontfile={FONT}:text='{text}':fontsize=h/12:fontcolor=white:box=1:boxcolor=black@0.6:"
        "boxborderw=12:x=(w-tw)/2:y=h*0.75"
    )


def make_source(source: Source, out: Path, seconds: float, size: tuple[int, int]) -> Path:
    """Encode ``source`` as an H.264 mp4 of ``seconds`` at ``size``."""
    w, h = size
    caption = f",{_caption(source.caption)}" if source.caption else ""
    encode = [
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-crf",
        "23",
        "-pix_fmt",
        "yuv420p",
        "-t",
        str(seconds),
    ]
    if source.lavfi:
        graph = source.lavfi.format(s=f"{w}x{h}") + f",scale={w}:{h},format=yuv420p{caption}"
        _ffmpeg(["-f", "lavfi", "-i", graph, *encode, str(out)])
        return out
    per = seconds / len(source.photos)
    frames = round(per * FPS)
    inputs: list[str] = []
    parts = []
    for i, photo in enumerate(source.photos):
        inputs += ["-i", str(PHOTOS / photo)]
        # each photo zooms in slowly towards a corner of its own, like a slideshow's Ken Burns move
        x = ["0", "iw-iw/zoom", "iw/2-iw/zoom/2", "0"][i % 4]
        y = ["0", "ih/2-ih/zoom/2", "ih-ih/zoom", "ih-ih/zoom"][i % 4]
        parts.append(
            f"[{i}:v]scale={w * 2}:{h * 2}:force_original_aspect_ratio=increase,crop={w * 2}:{h * 2},"
            f"zoompan=z='1+0.0015*on':x='{x}':y='{y}':d={frames}:s={w}x{h}:fps={FPS},setsar=1[p{i}]"
        )
    joined = "".join(f"[p{i}]" for i in range(len(source.photos)))
    graph = ";".join(parts) + f";{joined}concat=n={len(source.photos)}:v=1:a=0,format=yuv420p{caption}[v]"
    _ffmpeg([*inputs, "-filter_complex", graph, "-map", "[v]", *encode, str(out)])
    return out


def make_variant(original: Path, name: str, out: Path, size: tuple[int, int]) -> Path:
    start, vf, crf = VARIANTS[name]
    vf = vf.format(w=size[0], h=size[1], watermark=WATERMARK)
    trim = ["-ss", str(start)] if start else []
    _ffmpeg(
        [
            *trim,
            "-i",
            str(original),
            "-vf",
            vf,
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-crf",
            str(crf),
            "-pix_fmt",
            "yuv420p",
            str(out),
        ]  # fmt: skip
    )
    return out


@dataclass
class Scored:
    """A query video's best chain against one original, at one radius."""

    entry: str
    chain: int
    score: float
    matched: bool


def score(bank: MemoryIndex, hashes: list[FrameHash], radius: int) -> Scored:
    matcher = KnownMatcher(bank, radius=radius)
    matcher.add_hashes(hashes)
    best = matcher.best()
    match = matcher.match()
    if best is None:
        return Scored("", 0, 0.0, False)
    return Scored(best.entry_id, len(best.frames), best.score, match is not None)


def nearest(bank_hashes: list[FrameHash], hashes: list[FrameHash]) -> int:
    """The smallest distance from any frame of ``hashes`` (straight or mirrored) to any bank frame."""
    bank = [h.straight for h in bank_hashes]
    return min(
        ((q ^ b).bit_count() for h in hashes for q in (h.straight, h.flipped) for b in bank), default=64
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each original (default 20)")
    parser.add_argument("--size", default="960x540", help="frame size of the originals (default 960x540)")
    parser.add_argument("--radii", default="6,8,10,12,14", help="radii to score at (default 6,8,10,12,14)")
    parser.add_argument(
        "--work", type=Path, default=None, help="folder for the media (default: a temporary one)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the generated media")
    parser.add_argument("--pictures-only", action="store_true", help="only the pictures' figures (no ffmpeg)")
    args = parser.parse_args(argv)
    if args.pictures_only:
        pictures()
        return 0
    w, h = (int(v) for v in args.size.split("x"))
    radii = [int(r) for r in args.radii.split(",")]
    limits = Limits()
    temp = None
    if args.work is None:
        temp = tempfile.TemporaryDirectory(prefix="vodguard-known-")
        args.work = Path(temp.name)
    args.work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    try:
        originals: dict[str, list[FrameHash]] = {}
        whole: dict[str, list[FrameHash]] = {}
        copies: dict[tuple[str, str], list[FrameHash]] = {}
        unrelated: dict[str, list[FrameHash]] = {}
        for source in ORIGINALS:
            path = make_source(source, args.work / f"{source.name}.mp4", args.seconds, (w, h))
            originals[source.name] = hash_file(path, limits)  # what a bank keeps
            whole[source.name] = hash_file(path, limits, crops=(1.0,))
            for i, variant in enumerate(VARIANTS):
                copy = make_variant(path, variant, args.work / f"{source.name}.v{i}.mp4", (w, h))
                copies[(source.name, variant)] = hash_file(copy, limits, crops=QUERY)
            print(
                f"made {source.name} and its copies ({len(originals[source.name])} frames hashed)", flush=True
            )
        for source in UNRELATED:
            path = make_source(source, args.work / f"{source.name}.mp4", args.seconds, (w, h))
            unrelated[source.name] = hash_file(path, limits, crops=QUERY)
        print(f"made {len(UNRELATED)} unrelated videos ({time.perf_counter() - started:.0f} s)\n", flush=True)

        print(
            f"rule: radius {RADIUS}, a chain of >= {MIN_FRAMES} frames in order covering >= {MIN_SHARE:.0%}"
        )
        for title, banked in (
            ("whole frames only", whole),
            (f"whole frames + centre {BANK_CROPS[1]:.0%}", originals),
        ):
            print(f"\n### bank of {title}\n")
            table(banked, whole, copies, unrelated, radii)
        print("\nnearest frame distance (bits) of each unrelated video to any original's frame:")
        for name, hashes in unrelated.items():
            print(f"  {name}: {min(nearest(o, hashes) for o in originals.values())}")
        pictures()
        print(f"\n({time.perf_counter() - started:.0f} s in all)")
    finally:
        if temp is not None and not args.keep:
            temp.cleanup()
    return 0


def _edited_pictures() -> dict[str, object]:
    font = ImageFont.truetype(FONT, 28)

    def jpeg(a: np.ndarray) -> np.ndarray:
        buf = io.BytesIO()
        Image.fromarray(a).save(buf, format="JPEG", quality=30)
        return np.asarray(Image.open(buf).convert("RGB"))

    def watermark(a: np.ndarray) -> np.ndarray:
        pic = Image.fromarray(a).convert("RGBA")
        layer = Image.new("RGBA", pic.size)
        draw = ImageDraw.Draw(layer)
        w, h = pic.size
        draw.rectangle((w * 0.03, h * 0.04, w * 0.11, h * 0.12), fill=(220, 30, 30, 210))
        draw.text(
            (w * 0.55, h * 0.86),
            "@reuploader 2026",
            fill=(255, 255, 255, 180),
            font=font.font_variant(size=max(12, h // 14)),
        )
        return np.asarray(Image.alpha_composite(pic, layer).convert("RGB"))

    def crop(share: float) -> object:
        def edit(a: np.ndarray) -> np.ndarray:
            h, w = a.shape[:2]
            dy, dx = round(h * share), round(w * share)
            return np.asarray(Image.fromarray(a[dy : h - dy, dx : w - dx]).resize((w, h)))

        return edit

    return {
        "JPEG quality 30": jpeg,
        "half size": lambda a: np.asarray(Image.fromarray(a).resize((a.shape[1] // 2, a.shape[0] // 2))),
        "crop 2.5 % a side": crop(0.025),
        "crop 5 % a side": crop(0.05),
        "text watermark + logo": watermark,
        "mirrored": lambda a: np.ascontiguousarray(a[:, ::-1]),
    }


def pictures() -> None:
    """Pictures match on one frame: edited copies of the clean pictures, and pairs of unrelated ones."""
    limits = Limits()
    bases = [*sorted(PHOTOS.glob("photo_*_full.jpg")), *sorted(PHOTOS.glob("bench_frame*.jpg"))]
    bases += sorted(PHOTOS.glob("chart_0[0-5].jpg")) + sorted(PHOTOS.glob("ui_screen_0[0-5].jpg"))
    print(f"\n### pictures: {len(bases)} originals, distance of each edited copy to the bank (bits)\n")
    print(f"| edit | within {RADIUS} bits | distances |")
    print("|---|---|---|")
    for name, edit in _edited_pictures().items():
        found = []
        for path in bases:
            banked = hash_file(path, limits)
            straight, flipped = hash_frame(edit(np.asarray(Image.open(path).convert("RGB"))))  # type: ignore[operator]
            found.append(min((q ^ b.straight).bit_count() for q in (straight, flipped) for b in banked))
        print(f"| {name} | {sum(d <= RADIUS for d in found)}/{len(found)} | {sorted(found)} |")
    items = []
    for path in sorted(PHOTOS.glob("*.jpg")):
        hashes = hash_file(path, limits)
        if hashes:  # a flat picture is neither banked nor looked up
            family = re.sub(
                r"_(full|half|small|grey|crop|grey_crop)(_\w+)?$|_t?[\d.]+$|_\d+_\w+$", "", path.stem
            )
            items.append((path.name, family, hashes))
    near = []
    pairs = 0
    for (a, fa, ha), (b, fb, hb) in itertools.combinations(items, 2):
        if fa == fb:
            continue
        pairs += 1
        d = min(
            min((q ^ x.straight).bit_count() for q in (ha[0].straight, ha[0].flipped) for x in hb),
            min((q ^ x.straight).bit_count() for q in (hb[0].straight, hb[0].flipped) for x in ha),
        )
        if d <= RADIUS:
            near.append((d, a, b))
    print(
        f"\n{len(items)} informative clean pictures; {pairs} pairs from different families; within {RADIUS} bits:"
    )
    for (fa, fb), n in collections.Counter(
        (a.rsplit("_", 1)[0], b.rsplit("_", 1)[0]) for _, a, b in near
    ).most_common():
        print(f"  {n} x {fa} ~ {fb}")


def _bank(originals: dict[str, list[FrameHash]], left_out: str = "") -> MemoryIndex:
    bank = MemoryIndex()
    for name, hashes in originals.items():
        if name != left_out:
            bank.add(name, hashes)
    return bank


def table(
    originals: dict[str, list[FrameHash]],
    plain: dict[str, list[FrameHash]],
    copies: dict[tuple[str, str], list[FrameHash]],
    unrelated: dict[str, list[FrameHash]],
    radii: list[int],
) -> None:
    """The Markdown table: per variant and radius, how many copies match their original (banked as
    ``originals``); then the unrelated videos, and each original (hashed as a query, ``plain``) against the rest."""
    bank = _bank(originals)
    print("| variant | " + " | ".join(f"r = {r}: matched (median score)" for r in radii) + " |")
    print("|---|" + "---|" * len(radii))
    misses: dict[str, list[str]] = {}
    for variant in VARIANTS:
        cells = []
        for r in radii:
            results = [(name, score(bank, copies[(name, variant)], r)) for name in originals]
            right = [s for name, s in results if s.matched and s.entry == name]
            median = statistics.median(s.score if s.entry == name else 0.0 for name, s in results)
            cells.append(f"{len(right)}/{len(results)} ({median:.2f})")
            if r == RADIUS:
                misses[variant] = [
                    f"{n} ({s.chain}, {s.score:.2f})" for n, s in results if not (s.matched and s.entry == n)
                ]
        print(f"| {variant} | " + " | ".join(cells) + " |")
    cells = []
    matched_unrelated = []
    for r in radii:
        scored = {name: score(bank, hashes, r) for name, hashes in unrelated.items()}
        worst = max(scored.values(), key=lambda s: (s.score, s.chain))
        cells.append(
            f"{sum(s.matched for s in scored.values())}/{len(scored)} (worst {worst.score:.2f}, chain {worst.chain})"
        )
        if r == RADIUS:
            matched_unrelated = [
                f"{n} ~ {s.entry} ({s.chain}, {s.score:.2f})" for n, s in scored.items() if s.chain
            ]
    print(f"| {len(unrelated)} unrelated vs the {len(originals)} originals | " + " | ".join(cells) + " |")
    cells = []
    for r in radii:
        pairs = [score(_bank(originals, name), plain[name], r) for name in originals]
        cells.append(
            f"{sum(p.matched for p in pairs)}/{len(pairs)} (worst {max(p.score for p in pairs):.2f}, "
            f"chain {max(p.chain for p in pairs)})"
        )
    print(f"| each original vs the other {len(originals) - 1} | " + " | ".join(cells) + " |")
    print(f"\nat r = {RADIUS}, copies that did not match (chain, score):")
    for variant, missed in misses.items():
        if missed:
            print(f"  {variant}: {', '.join(missed)}")
    print(
        f"at r = {RADIUS}, unrelated videos with any chain (entry, chain, score): {', '.join(matched_unrelated) or 'none'}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
