"""Convert alt-profanity-check's English model into vodguard/moderation/text/data/en_profanity.npz.

alt-profanity-check (MIT) ships a scikit-learn TF-IDF vectorizer and a sigmoid-calibrated linear SVM as joblib
pickles. Loading them meant importing scikit-learn and unpickling at every start: about 0.7 s of each process
that reads text (`vodguard text` spent a sixth of its time there). The model is a few arrays, so this script
writes them out once and ``classifiers.EnglishAbuseModel`` scores them with numpy:

    tokens   = re.findall(r"(?u)\\b\\w\\w+\\b", text.lower())    (the vectorizer's token pattern)
    x        = counts of the tokens in ``vocab`` x ``idf``, L2-normalised
    d_k      = x . coef[k] + intercept[k]                      (one LinearSVC per calibration fold)
    p        = mean over k of 1 / (1 + exp(a[k] d_k + b[k]))  (each fold's sigmoid calibration)

The English stop words the vectorizer drops are not in its vocabulary, so counting only vocabulary tokens drops
them too. ``tests/moderation/test_text.py`` checks that the two agree on the project's sentences.

usage: python scripts/convert_profanity_check.py [--out PATH]   (needs the dev extras: alt-profanity-check)
"""

from __future__ import annotations

import argparse
import sys
from importlib import metadata
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "vodguard/moderation/text/data/en_profanity.npz"
TOKEN_PATTERN = r"(?u)\b\w\w+\b"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    from profanity_check import profanity_check as source

    vectorizer, model = source.vectorizer, source.model
    settings = vectorizer.get_params()
    expected = {
        "analyzer": "word",
        "lowercase": True,
        "ngram_range": (1, 1),
        "norm": "l2",
        "use_idf": True,
        "sublinear_tf": False,
        "binary": False,
        "strip_accents": None,
        "preprocessor": None,
        "tokenizer": None,
        "token_pattern": TOKEN_PATTERN,
    }
    changed = {k: settings[k] for k, v in expected.items() if settings[k] != v}
    if changed or model.method != "sigmoid" or list(model.classes_) != [0, 1]:
        print(f"alt-profanity-check's model is not the form this script converts: {changed}", file=sys.stderr)
        return 1
    words = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.__getitem__)
    folds = model.calibrated_classifiers_
    np.savez_compressed(
        args.out,
        vocab=np.array(words),
        idf=vectorizer.idf_.astype(np.float64),
        coef=np.stack([f.estimator.coef_[0] for f in folds]).astype(np.float64),
        intercept=np.array([f.estimator.intercept_[0] for f in folds], dtype=np.float64),
        a=np.array([f.calibrators[0].a_ for f in folds], dtype=np.float64),
        b=np.array([f.calibrators[0].b_ for f in folds], dtype=np.float64),
        source=np.array(f"alt-profanity-check {metadata.version('alt-profanity-check')} (MIT)"),
    )
    print(f"wrote {args.out}: {len(words)} words, {len(folds)} calibrated folds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
