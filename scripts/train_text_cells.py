"""Train the text cells of busy pictures (``vodguard/moderation/detectors/ocr/cells.py``) and check them held out.

    .venv/bin/python scripts/train_text_cells.py [--report FILE.json]
    .venv/bin/python scripts/train_text_cells.py --check DIR...  # your pictures: what the shipped cells lose

Writes ``vodguard/moderation/detectors/ocr/text_cells.npz``. The cells decide only on "busy" pictures up to 960 px:
those whose text screen marks most of the picture, so that det would read them whole. Such pictures come from
three sources, all drawn by ``scripts/make_dense_text_pictures.py`` or taken from ``tests/fixtures/clean_pictures``:
pictures full of text (seeds 23 and 24 train, 22 is held out), one to four captions over each clean photo (seeds 23
and 24 train, 21 and 22 held out), and the clean photos themselves. Split by source: the clean pictures of the
benchmark's sources (astronaut, rocket, flower, china, gradient: ``benchmarks/engine_bench.pictures``) are only in
the held-out part, with the benchmark's six pictures themselves, so that image p50 is measured on sources the cells
never saw.

Labels come from the engine's own det and rec, run on the whole picture at full size: a cell (4 x 4 pixels of
the screen's input) is text where a line of two or more letters, digits or characters lies over it; cells under
a single glyph are left out. Features are det's hidden layer, as the engine computes it (int8 det where the engine
runs it). A two-layer network (32 hidden units, scikit-learn's MLP, seed 0) learns them. Its threshold is chosen
on dev, captions over the training photos drawn with seed 25: the highest of 0.5, 0.4, 0.3, 0.2 and 0.1 that loses
at most one word or character in 400 of what a whole read reads there (a missed line costs more than a flagged
petal).

Held out, the script reads each busy picture twice through the engine's picture gate, as today (det reads it
whole) and through the cells, and reports the words and characters lost and the OCR CPU time of both.
"""

from __future__ import annotations

import argparse
import collections
import importlib.util
import json
import random
import re
import sys
import time
import warnings
from collections.abc import Iterable, Iterator
from itertools import chain
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.engine_bench import pictures as benchmark_pictures  # noqa: E402
from vodguard.moderation import media  # noqa: E402
from vodguard.moderation.config import EngineConfig  # noqa: E402
from vodguard.moderation.detectors.int8 import int8_weights  # noqa: E402
from vodguard.moderation.detectors.ocr import ChangeGate, OcrReader  # noqa: E402
from vodguard.moderation.detectors.ocr.cells import WEIGHTS, cell_features  # noqa: E402
from vodguard.moderation.detectors.ocr.reader import CELLS_MAX_SIDE  # noqa: E402
from vodguard.moderation.types import Frame  # noqa: E402

HELD_OUT_SOURCES = ("astronaut", "rocket", "flower", "china", "gradient")
WORD = re.compile(r"[A-Za-z0-9\u3400-\u9fff]")
TOKEN = re.compile(r"[A-Za-z0-9]{2,}|[\u3400-\u9fff]")  # English words and numbers, Chinese characters
THRESHOLDS = (0.5, 0.4, 0.3, 0.2, 0.1)  # tried from the top, on dev
PICTURES = {".jpg", ".jpeg", ".png", ".webp", ".bmp"}
SAMPLE = 300_000  # cells the network trains on, drawn evenly from all of them (all: minutes more)


def drawing_module():
    spec = importlib.util.spec_from_file_location("dense", ROOT / "scripts/make_dense_text_pictures.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def drawn_pictures(seed: int, photos: list[Path], *, captions: bool) -> Iterator[tuple[str, np.ndarray]]:
    """Pictures full of text (``make_dense_text_pictures.py``'s 144 at ``seed``), or a few captions over each of
    ``photos``, as (name, RGB array)."""
    drawing = drawing_module()
    rng, pool = random.Random(seed), drawing.sentences()
    if captions:
        for photo in photos:
            image, _ = drawing.draw_captions(photo, rng, pool)
            yield f"captions{seed}/{photo.name}", np.asarray(image)
    else:
        for index in range(len(drawing.KINDS) * len(drawing.SIZES) * len(drawing.HEIGHTS)):
            image, _ = drawing.draw_picture(index, rng, pool, photos)
            yield f"dense{seed}/{index:03d}", np.asarray(image)


def files(paths: list[Path]) -> Iterator[tuple[str, np.ndarray]]:
    limits = EngineConfig().limits
    for path in paths:
        yield path.name, next(iter(media.load_image_frames(path, limits))).image


def held_out(path: Path) -> bool:
    return any(source in path.name for source in HELD_OUT_SOURCES)


def busy(reader: OcrReader, image: np.ndarray) -> bool:
    """Where the cells decide: det would read this picture whole, as the screen marks most of it (the reader has
    its cells off), and the screen sees it at half its size (pictures up to 960 px)."""
    # a picture is always screened (at most at half its size), so None here means busy
    return max(image.shape[:2]) <= CELLS_MAX_SIDE and reader.text_screen(image, picture=True) is None


def labelled_cells(reader: OcrReader, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The features of every cell of ``image`` and its label (1 text, 0 not, -1 left out)."""
    maps = reader.screen_maps(image, picture=True)
    assert maps is not None and maps[1] is not None
    prob, hidden = maps
    rows, cols = hidden.shape[1:]
    h, w = image.shape[:2]
    label = np.zeros((rows, cols), np.int8)
    for line in reader.read(image).lines:
        x0, y0, x1, y1 = line.box
        cells = (
            slice(int(y0 * rows / h), int(np.ceil(y1 * rows / h))),
            slice(int(x0 * cols / w), int(np.ceil(x1 * cols / w))),
        )
        if len(WORD.findall(line.text)) >= 2:
            label[cells] = 1
        else:
            label[cells] = np.where(label[cells] == 1, 1, -1)
    return cell_features(hidden, prob), label.ravel()


def tokens(lines) -> collections.Counter:
    return collections.Counter(t for line in lines for t in TOKEN.findall(line.text))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--report", type=Path)
    parser.add_argument(
        "--check",
        type=Path,
        nargs="+",
        metavar="DIR",
        help="train nothing: compare the shipped cells with the whole read on the pictures of each DIR",
    )
    args = parser.parse_args()
    if args.check:
        det = int8_weights("ocr_det", EngineConfig())
        plain = OcrReader(threads=1, det_model=det, text_cells=False)
        groups = {
            str(d): files(sorted(p for p in d.iterdir() if p.suffix.lower() in PICTURES)) for d in args.check
        }
        compare(plain, OcrReader(threads=1, det_model=det), groups)
        return
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    det = int8_weights("ocr_det", EngineConfig())
    plain = OcrReader(threads=1, det_model=det, text_cells=False)
    clean = sorted((ROOT / "tests/fixtures/clean_pictures").glob("*.jpg"))
    train_photos = [p for p in clean if not held_out(p)]
    test_photos = [p for p in clean if held_out(p)]
    train = {
        "full of text": chain(*(drawn_pictures(seed, train_photos, captions=False) for seed in (23, 24))),
        "captions": chain(*(drawn_pictures(seed, train_photos, captions=True) for seed in (23, 24))),
        "photos": files(train_photos),
    }
    test = {
        "full of text": drawn_pictures(22, clean, captions=False),
        "captions": chain(*(drawn_pictures(seed, test_photos, captions=True) for seed in (21, 22))),
        "photos": files(test_photos + benchmark_pictures()),
    }

    features, labels, used = [], [], collections.Counter()
    for group, pictures in train.items():
        for _name, image in pictures:
            if busy(plain, image):
                x, y = labelled_cells(plain, image)
                features.append(x[y >= 0])
                labels.append(y[y >= 0])
                used[group] += 1
    x, y = np.concatenate(features), np.concatenate(labels)
    rng = np.random.default_rng(0)
    pick = rng.choice(len(y), min(len(y), SAMPLE), replace=False)
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    with warnings.catch_warnings():
        # a fixed budget of 60 epochs, the same every run; scikit-learn warns that its tolerance was not reached
        warnings.simplefilter("ignore", ConvergenceWarning)
        net = MLPClassifier((32,), max_iter=60, random_state=0).fit((x[pick] - mean) / scale, y[pick])
    weights = {
        "mean": mean.astype(np.float32),
        "scale": scale.astype(np.float32),
        "w1": net.coefs_[0].astype(np.float32),
        "b1": net.intercepts_[0].astype(np.float32),
        "w2": net.coefs_[1][:, 0].astype(np.float32),
        "b2": np.float32(net.intercepts_[1][0]),
    }
    print(f"trained on {dict(used)} busy pictures, {len(y):,} cells ({int(y.sum()):,} text)")

    # the threshold, on dev (captions over the training photos, another seed): the highest that loses at most one
    # word or character in 400 of what a whole read reads; a missed line costs more than a flagged petal
    dev = [image for _name, image in drawn_pictures(25, train_photos, captions=True) if busy(plain, image)]
    wholes = [tokens(ChangeGate(plain, pictures=True).read(Frame(image, 0.0, 0)).lines) for image in dev]
    for threshold in THRESHOLDS:
        np.savez(WEIGHTS, threshold=np.float32(threshold), **weights)
        cells = OcrReader(threads=1, det_model=det)
        lost = sum(
            sum((whole - tokens(ChangeGate(cells, pictures=True).read(Frame(image, 0.0, 0)).lines)).values())
            for image, whole in zip(dev, wholes, strict=True)
        )
        total = sum(sum(whole.values()) for whole in wholes)
        print(
            f"dev, threshold {threshold}: {lost} of {total} words/characters lost in {len(dev)} busy pictures"
        )
        if lost <= total / 400:
            break
    print(f"wrote {WEIGHTS}, threshold {threshold}")

    report = compare(plain, OcrReader(threads=1, det_model=det), test)
    if args.report:
        summary = {"train": dict(used), "threshold": threshold, "held_out": report}
        args.report.write_text(json.dumps(summary, indent=1) + "\n")


def compare(
    plain: OcrReader, cells: OcrReader, groups: dict[str, Iterable[tuple[str, np.ndarray]]]
) -> dict[str, dict[str, float]]:
    """Read each busy picture of each group as today (det reads it whole) and through the cells, both through the
    engine's picture gate; print and return, by group, the words and characters lost and the OCR CPU time."""
    report: dict[str, dict[str, float]] = {}
    for group, pictures in groups.items():
        for _name, image in pictures:
            if not busy(plain, image):
                continue
            row = report.setdefault(group, collections.defaultdict(float))
            start = time.process_time()
            whole = tokens(ChangeGate(plain, pictures=True).read(Frame(image, 0.0, 0)).lines)
            row["whole_cpu_s"] += time.process_time() - start
            start = time.process_time()
            read = tokens(ChangeGate(cells, pictures=True).read(Frame(image, 0.0, 0)).lines)
            row["cells_cpu_s"] += time.process_time() - start
            row["pictures"] += 1
            row["tokens"] += sum(whole.values())
            row["lost"] += sum((whole - read).values())
            row["gained"] += sum((read - whole).values())
            row["skipped_whole_read"] += cells.text_screen(image, picture=True) is not None
    for group, row in report.items():
        print(
            f"{group}: {row['pictures']:.0f} busy pictures, {row['tokens']:.0f} words/characters read "
            f"whole, {row['lost']:.0f} lost and {row['gained']:.0f} gained through the cells; det read "
            f"{row['pictures'] - row['skipped_whole_read']:.0f} of them whole; OCR CPU "
            f"{1000 * row['whole_cpu_s'] / row['pictures']:.1f} -> {1000 * row['cells_cpu_s'] / row['pictures']:.1f}"
            " ms a picture"
        )
    return report


if __name__ == "__main__":
    main()
