"""Settings: review templates with per-label thresholds and custom labels, procedure templates, event
configuration, publishing mode, keys and the console password."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from vodguard.api.console import i18n, views
from vodguard.api.console.auth import Admin, AdminPost, Console, ConsoleRoute, Refused, redirect
from vodguard.digits import INT64_MAX, parse_digits
from vodguard.errors import InvalidParameterValue
from vodguard.services import apps, audit, console_queries, events, templates
from vodguard.services.destinations import AllowList
from vodguard.timeutil import utcnow

router = APIRouter(route_class=ConsoleRoute)
MIN_PASSWORD = 10


async def form_data(request: Request) -> FormData:
    return await request.form()


PostedForm = Annotated[FormData, Depends(form_data)]


def _log(c: Console, s: Session, action: str, target: object = "", detail: str = "") -> None:
    """The change in the audit log, under the signed-in person, in the change's transaction."""
    audit.record(
        s, app_id=c.app_id, person=c.person, action=action, target=str(target), detail=detail, now=utcnow()
    )


def _done(c: Console, message: str, anchor: str) -> Response:
    return views.with_flash(c.request, redirect(f"/console/settings#{anchor}"), message, "ok")


@router.get("/console/settings")
def settings_page(c: Admin) -> Response:
    return _settings(c)


def _settings(c: Console, new_key: apps.KeyPair | None = None, new_key_name: str = "") -> Response:
    with c.tx() as s:
        _, review_templates = templates.describe_review_templates(
            s, app_id=c.app_id, definitions=None, type_=None, offset=0, limit=100
        )
        _, procedures = templates.describe_procedure_templates(
            s, app_id=c.app_id, names=None, type_=None, offset=0, limit=100
        )
        config = events.get_config(s, c.app_id)
        event_config = {k: getattr(config, k) for k in events.DEFAULTS}
        keys = console_queries.app_keys(s, app_id=c.app_id)
        has_password = bool(apps.get_app(s, c.app_id).console_password)
    return views.render(
        c.request, "settings.html", console=c, page="settings", review_templates=review_templates,
        procedures=procedures, events=event_config, keys=keys, labels=templates.LABELS,
        defaults=templates.DEFAULT_THRESHOLDS, has_password=has_password, new_key=new_key, new_key_name=new_key_name,
    )  # fmt: skip


def _thresholds(form: FormData, labels: list[str], request: Request) -> templates.TemplateThresholds:
    """``review_<Label>`` / ``block_<Label>`` fields as ``{"Label": {"review": x, "block": y}}``; blanks keep
    the default."""
    gettext, lang = i18n.gettext_for(request), i18n.language_of(request)
    out: templates.TemplateThresholds = {}
    for label in labels:
        raw = {kind: str(form.get(f"{kind}_{label}", "") or "").strip() for kind in ("review", "block")}
        if not any(raw.values()):
            continue
        base = templates.DEFAULT_THRESHOLDS[label]
        shown_label = i18n.translate_term(lang, label, "label")
        try:
            review = float(raw["review"]) if raw["review"] else base.review
            block = float(raw["block"]) if raw["block"] else base.block
        except ValueError:
            message = gettext("The %(label)s thresholds must be numbers from 0 to 100.")
            raise InvalidParameterValue(message % {"label": shown_label}) from None
        if not (0 <= review <= block <= 100):
            message = gettext(
                "The %(label)s thresholds must satisfy 0 ≤ review ≤ block ≤ 100 (got review %(review)g, block %(block)g)."
            )
            raise InvalidParameterValue(message % {"label": shown_label, "review": review, "block": block})
        out[label] = {"review": review, "block": block}
    return out


_PLAIN_FIELDS = {
    "Label": i18n.N_("the label"),
    "SubLabel": i18n.N_("the name"),
    "Examples": i18n.N_("the examples"),
}


def _custom_labels(
    form: FormData, request: Request
) -> tuple[list[dict[str, Any]] | None, templates.FieldNamer]:
    """The form's custom label rows (``custom-<i>-label``, ``-sub_label``, ``-examples`` one per line, ``-remove``)
    as the service takes them, and how its messages name a row's fields; None when the form has no such part.

    A row left empty (the blank one for a new label) or ticked "remove" is left out.
    """
    if not form.get("custom_labels_form"):
        return None, templates.api_field
    rows: list[int] = []  # the row number a person sees, for each item passed on
    items: list[dict[str, Any]] = []
    i = 0
    while f"custom-{i}-label" in form:
        sub_label = str(form.get(f"custom-{i}-sub_label", "") or "").strip()
        lines = str(form.get(f"custom-{i}-examples", "") or "").splitlines()
        examples = [line.strip() for line in lines if line.strip()]
        if not form.get(f"custom-{i}-remove") and (sub_label or examples):
            rows.append(i + 1)
            items.append(
                {"Label": str(form.get(f"custom-{i}-label", "")), "SubLabel": sub_label, "Examples": examples}
            )
        i += 1

    gettext = i18n.gettext_for(request)

    def where(index: int | None, name: str) -> str:
        if index is None:
            return gettext("Custom labels")
        if name.startswith("Examples["):
            message = gettext("Custom label %(row)d: example %(example)d")
            return message % {"row": rows[index], "example": int(name[9:-1]) + 1}
        field = gettext(_PLAIN_FIELDS[name]) if name in _PLAIN_FIELDS else name
        return gettext("Custom label %(row)d: %(field)s") % {"row": rows[index], "field": field}

    return items, where


def _budget(form: FormData) -> str | None:
    """The form's budget (fast, balanced, thorough), checked by the service; None when the form has none."""
    value = form.get("budget")
    return None if value is None else str(value)


@router.post("/console/settings/templates")
def create_template(c: AdminPost, form: PostedForm) -> Response:
    labels = [str(v) for v in form.getlist("labels")]
    custom, where = _custom_labels(form, c.request)
    with c.tx() as s:
        view = templates.create_review_template(
            s, app_id=c.app_id, labels=labels, name=str(form.get("name", "")), comment=str(form.get("comment", "")),
            budget=_budget(form), now=utcnow(),
        )  # fmt: skip
        thresholds = _thresholds(form, view.labels, c.request)
        if thresholds or custom:
            templates.modify_review_template(
                s, app_id=c.app_id, definition=view.definition, labels=None, name=None, comment=None,
                thresholds=thresholds or None, custom_labels=custom or None, where=where, now=utcnow(),
            )  # fmt: skip
        _log(c, s, "template.create", view.definition, view.name)
    message = i18n.tr(c.request, "Review template %(definition)s created.") % {"definition": view.definition}
    return _done(c, message, f"template-{view.definition}")


# a template number in a path: bounded, so a huge one is a typed 400 and never reaches the database
Definition = Annotated[int, Path(ge=0, le=INT64_MAX)]


@router.post("/console/settings/templates/{definition}")
def modify_template(definition: Definition, c: AdminPost, form: PostedForm) -> Response:
    labels = templates.validate_labels([str(v) for v in form.getlist("labels")])
    custom, where = _custom_labels(form, c.request)
    with c.tx() as s:
        templates.modify_review_template(
            s, app_id=c.app_id, definition=definition, labels=labels, name=str(form.get("name", "")),
            comment=str(form.get("comment", "")), thresholds=_thresholds(form, labels, c.request), custom_labels=custom,
            budget=_budget(form), where=where, now=utcnow(),
        )  # fmt: skip
        _log(c, s, "template.modify", definition, ",".join(labels))
    message = i18n.tr(c.request, "Review template %(definition)s saved.") % {"definition": definition}
    return _done(c, message, f"template-{definition}")


@router.post("/console/settings/templates/{definition}/delete")
def delete_template(definition: Definition, c: AdminPost) -> Response:
    with c.tx() as s:
        templates.delete_review_template(s, app_id=c.app_id, definition=definition)
        _log(c, s, "template.delete", definition)
    message = i18n.tr(c.request, "Review template %(definition)s deleted.") % {"definition": definition}
    return _done(c, message, "templates")


@router.post("/console/settings/procedures")
def create_procedure(
    c: AdminPost,
    name: str = Form(""),
    comment: str = Form(""),
    definition: str = Form(""),
    cover: str = Form(""),
) -> Response:
    review = parse_digits(definition.strip())
    if definition.strip() and review is None:
        message = i18n.tr(c.request, "Review template %(value)r is not a template number.")
        raise InvalidParameterValue(
            message % {"value": definition.strip()}, code="InvalidParameterValue.Definition"
        )
    with c.tx() as s:
        templates.create_procedure_template(
            s, app_id=c.app_id, name=name.strip(), comment=comment, review_definition=review,
            review_contents=["Media", "Cover"] if cover else ["Media"], now=utcnow(),
        )  # fmt: skip
        _log(c, s, "procedure.create", name.strip(), f"review template {review}")
    message = i18n.tr(c.request, "Procedure template %(name)r created.") % {"name": name.strip()}
    return _done(c, message, "procedures")


@router.post("/console/settings/procedures/{name}/delete")
def delete_procedure(name: str, c: AdminPost) -> Response:
    with c.tx() as s:
        templates.delete_procedure_template(s, app_id=c.app_id, name=name)
        _log(c, s, "procedure.delete", name)
    message = i18n.tr(c.request, "Procedure template %(name)r deleted.") % {"name": name}
    return _done(c, message, "procedures")


@router.post("/console/settings/events")
def save_events(
    c: AdminPost,
    mode: str = Form("PUSH"),
    notification_url: str = Form(""),
    sign_key: str = Form(""),
    upload_switch: str = Form(""),
    delete_switch: str = Form(""),
    persistence_switch: str = Form(""),
) -> Response:
    def on(value: str) -> str:
        return "ON" if value else "OFF"

    with c.tx() as s:
        events.modify_config(
            s, app_id=c.app_id, mode=mode, notification_url=notification_url.strip(), sign_key=sign_key.strip(),
            upload_switch=on(upload_switch), delete_switch=on(delete_switch),
            persistence_switch=on(persistence_switch),
            allow=AllowList.parse(c.services.settings.notify_allow),
        )  # fmt: skip
        _log(c, s, "events.modify", "", f"{mode} {notification_url.strip()}")
    return _done(c, i18n.tr(c.request, "Event configuration saved."), "events")


@router.post("/console/settings/publishing")
def save_publishing(c: AdminPost, mode: str = Form(...)) -> Response:
    with c.tx() as s:
        apps.set_publish_mode(s, app_id=c.app_id, mode=mode)
        _log(c, s, "publishing.modify", "", mode)
    gettext = i18n.gettext_for(c.request)
    if mode == "pre":
        return _done(c, gettext("Publishing mode is now pre-moderation."), "publishing")
    return _done(c, gettext("Publishing mode is now post-moderation."), "publishing")


@router.post("/console/settings/keys")
def create_key(c: AdminPost, name: str = Form("")) -> Response:
    with c.tx() as s:
        pair = apps.create_key(s, app_id=c.app_id, key_name=name, now=utcnow())
        _log(c, s, "key.create", pair.secret_id, name.strip())
    # The secret is shown once, in this very answer (never put in a cookie, a URL or a redirect).
    return _settings(c, new_key=pair, new_key_name=name.strip())


@router.post("/console/settings/keys/{secret_id}/revoke")
def revoke_key(secret_id: str, c: AdminPost) -> Response:
    with c.tx() as s:
        key = apps.find_key(s, secret_id)
        if key.app_id != c.app_id:
            message = i18n.tr(c.request, "SecretId %(secret_id)s is not a key of this app.")
            raise Refused(404, message % {"secret_id": secret_id})
        apps.revoke_key(s, secret_id=secret_id, now=utcnow())
        _log(c, s, "key.revoke", secret_id)
    gettext = i18n.gettext_for(c.request)
    message = gettext("Key %(secret_id)s revoked.") % {"secret_id": secret_id}
    if c.session.method == "key" and c.session.secret_id == secret_id:
        message += " " + gettext("It was the key of this session: sign in again.")
    return _done(c, message, "keys")


@router.post("/console/settings/password")
def set_password(c: AdminPost, password: str = Form(""), again: str = Form("")) -> Response:
    if len(password) < MIN_PASSWORD:
        message = i18n.tr(c.request, "The console password must have at least %(count)d characters.")
        raise InvalidParameterValue(message % {"count": MIN_PASSWORD})
    if password != again:
        raise InvalidParameterValue(i18n.tr(c.request, "The two passwords differ."))
    with c.tx() as s:
        apps.set_console_password(s, app_id=c.app_id, password=password)
        _log(c, s, "password.set")
    message = i18n.tr(
        c.request, "Console password set. Sessions opened with the old password are signed out."
    )
    return _done(c, message, "keys")
