"""Pictures full of text drawn by Chromium instead of PIL: a held-out check for the OCR shortcut.

The OCR shortcut was trained and tuned on pictures whose text PIL drew (PIL's rasteriser and hinting, our own
layouts). A shortcut that learnt what PIL text looks like, rather than what text looks like, would still pass every
check built the same way. This script draws the same kind of busy screens with a different renderer: it builds HTML
pages (news article, forum thread, two-column menu or price list, timetable or spreadsheet, chat app, receipt or
invoice, settings screen, captions over a photo), renders them in the system's Chromium through Playwright (Skia,
subpixel glyph positioning, CSS text-shadow and text-stroke, real table and multi-column layout) and screenshots the
viewport. The sentences are of the same kind as in the PIL pictures (often the same rows); the renderer and the
layouts are what is new. The astronaut, rocket, flower and china photos are never used: another check holds them out.

Usage:

    .venv/bin/python scripts/make_browser_text_pictures.py OUT_DIR [--count 96] [--seed 7]

Writes OUT_DIR/browser_NNN.png (the viewport only) and OUT_DIR/manifest.jsonl, one JSON line per picture:
{"path" (relative to OUT_DIR), "layout", "size": [w, h], "font_px" (the page's base font size; headlines are larger,
grey labels smaller but never under 8 px), "font" (the first family of the CSS font stack; Chinese glyphs always come
from WenQuanYi Micro Hei, the only CJK font installed), "lang" ("zh", "en" or "mixed"), "variant", "dark", "photo"}.

Text: sentences from datasets/text/ordinary*.jsonl if any exist, otherwise from the rows of
datasets/text/*.jsonl (top level only) whose "labels" list is empty, minus characters no installed font
has (emoji); names, prices, numbers, dates and usernames are made up here. Deterministic for a given seed (one
random.Random(seed) plans every picture, each picture then draws from generators seeded from it) as long as the
installed fonts and Chromium stay the same. No network: pages are strings given to page.set_content, the photo is
inlined as a data URL, and the browser is Debian's /usr/bin/chromium (never a downloaded one).
"""

from __future__ import annotations

import argparse
import base64
import html
import json
import math
import random
import re
import subprocess
import sys
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

from PIL import Image
from playwright.sync_api import Page, sync_playwright

REPO = Path(__file__).resolve().parent.parent
TEXT_DIR = REPO / "datasets" / "text"
PHOTO_DIR = REPO / "tests" / "fixtures" / "clean_pictures"
HELD_OUT_PHOTOS = ("astronaut", "rocket", "flower", "china")  # another check owns these; never draw them here
MIN_PHOTO_SIDE = 150  # the 25-100 px thumbnails would be stretched into a blur behind a 1080x1920 page
CHROMIUM = "/usr/bin/chromium"

LAYOUTS = ("news", "forum", "menu", "table", "chat", "receipt", "settings", "captions")
SIZES = ((640, 480), (800, 600), (1280, 720), (480, 854), (720, 1280), (1080, 1920))
FONT_PX = (9, 10, 11, 12, 13, 14, 16, 20, 24)
FONT_PX_WEIGHTS = (
    2,
    2,
    2,
    2,
    2,
    2,
    1.5,
    1,
    1,
)  # 9-14 px get 12/15.5 = 77 % of pictures: small text is the hard case
LANGS = ("zh", "en", "mixed")
LANG_WEIGHTS = (0.42, 0.42, 0.16)
# Families we would like to use; only those fc-list reports are kept (see installed_fonts).
WANTED_FONTS = (
    "DejaVu Sans",
    "DejaVu Serif",
    "DejaVu Sans Mono",
    "DejaVu Sans Condensed",
    "Liberation Sans",
    "Liberation Serif",
    "Liberation Mono",
    "Liberation Sans Narrow",
    "WenQuanYi Micro Hei",
    "WenQuanYi Micro Hei Mono",
)
CJK_FONT = "WenQuanYi Micro Hei"

# A page is full when, in every element marked .fill, the last child reaches the bottom of the viewport or, in a
# multi-column container, has been pushed past its right edge (reaching the bottom of the first column is not enough
# there: the other columns would stay empty).
FILLED_JS = """() => [...document.querySelectorAll('.fill')].every(f => {
  const last = f.lastElementChild;
  if (!last) return false;
  const box = f.getBoundingClientRect(), r = last.getBoundingClientRect();
  if (parseInt(getComputedStyle(f).columnCount) > 1) return r.left >= box.right - 2;
  return r.bottom >= innerHeight - 2 || r.left >= box.right - 2;
})"""

# ---------------------------------------------------------------------------------------------------------------
# Made-up vocabulary (names, dishes, places, settings). Sentences come from the repository's datasets.


def words(text: str, sep: str | None = None) -> list[str]:
    """A vocabulary list written as one string, to keep these lists short on the page."""
    return text.split(sep)


EN_FIRST = words(
    "Maya Tom Priya Lucas Chloe Omar Hannah Diego Sara Ben Aisha Leo Nina Sam Grace Ivan Zoe Ken Ruth Felix"
)
EN_LAST = words(
    "Carter Nguyen Patel Silva Walsh Okafor Kim Brooks Larsen Moreau Reyes Hughes Novak Ellis Byrne"
)
ZH_SURNAMES = "张王李刘陈杨赵黄周吴徐孙马朱胡郭何林罗高"
ZH_GIVEN = words(
    "伟 芳 娜 敏 静 丽 强 磊 洋 艳 勇 军 杰 娟 涛 明 超 秀英 霞 平 刚 晨 宇 欣怡 子涵 浩然 雨桐 思远"
)
EN_HANDLE_A = words(
    "maple night river blue lazy pixel coffee quiet lucky north paper sunny tiny wild urban salt"
)
EN_HANDLE_B = words("fox owl stone cat bean cloud panda rider reader bird walker chef moth kite fern")
ZH_NICKS = words(
    "小鱼儿 夜猫子 阿杰 橘子汽水 山海 老王在路上 吃货小分队 一只大白 柠檬不酸 晴天 路过的风 木子李 追风少年 "
    "阿花 大橙子 白开水 星星点灯 胖虎 糖糖 北方的狼 半夏 桃子味 老陈聊数码 今天也要早睡"
)
EN_CITIES = words(
    "Lisbon Porto Lyon Milan Bern Vienna Prague Leeds York Bristol Cardiff Glasgow Oslo Malmö Ghent Utrecht Bonn "
    "Seville Valencia Turin"
)
ZH_CITIES = words(
    "北京南 上海虹桥 杭州东 南京南 武汉 长沙南 广州南 深圳北 成都东 西安北 郑州东 合肥南 厦门北 重庆西 青岛北 天津西"
)
EN_STREETS = words("Harbor Mill Station Church Elm Queen Market Bridge Orchard Canal Hill King")
ZH_ROADS = words("解放 人民 中山 建设 和平 新华 长江 文化 青年 光明 学府 滨江")
ZH_DISTRICTS = words("朝阳 海淀 浦东 天河 武侯 西湖 鼓楼 江汉 雁塔 南山")

EN_METHODS = words("Grilled Braised Crispy Smoked Spicy Roast Pan-fried Steamed Charred Slow-cooked Glazed")
EN_MAINS = words(
    "chicken thigh|pork belly|salmon|tofu|beef brisket|mushrooms|duck leg|prawns|lamb shoulder|"
    "aubergine|noodles|cauliflower|sea bass",
    sep="|",
)
EN_SIDES = words(
    "rice,garlic greens,lemon butter,chili oil,herb salad,mash,flatbread,pickles,slaw,miso glaze", sep=","
)
EN_INGREDIENTS = words(
    "garlic ginger scallion sesame lime coriander chili honey thyme fennel yoghurt walnut soy"
)
ZH_METHODS = words("红烧 清蒸 干煸 麻辣 糖醋 蒜蓉 香煎 酸菜 凉拌 小炒 椒盐 酱爆 黄焖 水煮")
ZH_MAINS = words("牛肉 鸡丁 鱼片 豆腐 排骨 茄子 虾仁 土豆丝 空心菜 羊肉 五花肉 鸡翅 藕片 牛蛙")
ZH_INGREDIENTS = words("蒜 姜 葱 花椒 芝麻 香菜 小米辣 蚝油 青椒 木耳 香菇 芹菜")
EN_SERVICES = words(
    "Screen replacement|Battery check|Deep clean|Haircut|Beard trim|Wash & blow-dry|Colour touch-up|"
    "Tyre change|Oil change|Key cutting|Shoe repair|Trouser hem|Dry cleaning, suit|"
    "Photo prints 10x15|Laptop diagnosis",
    sep="|",
)
ZH_SERVICES = words(
    "屏幕更换 电池检测 深度清洁 洗剪吹 修胡须 染发补色 换轮胎 "
    "更换机油 配钥匙 修鞋 裤脚改短 干洗西装 照片冲印 电脑检测 手机贴膜"
)
EN_GROCERIES = words(
    "MILK 2L|BANANAS|BREAD WHOLEMEAL|EGGS FREE RANGE 12|CHEDDAR 400G|APPLES GALA|PASTA FUSILLI|"
    "TOMATOES TINNED|RICE BASMATI 1KG|COFFEE BEANS|ORANGE JUICE|YOGURT GREEK|CHICKEN BREAST|SPINACH|"
    "DISH SOAP|TOILET ROLL 9PK|OLIVE OIL|BUTTER|CARROTS 1KG|ONIONS",
    sep="|",
)
ZH_GROCERIES = words(
    "纯牛奶250ml*12 香蕉 全麦面包 鸡蛋10枚 红富士苹果 挂面 番茄 东北大米5kg 咖啡豆 橙汁 酸奶 鸡胸肉 菠菜 洗洁精 "
    "抽纸 花生油 黄油 胡萝卜 洋葱 矿泉水550ml"
)
EN_INVOICE_ITEMS = words(
    "Website maintenance (March)|Video editing, 3 episodes|Subtitle translation|Hosting plan, annual|"
    "Consulting, 4 h|Design revisions|Camera rental, 2 days|Studio time|Colour grading|"
    "Travel expenses|Thumbnail design|Sound mixing",
    sep="|",
)
ZH_INVOICE_ITEMS = words(
    "网站维护（3月） 视频剪辑3集 字幕翻译 年度主机服务 咨询服务4小时 设计修改 "
    "相机租赁2天 录音棚使用 调色 差旅费 封面设计 混音"
)
EN_SECTIONS = words("World Business Tech Sport Culture Opinion Science Travel Food Health Local Weather")
ZH_SECTIONS = words("要闻 国内 国际 财经 科技 体育 文化 评论 旅游 美食 健康 本地")
EN_SITES = ["The Daily Ledger", "Harbor Times", "Northside Post", "Metro Herald", "The Valley Courier"]
ZH_SITES = ["江城晚报", "今日看点", "青禾新闻", "城事速递", "晨光日报"]
EN_FORUMS = ["TrailTalk Forums", "HomeCook Board", "r/weekendprojects", "Commuter Corner", "The Tinker Shed"]
ZH_FORUMS = ["生活百科论坛", "骑行者之家", "厨房小白交流区", "数码杂谈", "同城生活圈"]
EN_GROUPS = ["Family", "Hiking club", "Flatmates", "Team standup", "Book club", "Weekend plans"]
ZH_GROUPS = ["相亲相爱一家人", "周末爬山群", "室友群", "项目组", "读书会", "小区邻居群"]
EN_SHOPS = ["FRESHWAY MARKET", "CORNER GROCER", "GREENLEAF FOODS", "DAILY MART", "BAYSIDE STORES"]
ZH_SHOPS = ["鲜果时光超市", "邻里便利店", "好又多生活超市", "百佳鲜生", "社区惠民超市"]
EN_RESTAURANTS = ["The Copper Pot", "Lantern House", "Olive & Ash", "Nine Spoons", "Harbour Kitchen"]
ZH_RESTAURANTS = ["老街小馆", "川味人家", "一碗面馆", "湘里湘亲", "江南小厨"]
EN_SHOPS_SERVICE = ["FixIt Corner", "Studio Nine Hair", "QuickFix Auto", "Mend & Make", "Bright Prints"]
ZH_SHOPS_SERVICE = ["快修驿站", "九号造型", "速通汽修", "巧手裁缝铺", "光影冲印社"]
EN_COMPANIES = [
    "Northwind Media Ltd",
    "Bluebird Studio",
    "Kestrel Web Services",
    "Larch & Co.",
    "Openfield Video",
]
ZH_COMPANIES = ["青禾文化传媒有限公司", "蓝鸟工作室", "远山网络科技", "木子设计事务所", "晨曦影视制作"]
EN_TABLE_REGIONS = words("North South East West Central Coast Metro Highlands")
ZH_TABLE_REGIONS = words("华北 华南 华东 西南 华中 东北 西北 港澳")
EN_PRODUCTS = words("Widget-A Widget-B Cable-2m Adapter Charger Case Stand Hub Lamp Tripod")
ZH_PRODUCTS = words("数据线 充电器 保护壳 支架 转换头 耳机 音箱 键盘 台灯 三脚架")

# (English label, English description, Chinese label, Chinese description)
SETTINGS = [
    ("Notifications", "Sounds, badges and lock screen previews", "通知", "声音、角标和锁屏预览"),
    ("Wi-Fi", "Connected to Home_5G", "无线局域网", "已连接 Home_5G"),
    ("Bluetooth", "2 devices paired", "蓝牙", "已配对 2 台设备"),
    (
        "Display & brightness",
        "Adaptive brightness, dark mode at sunset",
        "显示与亮度",
        "自动亮度，日落后深色模式",
    ),
    ("Storage", "Cached videos and downloads", "存储空间", "缓存视频和下载内容"),
    ("Auto-play videos", "Only on Wi-Fi", "自动播放视频", "仅在无线网络下"),
    ("Download quality", "Higher quality uses more storage", "下载画质", "画质越高占用空间越大"),
    ("Subtitles", "Size, colour and background", "字幕", "字号、颜色和背景"),
    ("Language", "App language and region", "语言", "应用语言和地区"),
    ("Privacy", "Who can see your profile and activity", "隐私", "谁可以看到你的主页和动态"),
    ("Blocked accounts", "Manage people you have blocked", "黑名单", "管理已屏蔽的用户"),
    ("Two-step verification", "Extra code when signing in", "两步验证", "登录时需要额外验证码"),
    ("Data saver", "Reduce data use on mobile networks", "省流量模式", "在移动网络下减少流量"),
    ("Clear search history", "Remove recent searches from this device", "清除搜索记录", "删除本机的最近搜索"),
    ("Playback speed", "Default speed for new videos", "播放速度", "新视频的默认速度"),
    ("Do not disturb", "Mute alerts from 23:00 to 07:00", "免打扰", "23:00 至 07:00 静音提醒"),
    ("Font size", "Make text larger or smaller", "字体大小", "调整文字大小"),
    ("Haptic feedback", "Vibrate on key presses", "触感反馈", "按键时振动"),
    (
        "Background refresh",
        "Let the app update content in the background",
        "后台刷新",
        "允许应用在后台更新内容",
    ),
    ("Location", "While using the app", "定位", "使用应用期间"),
    ("Check for updates", "Install updates automatically", "检查更新", "自动安装更新"),
    ("Feedback", "Report a problem or suggest a feature", "意见反馈", "报告问题或提出建议"),
    ("Terms of service", "Last updated 2024-11-02", "用户协议", "最近更新 2024-11-02"),
    ("Accessibility", "Screen reader, contrast and motion", "辅助功能", "读屏、对比度和动态效果"),
]
EN_SETTING_GROUPS = words(
    "General Account Privacy Display Sound Playback Storage Network About Accessibility Messages"
)
ZH_SETTING_GROUPS = words("通用 账号 隐私 显示 声音 播放 存储 网络 关于 辅助功能 消息")
SETTING_VALUES = [
    ("On", "开启"),
    ("Off", "关闭"),
    ("Auto", "自动"),
    ("Never", "从不"),
    ("High", "高"),
    ("Standard", "标准"),
    ("English", "简体中文"),
    ("1080p", "1080p"),
    ("1.25x", "1.25倍"),
    ("30 min", "30分钟"),
]
MONTHS_EN = words("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec")

CJK = re.compile(r"[\u3400-\u9fff]")
ZH_END = "。！？!?…」”』）)~～"
EN_END = ".!?…\"')♪:"


def esc(text: str) -> str:
    return html.escape(text, quote=True)


# ---------------------------------------------------------------------------------------------------------------
# Inputs: sentences, photos, fonts


def font_coverage() -> set[int]:
    """Code points some installed font can draw (Chromium falls back through all of them)."""
    listing = subprocess.run(
        ["fc-list", "--format", "%{charset}\n"], capture_output=True, text=True, check=True
    )
    covered: set[int] = set()
    for span in listing.stdout.split():
        first, _, last = span.partition("-")
        covered.update(range(int(first, 16), int(last or first, 16) + 1))
    return covered


def load_sentences(covered: set[int]) -> tuple[dict[str, list[str]], list[tuple[str, int]], int]:
    """Sentences by language ("en", "zh", "mixed"), the (file, rows used) list, and how many characters no font
    has (mostly emoji: no emoji font is installed, and Chromium would draw empty boxes that no real screen shows;
    they are dropped)."""
    files = sorted(TEXT_DIR.glob("ordinary*.jsonl")) or sorted(TEXT_DIR.glob("*.jsonl"))
    pools: dict[str, list[str]] = {lang: [] for lang in LANGS}
    seen: set[str] = set()
    used: list[tuple[str, int]] = []
    dropped = 0
    for path in files:
        taken = 0
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                if not line.strip():
                    continue
                row = json.loads(line)
                lang = row.get("lang")
                if row.get("labels") or lang not in pools:
                    continue
                raw = str(row.get("text", ""))
                kept = "".join(c for c in raw if ord(c) in covered or c.isspace())
                text = " ".join(kept.split())
                if not text or text in seen:
                    continue
                dropped += len(raw) - len(kept)
                seen.add(text)
                pools[lang].append(text)
                taken += 1
        if taken:
            used.append((str(path), taken))
    if not pools["en"] or not pools["zh"]:
        sys.exit(f"no clean English or Chinese sentences under {TEXT_DIR}")
    return pools, used, dropped


def load_photos() -> list[Path]:
    photos = []
    for path in sorted(PHOTO_DIR.glob("photo_*.jpg")):
        if any(word in path.name for word in HELD_OUT_PHOTOS):
            continue
        with Image.open(path) as image:
            if min(image.size) >= MIN_PHOTO_SIDE:
                photos.append(path)
    if not photos:
        sys.exit(f"no usable photo_*.jpg under {PHOTO_DIR}")
    return photos


def installed_fonts() -> list[str]:
    """The WANTED_FONTS that fontconfig (which Chromium uses on Linux) knows, so no family silently falls back."""
    listing = subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True, check=True).stdout
    families = {name.strip() for line in listing.splitlines() for name in line.split(",")}
    fonts = [font for font in WANTED_FONTS if font in families]
    if CJK_FONT not in fonts:
        sys.exit(f"{CJK_FONT} is not installed; Chinese text would be drawn as boxes")
    return fonts


# ---------------------------------------------------------------------------------------------------------------
# Per-picture style


@dataclass
class Style:
    w: int
    h: int
    px: int
    font: str
    lang: str
    lh: float
    pad: int  # page margin in px
    dark: bool
    bg: str
    panel: str
    fg: str
    muted: str
    line: str
    accent: str  # accent text colour, readable on bg
    bar: str  # coloured header bar, white text on it


def hsl(hue: int, sat: int, light: int) -> str:
    return f"hsl({hue} {sat}% {light}%)"


def make_style(rng: random.Random, w: int, h: int, px: int, font: str, lang: str) -> Style:
    dark = rng.random() < 0.3
    hue = rng.randrange(360)
    accent_hue = (hue + rng.choice((0, 40, 150, 180, 210))) % 360
    if dark:
        base = rng.randint(6, 14)
        colours = {
            "bg": hsl(hue, rng.randint(5, 25), base),
            "panel": hsl(hue, rng.randint(5, 20), base + 7),
            "fg": hsl(hue, 10, rng.randint(86, 96)),
            "muted": hsl(hue, 8, rng.randint(60, 70)),
            "line": hsl(hue, 10, base + 16),
            "accent": hsl(accent_hue, rng.randint(55, 85), rng.randint(62, 74)),
            "bar": hsl(accent_hue, rng.randint(40, 65), rng.randint(24, 34)),
        }
    else:
        colours = {
            "bg": hsl(hue, rng.randint(0, 40), rng.randint(96, 100)),
            "panel": hsl(hue, rng.randint(10, 30), rng.randint(90, 94)),
            "fg": hsl(hue, rng.randint(10, 25), rng.randint(8, 20)),
            "muted": hsl(hue, rng.randint(4, 10), rng.randint(40, 50)),
            "line": hsl(hue, 10, rng.randint(80, 88)),
            "accent": hsl(accent_hue, rng.randint(55, 80), rng.randint(30, 40)),
            "bar": hsl(accent_hue, rng.randint(50, 75), rng.randint(30, 42)),
        }
    lh = rng.choice((1.2, 1.3, 1.4, 1.5, 1.6, 1.75))
    # Margins scale loosely with the viewport: phone-sized 1080x1920 pages get proportionally wider gutters.
    pad = round(rng.choice((4, 8, 12, 16, 24)) * max(1.0, w / 800))
    return Style(w=w, h=h, px=px, font=font, lang=lang, lh=lh, pad=pad, dark=dark, **colours)


def base_css(s: Style) -> str:
    cjk = "WenQuanYi Micro Hei Mono" if "Mono" in s.font else CJK_FONT
    return f"""
*{{box-sizing:border-box}}
html,body{{margin:0;padding:0;width:{s.w}px;height:{s.h}px;overflow:hidden}}
body{{font-family:"{s.font}","{cjk}","DejaVu Sans",sans-serif;font-size:{s.px}px;line-height:{s.lh};
  color:{s.fg};background:{s.bg}}}
p,h1,h2,h3,h4,ul,ol{{margin:0;padding:0}}
.m{{color:{s.muted};font-size:max(8px,.85em)}}
.acc{{color:{s.accent}}}
.ell{{white-space:nowrap;overflow:hidden;text-overflow:ellipsis}}
.bar{{background:{s.bar};color:#fff}}
"""


# ---------------------------------------------------------------------------------------------------------------
# Text and made-up values for one picture


class Words:
    """Draws sentences and made-up values in the picture's language; "mixed" pictures flip per element."""

    def __init__(self, rng: random.Random, lang: str, pools: dict[str, list[str]]):
        self.rng = rng
        self.lang = lang
        self.pools = pools
        # Mostly-Chinese pages still carry the odd mixed line, as real Chinese screens do.
        self.weights = {"zh": (0.92, 0.0, 0.08), "en": (0.0, 0.95, 0.05), "mixed": (0.4, 0.4, 0.2)}[lang]
        self.decks: dict[int, list] = {}

    def zh(self) -> bool:
        """Should the next element (label, name, date) be Chinese?"""
        return self.lang == "zh" or (self.lang == "mixed" and self.rng.random() < 0.5)

    def ui(self, en: str, zh: str) -> str:
        return zh if self.zh() else en

    def raw(self) -> str:
        pool = self.rng.choices(("zh", "en", "mixed"), self.weights)[0]
        return self.rng.choice(self.pools[pool])

    def sentence(self, prose: bool = False) -> str:
        """A dataset sentence; prose=True dresses speech-style lines (no capitals, no punctuation) as written text."""
        text = self.raw()
        if not prose:
            return text
        if CJK.search(text):
            # Speech lines separate clauses with spaces; written Chinese uses commas.
            text = re.sub(r"(?<=[\u3400-\u9fff]) +(?=[\u3400-\u9fff])", "，", text)
            return text if text[-1] in ZH_END else text + "。"
        text = re.sub(r"\bi\b", "I", text)
        text = re.sub(r"\bi'", "I'", text)
        text = text[0].upper() + text[1:]
        return text if text[-1] in EN_END else text + "."

    def paragraph(self, low: int, high: int) -> str:
        parts = [self.sentence(prose=True) for _ in range(self.rng.randint(low, high))]
        out = ""
        for part in parts:
            # No space after a Chinese sentence or before one; a space between English ones.
            if out and not (CJK.search(out[-1]) or out[-1] in ZH_END or CJK.search(part[0])):
                out += " "
            out += part
        return out

    def headline(self) -> str:
        return self.sentence(prose=True).rstrip("。.")

    def person(self) -> str:
        if self.zh():
            return self.rng.choice(ZH_SURNAMES) + self.rng.choice(ZH_GIVEN)
        return f"{self.rng.choice(EN_FIRST)} {self.rng.choice(EN_LAST)}"

    def username(self) -> str:
        rng = self.rng
        if self.zh():
            nick = rng.choice(ZH_NICKS)
            roll = rng.random()
            if roll < 0.2:
                return f"用户{rng.randint(10_000_000, 99_999_999)}"
            return nick + (str(rng.randint(1, 2025)) if roll < 0.45 else "")
        roll = rng.random()
        if roll < 0.25:
            return f"{rng.choice(EN_FIRST)} {rng.choice(EN_LAST)[0]}."
        sep = rng.choice(("_", ".", ""))
        tail = str(rng.randint(1, 99)) if roll < 0.7 else ""
        return f"{rng.choice(EN_HANDLE_A)}{sep}{rng.choice(EN_HANDLE_B)}{tail}"

    def date(self, zh: bool | None = None) -> str:
        rng = self.rng
        zh = self.zh() if zh is None else zh
        year, month, day = rng.randint(2022, 2026), rng.randint(1, 12), rng.randint(1, 28)
        if zh:
            return rng.choice(
                (f"{year}年{month}月{day}日", f"{year}-{month:02d}-{day:02d}", f"{month:02d}-{day:02d}")
            )
        return rng.choice(
            (
                f"{MONTHS_EN[month - 1]} {day}, {year}",
                f"{day} {MONTHS_EN[month - 1]} {year}",
                f"{year}-{month:02d}-{day:02d}",
            )
        )

    def clock(self) -> str:
        return f"{self.rng.randint(0, 23):02d}:{self.rng.randint(0, 59):02d}"

    def when(self) -> str:
        """A forum or chat timestamp: relative or absolute."""
        rng = self.rng
        zh = self.zh()
        roll = rng.random()
        if roll < 0.35:
            n, unit = rng.choice(((rng.randint(1, 59), 0), (rng.randint(1, 23), 1), (rng.randint(1, 6), 2)))
            return f"{n}{('分钟', '小时', '天')[unit]}前" if zh else f"{n}{'mhd'[unit]} ago"
        if roll < 0.55:
            return f"{'昨天' if zh else 'Yesterday'} {self.clock()}"
        return f"{self.date(zh)} {self.clock()}"

    def currency(self) -> str:
        return self.rng.choice(("$", "£", "€")) if self.lang == "en" else "¥"

    def money(self, low: float, high: float, cur: str) -> str:
        value = self.rng.uniform(low, high)
        if cur == "¥" and self.rng.random() < 0.6:
            return f"{cur}{round(value)}"
        cents = self.rng.choice((0, 50, 95, 99, self.rng.randint(0, 99)))
        return f"{cur}{int(value):,}.{cents:02d}"

    def address(self) -> str:
        rng = self.rng
        if self.zh():
            return f"{rng.choice(ZH_DISTRICTS)}区{rng.choice(ZH_ROADS)}路{rng.randint(1, 899)}号"
        return (
            f"{rng.randint(1, 240)} {rng.choice(EN_STREETS)} {rng.choice(('Road', 'Street', 'Lane', 'Ave'))}"
        )

    def deal(self, items: list | tuple):
        """The next item of a shuffled deck of items, so that a short list runs out before anything repeats."""
        deck = self.decks.get(
            id(items)
        )  # the lists are module constants, so id() names them for the whole run
        if not deck:
            deck = self.decks[id(items)] = list(items)
            self.rng.shuffle(deck)
        return deck.pop()

    def pick(self, en: list[str] | tuple[str, ...], zh: list[str] | tuple[str, ...]) -> str:
        return self.deal(zh if self.zh() else en)


# ---------------------------------------------------------------------------------------------------------------
# Layouts. Each takes the style, a Words and the amount n of repeated content (paragraphs, posts, rows...), returns
# (variant name, css, body html) and marks with class "fill" the containers whose text must fill the viewport.


def avatar(name: str, size_em: float) -> str:
    hue = zlib.crc32(name.encode("utf-8")) % 360  # one colour per person, the same in every message
    initial = esc(name.strip()[0].upper())
    return (
        f'<div style="flex:none;width:{size_em}em;height:{size_em}em;border-radius:50%;background:{hsl(hue, 55, 55)};'
        f'color:#fff;display:flex;align-items:center;justify-content:center;font-weight:bold">{initial}</div>'
    )


def news(s: Style, t: Words, n: int) -> tuple[str, str, str]:
    rng = t.rng
    cols = 1 if s.w < 760 else rng.choice((1, 2, 2, 3) if s.w >= 1200 else (1, 2))
    sidebar = s.w >= 760 and rng.random() < 0.7
    serif_head = 'font-family:"DejaVu Serif","Liberation Serif",serif;' if rng.random() < 0.5 else ""
    site = t.pick(EN_SITES, ZH_SITES)
    nav = "".join(f"<span>{esc(t.pick(EN_SECTIONS, ZH_SECTIONS))}</span>" for _ in range(rng.randint(5, 9)))
    kicker = t.pick(EN_SECTIONS, ZH_SECTIONS)
    headline = t.headline()
    stand = t.paragraph(1, 2)
    byline = t.ui(f"By {t.person()}", f"记者 {t.person()}") + f" · {t.date()} {t.clock()}"
    css = f"""
.page{{display:flex;flex-direction:column;height:100%}}
.top{{display:flex;justify-content:space-between;align-items:baseline;padding:.5em {s.pad}px}}
.top .name{{font-size:1.6em;font-weight:bold;{serif_head}}}
nav{{display:flex;flex-wrap:wrap;gap:.3em 1.2em;padding:.35em {s.pad}px;border-bottom:1px solid {s.line};
  font-weight:bold}}
main{{flex:1;min-height:0;display:flex;gap:1.5em;padding:.8em {s.pad}px 0}}
article{{flex:1;min-width:0;display:flex;flex-direction:column}}
h1{{font-size:{rng.choice((1.7, 2.0, 2.3))}em;line-height:1.2;margin:.2em 0 .4em}}
.stand{{font-size:1.1em;color:{s.muted};margin-bottom:.5em}}
.cols{{flex:1;min-height:0;margin-top:.6em}}
.multi{{column-count:{cols};column-gap:1.6em;column-fill:auto;column-rule:1px solid {s.line};overflow:hidden}}
.cols p{{margin:0 0 .7em;text-align:{rng.choice(("left", "justify"))}}}
.cols h3{{font-size:1.1em;margin:.2em 0 .4em}}
blockquote{{margin:.3em 0 .8em;padding-left:.8em;border-left:3px solid {s.accent};font-size:1.2em;font-style:italic}}
aside{{width:{rng.choice((24, 28, 32))}%;border-left:1px solid {s.line};padding-left:1em}}
aside h4{{text-transform:uppercase;color:{s.accent};margin-bottom:.5em}}
aside li{{margin:0 0 .7em 1.4em}}
"""
    body = [
        '<div class="page">',
        f'<div class="top bar"><span class="name">{esc(site)}</span><span>{esc(t.date())}</span></div>',
        f"<nav>{nav}</nav><main><article>",
        f'<div class="acc" style="font-weight:bold">{esc(kicker)}</div><h1>{esc(headline)}</h1>',
        f'<p class="stand">{esc(stand)}</p><div class="m">{esc(byline)}</div>',
        f'<div class="cols{" multi" if cols > 1 else ""} fill">',
    ]
    for i in range(n):
        roll = rng.random()
        if i and roll < 0.1:
            body.append(f"<h3>{esc(t.headline())}</h3>")
        elif i and roll < 0.16:
            body.append(f"<blockquote>{esc(t.sentence(prose=True))}</blockquote>")
        body.append(f"<p>{esc(t.paragraph(2, 5))}</p>")
    body.append("</div></article>")
    if sidebar:
        body.append(f'<aside><h4>{esc(t.ui("Most read", "热门文章"))}</h4><ol class="fill">')
        for _ in range(n):
            body.append(f'<li>{esc(t.headline())} <span class="m">{esc(t.when())}</span></li>')
        body.append("</ol></aside>")
    body.append("</main></div>")
    return f"{cols} col" + (" + sidebar" if sidebar else ""), css, "".join(body)


def forum(s: Style, t: Words, n: int) -> tuple[str, str, str]:
    rng = t.rng
    sidebar = s.w >= 1000 and rng.random() < 0.7
    title = t.headline()
    board = t.pick(EN_FORUMS, ZH_FORUMS)
    crumbs = " › ".join([t.ui("Home", "首页"), t.pick(EN_SECTIONS, ZH_SECTIONS), t.ui("Thread", "帖子")])
    css = f"""
.top{{padding:.45em {s.pad}px;font-weight:bold;font-size:1.15em}}
.wrap{{display:flex;gap:1.2em;padding:.5em {s.pad}px 0}}
.thread{{flex:1;min-width:0}}
h1{{font-size:1.45em;line-height:1.25;margin:.2em 0 .2em}}
.post{{display:flex;gap:.7em;padding:.6em 0;border-bottom:1px solid {s.line}}}
.post .c{{flex:1;min-width:0}}
.who{{display:flex;flex-wrap:wrap;gap:.2em .7em;align-items:baseline}}
.who b{{color:{s.accent}}}
.badge{{background:{s.bar};color:#fff;border-radius:3px;padding:0 .35em;font-size:max(8px,.75em)}}
.reply{{margin:.45em 0 0 .2em;padding:.2em 0 .2em .8em;border-left:2px solid {s.line};font-size:.95em}}
.acts{{display:flex;gap:1.2em;margin-top:.2em}}
aside{{width:26%;background:{s.panel};padding:.6em .8em;border-radius:6px;align-self:flex-start}}
aside h4{{margin-bottom:.4em}}
aside li{{list-style:none;margin-bottom:.55em}}
"""
    op = t.username()
    body = [
        f'<div class="top bar">{esc(board)}</div><div class="wrap"><div class="thread">',
        f'<div class="m">{esc(crumbs)}</div><h1>{esc(title)}</h1>',
        (
            f'<div class="m">{rng.randint(3, 480)} {esc(t.ui("replies", "回复"))} · '
            f"{rng.randint(1, 99)}.{rng.randint(0, 9)}k {esc(t.ui('views', '浏览'))}</div>"
        ),
        '<div class="fill">',
    ]
    for i in range(n):
        user = op if i == 0 else t.username()
        badge = ""
        if i == 0:
            badge = f'<span class="badge">{esc(t.ui("OP", "楼主"))}</span>'
        elif rng.random() < 0.3:
            badge = f'<span class="badge">Lv.{rng.randint(1, 12)}</span>'
        floor = t.ui(f"#{i + 1}", f"{i + 1}楼")
        text = (
            t.paragraph(1, 4)
            if rng.random() < 0.5
            else " ".join(t.sentence() for _ in range(rng.randint(1, 3)))
        )
        replies = "".join(
            f'<div class="reply"><b class="acc">{esc(t.username())}</b> <span class="m">{esc(t.when())}</span><br>'
            f"{esc(t.sentence())}</div>"
            for _ in range(rng.choice((0, 0, 1, 1, 2, 3)))
        )
        acts = (
            f'<div class="acts m"><span>▲ {rng.randint(0, 999)}</span><span>{esc(t.ui("Reply", "回复"))}</span>'
            f"<span>{esc(t.ui('Share', '分享'))}</span></div>"
        )
        body.append(
            f'<div class="post">{avatar(user, 2.4)}<div class="c"><div class="who"><b>{esc(user)}</b>{badge}'
            f'<span class="m">{esc(t.when())}</span><span class="m">{esc(floor)}</span></div>'
            f"<div>{esc(text)}</div>{replies}{acts}</div></div>"
        )
    body.append("</div></div>")
    if sidebar:
        body.append(
            f"<aside><h4>{esc(t.ui('About this board', '版块介绍'))}</h4><p>{esc(t.paragraph(2, 3))}</p>"
        )
        body.append(
            f'<h4 style="margin-top:.8em">{esc(t.ui("Hot threads", "热门帖子"))}</h4><ul class="fill">'
        )
        for _ in range(max(8, n)):
            body.append(
                f'<li>{esc(t.headline())}<br><span class="m">{esc(t.username())} · {esc(t.when())}</span></li>'
            )
        body.append("</ul></aside>")
    body.append("</div>")
    return "sidebar" if sidebar else "single", css, "".join(body)


def menu(s: Style, t: Words, n: int) -> tuple[str, str, str]:
    rng = t.rng
    services = rng.random() < 0.3  # a price list for a repair shop or salon instead of a restaurant
    cur = t.currency()
    name = t.pick(EN_SHOPS_SERVICE, ZH_SHOPS_SERVICE) if services else t.pick(EN_RESTAURANTS, ZH_RESTAURANTS)
    fancy = rng.random() < 0.5
    hours = t.ui(
        f"Open daily {rng.randint(7, 11)}:00–{rng.randint(20, 23)}:00 · {t.address()}",
        f"营业时间 {rng.randint(7, 11)}:00–{rng.randint(20, 23)}:00 · {t.address()}",
    )
    en_heads = (
        ["Repairs", "Care", "Extras", "Packages", "Express"]
        if services
        else ["Starters", "Mains", "Noodles & rice", "Sides", "Desserts", "Drinks", "Specials"]
    )
    zh_heads = (
        ["维修", "保养", "附加服务", "套餐", "加急"]
        if services
        else ["凉菜", "热菜", "主食", "小吃", "甜品", "饮品", "招牌菜"]
    )
    css = f"""
header{{text-align:center;padding:.6em {s.pad}px .5em}}
header .name{{font-size:2em;font-weight:bold;color:{s.accent};
  {'font-family:"DejaVu Serif","Liberation Serif",serif;font-style:italic;' if fancy else ""}}}
.page{{display:flex;flex-direction:column;height:100%}}
header{{flex:none}}
.cols{{flex:1;min-height:0;column-count:2;column-gap:2em;column-fill:auto;overflow:hidden;
  column-rule:1px {rng.choice(("solid", "dashed"))} {s.line};padding:0 {s.pad}px}}
.sec{{font-weight:bold;text-transform:uppercase;letter-spacing:.08em;color:{s.accent};
  border-bottom:2px solid {s.accent};margin:.5em 0 .35em;break-after:avoid}}
.item{{break-inside:avoid;margin-bottom:.4em}}
.row{{display:flex;align-items:baseline;gap:.4em}}
.row .dots{{flex:1;border-bottom:1px dotted {s.muted};transform:translateY(-.25em)}}
.row .p{{font-weight:bold}}
.note{{font-style:italic;margin:.3em 0 .6em;padding:.3em .5em;background:{s.panel}}}
"""
    body = [
        f'<div class="page"><header><div class="name">{esc(name)}</div><div class="m">{esc(hours)}</div>',
        f'<div style="margin-top:.2em">{esc(t.sentence(prose=True))}</div></header>',
        '<div class="cols fill">',
    ]
    next_head = 0
    for i in range(n):
        if i == next_head:
            body.append(f'<div class="sec">{esc(t.pick(en_heads, zh_heads))}</div>')
            next_head += rng.randint(4, 9)
        zh = t.zh()
        if services:
            item = t.deal(ZH_SERVICES if zh else EN_SERVICES)
            minutes, months = rng.randint(15, 120), rng.randint(1, 12)
            desc = (
                f"约{minutes}分钟，保修{months}个月"
                if zh
                else f"About {minutes} min, {months}-month warranty"
            )
            price = t.money(8, 260, cur)
        elif zh:
            item = rng.choice(ZH_METHODS) + rng.choice(ZH_MAINS)
            desc = "、".join(rng.sample(ZH_INGREDIENTS, rng.randint(2, 4)))
            price = t.money(12, 168, cur)
        else:
            item = f"{rng.choice(EN_METHODS)} {rng.choice(EN_MAINS)}"
            if rng.random() < 0.6:
                item += f" with {rng.choice(EN_SIDES)}"
            desc = ", ".join(rng.sample(EN_INGREDIENTS, rng.randint(2, 4)))
            price = t.money(4, 38, cur)
        body.append(
            f'<div class="item"><div class="row"><span>{esc(item)}</span><span class="dots"></span>'
            f'<span class="p">{esc(price)}</span></div><div class="m">{esc(desc)}</div></div>'
        )
        if rng.random() < 0.06:
            body.append(f'<div class="note">{esc(t.sentence(prose=True))}</div>')
    body.append("</div></div>")
    return "services" if services else "restaurant", css, "".join(body)


def table(s: Style, t: Words, n: int) -> tuple[str, str, str]:
    rng = t.rng
    kind = rng.choice(("timetable", "spreadsheet"))
    css = """
table{border-collapse:collapse;width:100%;table-layout:fixed}
td,th{padding:.2em .45em;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;text-align:left}
.num{text-align:right;font-variant-numeric:tabular-nums}
"""
    if kind == "timetable":
        zh = t.lang == "zh"
        cols = [
            ("Time", "时间", 7),
            ("Train", "车次", 8),
            ("Destination", "终到站", 14),
            ("Platform", "站台", 7),
        ]
        cols.append(("Status", "状态", 11))
        if s.w >= 700:
            cols.insert(3, ("Calling at", "经停", 26))
        if s.w >= 1000:
            cols.append(("Remarks", "备注", 30))
        total = sum(c[2] for c in cols)
        head = "".join(
            f'<th style="width:{100 * c[2] / total:.1f}%">{esc(t.ui(c[0], c[1]))}</th>' for c in cols
        )
        title = t.ui("Departures", "出发 Departures")
        css += f"""
.head{{display:flex;justify-content:space-between;padding:.4em {s.pad}px;font-size:1.4em;font-weight:bold}}
table{{margin:0}}
th{{background:{s.panel};color:{s.accent};border-bottom:2px solid {s.accent}}}
tr:nth-child(even) td{{background:{s.panel}}}
td{{border-bottom:1px solid {s.line}}}
td:first-child,th:first-child{{padding-left:{s.pad}px}}
"""
        body = [f'<div class="head bar"><span>{esc(title)}</span><span>{esc(t.clock())}</span></div>']
        body.append(f'<table><thead><tr>{head}</tr></thead><tbody class="fill">')
        minutes = rng.randint(5 * 60, 9 * 60)
        for _ in range(n):
            minutes += rng.randint(2, 15)
            cells = []
            for en_name, _zh_name, _width in cols:
                if en_name == "Time":
                    cells.append(f'<td class="num">{minutes // 60 % 24:02d}:{minutes % 60:02d}</td>')
                elif en_name == "Train":
                    code = rng.choice("GDKZT") if zh else rng.choice(("IC", "RE", "EC", "S"))
                    cells.append(f"<td>{code}{rng.randint(1, 9999)}</td>")
                elif en_name == "Destination":
                    cells.append(f"<td><b>{esc(t.pick(EN_CITIES, ZH_CITIES))}</b></td>")
                elif en_name == "Calling at":
                    stops = " · ".join(t.pick(EN_CITIES, ZH_CITIES) for _ in range(rng.randint(2, 6)))
                    cells.append(f'<td class="m">{esc(stops)}</td>')
                elif en_name == "Platform":
                    cells.append(f'<td class="num">{rng.randint(1, 24)}{rng.choice(("", "", "A", "B"))}</td>')
                elif en_name == "Status":
                    delay = rng.randint(3, 45)
                    status = rng.choices(
                        [
                            (t.ui("On time", "正点"), s.fg),
                            (t.ui(f"Delayed {delay} min", f"晚点{delay}分"), "#d9822b"),
                            (t.ui("Boarding", "正在检票"), s.accent),
                            (t.ui("Cancelled", "停运"), "#d33"),
                        ],
                        (10, 4, 3, 1),
                    )[0]
                    cells.append(f'<td style="color:{status[1]}">{esc(status[0])}</td>')
                else:
                    cells.append(f'<td class="m">{esc(t.sentence(prose=True))}</td>')
            body.append(f"<tr>{''.join(cells)}</tr>")
        body.append("</tbody></table>")
        return kind, css, "".join(body)

    # Spreadsheet: grey column letters and row numbers, a formula bar, numbers of every format.
    n_cols = max(4, min(14, int(s.w / (s.px * 8.5))))  # wide enough for "$101,748.00"
    kinds = [
        "text",
        "region",
        "int",
        "money",
        "money",
        "pct",
        "date",
        "person",
        "int",
        "money",
        "pct",
        "note",
    ]
    col_kinds = ["text"] + [kinds[1 + (i + rng.randint(0, 2)) % (len(kinds) - 1)] for i in range(n_cols - 1)]
    if n_cols >= 7 and "note" not in col_kinds:
        col_kinds[-1] = "note"
    # Column titles by kind, taken in turn so that repeated kinds get different titles.
    titles = {
        "text": [("Product", "产品")],
        "region": [("Region", "地区"), ("Area", "区域")],
        "int": [("Units", "数量"), ("Orders", "订单数"), ("Stock", "库存")],
        "money": [
            ("Revenue", "收入"),
            ("Cost", "成本"),
            ("Budget", "预算"),
            ("Q1", "一季度"),
            ("Q2", "二季度"),
        ],
        "pct": [("Margin", "毛利率"), ("Growth", "同比增长"), ("Share", "占比")],
        "date": [("Date", "日期"), ("Shipped", "发货日期")],
        "person": [("Owner", "负责人"), ("Approved by", "审核人")],
        "note": [("Notes", "备注")],
    }
    header = [titles[k][col_kinds[:i].count(k) % len(titles[k])] for i, k in enumerate(col_kinds)]
    grid = "#c8c8c8" if not s.dark else s.line
    css += f"""
.tool{{display:flex;gap:1em;padding:.35em .6em;background:{s.panel};border-bottom:1px solid {grid}}}
.fx{{display:flex;gap:.6em;padding:.25em .6em;border-bottom:1px solid {grid}}}
.fx b{{color:{s.muted};font-style:italic}}
td,th{{border:1px solid {grid}}}
th{{background:{s.panel};color:{s.muted};font-weight:normal;text-align:center}}
td.rn{{background:{s.panel};color:{s.muted};text-align:center}}
tr.hd td{{font-weight:bold;background:{hsl(rng.randrange(360), 45, 30 if s.dark else 88)}}}
.neg{{color:#d33}}
"""
    cur = t.currency()
    menus = [
        t.ui(x, y)
        for x, y in (
            ("File", "文件"),
            ("Edit", "编辑"),
            ("View", "视图"),
            ("Insert", "插入"),
            ("Format", "格式"),
            ("Data", "数据"),
            ("Help", "帮助"),
        )
    ]
    body = [
        f'<div class="tool">{"".join(f"<span>{esc(m)}</span>" for m in menus)}</div>',
        f'<div class="fx"><b>fx</b><span>=SUM(D2:D{n + 1})</span></div>',
        '<table><thead><tr><th style="width:3.2em"></th>',
        "".join(f"<th>{chr(65 + i)}</th>" for i in range(n_cols)),
        "</tr></thead>",
        '<tbody class="fill">',
        f'<tr class="hd"><td class="rn">1</td>{"".join(f"<td>{esc(t.ui(*title))}</td>" for title in header)}</tr>',
    ]
    for r in range(n):
        cells = []
        for k in col_kinds:
            if k == "text":
                cells.append(f"<td>{esc(t.pick(EN_PRODUCTS, ZH_PRODUCTS))}</td>")
            elif k == "region":
                cells.append(f"<td>{esc(t.pick(EN_TABLE_REGIONS, ZH_TABLE_REGIONS))}</td>")
            elif k == "int":
                cells.append(f'<td class="num">{rng.randint(0, 250_000):,}</td>')
            elif k == "money":
                value = rng.uniform(-9_000, 120_000)
                text = f"{cur}{abs(value):,.2f}"
                cells.append(
                    f'<td class="num neg">({text})</td>' if value < 0 else f'<td class="num">{text}</td>'
                )
            elif k == "pct":
                cells.append(
                    f'<td class="num">{round(rng.uniform(-12, 68), 1) + 0.0:.1f}%</td>'
                )  # no "-0.0%"
            elif k == "date":
                cells.append(
                    f'<td class="num">{rng.randint(2023, 2026)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}</td>'
                )
            elif k == "person":
                cells.append(f"<td>{esc(t.person())}</td>")
            else:
                cells.append(f"<td>{esc(t.sentence())}</td>")
        body.append(f'<tr><td class="rn">{r + 2}</td>{"".join(cells)}</tr>')
    body.append("</tbody></table>")
    return kind, css, "".join(body)


def chat(s: Style, t: Words, n: int) -> tuple[str, str, str]:
    rng = t.rng
    group = rng.random() < 0.45
    desktop = s.w > s.h and s.w >= 800 and rng.random() < 0.75  # a conversation list on the left
    mine_bg, mine_fg = rng.choice(
        [("#2b5278", "#fff"), ("#005c4b", "#e9edef"), ("#0a84ff", "#fff")]
        if s.dark
        else [("#95ec69", "#111"), ("#0a84ff", "#fff"), ("#dcf8c6", "#111"), (s.bar, "#fff")]
    )
    other_bg = s.panel
    title = t.pick(EN_GROUPS, ZH_GROUPS) if group else t.username()
    status = (
        t.ui(f"{rng.randint(3, 180)} members", f"{rng.randint(3, 180)}人")
        if group
        else t.ui("online", "在线")
    )
    css = f"""
.app{{display:flex;height:100%}}
.list{{width:{rng.choice((28, 32, 36))}%;border-right:1px solid {s.line};overflow:hidden}}
.conv{{display:flex;gap:.6em;padding:.5em .7em;border-bottom:1px solid {s.line}}}
.conv .t{{flex:1;min-width:0}}
.conv .row{{display:flex;justify-content:space-between;gap:.5em}}
.main{{flex:1;min-width:0;display:flex;flex-direction:column;position:relative}}
.top{{display:flex;align-items:center;gap:.6em;padding:.55em {s.pad}px;flex:none}}
.top .t{{font-weight:bold;font-size:1.15em}}
.msgs{{flex:1;min-height:0;padding:.4em {s.pad}px;overflow:hidden}}
.day{{text-align:center;margin:.6em 0}}
.day span{{background:{s.panel};border-radius:1em;padding:.1em .8em}}
.msg{{display:flex;gap:.5em;margin:.45em 0;align-items:flex-start}}
.msg.me{{flex-direction:row-reverse}}
.bub{{max-width:{rng.choice((65, 72, 78))}%;padding:.45em .7em;border-radius:{rng.choice((".5em", "1em", "1.2em"))};
  background:{other_bg}}}
.me .bub{{background:{mine_bg};color:{mine_fg}}}
.bub .tm{{font-size:max(8px,.75em);opacity:.7;margin-left:.6em;float:right;margin-top:.35em}}
.input{{position:absolute;left:0;right:0;bottom:0;display:flex;gap:.6em;align-items:center;
  padding:.5em {s.pad}px;background:{s.panel};border-top:1px solid {s.line}}}
.input .box{{flex:1;background:{s.bg};border-radius:1em;padding:.3em .8em;color:{s.muted}}}
"""
    body = [
        '<div class="main">',
        (
            f'<div class="top bar"><span>‹</span><div><div class="t">{esc(title)}</div>'
            f'<div style="font-size:max(8px,.8em);opacity:.85">{esc(status)}</div></div></div>'
        ),
        '<div class="msgs fill">',
    ]
    people = [t.username() for _ in range(rng.randint(2, 6))] if group else [title]
    next_day = 0
    for i in range(n):
        if i == next_day:
            body.append(f'<div class="day"><span class="m">{esc(t.when())}</span></div>')
            next_day += rng.randint(5, 12)
        me = rng.random() < 0.45
        text = t.sentence() if rng.random() < 0.75 else f"{t.sentence()} {t.sentence()}"
        stamp = f'<span class="tm">{esc(t.clock())}{" ✓✓" if me else ""}</span>' if rng.random() < 0.5 else ""
        if me:
            body.append(f'<div class="msg me"><div class="bub">{esc(text)}{stamp}</div></div>')
        else:
            who = rng.choice(people)
            name = f'<div class="m" style="margin-bottom:.1em">{esc(who)}</div>' if group else ""
            body.append(
                f'<div class="msg">{avatar(who, 2.2)}<div style="min-width:0;max-width:80%">{name}'
                f'<div class="bub" style="max-width:100%">{esc(text)}{stamp}</div></div></div>'
            )
    body.append("</div>")
    body.append(
        f'<div class="input"><span>＋</span><div class="box">{esc(t.ui("Message", "输入消息"))}</div>'
        f'<b class="acc">{esc(t.ui("Send", "发送"))}</b></div></div>'
    )
    chats = []
    if desktop:  # drawn after the messages, so that they do not change with the length of the list
        chats.append('<div class="list fill">')
        for _ in range(n):
            who = t.username()
            chats.append(
                f'<div class="conv">{avatar(who, 2.6)}<div class="t"><div class="row"><b class="ell">{esc(who)}</b>'
                f'<span class="m">{esc(t.clock())}</span></div><div class="m ell">{esc(t.sentence())}</div></div></div>'
            )
        chats.append("</div>")
    body = ['<div class="app">', *chats, *body, "</div>"]
    return ("desktop " if desktop else "") + ("group" if group else "direct"), css, "".join(body)


def receipt(s: Style, t: Words, n: int) -> tuple[str, str, str]:
    rng = t.rng
    invoice = rng.random() < (0.6 if s.w > s.h else 0.3)
    return invoice_page(s, t, n) if invoice else receipt_slips(s, t, n)


def receipt_slips(s: Style, t: Words, n: int) -> tuple[str, str, str]:
    """Till receipts side by side on a desk, as many as fit across the viewport, each running off the bottom."""
    rng = t.rng
    chars = rng.randint(32, 44)
    char_w = s.px * (0.6 if "Mono" in s.font else 0.55)
    slip_w = chars * char_w + 2 * s.px
    count = max(1, int((s.w - s.pad) // (slip_w + s.pad)))
    slip_w = (s.w - s.pad * (count + 1)) / count  # share the spare width so the slips fill the desk
    desk = hsl(rng.randrange(360), rng.randint(5, 30), rng.randint(18, 40) if s.dark else rng.randint(55, 75))
    css = f"""
body{{background:{desk}}}
.desk{{display:flex;gap:{s.pad}px;padding:{s.pad}px;align-items:flex-start}}
.slip{{width:{slip_w:.0f}px;background:#fbfbf6;color:#222;padding:1em {s.px}px;box-shadow:0 2px 6px rgba(0,0,0,.35);
  transform:rotate({rng.uniform(-0.6, 0.6):.2f}deg)}}
.c{{text-align:center}}
.r{{display:flex;justify-content:space-between;gap:1em}}
.rule{{border-top:1px dashed #666;margin:.4em 0}}
.big{{font-size:1.35em;font-weight:bold}}
.grey{{color:#666}}
.code{{height:3em;margin:.6em 0 .2em;background:repeating-linear-gradient(90deg,#222 0 2px,#fbfbf6 2px 3px,#222 3px 4px,
  #fbfbf6 4px 7px)}}
"""
    body = ['<div class="desk">']
    for slip in range(count):
        zh = t.zh()
        cur = "¥" if zh else t.currency() if t.lang == "en" else "$"
        shop = rng.choice(ZH_SHOPS if zh else EN_SHOPS)
        goods = ZH_GROCERIES if zh else EN_GROCERIES
        lines = [
            f'<div class="c big">{esc(shop)}</div>',
            f'<div class="c">{esc(t.address())}</div>',
            (
                f'<div class="c">{esc("门店" if zh else "Store")} #{rng.randint(100, 9999):04d}  '
                f"{esc('收银台' if zh else 'Till')} {rng.randint(1, 12)}</div>"
            ),
            '<div class="rule"></div>',
            (
                f'<div class="r"><span>{esc(t.date(zh))} {esc(t.clock())}</span>'
                f"<span>{esc('单号' if zh else 'No.')} {rng.randint(100000, 999999)}</span></div>"
            ),
            f"<div>{esc('收银员' if zh else 'Cashier')}: {esc(t.person())}</div>",
            '<div class="rule"></div>',
        ]
        total = 0.0
        # Later slips are a bit longer so that they do not all end on the same line.
        for _ in range(n + slip * 2):
            qty = rng.choice((1, 1, 1, 2, 3, rng.randint(1, 12)))
            unit = round(rng.uniform(0.5, 25 if not zh else 60), 2)
            total += qty * unit
            lines.append(f"<div>{esc(t.deal(goods))}</div>")
            lines.append(
                f'<div class="r grey"><span>  {qty} x {unit:.2f}</span><span>{qty * unit:,.2f}</span></div>'
            )
            if rng.random() < 0.08:
                off = round(unit * 0.2, 2)
                total -= off
                lines.append(
                    f'<div class="r"><span>  {esc("优惠" if zh else "DISCOUNT")}</span><span>-{off:.2f}</span></div>'
                )
        tax = total * 0.08
        paid = rng.choice(("微信支付", "支付宝", "银行卡") if zh else ("CARD ****", "CASH", "CONTACTLESS"))
        subtotal, tax_label, total_label, thanks = (
            ("小计", "税额", "合计", "谢谢惠顾，欢迎再次光临")
            if zh
            else ("SUBTOTAL", "TAX 8%", "TOTAL", "THANK YOU FOR SHOPPING WITH US")
        )
        lines += [
            '<div class="rule"></div>',
            f'<div class="r"><span>{subtotal}</span><span>{total:,.2f}</span></div>',
            f'<div class="r"><span>{tax_label}</span><span>{tax:,.2f}</span></div>',
            f'<div class="r big"><span>{total_label}</span><span>{cur}{total + tax:,.2f}</span></div>',
            f'<div class="r"><span>{esc(paid)}</span><span>{total + tax:,.2f}</span></div>',
            '<div class="rule"></div>',
            f'<div class="c">{esc(t.sentence(prose=True))}</div>',
            f'<div class="c">{thanks}</div>',
            '<div class="code"></div>',
            f'<div class="c">{rng.randint(10**11, 10**12 - 1)}</div>',
        ]
        body.append(f'<div class="slip fill">{"".join(lines)}</div>')
    body.append("</div>")
    return f"receipts x{count}", css, "".join(body)


def invoice_page(s: Style, t: Words, n: int) -> tuple[str, str, str]:
    rng = t.rng
    cur = t.currency()
    seller = t.pick(EN_COMPANIES, ZH_COMPANIES)
    buyer = t.pick(EN_COMPANIES, ZH_COMPANIES)
    terms = rng.choice((7, 14, 30, 60))
    css = f"""
.page{{padding:{s.pad}px {s.pad * 1.5:.0f}px}}
.head{{display:flex;justify-content:space-between;align-items:flex-start;border-bottom:3px solid {s.accent};
  padding-bottom:.5em}}
.head .t{{font-size:2em;font-weight:bold;color:{s.accent};letter-spacing:.05em}}
.parties{{display:flex;gap:2em;margin:.7em 0}}
.parties div{{flex:1}}
.lbl{{text-transform:uppercase;color:{s.muted};font-size:max(8px,.8em);letter-spacing:.06em}}
table{{width:100%;border-collapse:collapse;margin:.4em 0}}
th{{background:{s.bar};color:#fff;text-align:left;padding:.3em .5em}}
td{{padding:.3em .5em;border-bottom:1px solid {s.line};vertical-align:top}}
.num{{text-align:right;white-space:nowrap}}
.tot{{margin-left:auto;width:{rng.choice((40, 50))}%;}}
.tot div{{display:flex;justify-content:space-between;padding:.15em 0}}
.notes p{{margin:.3em 0}}
"""
    head = (
        f'<div class="head"><div><div style="font-size:1.3em;font-weight:bold">{esc(seller)}</div>'
        f"<div>{esc(t.address())}</div><div class='m'>{esc(t.ui('VAT no.', '税号'))} "
        f"{rng.randint(10**9, 10**10 - 1)}</div></div>"
        f'<div style="text-align:right"><div class="t">{esc(t.ui("INVOICE", "销售单"))}</div>'
        f"<div>{esc(t.ui('No.', '编号'))} INV-{rng.randint(2023, 2026)}-{rng.randint(1, 9999):04d}</div>"
        f"<div>{esc(t.ui('Date', '开票日期'))}: {esc(t.date())}</div>"
        f"<div>{esc(t.ui(f'Payment terms: net {terms} days', f'付款期限：{terms}天内'))}</div></div></div>"
    )
    parties = (
        f'<div class="parties"><div><div class="lbl">{esc(t.ui("Bill to", "购买方"))}</div><b>{esc(buyer)}</b>'
        f"<div>{esc(t.person())}</div><div>{esc(t.address())}</div></div>"
        f'<div><div class="lbl">{esc(t.ui("Project", "项目"))}</div>'
        f"<div>{esc(t.sentence(prose=True))}</div></div></div>"
    )
    heads = [("Description", "项目说明"), ("Qty", "数量"), ("Unit price", "单价"), ("Amount", "金额")]
    rows = [
        "<table><thead><tr>"
        + "".join(f'<th class="{"num" if i else ""}">{esc(t.ui(*h))}</th>' for i, h in enumerate(heads))
        + "</tr></thead><tbody>"
    ]
    total = 0.0
    for _ in range(n):
        qty = rng.randint(1, 40)
        unit = round(rng.uniform(20, 900), 2)
        total += qty * unit
        item = t.deal(ZH_INVOICE_ITEMS if t.zh() else EN_INVOICE_ITEMS)
        detail = f'<div class="m">{esc(t.sentence())}</div>' if rng.random() < 0.5 else ""
        rows.append(
            f"<tr><td>{esc(item)}{detail}</td><td class='num'>{qty}</td><td class='num'>{cur}{unit:,.2f}</td>"
            f"<td class='num'>{cur}{qty * unit:,.2f}</td></tr>"
        )
    rows.append("</tbody></table>")
    tax = total * rng.choice((0.06, 0.13, 0.2))
    totals = (
        f'<div class="tot"><div><span>{esc(t.ui("Subtotal", "小计"))}</span><span>{cur}{total:,.2f}</span></div>'
        f"<div><span>{esc(t.ui('Tax', '税额'))}</span><span>{cur}{tax:,.2f}</span></div>"
        f'<div style="font-weight:bold;font-size:1.2em;border-top:2px solid {s.fg}">'
        f"<span>{esc(t.ui('Total due', '价税合计'))}</span><span>{cur}{total + tax:,.2f}</span></div></div>"
    )
    notes = f'<div class="notes fill"><div class="lbl">{esc(t.ui("Notes", "备注"))}</div>' + "".join(
        f"<p>{esc(t.paragraph(1, 3))}</p>" for _ in range(max(3, n // 2))
    )
    return "invoice", css, f'<div class="page">{head}{parties}{"".join(rows)}{totals}{notes}</div></div>'


def settings(s: Style, t: Words, n: int) -> tuple[str, str, str]:
    rng = t.rng
    two_pane = s.w > s.h and s.w >= 800
    nav_w = rng.choice((22, 26, 30)) if two_pane else 0
    nav_notes = rng.random() < 0.6  # each category with a grey line of what it holds, as desktop settings do
    # A wide pane in small type would be one long row after another; tablets and desktops set them in columns.
    cols = max(1, min(3, round(s.w * (100 - nav_w) / 100 / (s.px * 48))))
    on = s.accent if not s.dark else hsl(140, 55, 45)
    css = f"""
.app{{display:flex;height:100%}}
.nav{{width:{nav_w}%;background:{s.panel};padding:.6em 0;border-right:1px solid {s.line}}}
.nav>div{{padding:.45em {s.pad}px}}
.nav .sel{{background:{s.bar};color:#fff}}
.nav .sel .m{{color:#fff}}
.pane{{flex:1;min-width:0;display:flex;flex-direction:column}}
.rows{{flex:1;min-height:0}}
.multi{{column-count:{cols};column-gap:2em;column-fill:auto;column-rule:1px solid {s.line};overflow:hidden}}
.top{{display:flex;align-items:center;gap:.7em;padding:.6em {s.pad}px;font-size:1.25em;font-weight:bold}}
.search{{margin:.5em {s.pad}px;padding:.35em .8em;border-radius:.6em;background:{s.panel};color:{s.muted}}}
.grp{{padding:.9em {s.pad}px .3em;color:{s.muted};font-size:max(8px,.78em);text-transform:uppercase;
  letter-spacing:.06em;break-after:avoid}}
.row{{display:flex;align-items:center;gap:.8em;padding:.5em {s.pad}px;border-bottom:1px solid {s.line};
  break-inside:avoid}}
.row .t{{flex:1;min-width:0}}
.row .d{{color:{s.muted};font-size:max(8px,.8em)}}
.row .v{{color:{s.muted}}}
.ico{{flex:none;width:1.8em;height:1.8em;border-radius:.45em;color:#fff;display:flex;align-items:center;
  justify-content:center;font-size:.85em;font-weight:bold}}
.sw{{flex:none;width:2.6em;height:1.5em;border-radius:.75em;background:{s.line};position:relative}}
.sw.on{{background:{on}}}
.sw::after{{content:"";position:absolute;top:.15em;left:.15em;width:1.2em;height:1.2em;border-radius:50%;
  background:#fff}}
.sw.on::after{{left:1.25em}}
.fine{{padding:.6em {s.pad}px;color:{s.muted};font-size:max(8px,.8em)}}
"""
    pane = [
        '<div class="pane">',
        (
            f'<div class="top{"" if two_pane else " bar"}"><span>‹</span>'
            f"<span>{esc(t.ui('Settings', '设置'))}</span></div>"
        ),
        f'<div class="search">⌕ {esc(t.ui("Search settings", "搜索设置项"))}</div>',
        f'<div class="rows{" multi" if cols > 1 else ""} fill">',
    ]
    next_group = 0
    for i in range(n):
        if i == next_group:
            pane.append(f'<div class="grp">{esc(t.pick(EN_SETTING_GROUPS, ZH_SETTING_GROUPS))}</div>')
            next_group += rng.randint(3, 6)
        en_label, en_desc, zh_label, zh_desc = t.deal(SETTINGS)
        zh = t.zh()
        label, desc = (zh_label, zh_desc) if zh else (en_label, en_desc)
        if rng.random() < 0.12:
            desc = t.sentence(prose=True)  # a status line or signature: free text in a small grey label
        roll = rng.random()
        if roll < 0.35:
            right = f'<div class="sw{" on" if rng.random() < 0.6 else ""}"></div>'
        elif roll < 0.7:
            value = rng.choice(SETTING_VALUES)[1 if zh else 0]
            right = f'<span class="v">{esc(value)} ›</span>'
        elif roll < 0.85:
            right = f'<span class="v">{rng.uniform(0.1, 64):.1f} GB ›</span>'
        else:
            right = '<span class="v">›</span>'
        icon = (
            f'<div class="ico" style="background:{hsl(rng.randrange(360), 60, 48)}">{esc(label[0].upper())}</div>'
            if rng.random() < 0.7
            else ""
        )
        pane.append(
            f'<div class="row">{icon}<div class="t"><div>{esc(label)}</div><div class="d">{esc(desc)}</div></div>'
            f"{right}</div>"
        )
        if rng.random() < 0.07:
            pane.append(f'<div class="fine">{esc(t.paragraph(1, 3))}</div>')
    pane.append(
        f'<div class="fine">{esc(t.ui("Version", "版本"))} '
        f"{rng.randint(1, 9)}.{rng.randint(0, 40)}.{rng.randint(0, 9)}</div></div></div>"
    )
    nav = []
    if two_pane:  # drawn after the pane, so that the pane's rows do not change with the length of the list
        nav.append('<div class="nav fill">')
        for i in range(n):
            zh = t.zh()
            group = t.deal(ZH_SETTING_GROUPS if zh else EN_SETTING_GROUPS)
            note = ""
            if nav_notes:
                labels = [t.deal(SETTINGS)[2 if zh else 0] for _ in range(3)]
                note = f'<div class="m ell">{esc(("、" if zh else ", ").join(labels))}</div>'
            nav.append(f"<div{' class=sel' if i == 1 else ''}>{esc(group)}{note}</div>")
        nav.append("</div>")
    variant = ("two-pane" if two_pane else "phone") + (f" {cols} col" if cols > 1 else "")
    return variant, css, f'<div class="app">{"".join(nav)}{"".join(pane)}</div>'


def captions(s: Style, t: Words, n: int, photo_url: str) -> tuple[str, str, str]:
    rng = t.rng
    effect = rng.choice(("shadow", "halo", "outline", "stroke"))
    shadow = {
        "shadow": "text-shadow:0 1px 3px rgba(0,0,0,.95),0 0 1px #000",
        "halo": "text-shadow:0 0 4px #000,0 0 4px #000,0 0 2px #000",
        "outline": "text-shadow:-1px -1px 0 #000,1px -1px 0 #000,-1px 1px 0 #000,1px 1px 0 #000,0 0 3px #000",
        "stroke": f"-webkit-text-stroke:{max(1.5, s.px / 8):.1f}px #000;paint-order:stroke fill",
    }[effect]
    veil = rng.choice((0, 0, 0.15, 0.3))  # sometimes a dark veil over the photo, as caption templates do
    colour = rng.choice(("#fff", "#fff", "#fff", "#ffe45c"))
    css = f"""
body{{background:linear-gradient(rgba(0,0,0,{veil}),rgba(0,0,0,{veil})),url("{photo_url}");
  background-size:cover;background-position:{rng.choice(("center", "top", "bottom", "left", "right"))};
  color:{colour};{shadow}}}
.page{{padding:{s.pad}px}}
.title{{font-size:{rng.choice((1.6, 2.0, 2.4))}em;font-weight:bold;line-height:1.2;margin-bottom:.4em}}
.cap{{margin:0 0 {rng.choice((".4em", ".8em", "1.4em"))}}}
.tag{{position:absolute;font-size:max(8px,.85em);opacity:.9}}
"""
    body = [
        f'<div class="tag" style="right:{s.pad}px;top:{s.pad // 2}px">@{esc(t.username())}</div>',
        f'<div class="page fill"><div class="title">{esc(t.headline())}</div>',
    ]
    for _ in range(n):
        align = rng.choice(("left", "left", "center", "right"))
        size = rng.choice((1, 1, 1, 1.15, 1.35))
        bold = "bold" if rng.random() < 0.4 else "normal"
        text = t.paragraph(1, 3) if rng.random() < 0.6 else t.sentence()
        body.append(
            f'<p class="cap" style="text-align:{align};font-size:{size}em;font-weight:{bold}">{esc(text)}</p>'
        )
    body.append("</div>")
    body.append(
        f'<div class="tag" style="left:{s.pad}px;bottom:{s.pad // 2}px">{esc(t.when())} · '
        f"{esc(t.ui(f'{rng.randint(1, 999)}k views', f'{rng.randint(1, 999)}万次播放'))}</div>"
    )
    return effect, css, "".join(body)


BUILDERS = {
    "news": news,
    "forum": forum,
    "menu": menu,
    "table": table,
    "chat": chat,
    "receipt": receipt,
    "settings": settings,
}

# Rough lines of text one unit of each layout takes (a paragraph, a post, a menu item...), for the first guess of n.
LINES_PER_UNIT = {
    "news": 4.0,
    "forum": 4.5,
    "menu": 2.2,
    "table": 1.0,
    "chat": 2.0,
    "receipt": 2.0,
    "settings": 2.4,
    "captions": 2.5,
}


# ---------------------------------------------------------------------------------------------------------------
# Planning and rendering


def deck(rng: random.Random, options: tuple, weights: tuple, n: int) -> list:
    """n draws whose counts follow the weights as closely as whole numbers allow (largest remainder), shuffled."""
    quotas = [n * weight / sum(weights) for weight in weights]
    counts = [int(q) for q in quotas]
    # Ties (say 2 pictures over 6 sizes) go to randomly chosen options, not always to the first ones.
    tie_break = [rng.random() for _ in options]
    by_remainder = sorted(
        range(len(options)), key=lambda i: (quotas[i] - counts[i], tie_break[i]), reverse=True
    )
    for i in by_remainder[: n - sum(counts)]:
        counts[i] += 1
    out = [option for option, c in zip(options, counts, strict=True) for _ in range(c)]
    rng.shuffle(out)
    return out


def pick_font(rng: random.Random, fonts: list[str], layout: str, lang: str) -> str:
    mono = [f for f in fonts if "Mono" in f]
    if layout in ("receipt", "table") and mono and rng.random() < 0.4:
        return rng.choice(mono)
    if lang == "zh" and rng.random() < 0.35:
        return CJK_FONT  # Chinese pages are usually set in a CJK face throughout, Latin digits included
    return rng.choice(fonts)


def plan(count: int, seed: int, fonts: list[str]) -> list[dict]:
    """Layout, size, base font size, language and sub-seed for every picture, balanced across layouts."""
    rng = random.Random(seed)
    layouts = [LAYOUTS[i % len(LAYOUTS)] for i in range(count)]
    rng.shuffle(layouts)
    font_px = deck(rng, FONT_PX, FONT_PX_WEIGHTS, count)
    # Sizes and languages are dealt per layout, so that every layout meets every size and language.
    per_layout = {}
    for layout in LAYOUTS:
        k = layouts.count(layout)
        per_layout[layout] = (deck(rng, SIZES, (1,) * len(SIZES), k), deck(rng, LANGS, LANG_WEIGHTS, k))
    pictures = []
    for i, layout in enumerate(layouts):
        sizes, langs = per_layout[layout]
        size, lang = sizes.pop(), langs.pop()
        sub_seed = rng.getrandbits(32)
        font = pick_font(random.Random(sub_seed), fonts, layout, lang)
        pictures.append(
            {
                "index": i,
                "layout": layout,
                "size": size,
                "font_px": font_px[i],
                "lang": lang,
                "font": font,
                "seed": sub_seed,
            }
        )
    return pictures


def render(
    page: Page, picture: dict, pools: dict[str, list[str]], photos: list[Path], photo_urls: dict
) -> dict:
    """Load the picture's page, with just enough content to fill the viewport, into the page; return its details."""
    (w, h), layout = picture["size"], picture["layout"]
    style_rng = random.Random(f"{picture['seed']}:style")
    style = make_style(style_rng, w, h, picture["font_px"], picture["font"], picture["lang"])
    photo = style_rng.choice(photos) if layout == "captions" else None
    if photo is not None and photo not in photo_urls:
        photo_urls[photo] = "data:image/jpeg;base64," + base64.b64encode(photo.read_bytes()).decode("ascii")
    page.set_viewport_size({"width": w, "height": h})

    def show(n: int) -> tuple[bool, str]:
        """Load the page with n units of content (same seed every time, so n units are always the same n units)."""
        words = Words(random.Random(f"{picture['seed']}:content"), style.lang, pools)
        if layout == "captions":
            variant, css, body = captions(style, words, n, photo_urls[photo])
        else:
            variant, css, body = BUILDERS[layout](style, words, n)
        document = (
            f'<!doctype html><html lang="{"zh-CN" if style.lang == "zh" else "en"}"><head><meta charset="utf-8">'
            f"<style>{base_css(style)}{css}</style></head><body>{body}</body></html>"
        )
        page.set_content(document, wait_until="load")
        return page.evaluate(FILLED_JS), variant

    # Grow the amount by half from a low guess until the viewport is full, then bisect back to the least amount
    # that fills it: a receipt then ends (totals, barcode) at the bottom edge instead of somewhere far below it.
    lines = h / (style.px * style.lh) * max(1.0, w / (style.px * 45))
    low, high = 0, max(3, math.ceil(lines / LINES_PER_UNIT[layout] * 0.5))
    while True:
        filled, variant = show(high)
        if filled:
            break
        if high > 5000:
            print(
                f"warning: picture {picture['index']} ({layout}) did not fill its {w}x{h} viewport",
                file=sys.stderr,
            )
            break
        low, high = high, math.ceil(high * 1.5)
    shown = high
    while filled and high - low > 1:
        mid = (low + high) // 2
        shown = mid
        if show(mid)[0]:
            high = mid
        else:
            low = mid
    if shown != high:
        filled, variant = show(high)
    dark = None if layout == "captions" else style.dark  # captions are drawn on the photo, in no theme
    return {"variant": variant, "dark": dark, "photo": photo.name if photo else None, "units": high}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--count", type=int, default=96)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    started = time.monotonic()
    pools, used, dropped = load_sentences(font_coverage())
    photos = load_photos()
    fonts = installed_fonts()
    print(
        f"sentences: {sum(map(len, pools.values()))} ({', '.join(f'{k} {len(v)}' for k, v in pools.items())}) "
        f"from {len(used)} files: {', '.join(f'{Path(p).name} {c}' for p, c in used)}"
    )
    print(
        f"dropped {dropped} characters no installed font draws; photos: {len(photos)}; fonts: {', '.join(fonts)}"
    )
    args.out_dir.mkdir(parents=True, exist_ok=True)
    pictures = plan(args.count, args.seed, fonts)
    photo_urls: dict[Path, str] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(device_scale_factor=1)
        with (args.out_dir / "manifest.jsonl").open("w", encoding="utf-8") as manifest:
            for picture in pictures:
                name = f"browser_{picture['index']:03d}.png"
                extra = render(page, picture, pools, photos, photo_urls)
                page.screenshot(
                    path=str(args.out_dir / name), full_page=False, animations="disabled", caret="hide"
                )
                row = {
                    "path": name,
                    "layout": picture["layout"],
                    "size": list(picture["size"]),
                    "font_px": picture["font_px"],
                    "font": picture["font"],
                    "lang": picture["lang"],
                    "variant": extra["variant"],
                    "dark": extra["dark"],
                    "photo": extra["photo"],
                }
                manifest.write(json.dumps(row, ensure_ascii=False) + "\n")
                print(
                    f"{name} {row['layout']:<8} {row['size'][0]}x{row['size'][1]:<5} {row['font_px']:>2}px "
                    f"{row['lang']:<5} {row['font']} [{row['variant']}] n={extra['units']}",
                    flush=True,
                )
        browser.close()
    print(f"{len(pictures)} pictures in {time.monotonic() - started:.1f} s -> {args.out_dir}")


if __name__ == "__main__":
    main()
