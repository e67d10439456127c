"""What the video change gate's text screen misses: captions of each height on frames of each size, against a whole read.

    .venv/bin/python scripts/check_video_screen.py [--report FILE.json] [--sizes 1280x720,854x480] [--pictures]

When most of a video frame changes (the camera moves), the change gate (``detectors/ocr/gate.py``) does not have
det read it whole: the text screen, det at a long side of 480 px, says where text may be and det reads only
there; every 8th such frame, and a file's first, is read whole. This script measures what that screened read
loses. Each case is two frames of one size, as the gate meets them in a moving video: a held-out clean photo, then
another one with one caption line drawn at the frame's own size by ``make_dense_text_pictures.draw_caption``
(white with an outline, white on a dark box, or plain). Photos are the benchmark's sources only
(``train_text_cells.HELD_OUT_SOURCES``), which no OCR model here was fitted on; the sentences are the clean ones
that script draws from. The second frame is read whole by det at full size (the reference) and through the gate;
reported by frame size and caption height: the words and characters of the reference that the gate's read lost,
and its OCR CPU time. ``--pictures``: the captioned photo alone through the picture gate, as ReviewImage reads it
(a picture is screened at half its size, and read whole from twice det's side).
"""

from __future__ import annotations

import argparse
import collections
import importlib.util
import json
import random
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from vodguard.moderation.config import EngineConfig  # noqa: E402
from vodguard.moderation.detectors.int8 import int8_weights  # noqa: E402
from vodguard.moderation.detectors.ocr import ChangeGate, OcrReader  # noqa: E402
from vodguard.moderation.types import Frame  # noqa: E402

SIZES = ["480x270", "640x360", "854x480", "1280x720", "1920x1080", "480x854", "720x1280"]
HEIGHTS = (9, 11, 13, 16, 20, 28)  # font size in px, about the glyphs' height
SEED = 21
CASES_PER_PHOTO = 2  # 136 cases a size, about 23 a caption height


def script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def cover(photo: Path, size: tuple[int, int]) -> Image.Image:
    """``photo`` scaled to cover ``size`` and cut to it around its centre, as a player fills a frame."""
    image = Image.open(photo).convert("RGB")
    w, h = size
    scale = max(w / image.width, h / image.height)
    image = image.resize(
        (max(w, round(image.width * scale)), max(h, round(image.height * scale))), Image.LANCZOS
    )
    left, top = (image.width - w) // 2, (image.height - h) // 2
    return image.crop((left, top, left + w, top + h))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--report", type=Path)
    parser.add_argument("--sizes", default=",".join(SIZES), help="comma-separated WIDTHxHEIGHT")
    parser.add_argument(
        "--pictures",
        action="store_true",
        help="the captioned frame alone through the picture gate (ReviewImage), not after another frame",
    )
    args = parser.parse_args()
    cells, drawing = script("train_text_cells"), script("make_dense_text_pictures")
    pool = drawing.sentences()
    photos = [p for p in sorted((ROOT / "tests/fixtures/clean_pictures").glob("*.jpg")) if cells.held_out(p)]
    reader = OcrReader(threads=1, det_model=int8_weights("ocr_det", EngineConfig()))
    report: dict[str, dict[int, dict[str, float]]] = {}
    for name in args.sizes.split(","):
        size = (int(name.split("x")[0]), int(name.split("x")[1]))
        rng = random.Random(SEED)
        by_height = report.setdefault(name, {})
        for i in range(CASES_PER_PHOTO * len(photos)):
            photo, height, lang = photos[i % len(photos)], HEIGHTS[i % len(HEIGHTS)], rng.choice(["zh", "en"])
            captioned = cover(photo, size)
            drawing.draw_caption(captioned, rng.choice(pool[lang]), lang, height, rng)
            second = np.asarray(captioned)
            whole = cells.tokens(reader.read(second).lines)
            gate = ChangeGate(reader, pictures=args.pictures)
            if not args.pictures:  # a video's first frame is read whole: the captioned one comes second
                gate.read(Frame(np.asarray(cover(photos[(i + 1) % len(photos)], size)), 0.0, 0))
            start = time.process_time()
            read = cells.tokens(gate.read(Frame(second, 2.0, 1)).lines)
            row = by_height.setdefault(height, collections.defaultdict(float))
            row["cases"] += 1
            row["tokens"] += sum(whole.values())
            row["lost"] += sum((whole - read).values())
            row["cpu_s"] += time.process_time() - start
        rows = sorted(by_height.items())
        total, lost = sum(r["tokens"] for _h, r in rows), sum(r["lost"] for _h, r in rows)
        print(
            f"{name}: lost {lost:.0f} of {total:.0f} words/characters ({100 * lost / max(total, 1):.1f} %); by "
            "caption height: "
            + ", ".join(f"{h} px {r['lost']:.0f}/{r['tokens']:.0f}" for h, r in rows)
            + f"; OCR CPU of the screened read {1000 * sum(r['cpu_s'] for _h, r in rows) / sum(r['cases'] for _h, r in rows):.0f} ms",
            flush=True,
        )
    if args.report:
        args.report.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
