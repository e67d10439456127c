"""Ordinary sentences that nobody on the team wrote: Debian's package descriptions, for `vodguard eval text`.

    apt-get -o Acquire::Languages=en,zh_CN update         # once: fetches the English and Chinese descriptions
    python3 scripts/make_package_textset.py OUT_DIR [--per-language 3000]
    vodguard eval text OUT_DIR/packages_en.jsonl --labels all      # and packages_zh.jsonl

Where the UI strings of ``make_ui_textset.py`` are short labels, these are whole sentences of ordinary prose about
software, written by package maintainers and, for Chinese, by Debian's description translators. Many share topic
words with violations without meaning them: war and shooter games, security tools that "attack", "exploit" or
"crack", processes that are "killed", parental filters, payment libraries. Each description's first line and the
sentences of its long text are kept if they hold 12 to 200 characters, one of each. A language keeps at most one
sentence per description, chosen by a digest of the package name, so that no package's wording dominates; the
rows are then cut to ``--per-language`` in digest order. Nothing is chosen on the output, so it is test data
only: do not tune on it. The descriptions belong to their packages and translators (their licences vary): the
output is for measuring on this machine and is not committed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
from pathlib import Path

LISTS = Path("/var/lib/apt/lists")
APT_HELPER = "/usr/lib/apt/apt-helper"  # reads the lists however apt compressed them (lz4, xz, gz, none)
SENTENCE_END = {
    "en": re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])"),
    "zh": re.compile(r"(?<=[。！？；])"),
}
MIN_CHARS, MAX_CHARS = 12, 200
# Debian folds long lines with a space, which is noise inside Chinese text but a word break between Latin words
FOLD_NEXT_TO_HAN = re.compile(r"(?<=[\u3000-\u9fff\uff00-\uffef])\s+|\s+(?=[\u3000-\u9fff\uff00-\uffef])")


def read_list(path: Path) -> str:
    done = subprocess.run([APT_HELPER, "cat-file", str(path)], capture_output=True, check=True)
    return done.stdout.decode("utf-8", errors="replace")


def descriptions(text: str, field: str) -> dict[str, list[str]]:
    """Package name → the description's paragraphs, first line first, with Debian's line folding undone."""
    found: dict[str, list[str]] = {}
    for stanza in text.split("\n\n"):
        lines = stanza.split("\n")
        name = next((line[len("Package: ") :] for line in lines if line.startswith("Package: ")), None)
        start = next((i for i, line in enumerate(lines) if line.startswith(field + ": ")), None)
        if name is None or start is None:
            continue
        paragraphs = [lines[start][len(field) + 2 :].strip()]
        current: list[str] = []
        for line in lines[start + 1 :]:
            if not line.startswith(" "):
                break
            if line.strip() == ".":  # Debian's blank line inside a description
                paragraphs.append(" ".join(current))
                current = []
            elif not line.startswith("  "):  # two spaces mark verbatim lists and code: not prose
                current.append(line.strip())
        paragraphs.append(" ".join(current))
        found.setdefault(name, [p for p in paragraphs if p])
    return found


def sentences(paragraphs: list[str], language: str) -> list[str]:
    kept = []
    for paragraph in paragraphs:
        for sentence in SENTENCE_END[language].split(paragraph):
            sentence = FOLD_NEXT_TO_HAN.sub("", sentence) if language == "zh" else sentence
            sentence = re.sub(r"\s+", " ", sentence).strip()
            if language == "zh" and not re.search(r"[\u4e00-\u9fff]", sentence):
                continue  # an untranslated line
            if MIN_CHARS <= len(sentence) <= MAX_CHARS:
                kept.append(sentence)
    return kept


def digest(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest(), 16)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--per-language", type=int, default=3000)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for language, pattern, field in (
        ("en", "*_i18n_Translation-en*", "Description-en"),
        ("zh", "*_i18n_Translation-zh%5fCN*", "Description-zh_CN"),
    ):
        files = sorted(LISTS.glob(pattern))
        if not files:
            raise SystemExit(f"no {pattern} in {LISTS}: run apt-get -o Acquire::Languages=en,zh_CN update")
        packages: dict[str, list[str]] = {}
        for path in files:
            for name, paragraphs in descriptions(read_list(path), field).items():
                packages.setdefault(name, paragraphs)
        rows, seen = [], set()
        for name in sorted(packages, key=digest):
            choices = [s for s in sentences(packages[name], language) if s.lower() not in seen]
            if not choices:
                continue
            sentence = choices[digest(name) % len(choices)]
            seen.add(sentence.lower())
            rows.append({"text": sentence, "labels": [], "package": name})
            if len(rows) == args.per_language:
                break
        out = args.out / f"packages_{language}.jsonl"
        out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        print(f"{out}: {len(rows)} sentences from {len(packages)} descriptions")


if __name__ == "__main__":
    main()
