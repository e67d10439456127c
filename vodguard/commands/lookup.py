"""``vodguard task show TASKID`` and ``vodguard media show FILEID``: read a result, from the local data directory
or from a server with a key pair (``--endpoint``, ``--secret-id``, ``--secret-key``).

Exit status of ``task show``: 0, 1, 2 for a finished task whose suggestion is pass, review, block; 3 when there is
no verdict (the task failed, does not exist, is not finished, or ``--wait`` timed out); 4 for a bad option.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any

from vodguard.commands.common import UsageError, add_data_dir, existing_settings

EXIT_NO_VERDICT = 3
RANK = {"pass": 0, "review": 1, "block": 2}

_TASK_EPILOG = """\
examples:
  vodguard task show 1500000001-ReviewAudioVideo-0123abcd --wait        # local data dir (./data)
  vodguard task show TASKID --wait --timeout 300 --json
  vodguard task show TASKID --endpoint http://127.0.0.1:8080 --secret-id AKID... --secret-key ...

exit status:
  0, 1, 2 the finished task's suggestion is pass, review, block; 3 no verdict (failed, unknown, not finished,
  or --wait timed out); 4 a bad option or data directory.
"""

_MEDIA_EPILOG = """\
examples:
  vodguard media show 5285890781234567890                                # local data dir (./data)
  vodguard media show FILEID --json --endpoint http://127.0.0.1:8080 --secret-id AKID... --secret-key ...

exit status: 0 found, 3 not found or the server cannot be reached, 4 a bad option or data directory.
"""


class NotFound(Exception):
    """The task or media does not exist, or the server answered with an error."""


def _add_source(parser: argparse.ArgumentParser) -> None:
    add_data_dir(parser)
    parser.add_argument(
        "--endpoint",
        default=os.environ.get("VODGUARD_ENDPOINT"),
        help="read from this server (http://HOST:PORT) with a key pair instead of the data dir "
        "(env VODGUARD_ENDPOINT)",
    )
    parser.add_argument(
        "--secret-id",
        default=os.environ.get("VODGUARD_SECRET_ID"),
        help="with --endpoint (env VODGUARD_SECRET_ID)",
    )
    parser.add_argument(
        "--secret-key",
        default=os.environ.get("VODGUARD_SECRET_KEY"),
        help="with --endpoint (env VODGUARD_SECRET_KEY)",
    )
    parser.add_argument("--json", action="store_true", help="print the API's answer as one JSON object")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    task = sub.add_parser(
        "task", help="read a review task's result", epilog=_TASK_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    task_actions = task.add_subparsers(dest="task_action", required=True, metavar="ACTION")
    show = task_actions.add_parser(
        "show",
        help="a task's status and result (DescribeTaskDetail)",
        description="Print a review task's status and, once it is finished, its verdict and segments.",
        epilog=_TASK_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    show.add_argument("task_id", metavar="TASKID", help="the TaskId an upload or ReviewAudioVideo returned")
    show.add_argument("--wait", action="store_true", help="poll until the task is FINISH")
    show.add_argument(
        "--timeout",
        type=float,
        default=600.0,
        help="with --wait: give up after this many seconds (default 600)",
    )
    _add_source(show)
    show.set_defaults(func=run_task)
    media = sub.add_parser(
        "media", help="read a media file's details and review result", epilog=_MEDIA_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    media_actions = media.add_subparsers(dest="media_action", required=True, metavar="ACTION")
    mshow = media_actions.add_parser(
        "show",
        help="a file's details and review result (DescribeMediaInfos)",
        description="Print a media file's details, its URL and its latest review result.",
        epilog=_MEDIA_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    mshow.add_argument("file_id", metavar="FILEID", help="the FileId an upload returned")
    _add_source(mshow)
    mshow.set_defaults(func=run_media)


def _reader(args: argparse.Namespace, action: str) -> Callable[[str], dict[str, Any]]:
    """A function from an id to the action's answer; ``UsageError`` for bad options, checked before any call."""
    if args.endpoint:
        if not args.endpoint.startswith(("http://", "https://")):
            raise UsageError(f"--endpoint {args.endpoint!r} must start with http:// or https://")
        if not args.secret_id or not args.secret_key:
            raise UsageError("--endpoint needs --secret-id and --secret-key (or VODGUARD_SECRET_ID/_KEY)")
        return lambda ident: _remote(args, action, ident)
    settings = existing_settings(args)
    from vodguard.services import media as media_service  # lazily: see cli.py
    from vodguard.services import tasks, wire
    from vodguard.services.container import open_services

    services = open_services(settings)

    def local(ident: str) -> dict[str, Any]:
        with services.db.transaction() as s:
            if action == "DescribeTaskDetail":
                found = tasks.find_any_task(s, ident)
                if found is None:
                    raise NotFound(f"TaskId {ident!r} does not exist in {settings.data_dir}")
                return wire.responses.describe_task_detail(found).model_dump()
            item = media_service.find_any_media(s, ident)
            if item is None:
                raise NotFound(f"FileId {ident!r} does not exist in {settings.data_dir}")
            info = media_service.media_info(item, services.urls, ttl=settings.playback_url_seconds)
            return info.model_dump()

    return local


def _remote(args: argparse.Namespace, action: str, ident: str) -> dict[str, Any]:
    params: dict[str, Any] = {"TaskId": ident} if action == "DescribeTaskDetail" else {"FileIds": [ident]}
    from vodguard.services import api_client  # lazily: see cli.py

    try:
        answer = api_client.call(
            args.endpoint, secret_id=args.secret_id, secret_key=args.secret_key, action=action, params=params
        )
    except api_client.ApiCallError as exc:
        raise NotFound(str(exc)) from None
    if action == "DescribeTaskDetail":
        return answer
    if not answer.get("MediaInfoSet"):
        raise NotFound(f"FileId {ident!r} does not exist in app of {args.secret_id}")
    return dict(answer["MediaInfoSet"][0])


def run_task(args: argparse.Namespace) -> int:
    if args.timeout <= 0:
        raise UsageError(f"--timeout {args.timeout:g} must be more than 0 seconds")
    read = _reader(args, "DescribeTaskDetail")
    deadline = time.monotonic() + args.timeout
    try:
        detail = read(args.task_id)
        while args.wait and detail.get("Status") != "FINISH":
            if time.monotonic() > deadline:
                print(f"vodguard task show: {args.task_id} is still {detail.get('Status')} after {args.timeout:g} s",
                      file=sys.stderr)  # fmt: skip
                break
            time.sleep(1.0)
            detail = read(args.task_id)
    except NotFound as exc:
        print(f"vodguard task show: {exc}", file=sys.stderr)
        return EXIT_NO_VERDICT
    if args.json:
        print(json.dumps(detail, ensure_ascii=False))
    else:
        _print_task(detail)
    task = detail.get("ReviewAudioVideoTask") or {}
    output = task.get("Output") or {}
    if detail.get("Status") != "FINISH" or task.get("ErrCodeExt") or "Suggestion" not in output:
        return EXIT_NO_VERDICT
    return RANK.get(str(output["Suggestion"]), EXIT_NO_VERDICT)


def _clock(seconds: float) -> str:
    minutes, sec = divmod(max(0.0, seconds), 60)
    return f"{int(minutes):02d}:{sec:04.1f}"


def _print_task(detail: dict[str, Any]) -> None:
    task = detail.get("ReviewAudioVideoTask") or {}
    given = task.get("Input") or {}
    print(f"TaskId      {task.get('TaskId', '')}")
    print(f"Status      {detail.get('Status')}  (created {detail.get('CreateTime')}, finished "
          f"{detail.get('FinishTime') or '-'})")  # fmt: skip
    print(f"FileId      {given.get('FileId', '')}  (template {given.get('Definition')})")
    if detail.get("Status") != "FINISH":
        print("Result      not finished yet (add --wait to wait for it)")
        return
    if task.get("ErrCodeExt"):
        print(f"Result      ERROR {task['ErrCodeExt']}: {task.get('Message', '')}")
        return
    output = task.get("Output") or {}
    head = str(output.get("Suggestion", "")).upper()
    if output.get("Suggestion") != "pass":
        head += f"  {output.get('Label')}/{output.get('Form')}"
    print(f"Result      {head}")
    for seg in output.get("SegmentSet") or []:
        line = (
            f"  {_clock(seg.get('StartTimeOffset', 0))}-{_clock(seg.get('EndTimeOffset', 0))}  "
            f"{seg.get('Suggestion', ''):<6} {seg.get('Label', ''):<7} {seg.get('Form', ''):<5} "
            f"{float(seg.get('Confidence', 0)):5.1f}"
        )
        if seg.get("SubLabel"):
            line += f"  {seg['SubLabel']}"
        if seg.get("KeywordSet"):
            line += f"  [{', '.join(seg['KeywordSet'])}]"
        print(line)
    if output.get("SegmentSetFileUrl"):
        print(f"All segments: {output['SegmentSetFileUrl']}")


def run_media(args: argparse.Namespace) -> int:
    read = _reader(args, "DescribeMediaInfos")
    try:
        info = read(args.file_id)
    except NotFound as exc:
        print(f"vodguard media show: {exc}", file=sys.stderr)
        return EXIT_NO_VERDICT
    if args.json:
        print(json.dumps(info, ensure_ascii=False))
        return 0
    basic = info.get("BasicInfo") or {}
    review = (info.get("ReviewInfo") or {}).get("MediaReviewInfo") or {}
    print(f"FileId      {info.get('FileId')}")
    print(f"Name        {basic.get('Name', '')}  ({basic.get('Type', '')}, {basic.get('Category', '')})")
    print(f"Status      {basic.get('Status', '')}  (created {basic.get('CreateTime', '')})")
    print(f"MediaUrl    {basic.get('MediaUrl', '')}")
    if review:
        flagged = ", ".join(review.get("TypeSet") or []) or "nothing flagged"
        print(f"Review      {str(review.get('Suggestion', '')).upper()}  {flagged}  "
              f"(template {review.get('Definition')}, {review.get('ReviewTime', '')})")  # fmt: skip
    else:
        print("Review      not reviewed yet")
    return 0
