"""Train the character n-gram model mixed with the tuned towers (text/data/intent_ngrams.npz, text/ngrams.py).

    .venv/bin/python scripts/train_text_ngrams.py [--data datasets/text] [--out PATH] [--cache .cache]

Run it after ``scripts/tune_text_encoder.py`` and before ``scripts/train_text_intent.py``, which blends the
mixture with the USE heads and chooses the thresholds. Reproducible: the split depends only on family names
(``vodguard/evaluation/textsplit.py``) and the solver is deterministic. Steps:

1. Fit TF-IDF over character n-grams (``ngrams.vectorizer``: 1 to 4 characters within word bounds, seen in at
   least two training sentences) on the train split, and one logistic regression per label (balanced classes,
   C = 4, the value of the dev-only study in docs/quality.md 2s, not tuned).
2. Score dev with the towers alone, through the run-time code (``train_text_intent.tuned_probabilities``), and with
   the n-grams; choose the n-grams' share ``weight`` of the mixture from 0.1, 0.2 and 0.3 by the mean dev average
   precision of the labels with at least ``MIN_SUPPORT`` dev sentences. Rule fixed before the run.
3. Write the vocabulary, the inverse document frequencies, the weights (float32) and ``weight``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from train_text_intent import tuned_probabilities  # noqa: E402  (scripts/ is the script's own folder)

from vodguard.evaluation.textsplit import load_textset  # noqa: E402
from vodguard.moderation.text.ngrams import mix, vectorizer  # noqa: E402
from vodguard.moderation.types import LABELS  # noqa: E402

C = 4.0
WEIGHTS = (0.1, 0.2, 0.3)
MIN_SUPPORT = 100


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=ROOT / "datasets" / "text")
    parser.add_argument("--out", type=Path, default=ROOT / "vodguard/moderation/text/data/intent_ngrams.npz")
    parser.add_argument("--cache", type=Path, default=ROOT / ".cache")
    args = parser.parse_args()

    rows = load_textset(args.data)
    train = [r for r in rows if r["split"] == "train"]
    dev = [r for r in rows if r["split"] == "dev"]
    labels = LABELS  # the towers' order (TunedIntentModel checks that the file it mixes in agrees)
    vec = vectorizer()
    x_train = vec.fit_transform([r["text"] for r in train])
    x_dev = vec.transform([r["text"] for r in dev])
    print(f"{len(train)} training and {len(dev)} dev sentences, {x_train.shape[1]} n-grams")
    coef = np.zeros((x_train.shape[1], len(labels)), np.float32)
    intercept = np.zeros(len(labels), np.float32)
    ngram_dev = np.zeros((len(dev), len(labels)), np.float32)
    for j, label in enumerate(labels):
        truth = np.array([label in r["labels"] for r in train])
        model = LogisticRegression(C=C, class_weight="balanced", max_iter=5000).fit(x_train, truth)
        coef[:, j], intercept[j] = model.coef_[0], model.intercept_[0]
        ngram_dev[:, j] = model.predict_proba(x_dev)[:, 1]
    towers = tuned_probabilities([r["text"] for r in dev], args.cache, with_ngrams=False)
    judged = [
        (j, np.array([label in r["labels"] for r in dev]))
        for j, label in enumerate(labels)
        if sum(label in r["labels"] for r in dev) >= MIN_SUPPORT
    ]

    def mean_ap(weight: float) -> float:
        mixed = mix(towers, ngram_dev, weight)
        return float(np.mean([average_precision_score(truth, mixed[:, j]) for j, truth in judged]))

    for j, truth in judged:
        print(
            f"{labels[j]:8s} dev AP towers {average_precision_score(truth, towers[:, j]):.3f}, "
            f"n-grams {average_precision_score(truth, ngram_dev[:, j]):.3f}, "
            + ", ".join(
                f"{w}: {average_precision_score(truth, mix(towers[:, j], ngram_dev[:, j], w)):.3f}"
                for w in WEIGHTS
            )
        )
    scores = {w: mean_ap(w) for w in WEIGHTS}
    weight = max(WEIGHTS, key=lambda w: scores[w])
    print(f"mean dev AP: towers {mean_ap(0.0):.4f}; " + ", ".join(f"{w}: {s:.4f}" for w, s in scores.items()))
    print(f"weight {weight}")
    vocabulary = sorted(vec.vocabulary_, key=vec.vocabulary_.get)
    np.savez_compressed(
        args.out,
        vocabulary=np.array(vocabulary),
        idf=vec.idf_.astype(np.float32),
        coef=coef,
        intercept=intercept,
        labels=np.array(labels),
        weight=np.float32(weight),
    )
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
