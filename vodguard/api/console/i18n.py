"""The console's languages: the compiled message catalogues, the choice of one per request (the language
cookie, else the browser's Accept-Language, else English), and the wire terms the pages translate.

Catalogues live in ``locale/<lang>/LC_MESSAGES/messages.{po,mo}`` next to this module; ``babel.cfg`` at the
repository root says where ``make messages`` extracts from. The CLI never imports this: it stays English.
"""

from __future__ import annotations

import gettext
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from fastapi import Request
from jinja2 import pass_context
from jinja2.ext import (
    _make_new_gettext,
    _make_new_ngettext,
    _make_new_pgettext,
)
from jinja2.runtime import Context

from vodguard.errors import VodError, Words

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
LANG_COOKIE = "vodguard_lang"
# Tag (as in <html lang> and the cookie) -> catalogue folder; the first one is the default.
LANGUAGES = {"en": "", "zh-CN": "zh_CN"}
NAMES = {"en": "English", "zh-CN": "中文"}
DEFAULT = "en"


def _load(folder: str) -> gettext.NullTranslations:
    if not folder:
        return gettext.NullTranslations()  # English is the source language: msgids are the text
    return gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[folder])


CATALOGUES = {tag: _load(folder) for tag, folder in LANGUAGES.items()}


def N_(message: str) -> str:  # noqa: N802 (gettext's usual name for a no-op marker)
    """Marks a message for extraction where it is defined; it is translated where it is shown."""
    return message


def _supported(tag: str) -> str | None:
    """``tag`` (any case, ``_`` or ``-``) as one of LANGUAGES: zh, zh-CN, zh-Hans, zh-SG all read zh-CN."""
    tag = tag.strip().replace("_", "-").lower()
    if not tag:
        return None
    if tag == "en" or tag.startswith("en-"):
        return "en"
    # Traditional-script Chinese (zh-TW, zh-HK, zh-Hant) is not simplified Chinese: those readers get English.
    if tag == "zh" or (tag.startswith("zh-") and not any(x in tag for x in ("tw", "hk", "mo", "hant"))):
        return "zh-CN"
    return None


def negotiate(accept_language: str) -> str:
    """The best supported language of an Accept-Language header (by q, then order), else English."""
    ranked: list[tuple[float, int, str]] = []
    for order, part in enumerate(accept_language.split(",")[:32]):
        tag, _, params = part.partition(";")
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        found = _supported(tag)
        if found and q > 0:
            ranked.append((-q, order, found))
    return min(ranked)[2] if ranked else DEFAULT


def language_of(request: Request) -> str:
    """The console language of this request: the switch's cookie, else the browser's preference."""
    chosen = _supported(request.cookies.get(LANG_COOKIE, ""))
    return chosen or negotiate(request.headers.get("accept-language", ""))


def translations(request: Request) -> gettext.NullTranslations:
    return CATALOGUES[language_of(request)]


def gettext_for(request: Request) -> Callable[[str], str]:
    """``_`` for messages written in route code (flash messages, errors), in the request's language."""
    return translations(request).gettext


def tr(request: Request, message: str) -> str:
    """``message`` in the request's language; extracted as the keyword ``tr:2`` (see ``make messages``)."""
    return translations(request).gettext(message)


# Services raise errors in English, the API's language. The console says the ones a moderator meets in passing
# (a link to something deleted) in its own words; the others are the service's ``N_``-marked template, which
# ``make messages`` extracts from vodguard/services too, filled in with the same values.
SERVICE_MESSAGES = {
    "ResourceNotFound.FileNotExist": N_("This media does not exist, or it was deleted."),
    "ResourceNotFound.TemplateNotExist": N_("This template does not exist, or it was deleted."),
}
LIST_JOINER = {"en": ", ", "zh-CN": "、"}


def service_message(request: Request, exc: VodError) -> str:
    """A service error's message for a console page, in the page's language. A template the catalogue lacks
    stays English (tests/test_console_i18n.py walks every form's refusals so that none does)."""
    lang = language_of(request)
    if lang == DEFAULT:
        return exc.message
    catalogue = CATALOGUES[lang]
    known = SERVICE_MESSAGES.get(exc.wire_code)
    if known is not None:
        return catalogue.gettext(known)
    text = catalogue.gettext(exc.template)
    if text == exc.template:
        return exc.message
    if not exc.params:
        return text

    def shown(value: object) -> object:
        if not isinstance(value, Words):
            return value
        if value.context:
            return LIST_JOINER[lang].join(translate_term(lang, item, value.context) for item in value.items)
        return LIST_JOINER[lang].join(catalogue.gettext(item) for item in value.items)

    return text % {name: shown(value) for name, value in exc.params.items()}


# The typed fields of console forms and addresses, by parameter name, as the page labels them.
FIELDS = {"priority": N_("Priority"), "definition": N_("Template"), "page": N_("Page")}


def validation_message(request: Request, errors: Sequence[Mapping[str, Any]]) -> str:
    """A typed field's refusal (FastAPI's ``RequestValidationError.errors()``: a number that is not one, or out of
    range) in the form's words and the page's language, naming the field and quoting what was typed."""
    gettext = gettext_for(request)
    if not errors:
        return gettext("The form is not valid.")
    err = errors[0]
    name = str(list(err.get("loc", ()))[-1]) if err.get("loc") else ""
    field = gettext(FIELDS[name]) if name in FIELDS else name
    value = err.get("input")
    kind = str(err.get("type", ""))
    if kind == "missing":
        return gettext("%(field)s is required.") % {"field": field}
    if kind.startswith("int_"):
        message = gettext("%(field)s must be a whole number; %(value)r is not one.")
    elif kind.startswith(("less_than", "greater_than")):
        message = gettext("%(field)s %(value)s is out of range.")
    else:
        message = gettext("%(field)s: %(value)r is not valid.")
    return message % {"field": field, "value": str(value)[:64]}


def _jinja_callables(catalogue: gettext.NullTranslations) -> dict[str, Any]:
    # The "newstyle" wrappers escape the translation for autoescaped templates and apply %(name)s arguments,
    # as Environment.install_gettext_translations(newstyle=True) would, but per render instead of per process.
    return {
        "gettext": _make_new_gettext(catalogue.gettext),
        "ngettext": _make_new_ngettext(catalogue.ngettext),
        "pgettext": _make_new_pgettext(catalogue.pgettext),
    }


JINJA = {tag: _jinja_callables(catalogue) for tag, catalogue in CATALOGUES.items()}


def template_context(request: Request) -> dict[str, Any]:
    """What every page needs to speak the request's language: gettext callables and the language tags."""
    lang = language_of(request)
    return {**JINJA[lang], "lang": lang, "languages": NAMES}


def NP_(context: str, message: str) -> tuple[str, str]:  # noqa: N802 (as N_, with a context)
    """Marks a wire term (with its kind as the context) for extraction; ``term`` translates it when shown."""
    return context, message


# Wire values the pages show (the API keeps them in English). A context per kind, because one English word
# can be two Chinese ones: the category "Image" is 图片, the form "Image" (what the picture shows) is 画面.
TERMS = frozenset(
    [
        NP_("suggestion", "pass"), NP_("suggestion", "review"), NP_("suggestion", "block"),
        NP_("decision", "approve"), NP_("decision", "block"),
        NP_("status", "Normal"), NP_("status", "Forbidden"), NP_("status", "SystemForbidden"),
        NP_("task", "WAITING"), NP_("task", "PROCESSING"), NP_("task", "FINISH"), NP_("task", "ABORTED"),
        NP_("category", "Video"), NP_("category", "Audio"), NP_("category", "Image"),
        NP_("form", "Image"), NP_("form", "OCR"), NP_("form", "ASR"), NP_("form", "Voice"),
        NP_("label", "Porn"), NP_("label", "Terror"), NP_("label", "Polity"), NP_("label", "Ad"),
        NP_("label", "Illegal"), NP_("label", "Abuse"), NP_("label", "Moan"),
        NP_("template", "Preset"), NP_("template", "Custom"), NP_("content", "Media"), NP_("content", "Cover"),
        NP_("series", "uploads"), NP_("series", "tasks"), NP_("series", "pass"), NP_("series", "review"),
        NP_("series", "block"), NP_("series", "error"),
    ]
)  # fmt: skip


def translate_term(lang: str, value: object, kind: str) -> str:
    """A wire value (a suggestion, label, status...) in ``lang``; values that are not TERMS stay as they are."""
    text = str(value) if value is not None else ""
    if ", " in text:  # a list, as the queue's labels of a reviewed image ("Ad, Porn")
        return ", ".join(translate_term(lang, part, kind) for part in text.split(", "))
    return CATALOGUES[lang].pgettext(kind, text) if (kind, text) in TERMS else text


@pass_context
def term(context: Context, value: object, kind: str) -> str:
    """Jinja filter form of ``translate_term``, in the page's language."""
    return translate_term(str(context.get("lang", DEFAULT)), value, kind)
