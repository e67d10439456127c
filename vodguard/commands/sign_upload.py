"""``vodguard sign-upload``: make a client upload signature (spec §4.1) for a client to upload with."""

from __future__ import annotations

import argparse
import os

from vodguard.commands.common import UsageError
from vodguard.services.signatures import MAX_VALIDITY, sign_upload

_EPILOG = """\
examples:
  vodguard sign-upload --secret-id AKID... --secret-key ... --procedure review --one-time
  curl -H "X-Upload-Signature: $(vodguard sign-upload --ttl 600)" -F file=@clip.mp4 http://127.0.0.1:8080/upload

exit status: 0 printed, 4 a bad option (missing key pair, --ttl out of range).
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "sign-upload",
        help="print a client upload signature",
        description="Print a client upload signature (as an app backend makes them) for a client to upload with.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--secret-id", default=os.environ.get("VODGUARD_SECRET_ID"), help="env VODGUARD_SECRET_ID"
    )
    parser.add_argument(
        "--secret-key", default=os.environ.get("VODGUARD_SECRET_KEY"), help="env VODGUARD_SECRET_KEY"
    )
    parser.add_argument("--ttl", type=int, default=3600, help=f"seconds of validity (at most {MAX_VALIDITY})")
    parser.add_argument("--procedure", default=None, help="procedure template to run after the upload")
    parser.add_argument("--class-id", type=int, default=None, help="category id the upload is filed under")
    parser.add_argument("--one-time", action="store_true", help="the signature may be used once")
    parser.add_argument("--source-context", default=None, help="text stored with the media (SourceContext)")
    parser.add_argument(
        "--session-context", default=None, help="text carried into the procedure's events (SessionContext)"
    )
    parser.add_argument("--task-priority", type=int, default=None, help="the procedure's priority, -10 to 10")
    parser.add_argument("--sub-app-id", type=int, default=None, help="the app to upload into (SubAppId)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not args.secret_id or not args.secret_key:
        raise UsageError(
            "--secret-id and --secret-key (or VODGUARD_SECRET_ID/VODGUARD_SECRET_KEY) are required"
        )
    if not 0 < args.ttl <= MAX_VALIDITY:
        raise UsageError(f"--ttl {args.ttl} must be between 1 and {MAX_VALIDITY} seconds")
    print(
        sign_upload(
            args.secret_id,
            args.secret_key,
            ttl=args.ttl,
            procedure=args.procedure or None,
            class_id=args.class_id,
            one_time=args.one_time,
            source_context=args.source_context,
            session_context=args.session_context,
            task_priority=args.task_priority,
            sub_app_id=args.sub_app_id,
        )  # fmt: skip
    )
    return 0
