"""Write tests/fixtures/clean_pictures/: pictures with nothing to report, to count false alarms (issue 15, item 5).

Photos come from package data with a per-image licence note (scikit-image, scikit-learn, matplotlib); the rest is
drawn here with Pillow, numpy and matplotlib, plus frames of the benchmark video (../shared/bench). Every random
choice comes from a fixed seed, so a rerun with the same package versions writes the same files.

Needs, at generation time only: ``pip install '.[pictures]'`` (scikit-image and matplotlib, for their data), and
Debian's ffmpeg, espeak-ng, sox and fonts-dejavu-core for the benchmark video. Usage:

    python scripts/make_clean_pictures.py [--out tests/fixtures/clean_pictures] [--bench ../shared/bench]
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from importlib.metadata import version
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

ROOT = Path(__file__).resolve().parents[1]
MAX_SIDE = 640
QUALITY = 85
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
FONT_BOLD = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")

# (package, path inside it, licence as the package's own notes give it)
PHOTOS: list[tuple[str, str, str]] = [
    ("skimage", "data/astronaut.png", "public domain (NASA; skimage.data.astronaut docstring)"),
    ("skimage", "data/brick.png", "CC0 (CC0Textures; skimage.data.brick)"),
    ("skimage", "data/camera.png", "CC0 (Lav Varshney; skimage.data.camera)"),
    ("skimage", "data/cell.png", "CC0 (skimage.data.cell)"),
    ("skimage", "data/chelsea.png", "CC0 (Stefan van der Walt; skimage.data.chelsea)"),
    ("skimage", "data/clock_motion.png", "public domain (Stefan van der Walt; skimage.data.clock)"),
    ("skimage", "data/coffee.png", "CC0 (Rachel Michetti; skimage.data.coffee)"),
    ("skimage", "data/coins.png", "no known copyright restrictions (Brooklyn Museum; skimage.data.coins)"),
    ("skimage", "data/grass.png", "CC0 (skimage.data.grass)"),
    ("skimage", "data/gravel.png", "CC0 (CC0Textures; skimage.data.gravel)"),
    ("skimage", "data/horse.png", "CC0 (Andreas Preuss, openclipart; skimage.data.horse)"),
    ("skimage", "data/hubble_deep_field.jpg", "public domain (NASA; skimage.data.hubble_deep_field)"),
    ("skimage", "data/ihc.png", "no known copyright restrictions (CMMI; skimage.data.immunohistochemistry)"),
    ("skimage", "data/microaneurysms.png", "CC0 (Andreas Maier; skimage.data.microaneurysms)"),
    ("skimage", "data/retina.jpg", "CC0 (Wikimedia Commons; skimage.data.retina)"),
    ("skimage", "data/rocket.jpg", "public domain (SpaceX; skimage.data.rocket)"),
    ("skimage", "data/text.png", "public domain (Wikipedia; skimage.data.text)"),
    (
        "sklearn",
        "datasets/images/china.jpg",
        "CC BY 2.0 (danielbuechele; sklearn/datasets/images/README.txt)",
    ),
    ("sklearn", "datasets/images/flower.jpg", "CC BY 2.0 (vultilion; sklearn/datasets/images/README.txt)"),
    (
        "matplotlib",
        "mpl-data/sample_data/grace_hopper.jpg",
        "public domain (US Navy photograph); shipped in matplotlib's sample data under its PSF-style licence",
    ),
]

# Fitzpatrick-like skin tones, light to dark, and lips/shadow companions for two-tone gradients.
SKIN = [(255, 224, 196), (241, 194, 167), (224, 172, 140), (198, 134, 98), (161, 102, 70), (125, 80, 55),
        (92, 58, 40), (238, 206, 179)]  # fmt: skip


class Writer:
    """Saves pictures as numbered-by-kind JPEGs and remembers where each came from, for SOURCES.md."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.rows: list[tuple[str, str, str]] = []  # (file, origin, licence)

    def save(self, name: str, img: Image.Image, origin: str, licence: str) -> None:
        img = img.convert("RGB") if img.mode not in ("RGB", "L") else img
        if max(img.size) > MAX_SIDE:
            scale = MAX_SIDE / max(img.size)
            img = img.resize((round(img.width * scale), round(img.height * scale)), Image.Resampling.LANCZOS)
        img.save(self.out / f"{name}.jpg", "JPEG", quality=QUALITY, optimize=True)
        self.rows.append((f"{name}.jpg", origin, licence))


def package_file(package: str, rel: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        sys.exit(f"{package} is not installed: pip install '.[pictures]' (see this script's docstring)")
    return Path(spec.origin).parent / rel


# --- photos and their variants -----------------------------------------------------------------------------


def crop(img: Image.Image, fx: float, fy: float, frac: float) -> Image.Image:
    """A ``frac``-sized window whose top-left corner sits at (fx, fy) of the free space."""
    w, h = round(img.width * frac), round(img.height * frac)
    x, y = round((img.width - w) * fx), round((img.height - h) * fy)
    return img.crop((x, y, x + w, y + h))


def photos(w: Writer) -> None:
    for package, rel, licence in PHOTOS:
        src = package_file(package, rel)
        img = Image.open(src)
        grey_source = (
            img.mode in ("L", "1", "I", "I;16") or img.mode == "P" and len(set(img.getcolors() or [])) < 3
        )
        img = img.convert("RGB")
        stem = f"photo_{package}_{src.stem}"
        origin = f"`{package}/{rel}`"
        variants: dict[str, Image.Image] = {
            "full": img,
            "half": img.resize((img.width // 2, img.height // 2), Image.Resampling.LANCZOS),
            "small": img.resize((max(1, img.width // 4), max(1, img.height // 4)), Image.Resampling.LANCZOS),
            "crop_center": crop(img, 0.5, 0.5, 0.6),
            "crop_topleft": crop(img, 0.0, 0.0, 0.5),
            "crop_bottomright": crop(img, 1.0, 1.0, 0.5),
        }
        if grey_source:
            variants["crop_topright"] = crop(img, 1.0, 0.0, 0.5)
            variants["crop_bottomleft"] = crop(img, 0.0, 1.0, 0.5)
        else:
            variants["grey"] = img.convert("L")
            variants["grey_crop_center"] = crop(img, 0.5, 0.5, 0.6).convert("L")
        for kind, pic in variants.items():
            w.save(f"{stem}_{kind}", pic, f"{origin} ({kind.replace('_', ' ')})", licence)


# --- rendered pictures -------------------------------------------------------------------------------------

DRAWN = "drawn by this script; Apache-2.0 like the project"


def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_BOLD if bold else FONT), size)


def ui_screens(w: Writer, rng: np.random.Generator) -> None:
    words = ("Home Settings Profile Messages Search Help About Account Privacy Notifications Language Display "
             "Storage Network Backup Updates Calendar Contacts Photos Music Weather Notes Reminders Files").split()  # fmt: skip
    buttons = ["OK", "Cancel", "Save", "Sign in", "Next", "Back", "Apply", "Close", "Continue", "Send"]
    for i in range(28):
        dark = i % 3 == 2
        bg, fg = ((32, 33, 36), (232, 234, 237)) if dark else ((250, 250, 250), (32, 33, 36))
        accent = tuple(int(v) for v in rng.integers(30, 220, 3))
        size = (640, 400) if i % 2 == 0 else (360, 640)
        img = Image.new("RGB", size, bg)
        d = ImageDraw.Draw(img)
        d.rectangle((0, 0, size[0], 48), fill=accent)
        d.text((16, 12), str(rng.choice(words)), font=font(22, bold=True), fill=(255, 255, 255))
        y = 64
        while y < size[1] - 90:
            kind = rng.integers(0, 3)
            if kind == 0:  # a list row with an icon
                d.ellipse((16, y, 48, y + 32), fill=accent)
                d.text((60, y + 6), str(rng.choice(words)), font=font(18), fill=fg)
                d.line((16, y + 42, size[0] - 16, y + 42), fill=(128, 128, 128))
                y += 52
            elif kind == 1:  # a text field with its label
                d.text((16, y), str(rng.choice(words)) + ":", font=font(15), fill=fg)
                d.rectangle((16, y + 22, size[0] - 16, y + 54), outline=(150, 150, 150), width=2)
                y += 68
            else:  # a paragraph of grey lines
                for _ in range(int(rng.integers(2, 5))):
                    d.rectangle(
                        (16, y, int(rng.integers(size[0] // 2, size[0] - 16)), y + 8), fill=(170, 170, 170)
                    )
                    y += 16
                y += 10
        for k, label in enumerate(rng.choice(buttons, size=2, replace=False)):
            x0 = size[0] - 16 - (k + 1) * 130
            d.rounded_rectangle((x0, size[1] - 64, x0 + 118, size[1] - 24), radius=8, fill=accent)
            d.text((x0 + 14, size[1] - 56), str(label), font=font(18), fill=(255, 255, 255))
        w.save(f"ui_screen_{i:02d}", img, "UI screen (layout, text, buttons)", DRAWN)


def charts(w: Writer, rng: np.random.Generator) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with tempfile.TemporaryDirectory() as tmp:
        for i in range(12):
            fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=100)
            x = np.arange(12)
            kind = i % 4
            if kind == 0:
                ax.plot(x, np.cumsum(rng.normal(size=12)), marker="o")
            elif kind == 1:
                ax.bar(x, rng.integers(1, 20, 12))
            elif kind == 2:
                ax.pie(rng.integers(1, 10, 5), labels=list("ABCDE"))
            else:
                ax.imshow(rng.random((10, 14)), cmap="viridis")
            ax.set_title(f"Quarterly figures {i + 1}")
            path = Path(tmp) / "chart.png"
            fig.savefig(path)
            plt.close(fig)
            w.save(f"chart_{i:02d}", Image.open(path), "chart drawn with matplotlib", DRAWN)


def gradient(
    size: tuple[int, int], a: tuple[int, ...], b: tuple[int, ...], angle: float, radial: bool
) -> Image.Image:
    wd, ht = size
    yy, xx = np.mgrid[0:ht, 0:wd].astype(np.float32)
    if radial:
        t = np.hypot(xx - wd / 2, yy - ht / 2) / math.hypot(wd / 2, ht / 2)
    else:
        t = xx / wd * math.cos(angle) + yy / ht * math.sin(angle)
        t = (t - t.min()) / max(float(t.max() - t.min()), 1e-6)
    t = np.clip(t, 0, 1)[..., None]
    arr = np.asarray(a, np.float32) * (1 - t) + np.asarray(b, np.float32) * t
    return Image.fromarray(arr.round().astype(np.uint8))


def gradients(w: Writer, rng: np.random.Generator) -> None:
    pastels = [(255, 209, 220), (255, 229, 204), (230, 230, 250), (204, 229, 255), (255, 240, 245),
               (250, 218, 221)]  # fmt: skip
    for i in range(26):
        if i < 8:  # soft pastel backgrounds, the kind once read as Porn Breast
            a, b = pastels[i % len(pastels)], pastels[(i + 2) % len(pastels)]
        else:
            a, b = (tuple(int(v) for v in rng.integers(0, 256, 3)) for _ in range(2))
        size = (640, 360) if i % 3 else (480, 480)
        img = gradient(size, a, b, float(rng.uniform(0, math.pi)), radial=i % 4 == 3)
        w.save(f"gradient_{i:02d}", img, "colour gradient (linear or radial)", DRAWN)


def noise(w: Writer, rng: np.random.Generator) -> None:
    for i in range(12):
        size = (320, 240)
        if i % 4 == 0:
            arr = rng.integers(0, 256, (size[1], size[0], 3))
        elif i % 4 == 1:
            arr = np.clip(rng.normal(128, 40, (size[1], size[0], 1)), 0, 255).repeat(3, axis=2)
        elif i % 4 == 2:  # smooth blotches: coarse noise scaled up
            coarse = Image.fromarray(rng.integers(0, 256, (6, 8, 3)).astype(np.uint8))
            arr = np.asarray(coarse.resize(size, Image.Resampling.BICUBIC))
        else:  # film grain on a mid tone
            arr = np.clip(rng.normal(0, 12, (size[1], size[0], 3)) + rng.integers(60, 200, 3), 0, 255)
        w.save(f"noise_{i:02d}", Image.fromarray(np.asarray(arr, np.uint8)), "noise", DRAWN)


def skin_flats(w: Writer, rng: np.random.Generator) -> None:
    for i, tone in enumerate(SKIN):
        darker = tuple(max(0, c - 45) for c in tone)
        other = SKIN[(i + 3) % len(SKIN)]
        w.save(f"skin_{i}_plain", Image.new("RGB", (480, 360), tone), "skin-tone flat", DRAWN)
        linear, radial = (
            gradient((480, 360), tone, darker, 1.2, False),
            gradient((480, 480), tone, darker, 0, True),
        )
        w.save(f"skin_{i}_soft_linear", linear, "skin tone, soft gradient", DRAWN)
        w.save(f"skin_{i}_soft_radial", radial, "skin tone, radial gradient", DRAWN)
        w.save(f"skin_{i}_two_tones", gradient((640, 360), tone, other, 0.4, False), "two skin tones", DRAWN)
        # a soft round blob on a paler field: the shape that looks most like a body part to a detector
        field = gradient((480, 360), tuple(min(255, c + 20) for c in tone), tone, 1.5, False)
        blob = Image.new("L", field.size, 0)
        cx, cy, r = int(rng.integers(150, 330)), int(rng.integers(120, 240)), int(rng.integers(60, 110))
        ImageDraw.Draw(blob).ellipse((cx - r, cy - r, cx + r, cy + r), fill=255)
        field.paste(Image.new("RGB", field.size, darker), mask=blob.filter(ImageFilter.GaussianBlur(40)))
        w.save(f"skin_{i}_soft_blob", field, "skin tone, blurred round shade", DRAWN)


def sky(size: tuple[int, int], night: bool = False) -> Image.Image:
    top, bottom = ((5, 5, 30), (30, 30, 70)) if night else ((70, 130, 210), (190, 220, 250))
    return gradient(size, top, bottom, math.pi / 2, False)


def rockets(w: Writer, rng: np.random.Generator) -> None:
    for i in range(10):
        img = sky((480, 640), night=i % 3 == 0)
        d = ImageDraw.Draw(img)
        cx, base, hgt = int(rng.integers(180, 300)), 560, int(rng.integers(300, 440))
        half = int(rng.integers(22, 40))
        body = tuple(int(v) for v in rng.integers(180, 256, 3))
        d.rectangle((0, base, 480, 640), fill=(90, 90, 90))  # the pad
        d.rectangle((cx + half + 10, base - hgt - 20, cx + half + 30, base), fill=(120, 40, 40))  # tower
        d.rectangle((cx - half, base - hgt, cx + half, base), fill=body)
        d.polygon(
            [(cx - half, base - hgt), (cx + half, base - hgt), (cx, base - hgt - 3 * half)],
            fill=(200, 30, 30),
        )
        for s in (-1, 1):
            d.polygon(
                [(cx + s * half, base - 80), (cx + s * (half + 30), base), (cx + s * half, base)],
                fill=(60, 60, 60),
            )
        if i % 2:  # lift-off: flame and smoke
            d.polygon([(cx - half + 6, base), (cx + half - 6, base), (cx, base + 70)], fill=(255, 160, 20))
            for _ in range(12):
                x, r = int(rng.integers(cx - 160, cx + 160)), int(rng.integers(20, 50))
                d.ellipse((x - r, base + 10 - r, x + r, base + 10 + r), fill=(225, 225, 225))
        w.save(f"rocket_{i:02d}", img, "rocket on its pad (PIL primitives)", DRAWN)


def fireworks(w: Writer, rng: np.random.Generator) -> None:
    for i in range(10):
        img = sky((640, 480), night=True)
        d = ImageDraw.Draw(img)
        d.rectangle((0, 420, 640, 480), fill=(15, 15, 15))  # skyline
        for _ in range(int(rng.integers(2, 5))):
            cx, cy, r = int(rng.integers(80, 560)), int(rng.integers(60, 300)), int(rng.integers(40, 110))
            colour = tuple(int(v) for v in rng.integers(120, 256, 3))
            for k in range(36):
                a = 2 * math.pi * k / 36
                d.line((cx, cy, cx + r * math.cos(a), cy + r * math.sin(a)), fill=colour, width=2)
                d.ellipse((cx + r * math.cos(a) - 3, cy + r * math.sin(a) - 3, cx + r * math.cos(a) + 3,
                           cy + r * math.sin(a) + 3), fill=(255, 255, 200))  # fmt: skip
        w.save(
            f"fireworks_{i:02d}", img.filter(ImageFilter.GaussianBlur(1)), "fireworks (PIL primitives)", DRAWN
        )


def knives(w: Writer, rng: np.random.Generator) -> None:
    for i in range(10):
        img = Image.new("RGB", (640, 400), (200, 160, 110) if i % 2 else (235, 235, 230))  # board or counter
        d = ImageDraw.Draw(img)
        if i % 2:
            for y in range(0, 400, 23):
                d.line((0, y, 640, y + 8), fill=(180, 140, 95), width=2)  # wood grain
        for k in range(1 + i % 3):
            y = 120 + k * 90 + int(rng.integers(-10, 10))
            length = int(rng.integers(220, 330))
            x0 = int(rng.integers(40, 120))
            d.rounded_rectangle((x0, y - 14, x0 + 130, y + 14), radius=10, fill=(40, 30, 25))  # handle
            d.ellipse((x0 + 25, y - 4, x0 + 33, y + 4), fill=(200, 200, 200))
            d.ellipse((x0 + 95, y - 4, x0 + 103, y + 4), fill=(200, 200, 200))
            d.polygon(
                [(x0 + 130, y - 18), (x0 + 130 + length, y + 6), (x0 + 130, y + 14)], fill=(205, 208, 212)
            )
        if i % 3 == 0:  # vegetables beside it
            for _ in range(4):
                x, yy = int(rng.integers(420, 600)), int(rng.integers(260, 370))
                d.ellipse((x - 25, yy - 25, x + 25, yy + 25), fill=(220, 60, 40) if i % 2 else (240, 150, 30))
        w.save(f"kitchen_knife_{i:02d}", img, "kitchen knives (PIL primitives)", DRAWN)


def toy_guns(w: Writer, rng: np.random.Generator) -> None:
    palette = [(255, 90, 30), (30, 160, 255), (120, 220, 60), (250, 210, 40), (230, 60, 180)]
    for i in range(10):
        img = Image.new("RGB", (640, 400), (245, 245, 245) if i % 2 else (170, 210, 240))
        d = ImageDraw.Draw(img)
        body, trim = palette[i % 5], palette[(i + 2) % 5]
        x, y = int(rng.integers(80, 160)), int(rng.integers(110, 170))
        d.rounded_rectangle((x, y, x + 320, y + 70), radius=30, fill=body)  # water-pistol body
        d.rounded_rectangle((x + 300, y + 20, x + 380, y + 42), radius=8, fill=trim)  # nozzle
        grip = [(x + 40, y + 60), (x + 110, y + 60), (x + 80, y + 190), (x + 20, y + 190)]
        d.polygon(grip, fill=body)
        d.ellipse((x + 150, y - 60, x + 250, y + 20), fill=(150, 200, 255))  # tank
        d.arc((x + 100, y + 55, x + 160, y + 120), 0, 180, fill=trim, width=8)  # trigger guard
        if i % 2:
            for _ in range(8):  # splash
                dx, dy = int(rng.integers(400, 620)), int(rng.integers(y, y + 60))
                d.ellipse((dx - 6, dy - 6, dx + 6, dy + 6), fill=(90, 160, 255))
        w.save(f"toy_gun_{i:02d}", img, "toy water pistol (PIL primitives)", DRAWN)


def bench_frames(w: Writer, bench: Path) -> None:
    script = bench / "make_bench_video.sh"
    if not script.is_file():
        sys.exit(f"{script} not found: pass --bench with the folder of make_bench_video.sh")
    with tempfile.TemporaryDirectory() as tmp:
        video = Path(tmp) / "bench.mp4"
        subprocess.run(["bash", str(script), str(video), "60"], check=True, capture_output=True)
        wanted = [2.5 + 5 * k for k in range(12)]
        with av.open(str(video)) as container:
            stream = container.streams.video[0]
            for frame in container.decode(stream):
                if wanted and frame.time is not None and frame.time >= wanted[0]:
                    w.save(f"bench_frame_t{wanted[0]:04.1f}", frame.to_image(),
                           f"benchmark video frame at {wanted[0]} s (`make_bench_video.sh`, ffmpeg testsrc2)", DRAWN)  # fmt: skip
                    wanted.pop(0)


def write_sources(w: Writer) -> None:
    lines = [
        "# Clean pictures: sources and licences",
        "",
        "Written by `scripts/make_clean_pictures.py`; do not edit by hand. Every picture here should pass: none shows",
        "nudity, violence, weapons in use, flags or text that breaks a rule. The knives are kitchen knives, the guns",
        "toy water pistols, the rockets and fireworks are drawings. Photos are resized to at most 640 px and saved as",
        f"JPEG quality {QUALITY}; variants are crops, resizes and greyscale versions of the same photo.",
        "",
        "Photos from "
        + ", ".join(f"{dist} {version(dist)}" for dist in ("scikit-image", "scikit-learn", "matplotlib"))
        + ",",
        "each under the licence its package notes for it (scikit-image: the docstring of its `skimage.data` function;",
        "scikit-learn: `sklearn/datasets/images/README.txt`); photos without such a note (moon, page, the",
        "motorcycle pair) are left out. matplotlib notes no licence per sample file; its `grace_hopper.jpg` is an",
        "official US Navy portrait, in the public domain as a work of the US federal government. imageio and",
        "Pillow ship no test photos in their wheels. CC BY 2.0 attribution: `china.jpg` by danielbuechele",
        "(https://www.flickr.com/photos/danielbuechele/6061409035) and `flower.jpg` by vultilion",
        "(https://www.flickr.com/photos/vultilion/6056698931), as retrieved by Robert Layton for scikit-learn;",
        "the files here are resized, cropped and greyscale versions of them.",
        "",
        "| file | origin | licence |",
        "|---|---|---|",
    ]
    lines += [f"| `{name}` | {origin} | {licence} |" for name, origin, licence in w.rows]
    (w.out / "SOURCES.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def steps(bench: Path) -> Iterator[Callable[[Writer, np.random.Generator], None]]:
    yield lambda w, _: photos(w)
    yield from (ui_screens, charts, gradients, noise, skin_flats, rockets, fireworks, knives, toy_guns)
    yield lambda w, _: bench_frames(w, bench)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "tests" / "fixtures" / "clean_pictures")
    parser.add_argument("--bench", type=Path, default=ROOT.parent / "shared" / "bench")
    args = parser.parse_args()
    if args.out.exists():
        shutil.rmtree(args.out)
    args.out.mkdir(parents=True)
    writer = Writer(args.out)
    # one seed per step, so that editing one step leaves the pictures of the others as they were
    for seed, step in enumerate(steps(args.bench)):
        step(writer, np.random.default_rng(1500 + seed))
    write_sources(writer)
    size = sum(p.stat().st_size for p in args.out.iterdir())
    print(f"wrote {len(writer.rows)} pictures to {args.out} ({size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
