"""Draw pictures full of text (pages, chats, captions over photos) for checking the OCR path of ReviewImage.

    .venv/bin/python scripts/make_dense_text_pictures.py OUT_DIR [--count 144] [--seed 22] [--captions]

The picture text screen (``detectors/ocr/reader.py``) decides where det reads at full size. A picture whose text
covers most of it (a chat screenshot, a page of notes, a menu) is the case a change there can break, and the
clean-picture set has almost none. These are drawn with the Debian fonts the tests use (WenQuanYi Micro Hei for
Chinese, DejaVu Sans for English), from clean sentences of ``datasets/text`` (ours), at text heights from
9 to 28 px, on white, dark and photo backgrounds, in the sizes users upload (640x480 to 1080x1920). Deterministic:
the same seed draws the same pictures. Writes ``OUT_DIR/dense_NNN.png`` and ``OUT_DIR/manifest.jsonl`` (each
picture's kind, size, text height and lines). ``--captions`` draws one to four short lines (9 to 20 px) over each
clean photo instead: text that covers a small part of a busy picture.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent

FONTS = {
    "zh": "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "en": "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
}
SIZES = [(640, 480), (800, 600), (1280, 720), (480, 854), (1080, 1920), (720, 1280)]
HEIGHTS = [9, 11, 13, 16, 20, 28]  # font size in px; the glyphs are about this tall
KINDS = ["page", "dark", "chat", "photo"]


def sentences() -> dict[str, list[str]]:
    """The clean sentences of the first clean files, by script: ``zh`` for lines with Chinese (mixed included),
    ``en`` for the rest. Only files that no later round changes, so that the pictures stay the same."""
    out: dict[str, list[str]] = {"zh": [], "en": []}
    for name in ("clean.jsonl", "clean_b.jsonl", "clean_d.jsonl"):
        for line in (ROOT / "datasets/text" / name).read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if not row["labels"] and 4 <= len(row["text"]) <= 80:
                out["en" if row["lang"] == "en" else "zh"].append(row["text"])
    return out


def wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Greedy wrap by words (English) or characters (Chinese) to ``width`` pixels."""
    parts = text.split(" ") if text.isascii() else list(text)
    joiner = " " if text.isascii() else ""
    lines, current = [], ""
    for part in parts:
        trial = f"{current}{joiner}{part}" if current else part
        if font.getlength(trial) <= width or not current:
            current = trial
        else:
            lines.append(current)
            current = part
    if current:
        lines.append(current)
    return lines


def background(kind: str, size: tuple[int, int], rng: random.Random, photos: list[Path]) -> Image.Image:
    if kind == "photo" and photos:
        return Image.open(rng.choice(photos)).convert("RGB").resize(size)
    return Image.new("RGB", size, (24, 24, 28) if kind == "dark" else (250, 250, 248))


def draw_picture(
    index: int, rng: random.Random, pool: dict[str, list[str]], photos: list[Path]
) -> tuple[Image.Image, dict]:
    kind = KINDS[index % len(KINDS)]
    size = SIZES[(index // len(KINDS)) % len(SIZES)]
    height = HEIGHTS[(index // (len(KINDS) * len(SIZES))) % len(HEIGHTS)]
    # alternate the language within each size and shift it from one size to the next, so that every kind of
    # picture gets both languages
    lang = "zh" if (index + index // len(KINDS)) % 2 else "en"
    font = ImageFont.truetype(FONTS[lang], height)
    image = background(kind, size, rng, photos)
    draw = ImageDraw.Draw(image)
    w, h = size
    margin, y, drawn = max(8, w // 40), max(8, h // 40), []
    ink = (235, 235, 235) if kind in ("dark", "photo") else (20, 20, 20)
    while True:
        text = rng.choice(pool[lang])
        if kind == "chat":
            right = rng.random() < 0.5
            rows = wrap(text, font, int(w * 0.6))
            box_w = max(int(font.getlength(r)) for r in rows) + height
            box_h = len(rows) * int(height * 1.4) + height // 2
            if y + box_h > h - margin:
                break
            x = w - margin - box_w if right else margin
            draw.rounded_rectangle(
                (x, y, x + box_w, y + box_h),
                radius=height // 2,
                fill=(149, 236, 105) if right else (255, 255, 255),
                outline=(210, 210, 210),
            )
            for i, row in enumerate(rows):
                draw.text(
                    (x + height // 2, y + height // 4 + i * int(height * 1.4)),
                    row,
                    font=font,
                    fill=(20, 20, 20),
                )
                drawn.append(row)
            y += box_h + height
            continue
        rows = wrap(text, font, w - 2 * margin)
        if y + len(rows) * int(height * 1.5) > h - margin:
            break
        for row in rows:
            if kind == "photo":  # a caption's usual outline, so that the words stand out from any photo
                draw.text(
                    (margin, y),
                    row,
                    font=font,
                    fill=ink,
                    stroke_width=max(1, height // 10),
                    stroke_fill=(0, 0, 0),
                )
            else:
                draw.text((margin, y), row, font=font, fill=ink)
            drawn.append(row)
            y += int(height * 1.5)
        y += height // 2
    return image, {"kind": kind, "size": list(size), "text_px": height, "lang": lang, "lines": drawn}


CAPTION_HEIGHTS = [9, 11, 13, 16, 20]


def draw_captions(photo: Path, rng: random.Random, pool: dict[str, list[str]]) -> tuple[Image.Image, dict]:
    """One to four short lines over ``photo`` at its own size, anywhere, in the styles users add them: white with
    an outline, white on a dark box, or plain white, black or yellow."""
    image = Image.open(photo).convert("RGB")
    drawn = []
    for _ in range(rng.randint(1, 4)):
        lang = rng.choice(["zh", "en"])
        height = rng.choice(CAPTION_HEIGHTS)
        drawn.append(draw_caption(image, rng.choice(pool[lang]), lang, height, rng))
    return image, {"kind": "captions", "photo": photo.name, "size": list(image.size), "lines": drawn}


def draw_caption(image: Image.Image, sentence: str, lang: str, height: int, rng: random.Random) -> str:
    """Draw the first line of ``sentence`` that fits across ``image``, ``height`` px high, at a random place and in a
    random one of the caption styles; return the line."""
    draw, (w, h) = ImageDraw.Draw(image), image.size
    font = ImageFont.truetype(FONTS[lang], height)
    text = wrap(sentence, font, w - 16)[0]
    x = rng.randint(4, max(4, w - 4 - int(font.getlength(text))))
    y = rng.randint(4, max(4, h - height - 8))
    style = rng.choice(["outline", "box", "plain"])
    if style == "box":
        left, top, right, bottom = draw.textbbox((x, y), text, font=font)
        draw.rectangle((left - 3, top - 3, right + 3, bottom + 3), fill=(0, 0, 0))
    ink = (255, 255, 255) if style != "plain" else rng.choice([(255, 255, 255), (0, 0, 0), (255, 230, 0)])
    outline = {"stroke_width": 1, "stroke_fill": (0, 0, 0)} if style == "outline" else {}
    draw.text((x, y), text, font=font, fill=ink, **outline)
    return text


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("out", type=Path)
    parser.add_argument("--count", type=int, default=len(KINDS) * len(SIZES) * len(HEIGHTS))
    parser.add_argument("--seed", type=int, default=22)
    parser.add_argument(
        "--captions",
        action="store_true",
        help="instead: a few captions over each clean photo (captions_NNN.png)",
    )
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)
    pool = sentences()
    photos = sorted((ROOT / "tests/fixtures/clean_pictures").glob("*.jpg"))
    with (args.out / "manifest.jsonl").open("w", encoding="utf-8") as manifest:
        # one picture at a time: 144 large pictures held at once would take about a gigabyte
        if args.captions:
            drawn = (draw_captions(photo, rng, pool) for photo in photos)
        else:
            drawn = (draw_picture(index, rng, pool, photos) for index in range(args.count))
        count = 0
        for count, (image, row) in enumerate(drawn, 1):
            name = f"{'captions' if args.captions else 'dense'}_{count - 1:03d}.png"
            image.save(args.out / name)
            manifest.write(json.dumps({"path": name, **row}, ensure_ascii=False) + "\n")
    print(f"{count} pictures in {args.out}")


if __name__ == "__main__":
    main()
