"""Train the Chinese abuse model shipped as vodguard/moderation/text/data/zh_abuse.npz.

Data: COLD (thu-coai/COLDataset, Apache-2.0). The model is fitted on train.csv only; every choice (C, the embedding
head's size, the mixing weight, the threshold) is made on dev.csv; test.csv, when it is there, is scored once at
the end and chooses nothing (it must never be trained on: /work/shared/data/README.md).

Model (scored with numpy alone by ``ChineseAbuseModel``):

* n-grams, NB-LR: which character 1–3-grams of the folded text occur (width/case/traditional→simplified,
  ``classifiers.char_ngrams``; presence, not counts; min_df 2), each scaled by its naive-Bayes log-count ratio
  log(P(gram | offensive) / P(gram | not)), then L2 logistic regression. The ratio and the coefficient multiply
  into one weight per n-gram; weights under ``--prune`` in size are dropped (on dev that costs nothing, and it
  halves the file).
* embedding head (optional, used when the caller passes the text's vector): a one-hidden-layer ReLU network
  (scikit-learn's MLPClassifier) on the 512-d USE-multilingual vector of ``encoder.SentenceEncoder``. The mixed
  log-odds is mix x n-gram + (1 - mix) x head + offset; the offset puts the mixed score's dev-chosen operating
  point on the n-gram threshold, so one ``threshold`` serves both ways of calling the model.
* threshold: the one with the best dev accuracy (``--target-precision P`` instead picks the lowest threshold
  whose dev precision reaches P, the high-precision point of earlier versions).

Results from the last run (C=0.2, 88,762 n-grams kept, head 128 hidden units alpha 0.01, mix 0.8, threshold
0.50, 0.83 MB; the numpy scorer agrees with scikit-learn to 1e-7):

    COLD dev (6,431 rows, 49.9 % offensive; chose everything)
      n-grams only:         accuracy 0.916, precision 0.932, recall 0.898, F1 0.915
      n-grams + embedding:  accuracy 0.922, precision 0.935, recall 0.908, F1 0.921
    COLD test (5,323 rows, 39.6 % offensive; scored once, chose nothing)
      n-grams only:         accuracy 0.807, precision 0.725, recall 0.825, F1 0.772
      n-grams + embedding:  accuracy 0.810, precision 0.729, recall 0.826, F1 0.775
    The model this replaced (TF-IDF char 1-3-grams + LR, threshold 0.65 chosen on a train hold-out):
      dev accuracy 0.890 / F1 0.883, test 0.796 / F1 0.738 (at 0.5: dev 0.906 / 0.906, test 0.799 / 0.761).
    COLD's own RoBERTa classifier (COLDetector) is published at 0.81 test accuracy.
    Scoring: 0.08 ms a text for the n-grams, 0.2 ms with the head, plus about 2 ms for the USE vector itself
    (which the text moderator computes anyway).

COLD's dev split is close to its train split in style and topics; its test split is harder (it also holds
anti-bias remarks that mention a group and insult no one). A model-only hit stays Abuse ``review``, never ``block``.

The embeddings take about 2 ms a sentence (one thread); they are cached under ``--cache`` by file content.

Usage: .venv/bin/python scripts/train_zh_abuse.py [--data /work/shared/data/cold] [--out path.npz]
       [--no-embedding] [--target-precision 0.95]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import math
import time
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, precision_recall_fscore_support
from sklearn.neural_network import MLPClassifier

from vodguard.moderation.text.classifiers import ChineseAbuseModel, char_ngrams, default_zh_model_path

SPLITS = ("train", "dev", "test")
THRESHOLDS = np.round(np.arange(0.50, 0.951, 0.01), 2)  # never below even odds


def read(path: Path) -> tuple[list[str], np.ndarray]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [r["TEXT"] for r in rows], np.array([int(r["label"]) for r in rows])


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40.0, 40.0)))


def logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def metrics(labels: np.ndarray, prob: np.ndarray, threshold: float) -> dict[str, float]:
    pred = (prob >= threshold).astype(int)
    p, r, f, _ = precision_recall_fscore_support(labels, pred, average="binary", zero_division=0)
    return {"accuracy": accuracy_score(labels, pred), "precision": p, "recall": r, "f1": f}


def choose_threshold(labels: np.ndarray, prob: np.ndarray, target_precision: float | None) -> float:
    """The best-accuracy threshold, or the lowest one whose precision reaches ``target_precision``."""
    if target_precision is None:
        return float(max(THRESHOLDS, key=lambda t: (metrics(labels, prob, t)["accuracy"], -abs(t - 0.5))))
    for t in THRESHOLDS:
        pred = prob >= t
        if pred.sum() and labels[pred].mean() >= target_precision:
            return float(t)
    return float(THRESHOLDS[-1])


# --- n-grams: NB-LR ---------------------------------------------------------------------------------------


class NgramModel:
    """Binary char 1–3-gram presence x NB log-count ratio -> logistic regression, collapsed to one weight each."""

    def __init__(self, texts: list[str], labels: np.ndarray, c: float, prune: float) -> None:
        self.vectorizer = CountVectorizer(analyzer=char_ngrams, min_df=2, binary=True, dtype=np.float64)
        x = self.vectorizer.fit_transform(texts)
        pos = np.asarray(x[labels == 1].sum(axis=0)).ravel() + 1.0
        neg = np.asarray(x[labels == 0].sum(axis=0)).ravel() + 1.0
        ratio = np.log((pos / pos.sum()) / (neg / neg.sum()))
        model = LogisticRegression(C=c, max_iter=5000).fit(x @ sparse.diags(ratio), labels)
        weight = model.coef_[0] * ratio
        vocab = np.array(sorted(self.vectorizer.vocabulary_, key=self.vectorizer.vocabulary_.get))
        self.keep = np.abs(weight) >= prune
        self.vocab, self.weight = vocab[self.keep], weight[self.keep]
        self.intercept = float(model.intercept_[0])

    def logit(self, texts: list[str]) -> np.ndarray:
        return self.vectorizer.transform(texts)[:, self.keep] @ self.weight + self.intercept


def fit_ngrams(train, dev, cs: list[float], prune: float) -> NgramModel:
    best: tuple[float, NgramModel] | None = None
    for c in cs:
        model = NgramModel(*train, c=c, prune=prune)
        accuracy = accuracy_score(dev[1], model.logit(dev[0]) >= 0)
        print(f"  n-grams C={c}: {len(model.vocab)} kept, dev accuracy {accuracy:.4f}", flush=True)
        if best is None or accuracy > best[0]:
            best = (accuracy, model)
    assert best is not None
    return best[1]


# --- sentence embeddings and their head -------------------------------------------------------------------


def embed(path: Path, texts: list[str], cache: Path) -> np.ndarray:
    """USE-multilingual vectors of ``texts``, exactly as the text moderator computes them, cached by content."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    cached = cache / f"{path.stem}-{digest}.npy"
    if cached.exists():
        return np.load(cached)
    from vodguard.moderation.text.encoder import SentenceEncoder, windows

    encoder = SentenceEncoder()
    pieces = [(windows(t) or [""])[0] for t in texts]  # COLD texts are all one window (under 400 characters)
    start = time.perf_counter()
    vectors = np.concatenate([encoder.encode(pieces[i : i + 256]) for i in range(0, len(pieces), 256)])
    print(f"  embedded {path.name}: {len(texts)} texts in {time.perf_counter() - start:.0f} s", flush=True)
    cache.mkdir(parents=True, exist_ok=True)
    np.save(cached, vectors)
    return vectors


def head_logit(head: MLPClassifier, vectors: np.ndarray) -> np.ndarray:
    hidden = np.maximum(vectors @ head.coefs_[0] + head.intercepts_[0], 0.0)
    return (hidden @ head.coefs_[1]).ravel() + head.intercepts_[1][0]


def fit_head(
    train_vectors, train_labels, dev_vectors, dev_labels, dev_ngram, sizes: list[int], alphas: list[float]
) -> tuple[MLPClassifier, float]:
    """The head and mixing weight with the best dev accuracy of the mixed score."""
    best: tuple[float, MLPClassifier, float] | None = None
    for size in sizes:
        for alpha in alphas:
            head = MLPClassifier(
                hidden_layer_sizes=(size,), alpha=alpha, early_stopping=True, random_state=0, max_iter=300
            ).fit(train_vectors, train_labels)
            z = head_logit(head, dev_vectors)
            mixes = np.round(np.arange(0.5, 1.001, 0.05), 2)
            accuracy, mix = max(
                (accuracy_score(dev_labels, m * dev_ngram + (1 - m) * z >= 0), m) for m in mixes
            )
            alone = accuracy_score(dev_labels, z >= 0)
            print(
                f"  head {size} units alpha={alpha}: dev accuracy alone {alone:.4f}, mixed {accuracy:.4f} at mix {mix}",
                flush=True,
            )
            if best is None or accuracy > best[0]:
                best = (accuracy, head, float(mix))
    assert best is not None
    return best[1], best[2]


# --- main ---------------------------------------------------------------------------------------------------


def report(name: str, labels: np.ndarray, prob: np.ndarray, threshold: float) -> None:
    for label, t in (("0.5", 0.5), (f"{threshold:.2f} (shipped)", threshold)):
        m = metrics(labels, prob, t)
        print(f"  {name} @ {label}: " + ", ".join(f"{k} {v:.4f}" for k, v in m.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("/work/shared/data/cold"))
    parser.add_argument("--out", type=Path, default=default_zh_model_path())
    parser.add_argument("--cache", type=Path, default=Path("/tmp/vodguard-zh-abuse-cache"))
    parser.add_argument("--c", type=float, nargs="+", default=[0.1, 0.2, 0.3, 0.5, 1.0])
    parser.add_argument("--prune", type=float, default=0.01, help="drop n-grams whose |weight| is smaller")
    parser.add_argument("--head-sizes", type=int, nargs="+", default=[128, 256])
    parser.add_argument("--head-alphas", type=float, nargs="+", default=[1e-3, 1e-2])
    parser.add_argument("--no-embedding", action="store_true", help="ship the n-gram model alone")
    parser.add_argument("--target-precision", type=float, default=None)
    args = parser.parse_args()

    data = {s: read(args.data / f"{s}.csv") for s in SPLITS if (args.data / f"{s}.csv").exists()}
    train, dev = data["train"], data["dev"]

    print("n-grams (fitted on train, chosen on dev):")
    ngrams = fit_ngrams(train, dev, args.c, args.prune)
    dev_ngram = ngrams.logit(dev[0])
    threshold = choose_threshold(dev[1], sigmoid(dev_ngram), args.target_precision)
    arrays: dict[str, np.ndarray] = {
        "vocab": ngrams.vocab,
        "weight": ngrams.weight.astype(np.float32),
        "intercept": np.float64(ngrams.intercept),
        "threshold": np.float64(threshold),
    }

    head, mix, offset, vectors = None, 1.0, 0.0, {}
    if not args.no_embedding:
        print("embedding head (fitted on train, chosen on dev):")
        vectors = {s: embed(args.data / f"{s}.csv", data[s][0], args.cache) for s in data}
        head, mix = fit_head(
            vectors["train"], train[1], vectors["dev"], dev[1], dev_ngram, args.head_sizes, args.head_alphas
        )
        mixed = mix * dev_ngram + (1 - mix) * head_logit(head, vectors["dev"])
        offset = logit(threshold) - logit(choose_threshold(dev[1], sigmoid(mixed), args.target_precision))
        arrays |= {
            "head_w1": head.coefs_[0].astype(np.float32),
            "head_b1": head.intercepts_[0].astype(np.float32),
            "head_w2": head.coefs_[1].ravel().astype(np.float32),
            "head_b2": np.float64(head.intercepts_[1][0]),
            "mix": np.float64(mix),
            "mix_offset": np.float64(offset),
        }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, **arrays)
    print(
        f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB): {len(ngrams.vocab)} n-grams, "
        f"threshold {threshold:.2f}" + (f", head mix {mix} offset {offset:+.3f}" if head else "")
    )

    # Score with the shipped numpy scorer; check it against scikit-learn on dev.
    shipped = ChineseAbuseModel(args.out)
    ngram_prob = sigmoid(dev_ngram)
    scored = np.array([shipped(t) for t in dev[0]])
    print(f"numpy scorer vs scikit-learn, n-grams: max |diff| {np.abs(scored - ngram_prob).max():.1e}")
    if head is not None:
        z = mix * dev_ngram + (1 - mix) * head_logit(head, vectors["dev"]) + offset
        scored = np.array([shipped(t, embedding=v) for t, v in zip(dev[0], vectors["dev"], strict=True)])
        print(f"numpy scorer vs scikit-learn, mixed: max |diff| {np.abs(scored - sigmoid(z)).max():.1e}")
    start = time.perf_counter()
    for t in dev[0][:2000]:
        shipped(t)
    per = (time.perf_counter() - start) / 2000
    print(f"scoring cost: {per * 1e3:.3f} ms a text (n-grams)", end="")
    if head is not None:
        start = time.perf_counter()
        for t, v in zip(dev[0][:2000], vectors["dev"][:2000], strict=True):
            shipped(t, embedding=v)
        print(
            f", {(time.perf_counter() - start) / 2000 * 1e3:.3f} ms with the head (the embedding not included)"
        )
    print()

    for split in [s for s in ("dev", "test") if s in data]:
        texts, labels = data[split]
        print(f"{split}{' (scored once, chose nothing)' if split == 'test' else ''}:")
        report("n-grams only", labels, np.array([shipped(t) for t in texts]), threshold)
        if head is not None:
            prob = np.array([shipped(t, embedding=v) for t, v in zip(texts, vectors[split], strict=True)])
            report("n-grams + embedding", labels, prob, threshold)


if __name__ == "__main__":
    main()
