"""Ordinary UI text that nobody on the team wrote: the machine's own software translations, for `vodguard eval text`.

    python3 scripts/make_ui_textset.py OUT_DIR [--locale zh_CN] [--per-half 3000]
    vodguard eval text OUT_DIR/ui_a.jsonl --labels all      # and ui_b.jsonl

Reads every gettext catalogue in /usr/share/locale/<locale>/LC_MESSAGES (git, GTK, apt, PostgreSQL, ISO names...),
keeps each English string and its translation as two clean texts, drops format strings and markup, and keeps
texts of 2 to 60 characters, one of each. A package's texts all go to half ``a`` or half ``b`` by a digest of its
name (split by source, as the sentence set is by family); each half is shuffled with a fixed seed and cut to
``--per-half`` texts. The catalogues belong to their packages (mostly GPL or LGPL): the output is for measuring
on this machine and is not committed. What the catalogues hold depends on the packages installed, so figures
from other machines differ; docs/quality.md 2g gives the machine's.
"""

from __future__ import annotations

import argparse
import gettext
import hashlib
import json
import random
from pathlib import Path

SEED = 1
SKIP = ("%", "\n", "{", "<")  # format strings, multi-line help and markup are not what a screen shows


def catalogue(path: Path) -> list[str]:
    """Every English string of one .mo file and its translation, cleaned of menu accelerators."""
    with path.open("rb") as handle:
        # the parsed catalogue: GNUTranslations has no public way to list its entries
        entries = gettext.GNUTranslations(handle)._catalog
    texts = []
    for key, value in entries.items():
        source = key[0] if isinstance(key, tuple) else key  # plural forms are keyed (msgid, n)
        if not source or not isinstance(value, str):
            continue  # the header entry
        for text in (source, value):
            text = text.replace("_", "").replace("&", "").strip()
            if 2 <= len(text) <= 60 and not any(mark in text for mark in SKIP):
                texts.append(text)
    return texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--locale", default="zh_CN")
    parser.add_argument("--per-half", type=int, default=3000)
    args = parser.parse_args()
    files = sorted(Path("/usr/share/locale", args.locale, "LC_MESSAGES").glob("*.mo"))
    if not files:
        raise SystemExit(f"no catalogues in /usr/share/locale/{args.locale}/LC_MESSAGES")
    halves: dict[str, list[dict[str, object]]] = {"a": [], "b": []}
    for path in files:
        half = "ab"[int(hashlib.sha256(path.stem.encode()).hexdigest(), 16) % 2]
        halves[half] += [{"text": t, "labels": [], "package": path.stem} for t in catalogue(path)]
    args.out.mkdir(parents=True, exist_ok=True)
    for half, rows in halves.items():
        random.Random(SEED).shuffle(rows)
        kept, seen = [], set()
        for row in rows:
            if row["text"] not in seen and len(kept) < args.per_half:
                seen.add(row["text"])
                kept.append(row)
        out = args.out / f"ui_{half}.jsonl"
        out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in kept), encoding="utf-8")
        packages = len({r["package"] for r in kept})
        print(f"{out}: {len(kept)} texts from {packages} packages")


if __name__ == "__main__":
    main()
