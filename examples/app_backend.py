"""An app backend for vodguard in one page: the whole upload, review and playback flow from the app's side.

    .venv/bin/python examples/app_backend.py --endpoint 127.0.0.1:8080 --secret-id AKID... --secret-key ... [--port 9000]

(the venv's python: the tencentcloud SDK it uses comes with `make install-dev`)

What it does:
1. hands clients an upload signature (GET /signature) that runs the "review" procedure after the upload;
2. pulls events from vodguard (reliable PULL mode) and acts on each: NewFileUpload is logged,
   ReviewAudioVideoComplete publishes a pass, forbids a block, and puts a review on the human queue;
3. hands viewers a short-lived playback URL (GET /play/<FileId>), or 403 for media that is not playable.
Clients upload with the signature:  curl -F signature=... -F file=@clip.mp4 http://127.0.0.1:8080/upload
"""

from __future__ import annotations

import argparse
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tencentcloud.common import credential
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.vod.v20180717 import models, vod_client

from vodguard.services.signatures import sign_upload


class AppBackend:
    def __init__(self, endpoint: str, secret_id: str, secret_key: str) -> None:
        profile = ClientProfile(httpProfile=HttpProfile(endpoint=endpoint, protocol="http"))
        self.vod = vod_client.VodClient(credential.Credential(secret_id, secret_key), "", profile)
        self.secret_id, self.secret_key = secret_id, secret_key
        self.human_queue: list[str] = []  # FileIds a moderator should look at (the console does this too)
        self.decisions: dict[str, str] = {}

    def setup(self) -> None:
        """PULL mode with upload events, a review template and a procedure that runs it on every upload."""
        config = models.ModifyEventConfigRequest()
        config.Mode, config.UploadMediaCompleteEventSwitch = "PULL", "ON"
        self.vod.ModifyEventConfig(config)
        existing = models.DescribeProcedureTemplatesRequest()
        existing.Names = ["review"]
        if not self.vod.DescribeProcedureTemplates(existing).ProcedureTemplateSet:
            template = models.CreateReviewTemplateRequest()
            template.Labels, template.Name = ["Porn", "Terror", "Ad", "Abuse", "Illegal"], "app default"
            definition = self.vod.CreateReviewTemplate(template).Definition
            procedure = models.CreateProcedureTemplateRequest()
            procedure.Name = "review"
            procedure.ReviewAudioVideoTask = models.ProcedureReviewAudioVideoTaskInput()
            procedure.ReviewAudioVideoTask.Definition = definition
            self.vod.CreateProcedureTemplate(procedure)

    def signature(self) -> str:
        return sign_upload(self.secret_id, self.secret_key, ttl=3600, procedure="review", one_time=True)

    def handle(self, event) -> None:  # an EventContent
        if event.EventType == "NewFileUpload":
            print(
                f"uploaded {event.FileUploadEvent.FileId}, review task {event.FileUploadEvent.ReviewAudioVideoTaskId}"
            )
        elif event.EventType == "ReviewAudioVideoComplete":
            task = event.ReviewAudioVideoCompleteEvent
            file_id = task.Input.FileId
            suggestion = task.Output.Suggestion if task.Output else "review"  # a failed task needs a person
            self.decisions[file_id] = suggestion
            forbid = models.ForbidMediaDistributionRequest()
            forbid.FileIds = [file_id]
            if suggestion == "pass":
                forbid.Operation = "recover"
                self.vod.ForbidMediaDistribution(forbid)
            elif suggestion == "block":
                forbid.Operation = "forbid"
                self.vod.ForbidMediaDistribution(forbid)
            else:
                self.human_queue.append(file_id)
            print(f"{file_id}: {suggestion} {task.Output.Label if task.Output else task.ErrCodeExt}")

    def pull_once(self) -> int:
        """One long poll (up to 5 s); every event is acted on, then confirmed so it is not delivered again."""
        events = self.vod.PullEvents(models.PullEventsRequest()).EventSet or []
        for event in events:
            self.handle(event)
        if events:
            confirm = models.ConfirmEventsRequest()
            confirm.EventHandles = [e.EventHandle for e in events]
            self.vod.ConfirmEvents(confirm)
        return len(events)

    def playback_url(self, file_id: str) -> str | None:
        req = models.DescribeMediaInfosRequest()
        req.FileIds, req.Filters = [file_id], ["basicInfo"]
        found = self.vod.DescribeMediaInfos(req).MediaInfoSet
        if not found or found[0].BasicInfo.Status != "Normal" or self.decisions.get(file_id) != "pass":
            return None
        return found[0].BasicInfo.MediaUrl  # signed by vodguard, valid for an hour


def serve(backend: AppBackend, port: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            if self.path == "/signature":
                return self._json(200, {"signature": backend.signature()})
            if self.path.startswith("/play/"):
                url = backend.playback_url(self.path.removeprefix("/play/"))
                return self._json(200, {"url": url}) if url else self._json(403, {"error": "not playable"})
            return self._json(404, {"error": "not found"})

        def _json(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--endpoint", default="127.0.0.1:8080")
    parser.add_argument("--secret-id", required=True)
    parser.add_argument("--secret-key", required=True)
    parser.add_argument("--port", type=int, default=9000)
    args = parser.parse_args()
    backend = AppBackend(args.endpoint, args.secret_id, args.secret_key)
    backend.setup()
    serve(backend, args.port)
    print(f"app backend on http://127.0.0.1:{args.port} (GET /signature, GET /play/<FileId>)")
    while True:
        backend.pull_once()


if __name__ == "__main__":
    main()
