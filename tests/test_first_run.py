"""The first start of a server: an all-labels template and a procedure named ``review`` in the default app, made
once, so that the README's ``curl ... -F procedure=review`` works on a fresh install."""

from __future__ import annotations

import re
import threading
from types import SimpleNamespace

import httpx
from tencentcloud.vod.v20180717 import models

from tests.conftest import vod_client
from tests.paths import fixture_path
from tests.server import start_server
from tests.test_console import Console
from vodguard.services import apps, firstrun, templates
from vodguard.store.db import Database
from vodguard.timeutil import utcnow


def test_first_start_makes_the_app_template_and_procedure_once(tmp_path):
    server = start_server(tmp_path, background=False)
    try:
        with server.services.db.transaction() as s:
            first = firstrun.prepare_start(s, now=utcnow())
        with server.services.db.transaction() as s:
            again = firstrun.prepare_start(s, now=utcnow())
            procedure = templates.get_procedure(s, app_id=first.app_id, name="review")
            template = templates.get_review_template(
                s, app_id=first.app_id, definition=procedure.review_definition
            )
            keys = apps.list_keys(s)
        assert first.first_key is not None and len(first.created) == 2
        assert again.first_key is None and again.created == () and again.app_id == first.app_id
        assert set(template.labels) == set(templates.LABELS) and template.name == "All labels"
        assert [k.app_id for k in keys] == [first.app_id]

        # the README's upload line, with the key pair of the first start
        pair = first.first_key
        with open(fixture_path("static.mp4"), "rb") as f:
            answer = httpx.post(
                f"{server.url}/upload",
                auth=(pair.secret_id, pair.secret_key),
                files={"file": ("clip.mp4", f)},
                data={"procedure": "review"},
                timeout=60,
            )
        assert answer.status_code == 200, answer.text
        task_id = answer.json()["ReviewAudioVideoTaskId"]
        vod = vod_client(server, pair.secret_id, pair.secret_key)
        req = models.DescribeTaskDetailRequest()
        req.TaskId = task_id
        detail = vod.DescribeTaskDetail(req)
        assert detail.ReviewAudioVideoTask.Input.Definition == template.definition

        # the console's forms start from the same scope: the `review` procedure and the all-labels template,
        # and the preset says what it leaves out
        console = Console(server).sign_in_with(
            SimpleNamespace(secret_id=pair.secret_id, secret_key=pair.secret_key)
        )
        library = console.get("/console/library").text
        upload = re.search(r'<select name="procedure".*?</select>', library, re.S).group(0)
        assert re.findall(r"<option[^>]* selected[^>]*>([^<]*)<", upload) == ["review"]
        reviews = re.findall(r'<select name="definition">(.*?)</select>', library, re.S)
        assert reviews  # one form per media row
        for form in reviews:
            chosen = re.findall(r'<option value="(\d+)" selected>', form)
            assert chosen == [str(template.definition)], form
            preset = re.search(r'<option value="10"[^>]*>([^<]*)<', form).group(1)
            assert "not checked: Ad, Illegal, Abuse" in preset, preset
            full = re.search(rf'<option value="{template.definition}"[^>]*>([^<]*)<', form).group(1)
            assert "not checked" not in full, full
    finally:
        server.stop()


def test_a_deleted_review_procedure_comes_back_reusing_the_template(tmp_path):
    server = start_server(tmp_path, background=False)
    try:
        with server.services.db.transaction() as s:
            first = firstrun.prepare_start(s, now=utcnow())
        with server.services.db.transaction() as s:
            templates.delete_procedure_template(s, app_id=first.app_id, name="review")
        with server.services.db.transaction() as s:
            again = firstrun.prepare_start(s, now=utcnow())
            _, rows = templates.describe_review_templates(
                s, app_id=first.app_id, definitions=None, type_=None, offset=0, limit=100
            )
        assert again.created == ("procedure 'review' (review with template 10001)",)
        assert [r.name for r in rows].count("All labels") == 1
    finally:
        server.stop()


def test_servers_starting_together_make_one_procedure(tmp_path):
    # as in a cluster: the app and its key exist (keys create), then several API servers start at once
    server = start_server(tmp_path, background=False)
    try:
        with server.services.db.transaction() as s:
            app_id = apps.create_key(s, name="default", now=utcnow()).sub_app_id
        gate = threading.Barrier(4)
        results: list[firstrun.StartState] = []

        def start() -> None:
            db = Database(server.settings.sqlalchemy_url)  # a process of its own would have its own engine
            gate.wait()
            results.append(firstrun.start(db, now=utcnow()))
            db.dispose()

        threads = [threading.Thread(target=start) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert len(results) == 4 and {r.app_id for r in results} == {app_id}
        assert sum(len(r.created) for r in results) == 2  # the template and the procedure, made once
        with server.services.db.transaction() as s:
            _, procedures = templates.describe_procedure_templates(
                s, app_id=app_id, names=None, type_=None, offset=0, limit=100
            )
        assert [p.name for p in procedures] == ["review"]
    finally:
        server.stop()
