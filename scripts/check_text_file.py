"""Check a new file of labelled sentences before it joins datasets/text (the rules of datasets/text/README.md).

    .venv/bin/python scripts/check_text_file.py NEW.jsonl PREFIX [--existing datasets/text] [--limit 0.5]

Checks the fields and their values, families (contiguous, 7-16 lines, one label set, language, kind, register and
``split_with`` each, names that start with PREFIX and are not used elsewhere, a ``split_with`` that names a family
which exists), speech lines (lower case, no punctuation) and languages (mixed lines hold both scripts), then
compares every sentence with every sentence of every other .jsonl file under --existing (split/, contrast/ and
transfer/ included) and with the file's other families: no equal sentence (lower-cased, whitespace collapsed), and
character 4-gram Jaccard overlap at most --limit.

Prints the counts and the failures only; a failure on overlap shows the nearest existing sentence, so that a
writer can reword without reading the other files. Exit status 1 when anything fails.
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from vodguard.evaluation.textsplit import FIELDS  # noqa: E402
from vodguard.moderation.types import LABELS  # noqa: E402

REQUIRED = set(FIELDS)
LANGS = {"en", "zh", "mixed"}
KINDS = {"explicit", "implicit", "near_miss", "clean"}
REGISTERS = {"speech", "caption", "chat", "formal"}
CJK = re.compile(r"[\u3400-\u9fff]")
LATIN = re.compile(r"[A-Za-z]")
PUNCT = re.compile(r"[.,!?;:\"'()\[\]，。！？；：“”‘’（）、《》…—]")


def norm(text: str) -> str:
    return " ".join(text.lower().split())


def grams(text: str) -> set[str]:
    t = norm(text)
    return {t[i : i + 4] for i in range(max(1, len(t) - 3))}


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def read_rows(file: Path, prefix: str, failures: list[str]) -> list[dict]:
    """The file's lines as rows (``_n``: the line number), each line's own fields and values checked."""
    rows = []
    for n, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            failures.append(f"line {n}: empty line")
            continue
        try:
            r = json.loads(line)
        except json.JSONDecodeError as e:
            failures.append(f"line {n}: not JSON ({e})")
            continue
        r["_n"] = n
        rows.append(r)
        fields = set(r) - {"_n"}
        if not REQUIRED <= fields <= REQUIRED | {"split_with"}:
            failures.append(f"line {n}: fields {sorted(fields)}")
            continue
        if "split_with" in r and (not isinstance(r["split_with"], str) or not r["split_with"].strip()):
            failures.append(f"line {n}: split_with {r['split_with']!r} is not a family name")
        if not isinstance(r["text"], str) or not r["text"].strip():
            failures.append(f"line {n}: empty text")
        if not isinstance(r["labels"], list) or set(r["labels"]) - set(LABELS):
            failures.append(f"line {n}: labels {r['labels']}")
        if r["lang"] not in LANGS or r["kind"] not in KINDS or r["register"] not in REGISTERS:
            failures.append(f"line {n}: lang/kind/register {r['lang']}/{r['kind']}/{r['register']}")
        if bool(r["labels"]) != (r["kind"] in {"explicit", "implicit"}):
            failures.append(f"line {n}: kind {r['kind']} with labels {r['labels']}")
        if not str(r["family"]).startswith(prefix):
            failures.append(f"line {n}: family {r['family']} does not start with {prefix}")
        text = r["text"]
        if r["lang"] == "en" and CJK.search(text):
            failures.append(f"line {n}: en line has Chinese characters")
        if r["lang"] == "zh" and not CJK.search(text):
            failures.append(f"line {n}: zh line has no Chinese characters")
        if r["lang"] == "mixed" and not (CJK.search(text) and LATIN.search(text)):
            failures.append(f"line {n}: mixed line needs both Chinese and Latin letters")
        if r["register"] == "speech" and (re.search(r"[A-Z]", text) or PUNCT.search(text)):
            failures.append(f"line {n}: speech line has a capital letter or punctuation")
    if not rows:
        failures.append(f"{file}: no sentences")
    return rows


def check_families(rows: list[dict], failures: list[str]) -> dict[str, list[dict]]:
    """The rows by family: contiguous, 7-16 lines, one label set / lang / kind / register each."""
    order: list[str] = []
    fam: dict[str, list[dict]] = collections.defaultdict(list)
    for r in rows:
        f = r.get("family")
        if order and order[-1] != f and f in fam:
            failures.append(f"line {r['_n']}: family {f} is not contiguous")
        if not order or order[-1] != f:
            order.append(f)
        fam[f].append(r)
    for f, members in fam.items():
        if not 7 <= len(members) <= 16:
            failures.append(f"family {f}: {len(members)} lines (7-16 allowed)")
        for key in ("lang", "kind", "register"):
            if len({m.get(key) for m in members}) > 1:
                failures.append(f"family {f}: more than one {key}")
        if len({tuple(sorted(m.get("labels") or [])) for m in members}) > 1:
            failures.append(f"family {f}: more than one label set")
        if len({m.get("split_with") for m in members}) > 1:
            failures.append(f"family {f}: more than one split_with")
    return fam


def check_overlap(
    rows: list[dict],
    fam: dict[str, list[dict]],
    file: Path,
    existing_dir: Path,
    limit: float,
    failures: list[str],
) -> float:
    """Family names and sentences against every other file under ``existing_dir``, and sentences across the
    file's own families; returns the highest overlap with an existing sentence. The other files' sentences are
    read, never printed except as the nearest match of a failure."""
    existing: list[tuple[str, str]] = []
    existing_families: set[str] = set()
    for path in sorted(existing_dir.rglob("*.jsonl")):
        if path.resolve() == file.resolve():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                e = json.loads(line)
                existing.append((e["text"], e.get("family", "")))
                existing_families.add(e.get("family", ""))
    for f, members in fam.items():
        if f in existing_families:
            failures.append(f"family {f}: name already used in an existing file")
        # a family split with another follows that family's split (vodguard/evaluation/textsplit.py), so the
        # other must exist, here or in an existing file
        source = members[0].get("split_with")
        if isinstance(source, str) and source not in fam and source not in existing_families:
            failures.append(f"family {f}: split_with {source} names no family")
    index: dict[str, list[int]] = collections.defaultdict(list)
    egrams = [grams(t) for t, _ in existing]
    exact = {norm(t) for t, _ in existing}
    for i, g in enumerate(egrams):
        for x in g:
            index[x].append(i)
    worst = 0.0
    new_grams = [grams(r.get("text", "")) for r in rows]
    for k, r in enumerate(rows):
        text = r.get("text", "")
        if norm(text) in exact:
            failures.append(f"line {r['_n']}: equals an existing sentence")
            continue
        g = new_grams[k]
        hits = collections.Counter(i for x in g for i in index.get(x, ()))
        best, best_i = 0.0, -1
        for i, _c in hits.most_common(50):
            j = jaccard(g, egrams[i])
            if j > best:
                best, best_i = j, i
        worst = max(worst, best)
        if best > limit:
            failures.append(
                f"line {r['_n']}: Jaccard {best:.2f} with an existing sentence: {existing[best_i][0]!r}"
            )
        for m in range(k + 1, len(rows)):
            if rows[m].get("family") != r.get("family"):
                j = jaccard(g, new_grams[m])
                if j > limit:
                    failures.append(f"lines {r['_n']} and {rows[m]['_n']}: Jaccard {j:.2f} across families")
    return worst


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("file", type=Path)
    ap.add_argument("prefix")
    ap.add_argument("--existing", type=Path, default=ROOT / "datasets" / "text")
    ap.add_argument("--limit", type=float, default=0.5)
    args = ap.parse_args()
    failures: list[str] = []
    rows = read_rows(args.file, args.prefix, failures)
    fam = check_families(rows, failures)
    worst = check_overlap(rows, fam, args.file, args.existing, args.limit, failures)
    counts: collections.Counter[tuple[str, object]] = collections.Counter()
    for r in rows:
        lab = "+".join(r.get("labels") or []) or "clean"
        counts[("label", lab)] += 1
        counts[("lang", r.get("lang"))] += 1
        counts[("register", r.get("register"))] += 1
        counts[("kind", r.get("kind"))] += 1
    print(f"{len(rows)} sentences, {len(fam)} families; highest overlap with existing {worst:.2f}")
    for key in ("label", "kind", "lang", "register"):
        print(f"  {key}: " + ", ".join(f"{v} {c}" for (k, v), c in sorted(counts.items()) if k == key))
    for f in failures:
        print("FAIL", f)
    print("OK" if not failures else f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
