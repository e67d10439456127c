"""English abuse and threats that nobody on the team wrote, for ``vodguard eval text`` (evaluation only).

    python3 scripts/make_outside_textset.py labeled_data.csv davidson.jsonl                  # every row
    python3 scripts/make_outside_textset.py test_suite_cases.csv sample.jsonl --sample 750 --seed 0

Two public sets are read; which one is told by the CSV's header. Never train or tune on either: a choice made
on them would make their figures one more dev score.

**Davidson et al. (2017), "Automated Hate Speech Detection and the Problem of Offensive Language"**,
github.com/t-davidson/hate-speech-and-offensive-language, ``data/labeled_data.csv``, MIT License (copyright
2017 Tom Davidson). 24,783 English tweets, each judged by three or more crowd workers; ``class`` is the
majority: 0 hate speech, 1 offensive language, 2 neither. Every tweet was drawn by a term of Hatebase.org's
lexicon (the repository's ``lexicons/readme.md``), so "neither" holds near-misses (trash, hick, bird), not
ordinary traffic, and some tweets the workers let through that we would not.

- ``davidson-hate`` → ``["Abuse"]``: hate speech is abuse aimed at a group.
- ``davidson-offensive`` → ``["Abuse"]``: mostly slurs and insults (bitch, hoe, fag, nigga) aimed at someone
  or used casually; our Abuse counts slurs in casual use.
- ``davidson-neither`` → ``[]``.

**Röttger et al. (2021), "HateCheck: Functional Tests for Hate Speech Detection Models"**,
github.com/paul-rottger/hatecheck-data, ``test_suite_cases.csv``, CC BY 4.0. 3,728 short English sentences
written from templates by the authors, in 29 functional tests, each test with one gold label that at least
four of five trained annotators confirmed; the targets are seven protected groups.

- ``hatecheck-threat_dir_h`` (I am going to shoot the next X I see) and ``hatecheck-threat_norm_h`` (We should
  just hang all these X) → ``["Terror", "Abuse"]``: a threat to kill is our Terror, and aimed at a group it is
  hate as well; our media corpus likewise expects both for "we will shoot you all" (docs/quality.md §1). They
  are HateCheck's only threat tests.
- the other 16 ``*_h`` tests (derogation, dehumanisation, slurs, profanity, negation, questions, opinions,
  spelling variants) → ``["Abuse"]``, though a few of them are threats too (I want to klil all X).
- ``target_indiv_nh`` (You are absolute filth) and ``target_group_nh`` (Lawyers' lives are worth nothing) →
  ``["Abuse"]``: HateCheck calls them non-hateful only because the target is not a protected group, while our
  Abuse covers insults whoever they are aimed at.
- the other 9 ``*_nh`` tests → ``[]``: neutral and positive mentions of a group, negated hate, counter-speech
  that quotes or names hate, slur homonyms (a garden hoe), reclaimed slurs used of oneself, swearing aimed at
  nobody, and abuse of things (single-use plastics).

Texts are kept as written but for HTML entities (the tweets' ``&amp;``, ``&#128514;``) and runs of white
space, newlines included, which become one space. ``--sample N`` draws a stratified random sample: the classes
share N equally, a class smaller than its share is taken whole and the rest goes to the others; the same
``--seed`` gives the same sample. The sources, their licences and the samples measured sit in
``../shared/data/davidson/`` and ``../shared/data/hatecheck/``.
"""

from __future__ import annotations

import argparse
import csv
import html
import json
import random
import re
from collections import Counter, defaultdict
from pathlib import Path

DAVIDSON_CLASSES = {"0": ("hate", ["Abuse"]), "1": ("offensive", ["Abuse"]), "2": ("neither", [])}
HATECHECK_THREATS = {"threat_dir_h", "threat_norm_h"}
HATECHECK_ABUSE_NH = {"target_indiv_nh", "target_group_nh"}

Row = dict[str, object]


def clean_text(text: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(text)).strip()


def row(text: str, labels: list[str], family: str) -> Row:
    kind = "explicit" if labels else "clean"
    return {
        "text": clean_text(text),
        "labels": labels,
        "lang": "en",
        "family": family,
        "kind": kind,
        "register": "chat",
    }


def convert(path: Path) -> list[Row]:
    """Every row of a Davidson or HateCheck CSV in our format; anything else raises ``ValueError``."""
    with path.open(encoding="utf-8", newline="") as handle:
        records = list(csv.DictReader(handle))
    columns = set(records[0]) if records else set()
    out: list[Row] = []
    if {"class", "tweet"} <= columns:
        for r in records:
            name, labels = DAVIDSON_CLASSES[r["class"]]
            out.append(row(r["tweet"], labels, f"davidson-{name}"))
    elif {"functionality", "test_case", "label_gold"} <= columns:
        for r in records:
            test = r["functionality"]
            if test in HATECHECK_THREATS:
                labels = ["Terror", "Abuse"]
            elif r["label_gold"] == "hateful" or test in HATECHECK_ABUSE_NH:
                labels = ["Abuse"]
            else:
                labels = []
            out.append(row(r["test_case"], labels, f"hatecheck-{test}"))
    else:
        raise ValueError(f"{path}: neither Davidson's labeled_data.csv nor HateCheck's test cases")
    return [r for r in out if r["text"]]


def stratified_sample(rows: list[Row], size: int, seed: int) -> list[Row]:
    """``size`` rows shared equally among the families; a small family is taken whole."""
    families: dict[object, list[Row]] = defaultdict(list)
    for r in rows:
        families[r["family"]].append(r)
    rng = random.Random(seed)
    picked: list[Row] = []
    left = size
    for i, name in enumerate(sorted(families, key=lambda f: (len(families[f]), str(f)))):
        share = min(len(families[name]), left // (len(families) - i))
        picked += rng.sample(families[name], share)
        left -= share
    return picked


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "source", type=Path, help="labeled_data.csv (Davidson) or test_suite_cases.csv (HateCheck)"
    )
    parser.add_argument("out", type=Path, help="JSON Lines to write")
    parser.add_argument("--sample", type=int, metavar="N", help="a stratified random sample of N rows")
    parser.add_argument("--seed", type=int, default=0, metavar="S", help="the sample's seed (default 0)")
    args = parser.parse_args()
    rows = convert(args.source)
    if args.sample is not None:
        rows = stratified_sample(rows, args.sample, args.seed)
    args.out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    counts = Counter(str(r["family"]) for r in rows)
    print(f"{args.out}: {len(rows)} rows; " + ", ".join(f"{f} {n}" for f, n in sorted(counts.items())))


if __name__ == "__main__":
    main()
