"""Text moderation end to end: real lexicons, real models, the public TextModerator."""

from __future__ import annotations

import csv
import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from tests.paths import shared_data
from vodguard.moderation.errors import ModelUnavailable
from vodguard.moderation.text import TextModerator, get_text_moderator
from vodguard.moderation.text.ads import find_ad_signals
from vodguard.moderation.text.classifiers import ChineseAbuseModel, EnglishAbuseModel
from vodguard.moderation.text.lexicon import Lexicon, default_data_dir, expand, parse_lexicon
from vodguard.moderation.text.normalize import fold
from vodguard.moderation.types import LABELS, TextHit

TEXT_SPLIT_DEV = Path(__file__).resolve().parents[2] / "datasets/text/split/dev.jsonl"


@pytest.fixture(scope="module")
def moderator() -> TextModerator:
    return get_text_moderator()


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return Lexicon.load()


def by_label(hits: list[TextHit]) -> dict[str, TextHit]:
    labels = [h.label for h in hits]
    assert len(labels) == len(set(labels)), "at most one hit per label"
    return {h.label: h for h in hits}


CLEAN = [
    "The weather today is sunny and warm, let's go for a walk in the park.",
    "Hello, this is a test of the speech recognition system.",
    "The central bank kept interest rates unchanged on Tuesday, citing steady inflation.",
    "Our class passed the assessment, and the Scunthorpe team won the cocktail quiz.",
    "Thanks for sharing the recipe! I will try it this weekend with my grandmother.",
    "Version 2.3.1 fixes a crash when the video is longer than 10 minutes.",
    "The SB command reads the line number from the command line.",
    "今天天气很好，我们去公园散步吧。",
    "国务院召开常务会议，部署进一步稳定经济的措施。",
    "这家餐厅的菜很好吃，服务也很周到，下次还会再来。",
    "明天上午十点在三楼会议室开会，请大家准时参加。",
    "我妈妈的生日快到了，我想给她买一束花。",
    "新疆的葡萄很甜，东北的冬天很冷。",
    "After school we chat for an hour, then we chat again at dinner.",
]


@pytest.mark.parametrize("text", CLEAN)
def test_clean_text_has_no_hits(moderator: TextModerator, text: str) -> None:
    assert moderator(text) == []


# Clean sentences that the meaning-level models misread (known false alarms, docs/quality.md): no lexicon term
# fires on their near-miss words (处女座 is a star sign, 包夜 a night at an internet café), but both the USE head
# and the tuned model read the first clause as an insult. The blend of session 10 read the restaurant line as Porn
# at about 0.45, over Porn's review threshold (Porn has few dev near-misses, so its budget buys a low threshold).
# Session 11's two towers pass both (session 15's blend: Abuse 0.72 under 0.956, Porn 0.21 under 0.486) and read
# "shoot you an email" as Terror at 0.75, just over its threshold (0.687). A model alone only asks for review.
MODEL_REVIEWS = [
    "他是处女座，昨晚在网吧包夜，走进群众，融入群体，别扣扣搜搜的。",
    "We will find you a table by the window. This comedy is a real killer.",
    "I will shoot you an email about it tomorrow, and I'll shoot you a text when I land.",
]


@pytest.mark.parametrize("text", MODEL_REVIEWS)
def test_known_model_false_alarms_only_ask_for_review(moderator: TextModerator, text: str) -> None:
    for hit in moderator(text):
        assert hit.sub_label == "Intent" and hit.keywords == () and hit.confidence <= 80


@pytest.mark.parametrize(
    ("text", "label", "sub_label", "keyword"),
    [
        ("视频里有色情网站的广告", "Porn", "Sexual", "色情网站"),
        ("同城约炮，裸聊", "Porn", "SexService", "约炮"),
        ("我要杀了你", "Terror", "Violence", "杀了你"),
        ("我要炸死你们全家", "Terror", "Violence", "炸死你们"),
        ("教你自制炸弹", "Terror", "Weapon", "自制炸弹"),
        ("你这个傻逼", "Abuse", "Insult", "傻逼"),
        ("出售冰毒，货到付款", "Illegal", "Drugs", "出售冰毒"),
        ("网上赌博平台", "Illegal", "Gambling", "网上赌博"),
        ("代开发票，价格优惠", "Illegal", "FakeDocuments", "代开发票"),
        ("i will kill you tonight", "Terror", "Violence", "i will kill you"),
        ("i will kill you tonight", "Abuse", "Threat", "i will kill you"),  # aimed at someone: both
        ("我要杀了你", "Abuse", "Threat", "杀了你"),
        ("we will shoot you all", "Abuse", "Threat", "we will shoot you all"),
        ("add me on we chat for a limited offer", "Ad", "Contact", "on we chat"),  # WeChat as ASR writes it
        ("watch free porn videos", "Porn", "Sexual", "porn"),
        ("fuck you", "Abuse", "Insult", "fuck you"),
        ("guns for sale, no questions asked", "Illegal", "Weapons", "guns for sale"),
        ("sieg heil", "Polity", "Extremism", "sieg heil"),
    ],
)
def test_block_terms(moderator: TextModerator, text: str, label: str, sub_label: str, keyword: str) -> None:
    hit = by_label(moderator(text))[label]
    assert hit.sub_label == sub_label
    assert keyword in hit.keywords
    assert hit.confidence >= 90


# One weak cue needs the meaning-level model's support (presets.LEXICON_SUPPORT). These used to ask for review on
# the word alone; news of a bomb or a seizure are near-misses. (The bare word 赌博, "gambling", passed under the
# first floors; Illegal's floor chosen on the sixth round's dev split, 0.168, lets it ask for review.)
@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("新闻报道了一起炸弹案件", "Terror"),
        ("the bomb squad arrived", "Terror"),
        ("Police seized two kilograms of cocaine at the port yesterday.", "Illegal"),
    ],
)
def test_a_lone_weak_term_the_model_does_not_support_passes(
    moderator: TextModerator, text: str, label: str
) -> None:
    found = moderator.evidence(text, LABELS)
    assert label in found.hits and label in found.lone  # the term is there, alone
    assert label not in by_label(moderator(text))


def test_a_lone_weak_term_the_model_supports_asks_for_review_with_its_word(moderator: TextModerator) -> None:
    hit = by_label(moderator("I'm going to put a bomb in the school tomorrow"))["Terror"]
    assert "bomb" in hit.keywords
    assert 50 <= hit.confidence < 90  # a weak word never blocks


def test_two_weak_terms_stand_without_the_model(moderator: TextModerator) -> None:
    # a recogniser's garbled drug offer (the synthetic corpus): the model reads it at about 0.3, the two words stand
    text = "My cheap cocaine and heroin are in line today."
    found = moderator.evidence(text, LABELS)
    assert "Illegal" in found.hits and "Illegal" not in found.lone
    hit = by_label(moderator(text))["Illegal"]
    assert {"cocaine", "heroin"} <= set(hit.keywords) and 50 <= hit.confidence < 90


def test_lone_cues_stand_when_the_tuned_model_cannot_run(monkeypatch: pytest.MonkeyPatch) -> None:
    # the floors were chosen for the blend; the USE heads alone leave every cue as the lexicon found it
    monkeypatch.setenv("VODGUARD_TEXT_E5", "off")
    alone = TextModerator()
    assert alone.tuned is None
    assert "Terror" in by_label(alone("the bomb squad arrived"))
    # and an abuse model's hit alone stands too
    assert "Abuse" in by_label(alone(WEATHER_COMPLAINT))


# The Chinese abuse model (trained on COLD's comments on race, region and gender) reads offence into a weather
# complaint; alone, its hit needs the meaning-level blend's Abuse reading (presets.MODEL_SUPPORT).
WEATHER_COMPLAINT = "这天气预报又骗人 说好的大晴天呢"


def test_an_abuse_model_hit_the_meaning_level_model_does_not_support_passes(moderator: TextModerator) -> None:
    found = moderator.evidence(WEATHER_COMPLAINT, LABELS)
    assert "Abuse" in found.hits and "Abuse" in found.unconfirmed  # the model fired, with no lexicon term
    assert moderator(WEATHER_COMPLAINT) == []


def test_an_abuse_model_hit_the_meaning_level_model_supports_stands(moderator: TextModerator) -> None:
    text = "河南人就是素质低，离他们远点"  # regional contempt, with no word from the lexicons
    assert "Abuse" in moderator.evidence(text, LABELS).unconfirmed
    hit = by_label(moderator(text))["Abuse"]
    assert hit.sub_label == "Offensive" and 50 <= hit.confidence < 90


@pytest.mark.parametrize(
    ("text", "keyword"),
    [
        ("F U C K you", "F U C K you"),
        ("s.e.x videos here", "s.e.x videos"),
        ("傻 逼", "傻 逼"),
        ("ｆｕｃｋ ｙｏｕ", "ｆｕｃｋ ｙｏｕ"),
        ("殺了你", "殺了你"),
        ("fuuuuck you", "fuuuuck you"),
        ("b1tch", "b1tch"),
        ("you are a stupid b!tch", "stupid b!tch"),
        ("@sshole", "@sshole"),
    ],
)
def test_obfuscated_terms_are_found_as_written(lexicon: Lexicon, text: str, keyword: str) -> None:
    assert keyword in [h.keyword for h in lexicon.find(text)]


@pytest.mark.parametrize(
    "text", ["class", "Scunthorpe", "assassin", "passage", "a cocktail", "summa cum laude", "Bob", "sex2"]
)
def test_english_terms_need_word_boundaries(lexicon: Lexicon, text: str) -> None:
    assert lexicon.find(text) == []


def test_english_terms_accept_plurals_and_wildcards(lexicon: Lexicon) -> None:
    found = {h.keyword for h in lexicon.find("bitches, motherfuckers and assholes")}
    assert found == {"bitches", "motherfuckers", "assholes"}
    # "es" is a plural only after a hiss; "spic" + "es" is a kitchen word
    assert not lexicon.find("toast the spices first")


def test_chinese_terms_match_inside_sentences(lexicon: Lexicon) -> None:
    assert [h.keyword for h in lexicon.find("他说你这个傻逼别来了")] == ["傻逼"]


def test_lexicon_format() -> None:
    assert expand("{sell|buy} {a|b} gun") == ["sell a gun", "sell b gun", "buy a gun", "buy b gun"]
    terms = parse_lexicon(
        ["# note", "[Drugs block]", "{出售|卖}冰毒", "[Drugs review]", "cocaine"], label="Illegal"
    )
    assert [(t.text, t.block) for t in terms] == [("出售冰毒", True), ("卖冰毒", True), ("cocaine", False)]
    with pytest.raises(ValueError, match=r"<lexicon>:1: term 'orphan'"):
        parse_lexicon(["orphan"], label="Porn")


def test_every_shipped_label_has_terms_in_both_languages(lexicon: Lexicon) -> None:
    for label in ("Porn", "Terror", "Polity", "Ad", "Illegal", "Abuse"):
        terms = [t for t in lexicon.terms if t.label == label]
        assert any(t.left_latin for t in terms), label
        assert any(not t.left_latin for t in terms), label
    assert 500 < len(lexicon.terms) < 5000


def test_notice_carries_the_ldnoobw_attribution() -> None:
    notice = (default_data_dir() / "NOTICE.txt").read_text(encoding="utf-8")
    assert "CC BY 4.0" in notice and "LDNOOBW" in notice


@pytest.mark.parametrize(
    ("text", "sub_label", "keyword"),
    [
        ("visit https://shop.example.com/deal today", "Url", "https://shop.example.com/deal"),
        ("官网 www.example.cn", "Url", "www.example.cn"),
        ("电话 138-1234-5678", "Phone", "138-1234-5678"),
        ("热线 138 1234 5678", "Phone", "138 1234 5678"),
        ("联系一三八一二三四五六七八", "Phone", "一三八一二三四五六七八"),
        ("微信：abc_12345", "Contact", "微信：abc_12345"),
        ("QQ号123456789", "Contact", "QQ号123456789"),
        ("wx: hello2024", "Contact", "wx: hello2024"),
        ("wechat id mike_2024", "Contact", "wechat id mike_2024"),
    ],
)
def test_ad_patterns(text: str, sub_label: str, keyword: str) -> None:
    assert [(s.sub_label, s.keyword) for s in find_ad_signals(text)] == [(sub_label, keyword)]


@pytest.mark.parametrize(
    "text", ["version 1.2.3 at 3.5 pm", "node.js and vue.js", "order 20240101123", "2024-05-01"]
)
def test_ad_patterns_ignore_ordinary_numbers_and_names(text: str) -> None:
    assert find_ad_signals(text) == []


# A web address alone is one weak Ad cue: it asks for review only where the meaning-level model reads the text as an
# advert (presets.LEXICON_SUPPORT["Ad"], chosen on dev once datasets/text/contacts_i.jsonl put addresses in ordinary
# text). The same address in a sales pitch is Ad, with the address as its keyword.
def test_a_bare_url_passes_and_the_same_url_in_an_advert_is_ad(moderator: TextModerator) -> None:
    assert moderator("more at www.example.com") == []
    hit = by_label(moderator("Big sale today, order at www.example.com before midnight"))["Ad"]
    assert (hit.sub_label, hit.keywords) == ("Url", ("www.example.com",))
    assert 50 <= hit.confidence < 90


@pytest.mark.parametrize(
    ("text", "keywords"),
    [
        ("加微信 abc123456 免费领取福利", {"加微信 abc123456", "免费领取福利"}),
        ("加V：hello2024，扫码进群", {"加V：hello2024", "扫码进群"}),
        ("扣扣 12345678 私聊", {"扣扣 12345678", "私聊"}),
        ("add me on whatsapp +44 7700 900123, click the link", {"click the link"}),
    ],
)
def test_contact_plus_call_to_action_is_block(
    moderator: TextModerator, text: str, keywords: set[str]
) -> None:
    hit = by_label(moderator(text))["Ad"]
    assert hit.confidence >= 90
    assert keywords <= set(hit.keywords)


def test_one_hit_per_label_with_all_its_keywords(moderator: TextModerator) -> None:
    hits = by_label(moderator("傻逼，你这个贱人，色情视频"))
    assert set(hits) == {"Abuse", "Porn"}
    assert set(hits["Abuse"].keywords) == {"傻逼", "贱人"}
    assert hits["Abuse"].confidence > 95  # two distinct block terms


def test_labels_filter(moderator: TextModerator) -> None:
    text = "傻逼 色情视频 加微信 abc123456 免费领取"
    assert {h.label for h in moderator(text)} == {"Abuse", "Porn", "Ad"}
    assert {h.label for h in moderator(text, labels={"Porn", "Terror"})} == {"Porn"}
    assert moderator(text, labels=()) == []
    assert moderator("", labels=LABELS) == []


def test_hits_are_sorted_strongest_first(moderator: TextModerator) -> None:
    confidences = [h.confidence for h in moderator("傻逼 www.example.com wechat: abc123")]
    assert confidences == sorted(confidences, reverse=True) and len(confidences) == 2


def test_chinese_model_loads_from_package_data() -> None:
    model = ChineseAbuseModel()
    assert 0.5 <= model.threshold < 1
    assert model("你这个傻逼，滚出去") > model("今天天气很好，我们去公园散步吧。") + 0.3


def test_english_model_scores_as_alt_profanity_check_does() -> None:
    # en_profanity.npz is alt-profanity-check's model as arrays (scripts/convert_profanity_check.py); scored
    # with numpy it must give the package's own probabilities, on our sentences and on awkward input
    from profanity_check import predict_prob

    texts = [
        json.loads(line)["text"] for line in TEXT_SPLIT_DEV.read_text(encoding="utf-8").splitlines()[:1500]
    ]
    texts += [
        "fuck fuck FUCK you",
        "the and of it",
        "Ünïcödé shit",
        "damn that was good",
        "x" * 5000,
        "go2 hell",
    ]
    model = EnglishAbuseModel()
    ours = np.array([model(t) for t in texts])
    theirs = np.array(
        [float(predict_prob([fold(t)])[0]) if re.search("[a-z]{2,}", fold(t), re.I) else 0.0 for t in texts]
    )
    assert np.abs(ours - theirs).max() < 1e-9
    assert (ours >= model.threshold).sum() > 5  # the sample holds profanity the model is sure of


def test_english_model_file_missing_or_corrupt_is_named(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable, match="nothing.npz is missing"):
        EnglishAbuseModel(tmp_path / "nothing.npz")
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"PK\x03\x04 not a zip")
    with pytest.raises(ModelUnavailable, match="broken.npz is not a readable English abuse model"):
        EnglishAbuseModel(broken)


def test_model_only_abuse_is_review(moderator: TextModerator) -> None:
    english = by_label(moderator("you are a pathetic moron and an idiot"))
    chinese = by_label(moderator("河南人都是骗子，全是小偷"))
    for hits in (english, chinese):
        assert 50 <= hits["Abuse"].confidence <= 85


def test_the_default_moderator_is_shared() -> None:
    assert get_text_moderator() is get_text_moderator()


def test_chinese_model_separates_cold_dev() -> None:
    with shared_data("cold/dev.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))[:600]
    model = ChineseAbuseModel()
    correct = sum((model(r["TEXT"]) >= 0.5) == (r["label"] == "1") for r in rows)
    assert correct / len(rows) > 0.8


def test_concurrent_calls_agree_with_serial_ones(moderator: TextModerator) -> None:
    texts = [
        "傻 逼",
        "加微信 abc123456 免费领取",
        "i will kill you",
        "今天天气很好",
        "s.e.x videos",
        "河南人都是骗子",
    ] * 20
    serial = [moderator(t) for t in texts]
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(moderator, texts)) == serial


def test_full_width_english_is_scored_like_ascii(moderator: TextModerator) -> None:
    plain, wide = by_label(moderator("shut up, fuck")), by_label(moderator("ｓｈｕｔ ｕｐ, ｆｕｃｋ"))
    assert wide["Abuse"].confidence == plain["Abuse"].confidence >= 85  # the model agrees with the word


@pytest.mark.parametrize("text", ["Please do not kill yourself, call the hotline", "Giv mig et kys"])
def test_words_that_help_or_kiss_never_block(moderator: TextModerator, text: str) -> None:
    # "kill yourself" and "kys" are review terms: alone, without the meaning-level model's support, they pass
    assert "Terror" in moderator.evidence(text, LABELS).lone
    assert all(h.confidence < 90 for h in moderator(text))
