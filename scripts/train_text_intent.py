"""Train the meaning-level text heads (vodguard/moderation/text/data/intent.npz) from datasets/text.

    .venv/bin/python scripts/train_text_intent.py [--data datasets/text] [--out PATH] [--report PATH]

Reproducible: the split depends only on family names, the solver is deterministic, and the encoder has no
randomness. Steps:

1. Read every ``datasets/text/*.jsonl`` line: ``{"text", "labels", "lang", "family", "kind", "register"}``.
2. Split by family, never by sentence: a family goes to train, dev or test by a hash of its name alone (60:20:20),
   so every phrasing in test belongs to a family the heads never saw, and adding families never moves an
   existing one to another split (a test family stays a test family as the data grows). ``datasets/text/split/`` receives
   ``dev.jsonl`` and ``test.jsonl`` for ``vodguard eval text``.
3. Embed each text with both bundled encoders, USE and E5 (cached in ``.cache/`` by the texts' digest).
4. For each head set (``use``: USE alone; ``full``: USE and E5 side by side), fit one logistic regression per
   label (one-vs-rest, balanced classes) on train; choose C on dev by the mean recall of the labels at their
   dev-chosen review thresholds.
5. Print, per label, the dev-chosen review threshold (the lowest probability at which the label flags at most
   ``CLEAN_BUDGET`` of dev's clean sentences, near-misses included: seven labels then flag at most about 5 % of
   clean text between them) and block threshold (dev precision >= ``BLOCK_PRECISION`` with no clean sentence
   flagged), and the test figures at both. A block threshold is kept only where the test split confirms it
   (precision >= ``BLOCK_PRECISION`` - 0.01 over at least ``MIN_BLOCK_HITS`` hits); elsewhere model-only hits
   ask for review. Then print, for a few screen values, how much of dev's clean text would reach E5 and how many
   dev hits the screen would lose. Those thresholds are copied by hand into ``moderation/presets.py`` with their reasons: the numbers are
   a decision about policy, and a decision belongs in reviewed code, not in a generated file.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from vodguard.moderation.text.encoder import E5Encoder, SentenceEncoder  # noqa: E402
from vodguard.moderation.text.intent import prepare  # noqa: E402
from vodguard.moderation.types import LABELS  # noqa: E402

CLEAN_BUDGET = 0.007
BLOCK_PRECISION = 0.98
MIN_BLOCK_HITS = 10
SCREENS = (0.3, 0.4, 0.5, 0.6)
C_GRID = (0.3, 1.0, 3.0, 10.0, 30.0)
POOL_PER_GROUP = 150  # clean vectors shipped for custom labels, per (kind, language)
VERSION = "intent-2"


def load(data: Path) -> list[dict]:
    rows = []
    for path in sorted(data.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            row = json.loads(line)
            unknown = set(row["labels"]) - set(LABELS)
            if unknown:
                raise SystemExit(f"{path}:{number}: unknown labels {sorted(unknown)}")
            row["source"] = path.stem
            rows.append(row)
    return rows


def split_of(family: str) -> str:
    """train, dev or test (60:20:20) by the family name's digest, independent of every other family."""
    bucket = int(hashlib.sha256(family.encode()).hexdigest()[:8], 16) % 100
    return "train" if bucket < 60 else "dev" if bucket < 80 else "test"


def embed(texts: list[str], cache_dir: Path, name: str, encoder: Callable[[], Any]) -> np.ndarray:
    """Vectors of ``texts`` from ``encoder()``, cached in ``cache_dir`` by the texts' digest (E5 takes minutes)."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    key = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
    cached = cache_dir / f"{name}-{key}.npy"
    if cached.exists():
        return np.load(cached)
    started = time.perf_counter()
    vectors = encoder().encode(texts)
    print(f"{name}: embedded {len(texts)} texts in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    np.save(cached, vectors)
    return vectors


def threshold_for(probs: np.ndarray, truth: np.ndarray, precision: float) -> float | None:
    """The lowest threshold at which precision on (probs, truth) stays >= ``precision``; None if none does."""
    order = np.argsort(-probs)
    hits = np.cumsum(truth[order])
    ranks = np.arange(1, len(order) + 1)
    ok = np.nonzero(hits / ranks >= precision)[0]
    if not len(ok) or hits[ok[-1]] == 0:
        return None
    best = ok[-1]
    # midway to the next score, so the threshold does not sit on one sentence's exact probability
    below = probs[order[best + 1]] if best + 1 < len(order) else 0.0
    return float((probs[order[best]] + below) / 2)


def threshold_for_clean(probs: np.ndarray, clean: np.ndarray, budget: float) -> float:
    """The lowest threshold that flags at most ``budget`` of the clean sentences."""
    ordered = np.sort(probs[clean])[::-1]
    allowed = int(budget * len(ordered))
    return float(ordered[allowed]) + 1e-6 if allowed < len(ordered) else 0.0


def scores(probs: np.ndarray, truth: np.ndarray, threshold: float | None) -> dict[str, float]:
    if threshold is None:
        return {"precision": 0.0, "recall": 0.0, "f1": 0.0, "flagged": 0}
    flagged = probs >= threshold
    tp = float(np.sum(flagged & truth))
    precision = tp / max(float(np.sum(flagged)), 1.0)
    recall = tp / max(float(np.sum(truth)), 1.0)
    f1 = 2 * precision * recall / max(precision + recall, 1e-9)
    return {"precision": precision, "recall": recall, "f1": f1, "flagged": int(np.sum(flagged))}


def fit_set(
    name: str, x: np.ndarray, truth: dict[str, np.ndarray], masks: dict[str, np.ndarray], clean: np.ndarray
) -> tuple[list[LogisticRegression], dict]:
    """Per-label heads on features ``x``: C chosen on dev, thresholds on dev, figures on test."""
    train, dev, test = masks["train"], masks["dev"], masks["test"]

    def fit(label: str, c: float) -> LogisticRegression:
        model = LogisticRegression(C=c, class_weight="balanced", max_iter=5000)
        model.fit(x[train], truth[label][train])
        return model

    best_c, best = C_GRID[0], -1.0
    for c in C_GRID:
        recalls = []
        for label in LABELS:
            probs = fit(label, c).predict_proba(x[dev])[:, 1]
            threshold = threshold_for_clean(probs, clean[dev], CLEAN_BUDGET)
            recalls.append(scores(probs, truth[label][dev], threshold)["recall"])
        print(f"{name} C={c}: mean dev recall {np.mean(recalls):.3f} at {CLEAN_BUDGET:.1%} of clean flagged")
        if np.mean(recalls) > best:
            best_c, best = c, float(np.mean(recalls))
    print(f"{name}: chosen C={best_c}")
    models, report = [], {"C": best_c, "labels": {}}
    print(f"{'label':8} {'review τ':>8} {'block τ':>8}  test at review τ (P/R/F1)   test at block τ (P/R, n)")
    for label in LABELS:
        model = fit(label, best_c)
        models.append(model)
        dev_probs = model.predict_proba(x[dev])[:, 1]
        test_probs = model.predict_proba(x[test])[:, 1]
        review = threshold_for_clean(dev_probs, clean[dev], CLEAN_BUDGET)
        block = threshold_for(dev_probs, truth[label][dev], BLOCK_PRECISION)
        if block is not None:
            block = max(block, float(dev_probs[clean[dev]].max()) + 1e-6)
        at_review = scores(test_probs, truth[label][test], review)
        at_block = scores(test_probs, truth[label][test], block)
        earned = at_block["flagged"] >= MIN_BLOCK_HITS and at_block["precision"] >= BLOCK_PRECISION - 0.01
        report["labels"][label] = {
            "review": round(review, 3),
            "block": round(block, 3) if earned and block is not None else None,
            "test_review": at_review,
            "test_block": at_block,
        }
        print(
            f"{label:8} {review:8.3f} {block or 0:8.3f}  "
            f"{at_review['precision']:.2f}/{at_review['recall']:.2f}/{at_review['f1']:.2f}"
            f"               {at_block['precision']:.2f}/{at_block['recall']:.2f}, {at_block['flagged']}"
            f"{'  (block earned)' if earned else ''}"
        )
    return models, report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT / "datasets" / "text")
    parser.add_argument("--out", type=Path, default=ROOT / "vodguard/moderation/text/data/intent.npz")
    parser.add_argument("--report", type=Path, help="also write the figures as JSON")
    args = parser.parse_args()

    rows = load(args.data)
    for row in rows:
        row["split"] = split_of(row["family"])
    split_dir = args.data / "split"
    split_dir.mkdir(exist_ok=True)
    for name in ("dev", "test"):
        with (split_dir / f"{name}.jsonl").open("w", encoding="utf-8") as out:
            for row in rows:
                if row["split"] == name:
                    keep = {k: row[k] for k in ("text", "labels", "lang", "family", "kind", "register")}
                    out.write(json.dumps(keep, ensure_ascii=False) + "\n")

    texts = [r["text"] for r in rows]
    use = embed(texts, ROOT / ".cache", "use", SentenceEncoder)
    e5 = embed(texts, ROOT / ".cache", "e5", E5Encoder)
    split = np.array([r["split"] for r in rows])
    masks = {name: split == name for name in ("train", "dev", "test")}
    truth = {label: np.array([label in r["labels"] for r in rows]) for label in LABELS}
    clean = np.array([not r["labels"] for r in rows])
    for name, mask in masks.items():
        violating = int((mask & ~clean).sum())
        families = len({r["family"] for r, m in zip(rows, mask, strict=True) if m})
        print(f"{name}: {int(mask.sum())} sentences ({violating} violating) in {families} families")
    missing = [label for label in LABELS if not truth[label][masks["train"]].any()]
    if missing:
        raise SystemExit(f"no training sentences for {', '.join(missing)}")

    train = masks["train"]
    use_mean, e5_mean = use[train].mean(axis=0), e5[train].mean(axis=0)
    x_use = prepare(use, use_mean)
    x_full = np.hstack([x_use, prepare(e5, e5_mean)])
    use_models, use_report = fit_set("use", x_use, truth, masks, clean)
    full_models, full_report = fit_set("full", x_full, truth, masks, clean)

    # the screen: E5 runs only where a USE head reaches INTENT_SCREEN; check on dev what that costs in recall
    dev = masks["dev"]
    screen_probs = np.stack([m.predict_proba(x_use[dev])[:, 1] for m in use_models], axis=1)
    full_probs = np.stack([m.predict_proba(x_full[dev])[:, 1] for m in full_models], axis=1)
    for screen in SCREENS:
        gate = screen_probs.max(axis=1) >= screen
        lost = 0
        for i, label in enumerate(LABELS):
            hit = full_probs[:, i] >= full_report["labels"][label]["review"]
            lost += int((hit & ~gate & truth[label][dev]).sum())
        kinds = np.array([r["kind"] for r in rows])[dev]
        print(
            f"screen {screen}: E5 runs on {gate[kinds == 'clean'].mean():.0%} of ordinary clean dev text, "
            f"{gate[kinds == 'near_miss'].mean():.0%} of near-misses; {lost} dev hits lost"
        )

    pool_index: dict[str, list[int]] = defaultdict(list)
    for i, row in enumerate(rows):
        if row["split"] == "train" and not row["labels"]:
            pool_index[f"{row['kind']}/{row['lang']}"].append(i)
    pool = [
        i for idx in pool_index.values() for i in idx[:: max(1, len(idx) // POOL_PER_GROUP)][:POOL_PER_GROUP]
    ]

    def stack(models: list[LogisticRegression]) -> tuple[np.ndarray, np.ndarray]:
        return (
            np.array([m.coef_[0] for m in models], dtype=np.float32),
            np.array([m.intercept_[0] for m in models], dtype=np.float32),
        )

    use_coef, use_intercept = stack(use_models)
    full_coef, full_intercept = stack(full_models)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        args.out,
        labels=np.array(LABELS),
        mean=use_mean.astype(np.float32),
        use_coef=use_coef,
        use_intercept=use_intercept,
        e5_mean=e5_mean.astype(np.float32),
        full_coef=full_coef,
        full_intercept=full_intercept,
        clean_pool=use[pool].astype(np.float16),
        version=np.array(VERSION),
    )
    print(f"wrote {args.out} ({args.out.stat().st_size // 1024} KB, clean pool {len(pool)})")
    if args.report:
        args.report.write_text(json.dumps({"use": use_report, "full": full_report}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
