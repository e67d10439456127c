"""The console in Chinese and English: the catalogues are complete and compiled from their sources, the language
follows the browser or the header's switch, and every page in zh-CN carries no English of the console's own."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from tests.console_pages import Populated, console_with_data
from tests.test_console import Console
from vodguard.api.console import i18n

ROOT = Path(__file__).parent.parent
CONSOLE = ROOT / "vodguard" / "api" / "console"
SERVICES = ROOT / "vodguard" / "services"
PO = i18n.LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2), "NP_": ((1, "c"), 2),
            "N_": None, "tr": (2,)}  # fmt: skip
# Words a zh-CN page may show in Latin letters: names of API fields, protocols and keys, units.
ALLOWED = {
    "vodguard", "SecretId", "SecretKey", "SubAppId", "FileId", "SubLabel", "UTC", "OCR", "ASR", "URL", "PUSH",
    "PULL", "PullEvents", "NewFileUpload", "FileDeleted", "VODGUARD_MAX_BODY_BYTES", "Crypto", "KB", "MB", "GB",
    "png", "CSV", "yesterday", "VODGUARD_NOTIFY_ALLOW", "http", "https",
}  # fmt: skip


def extracted() -> set[tuple[str | None, str]]:
    """Every (context, msgid) in the console's code and templates, and the services' N_()-marked error messages,
    as `make messages` extracts them."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    found = set()
    for folder in (CONSOLE, SERVICES):
        for _file, _line, message, _comments, context in extract_from_dir(
            str(folder), method_map, options_map, keywords=KEYWORDS
        ):
            found.add((context, message[0] if isinstance(message, tuple) else message))
    return found


def test_every_console_message_has_a_chinese_translation():
    catalogue = read_po(PO.open("rb"), locale="zh_CN")
    translated = {
        (m.context, m.id[0] if isinstance(m.id, tuple) else m.id)
        for m in catalogue
        if m.id and "fuzzy" not in m.flags and (all(m.string) if isinstance(m.string, tuple) else m.string)
    }
    missing = extracted() - translated
    assert len(extracted()) > 250
    assert not missing, f"untranslated (run make messages, then translate): {sorted(missing, key=str)}"


def test_translations_keep_their_placeholders_and_markup():
    for m in read_po(PO.open("rb"), locale="zh_CN"):
        if not m.id:
            continue
        source, text = (m.id[0], m.string[0]) if isinstance(m.id, tuple) else (m.id, m.string)
        for pattern in (r"%\(\w+\)[sdrg]|%%", r"\{\w+\}", r"</?\w+"):
            assert sorted(re.findall(pattern, source)) == sorted(re.findall(pattern, text)), (source, text)
    assert not list(read_po(PO.open("rb"), locale="zh_CN").check())


def test_the_committed_pot_and_mo_are_what_the_sources_give():
    pot = {
        (m.context, m.id[0] if isinstance(m.id, tuple) else m.id)
        for m in read_po((i18n.LOCALE_DIR / "messages.pot").open("rb"))
        if m.id
    }
    assert pot == extracted(), "messages.pot is stale: run make messages"
    compiled = io.BytesIO()
    write_mo(compiled, read_po(PO.open("rb"), locale="zh_CN"))
    mo = PO.with_suffix(".mo").read_bytes()
    assert compiled.getvalue() == mo, "messages.mo differs from its .po: run make catalogues"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("", "en"), ("zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"), ("zh", "zh-CN"), ("zh-Hans-CN", "zh-CN"),
        ("en-US,en;q=0.9,zh-CN;q=0.8", "en"), ("fr-FR, zh;q=0.5", "zh-CN"), ("zh-TW,zh-HK;q=0.9", "en"),
        ("zh-CN;q=0, en", "en"), ("de, fr;q=0.8", "en"), ("zh-CN;q=abc", "en"), (";;,,", "en"),
    ],
)  # fmt: skip
def test_the_language_follows_accept_language(header, expected):
    assert i18n.negotiate(header) == expected


class _Text(HTMLParser):
    """Text a person reads on a page: text nodes and the attributes shown as text, outside code, keys and
    anything marked translate="no" or written in another language (the switch's "English")."""

    SHOWN = ("title", "placeholder", "aria-label", "alt", "data-confirm", "data-local", "data-choose",
             "data-signing", "data-signed-out", "data-refused", "data-not-started", "data-uploading",
             "data-uploaded", "data-failed", "data-broken")  # fmt: skip
    VOID = {"input", "img", "meta", "link", "br", "rect", "image", "circle", "line", "polyline", "hr"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[bool] = []  # per open element: is its content data (skipped)?
        self.chunks: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        skipped = (
            (self.stack and self.stack[-1])
            or tag in ("code", "kbd", "script", "style")
            or (a.get("translate") == "no" or (a.get("lang") not in (None, "zh-CN") and tag != "html"))
        )
        if not skipped:
            self.chunks += [str(a[name]) for name in self.SHOWN if a.get(name)]
        if tag not in self.VOID:
            self.stack.append(bool(skipped))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not (self.stack and self.stack[-1]) and data.strip():
            self.chunks.append(data.strip())


def english_words(html: str) -> set[str]:
    parser = _Text()
    parser.feed(html)
    words = set()
    for chunk in parser.chunks:
        chunk = re.sub(r"https?://\S+|/console/\S*|\{\w+\}|\bAKID\w+|\b\w+\.(png|jpg|mp4)\b", " ", chunk)
        words |= {w for w in re.findall(r"[A-Za-z][A-Za-z_]+(?:'[a-z]+)?", chunk) if w not in ALLOWED}
    return words


@pytest.fixture(scope="module")
def populated(tmp_path_factory):
    data = console_with_data(tmp_path_factory.mktemp("data"))
    yield data
    data.server.stop()


def _console(populated: Populated, language: str) -> Console:
    console = Console(populated.server)
    console.http.headers["Accept-Language"] = language
    return console.sign_in_with(populated.keys)


def test_every_page_in_zh_cn_has_no_english_of_the_console(populated):
    zh, en = _console(populated, "zh-CN,zh;q=0.9"), _console(populated, "en-US,en;q=0.9")
    pages = populated.pages()
    for path in pages:
        answer = zh.get(path)
        assert answer.status_code in (200, 404), (path, answer.status_code)
        assert answer.headers["content-language"] == "zh-CN" and '<html lang="zh-CN">' in answer.text
        left = english_words(answer.text)
        assert not left, f"{path}: English left on the zh-CN page: {sorted(left)}"
        # The same page in English is really translated text, not an English page that happens to pass.
        assert len(english_words(en.get(path).text)) > 5, path
    # Pages only a form opens: the one-time secret of a new key, a refused form, and the sign-in page.
    assert not english_words(zh.http.post("/console/settings/keys", data={"csrf": zh.token()}).text)
    refused = zh.flash(zh.post("/console/settings/password", {"password": "short"}))
    assert refused.startswith("error: ") and not english_words(refused.removeprefix("error: "))
    anonymous = httpx.Client(base_url=populated.server.url, headers={"Accept-Language": "zh-CN"})
    assert not english_words(anonymous.get("/console/login").text)


def test_the_library_says_a_review_is_queued_rather_than_not_reviewed(populated):
    # the queued media's task waits for a worker (the server has none): its row says so
    for language, words in (("en", "review queued"), ("zh-CN", "审核排队中")):
        page = _console(populated, language).get("/console/library").text
        row = re.search(rf'<tr data-file-id="{populated.queued}">.*?</tr>', page, re.S).group(0)
        assert f'<span class="pill st-waiting review-queued">{words}</span>' in row, row
        assert "not reviewed" not in row and "未审核" not in row


def test_flash_messages_and_errors_follow_the_language(populated):
    zh = _console(populated, "zh-CN")
    assert zh.flash(zh.post("/console/settings/events", {"mode": "PULL"})) == "ok: 事件通知配置已保存。"
    assert "不是日期" in zh.get("/console/library", date_from="yesterday").text
    answer = zh.post(f"/console/media/{populated.reviewed}/decision", {"decision": "approve"}, csrf="stale")
    assert answer.status_code == 403 and "安全令牌" in answer.text


def test_the_header_switch_sets_a_cookie_that_wins_over_the_browser(populated):
    zh = _console(populated, "zh-CN")
    switched = zh.http.get("/console/language/en", params={"next": "/console/tasks?status=WAITING"})
    assert switched.status_code == 303 and switched.headers["location"] == "/console/tasks?status=WAITING"
    assert 'lang="en"' in zh.get("/console/tasks").text  # the cookie beats Accept-Language: zh-CN
    assert (
        'href="/console/language/zh-CN?next=/console/tasks%3Fstatus%3DWAITING"'
        in zh.get("/console/tasks?status=WAITING").text
    )
    offsite = zh.http.get("/console/language/zh-CN", params={"next": "https://evil.example/"})
    assert offsite.headers["location"] == "/console/queue"
    assert 'lang="zh-CN"' in zh.get("/console/queue").text
    unknown = zh.http.get("/console/language/klingon")
    assert unknown.status_code == 303 and 'lang="zh-CN"' in zh.get("/console/queue").text


def test_the_api_stays_english_whatever_the_browser_asks(populated):
    answer = httpx.post(f"{populated.server.url}/", headers={"Accept-Language": "zh-CN"}, json={})
    message = answer.json()["Response"]["Error"]["Message"]
    assert message and re.fullmatch(r"[\x20-\x7e]+", message), message


def test_times_are_time_elements_in_utc_for_the_browser_to_localise(populated):
    page = _console(populated, "en").get("/console/tasks").text
    found = re.findall(
        r'<time datetime="(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)" title="([^"]+)">([^<]+)</time>', page
    )
    assert found
    for stamp, title, text in found:
        assert title == text == stamp.replace("T", " ").replace("Z", " UTC")
    board = _console(populated, "en").get("/console/dashboard").text
    assert re.search(r'<text class="tick"[^>]* data-utc="[^"]+Z" data-kind="hour">\d\d:00</text>', board)
    assert "Times on the axis are in UTC." in board


def refused_forms(populated: Populated) -> list[tuple[str, list[tuple[str, str]]]]:
    """A refused submission of every console form, one per way a service or the form itself says no."""
    seen, waiting = populated.reviewed, populated.queued
    good_user = [
        ("name", "ann"),
        ("role", "moderator"),
        ("password", "long enough pw"),
        ("again", "long enough pw"),
    ]
    custom = [("name", "t"), ("labels", "Ad"), ("custom_labels_form", "1"), ("custom-0-label", "Ad")]
    return [
        ("/console/settings/templates", [("name", "x" * 65), ("labels", "Ad")]),
        ("/console/settings/templates", [("name", "t"), ("comment", "x" * 257), ("labels", "Ad")]),
        ("/console/settings/templates", [("name", "t")]),
        ("/console/settings/templates", [("name", "t"), ("labels", "Nope")]),
        ("/console/settings/templates", [("name", "t"), ("labels", "Ad"), ("review_Ad", "x")]),
        ("/console/settings/templates", [("name", "t"), ("labels", "Ad"), ("review_Ad", "90"), ("block_Ad", "10")]),
        ("/console/settings/templates", [*custom[:3], ("custom-0-label", "Porn"), ("custom-0-sub_label", "x"),
                                         ("custom-0-examples", "a")]),
        ("/console/settings/templates", [*custom, ("custom-0-sub_label", "two words"), ("custom-0-examples", "a")]),
        ("/console/settings/templates", [*custom, ("custom-0-sub_label", "ok"), ("custom-0-examples", "a\nb")]),
        ("/console/settings/templates", [*custom, ("custom-0-sub_label", "ok"), ("custom-0-examples", "a\n" + "x" * 501)]),
        ("/console/settings/templates", [("name", "t"), ("labels", "Ad"), ("budget", "quick")]),
        ("/console/settings/templates/10", [("labels", "Ad")]),
        ("/console/settings/templates/999999", [("labels", "Ad")]),
        ("/console/settings/templates/10/delete", []),
        ("/console/settings/templates/999999/delete", []),
        ("/console/settings/procedures", [("name", ""), ("definition", "10")]),
        ("/console/settings/procedures", [("name", "p"), ("definition", "abc")]),
        ("/console/settings/procedures", [("name", "p"), ("definition", "999999")]),
        ("/console/settings/procedures/nope/delete", []),
        ("/console/settings/events", [("mode", "BOTH")]),
        ("/console/settings/events", [("mode", "PUSH"), ("notification_url", "ftp://x")]),
        ("/console/settings/events", [("mode", "PUSH"), ("notification_url", "http://127.0.0.1/hook")]),
        ("/console/settings/events", [("mode", "PUSH"), ("sign_key", "two words")]),
        ("/console/settings/publishing", [("mode", "sometimes")]),
        ("/console/settings/keys", [("name", "k" * 65)]),
        ("/console/settings/keys/AKIDnope/revoke", []),
        ("/console/settings/password", [("password", "short")]),
        ("/console/settings/password", [("password", "long enough pw"), ("again", "other")]),
        ("/console/users", [("name", "two words"), *good_user[1:]]),
        ("/console/users", [("name", "cli"), *good_user[1:]]),
        ("/console/users", [good_user[0], ("role", "owner"), *good_user[2:]]),
        ("/console/users", [*good_user[:2], ("password", "short"), ("again", "short")]),
        ("/console/users", [*good_user[:2], ("password", "x" * 1025), ("again", "x" * 1025)]),
        ("/console/users", [*good_user[:3], ("again", "other")]),
        ("/console/users/nobody/remove", []),
        ("/console/known/add", [("file_id", "424242"), ("label", "Porn")]),
        ("/console/known/add", [("file_id", seen), ("label", "Nope")]),
        ("/console/known/add", [("file_id", seen), ("label", "Porn"), ("reason", "x" * 513)]),
        ("/console/known/known-0000/delete", []),
        ("/console/library/upload-signature", [("procedure", "nope")]),
        ("/console/media/424242/review", [("definition", "10")]),
        (f"/console/media/{seen}/review", [("definition", "999999")]),
        (f"/console/media/{seen}/review", [("definition", "10"), ("priority", "11")]),
        (f"/console/media/{seen}/review", [("definition", "10"), ("priority", "high")]),  # a typed number field
        (f"/console/media/{seen}/review", [("definition", "ten")]),
        (f"/console/media/{seen}/review", [("definition", str(2**63))]),
        ("/console/settings/templates/abc", [("labels", "Ad")]),
        ("/console/media/424242/delete", []),
        (f"/console/media/{seen}/decision", [("decision", "maybe")]),
        (f"/console/media/{seen}/decision", [("decision", "block"), ("reason", "x" * 513)]),
        ("/console/media/424242/decision", [("decision", "block")]),
        ("/console/queue/decision", [("decision", "block")]),
        ("/console/queue/decision", [("decision", "maybe"), ("file_id", waiting)]),
        ("/console/queue/decision", [("decision", "block"), ("file_id", "424242")]),
    ]  # fmt: skip


# The fixed parts of the console's URLs: the other parts of a path, and every query value, were typed.
ROUTE_WORDS = {"console", "settings", "templates", "delete", "procedures", "events", "publishing", "keys", "revoke",
               "password", "users", "remove", "known", "add", "library", "upload-signature", "media", "review",
               "decision", "queue", "tasks", "audit", "evidence"}  # fmt: skip


def typed_words(url: str, *values: str) -> set[str]:
    """Latin words a person typed (form values, a path's ids, query values): a refusal may quote them back."""
    path, _, query = url.partition("?")
    texts = [*values, *(part for part in path.split("/") if part not in ROUTE_WORDS)]
    texts += [pair.partition("=")[2] for pair in query.split("&")]
    return {w for text in texts for w in re.findall(r"[A-Za-z][A-Za-z_]+", text)}


def test_every_refused_form_says_why_in_chinese(populated):
    # A service's error reaches a zh-CN page through the catalogue; one whose message is not translated would show
    # its English here. Each submission must be refused (nothing changes), so that the walk has no side effects.
    zh = _console(populated, "zh-CN,zh;q=0.9")
    for path, form in refused_forms(populated):
        answer = zh.post(path, form)
        typed = typed_words(path, *(value for _, value in form))
        if answer.status_code == 303:
            shown = zh.flash(answer)
            assert shown.startswith("error: "), (path, form, shown)
            left = english_words(shown.removeprefix("error: ")) - typed
        else:
            assert 400 <= answer.status_code < 500 and '<html lang="zh-CN">' in answer.text, (
                path,
                answer.text,
            )
            left = english_words(answer.text) - typed
        assert not left, f"{path} {form}: English left in the refusal: {sorted(left)}"
    for path in ("/console/tasks?token=garbage", "/console/audit?action=nope&date_from=x", "/console/library?label=Nope",
                 "/console/library?date_to=x", "/console/media/424242", "/console/evidence/nope/x.jpg",
                 "/console/library?page=two", "/console/audit?page=0"):  # fmt: skip
        answer = zh.get(path)
        refusal = re.search(r'class="(?:flash flash-error|error-text)">([^<]+)<', answer.text)
        assert refusal and answer.status_code in (200, 400, 404), (path, answer.status_code)
        left = english_words(answer.text) - typed_words(path)
        assert not left, f"{path}: English left in the refusal: {sorted(left)}"


def test_an_api_error_stays_english_and_its_console_message_is_the_same_template(populated):
    from vodguard.api.console.i18n import service_message
    from vodguard.errors import InvalidParameterValue, Words

    error = InvalidParameterValue(
        "Label %(label)r must be one of %(labels)s", params={"label": "Nope", "labels": Words("Porn", "Ad", context="label")}
    )  # fmt: skip
    assert error.message == "Label 'Nope' must be one of Porn, Ad"  # the API's answer, unchanged

    class Asking:
        def __init__(self, language: str) -> None:
            self.cookies: dict[str, str] = {}
            self.headers = {"accept-language": language}

    assert service_message(Asking("en"), error) == error.message
    assert service_message(Asking("zh-CN"), error) == "标签 'Nope' 无效：只能是 色情、广告 之一"
    untranslated = InvalidParameterValue("Field %(x)s is odd", params={"x": "y"})
    assert (
        service_message(Asking("zh-CN"), untranslated) == "Field y is odd"
    )  # English, which the walk above catches
