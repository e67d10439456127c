"""The words and looks of ``vodguard eval make-corpus``: captions and sentences, each with the labels it was
written for (none: clean, some borrowing risky words), and the voices, caption styles, places and frame sizes the
corpus varies over."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Phrase:
    """A caption or sentence with the labels it was written for (none: clean) and how bad it is."""

    text: str
    lang: str  # en / zh
    labels: tuple[str, ...] = ()
    suggestion: str = ""  # review / block for violating phrases


def _p(text: str, lang: str, labels: str = "", suggestion: str = "block") -> Phrase:
    return Phrase(text, lang, tuple(labels.split(",")) if labels else (), suggestion if labels else "")


CAPTIONS_BAD = [
    _p("add wechat luckyshop88 for cheap followers", "en", "Ad"),
    _p("CALL NOW 555-013-4477 LIMITED OFFER", "en", "Ad"),
    _p("free porn videos every night", "en", "Porn"),
    _p("buy cocaine online fast delivery", "en", "Illegal"),
    _p("online casino bonus sign up now", "en", "Illegal,Ad"),
    _p("we will shoot you all", "en", "Terror,Abuse"),  # a threat aimed at the reader is abuse too
    _p("how to build a nail bomb", "en", "Terror"),
    _p("white power forever", "en", "Polity", "review"),
    _p("shut up you fucking bitch", "en", "Abuse"),
    _p("you are a stupid idiot", "en", "Abuse", "review"),
    _p("加微信lucky888领取福利", "zh", "Ad"),
    _p("兼职日结 加QQ 12345678", "zh", "Ad"),
    _p("出售大麻 货到付款", "zh", "Illegal"),
    _p("网上赌博平台 注册送彩金", "zh", "Illegal"),
    _p("三级片在线免费看", "zh", "Porn"),
    _p("你这个傻逼", "zh", "Abuse"),
    _p("我要炸死你们全家", "zh", "Terror,Abuse"),
    _p("支持港独", "zh", "Polity", "review"),
]
CAPTIONS_CLEAN = [
    _p("QUARTERLY REVIEW 2024", "en"),
    _p("Welcome to our cooking show", "en"),
    _p("A shooting star over the lake", "en"),
    _p("Kill the lights at ten", "en"),
    _p("Fresh bread every morning", "en"),
    _p("The history of the Berlin wall", "en"),
    _p("Chapter 3: training your puppy", "en"),
    _p("今天天气很好", "zh"),
    _p("欢迎收看美食节目", "zh"),
    _p("新品发布会现场直播", "zh"),
    _p("周末去公园散步", "zh"),
    _p("学习使我快乐", "zh"),
]
SPEECH_BAD = [
    _p("I will kill you and bomb the building.", "en", "Terror,Abuse"),
    _p("Add me on WeChat and call now for a limited offer.", "en", "Ad"),
    _p("Buy cheap cocaine and heroin online today.", "en", "Illegal"),
    _p("You are a stupid idiot and a fucking loser.", "en", "Abuse"),
    _p("Watch free porn videos tonight.", "en", "Porn"),
    _p("Join the online casino and win big money now.", "en", "Illegal,Ad"),
]
SPEECH_CLEAN = [
    _p("The weather is lovely today, so we are going to the park.", "en"),
    _p("Welcome to our cooking show. Today we bake a loaf of bread.", "en"),
    _p("The photographer will shoot the wedding on Saturday.", "en"),
    _p("Please remember to water the plants before you leave.", "en"),
    _p("Our train arrives at platform four at half past nine.", "en"),
    _p("This comedy is a real killer, I laughed all evening.", "en"),
]
SPEECH_ZH = [
    _p("你这个傻逼", "zh", "Abuse"),
    _p("加微信领取福利", "zh", "Ad"),
    _p("今天天气很好我们去公园", "zh"),
]
VOICES = [("en-us", 150), ("en-gb", 135), ("en-us", 185), ("en-gb-x-rp", 165), ("en-us+f3", 160)]
STYLES = ("boxed", "outlined", "plain")
PLACES = ("top", "middle", "bottom")
SIZES = [(480, 270), (640, 360), (854, 480), (1280, 720)]
