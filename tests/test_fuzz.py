"""Generated parameters of every type, sent to every registered action: always a typed answer, never a crash.

Each example picks an action from the registry and a way to reach it (TC3-signed, legacy-signed, or unsigned with
garbage credentials), and builds parameters from the action's own request model, mixed with values of every other
type: huge and negative integers, floats, NaN, text with lone surrogates, nested lists and objects. The answer
must be HTTP 200 ``application/json`` with a RequestId and either a result or an error code other than
InternalError, and the server must log no traceback.

``make test`` runs a few hundred examples; ``make fuzz`` runs thousands (VODGUARD_FUZZ_EXAMPLES).
"""

from __future__ import annotations

import json
import logging
import os
import types
import typing

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

import vodguard.api.actions  # noqa: F401  (registers the actions)
from tests import rawapi
from tests.server import start_server
from vodguard.api.registry import ACTIONS

EXAMPLES = int(os.environ.get("VODGUARD_FUZZ_EXAMPLES", "300"))
INT_EDGES = [0, -1, 1, 2**31, 2**53 + 1, 2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 2**64, 10**30, -(10**30)]
ODD_TEXT = ["", " ", "\ud800", "a\udfffb", "\x00", "²", "１２", "9" * 30, "../..", "/a\n", "\u202e", "😀" * 3]


class Tracebacks(logging.Handler):
    """Collects every log record with a traceback or at ERROR and above, from vodguard and from uvicorn."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.ERROR or record.exc_info is not None


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory):
    handler = Tracebacks()
    handler.setLevel(logging.NOTSET)
    watched = [logging.getLogger(), logging.getLogger("uvicorn"), logging.getLogger("uvicorn.error")]
    for logger in watched:
        logger.addHandler(handler)
    running = start_server(
        tmp_path_factory.mktemp("fuzz"),
        background=False,  # no workers: the tasks a lucky example starts stay queued
        request_rate_per_app=1_000_000,
        review_rate_per_app=1_000_000,
        event_config_rate_per_app=1_000_000,
        pull_hold_seconds=0.0,
    )
    running.tracebacks = handler  # type: ignore[attr-defined]
    yield running
    running.stop()
    for logger in watched:
        logger.removeHandler(handler)


@pytest.fixture(scope="module")
def fuzz_keys(fuzz_server):
    return fuzz_server.new_key()


# --- values -----------------------------------------------------------------------------------------------------

integers = st.one_of(
    st.sampled_from(INT_EDGES), st.integers(), st.integers(min_value=-(10**40), max_value=10**40)
)
texts = st.one_of(
    st.sampled_from(ODD_TEXT),
    st.text(max_size=40),
    st.text(st.characters(categories=["Cs", "Nd", "No", "Zs", "Cc"]), max_size=8),
)
scalars = st.one_of(st.none(), st.booleans(), integers, st.floats(allow_nan=True, allow_infinity=True), texts)
anything = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.one_of(texts, st.just("FileId")), inner, max_size=4)
    ),
    max_leaves=12,
)


def typed(annotation: object) -> st.SearchStrategy[object]:
    """Values of the annotated type (mostly), so examples get past the type check into the handlers."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return st.one_of([typed(a) for a in typing.get_args(annotation)])
    if origin is list:
        (item,) = typing.get_args(annotation) or (object,)
        return st.lists(typed(item), max_size=5)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return model_params(annotation)
    simple = {int: integers, str: texts, bool: st.booleans(), float: st.floats(), type(None): st.none()}
    return simple.get(annotation, anything)  # type: ignore[call-overload]


def model_params(model: type[BaseModel]) -> st.SearchStrategy[dict[str, object]]:
    """The model's fields, each usually of its type and sometimes of any type; the required ones usually present.

    SubAppId is usually left out: any other value is refused up front, before the handler runs.
    """
    fields = {name: st.one_of(typed(f.annotation), anything) for name, f in model.model_fields.items()}
    fields["SubAppId"] = st.one_of(st.just(0), anything) if "SubAppId" in fields else anything
    required = {name for name, f in model.model_fields.items() if f.is_required()}
    some = st.fixed_dictionaries({}, optional={**fields, "Unknown": anything})
    if not required:
        return some
    rest = {name: value for name, value in fields.items() if name not in required}
    complete = st.fixed_dictionaries({name: fields[name] for name in required}, optional=rest)
    return st.one_of(complete, complete, some)


# --- requests -----------------------------------------------------------------------------------------------------


def _flatten(value: object, prefix: str = "") -> list[tuple[str, object]]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _flatten(v, f"{prefix}.{k}" if prefix else str(k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _flatten(v, f"{prefix}.{i}")]
    return [(prefix, value)]


# Latin-1 without controls, and no edge spaces: what HTTP/1.1 lets a header value carry at all.
header_text = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=30
).map(str.strip)


@st.composite
def requests(draw: st.DrawFn, keys, host: str) -> tuple[str, dict[str, str], bytes]:
    action = draw(st.sampled_from([*sorted(ACTIONS), "NoSuchAction"]))
    model = ACTIONS[action].request_model if action in ACTIONS else None
    params = draw(model_params(model) if model else st.dictionaries(texts, anything, max_size=3))
    mode = draw(st.sampled_from(["tc3", "tc3", "tc3", "legacy", "unsigned"]))
    version = draw(st.sampled_from(["2018-07-17"] * 6 + [None, "garbage"]))
    if version == "garbage":
        version = draw(header_text)
    body = json.dumps(params).encode()  # ensure_ascii: lone surrogates travel as \udXXX escapes
    if mode == "legacy":
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Host": host}
        pairs = [(k, "" if v is None else str(v)) for k, v in _flatten(params)]
        return (
            action,
            headers,
            rawapi.legacy_body(keys.secret_id, keys.secret_key, action, pairs, host, version=version),
        )
    headers = rawapi.tc3_headers(keys.secret_id, keys.secret_key, action, body, host)
    if version is None:
        del headers["X-TC-Version"]
    else:
        headers["X-TC-Version"] = version
    if mode == "unsigned":
        headers["X-TC-Timestamp"] = draw(st.one_of(header_text, st.just(headers["X-TC-Timestamp"])))
        headers["Authorization"] = draw(st.one_of(header_text, st.just(headers["Authorization"][:-1] + "0")))
    return action, headers, body


def check_answer(resp: httpx.Response, what: str) -> str:
    assert resp.status_code == 200, what
    assert resp.headers["content-type"] == "application/json", what
    answer = resp.json()["Response"]
    assert answer["RequestId"], what
    if "Error" in answer:
        assert answer["Error"]["Code"] and answer["Error"]["Code"] != "InternalError", (what, answer)
        assert isinstance(answer["Error"]["Message"], str), what
        return str(answer["Error"]["Code"])
    return "OK"


# --- the tests ----------------------------------------------------------------------------------------------------


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
@given(data=st.data())
def test_generated_requests_to_every_action_get_a_typed_answer(fuzz_server, fuzz_keys, data):
    action, headers, body = data.draw(requests(fuzz_keys, fuzz_server.endpoint))
    before = len(fuzz_server.tracebacks.records)
    with httpx.Client(timeout=30) as client:
        raw_headers = {k: v.encode("latin-1") for k, v in headers.items()}
        resp = client.post(fuzz_server.url + "/", content=body, headers=raw_headers)
    what = f"{action} {headers.get('X-TC-Version')!r} {body[:300]!r}"
    event(check_answer(resp, what))  # pytest --hypothesis-show-statistics shows the mix of answers
    logged = fuzz_server.tracebacks.records[before:]
    assert not logged, (what, [r.getMessage() for r in logged])
