"""``vodguard sign-upload``: make a client upload signature (spec §4.1) for a client to upload with."""

from __future__ import annotations

import argparse
import os

from vodguard.services.signatures import MAX_VALIDITY, sign_upload


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("sign-upload", help="print a client upload signature")
    parser.add_argument(
        "--secret-id", default=os.environ.get("VODGUARD_SECRET_ID"), help="env VODGUARD_SECRET_ID"
    )
    parser.add_argument(
        "--secret-key", default=os.environ.get("VODGUARD_SECRET_KEY"), help="env VODGUARD_SECRET_KEY"
    )
    parser.add_argument("--ttl", type=int, default=3600, help=f"seconds of validity (at most {MAX_VALIDITY})")
    parser.add_argument("--procedure", default=None, help="procedure template to run after the upload")
    parser.add_argument("--class-id", type=int, default=None)
    parser.add_argument("--one-time", action="store_true", help="the signature may be used once")
    parser.add_argument("--source-context", default=None)
    parser.add_argument("--session-context", default=None)
    parser.add_argument("--task-priority", type=int, default=None)
    parser.add_argument("--sub-app-id", type=int, default=None)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not args.secret_id or not args.secret_key:
        print("error: --secret-id and --secret-key (or VODGUARD_SECRET_ID/VODGUARD_SECRET_KEY) are required")
        return 2
    if not 0 < args.ttl <= MAX_VALIDITY:
        print(f"error: --ttl must be between 1 and {MAX_VALIDITY} seconds")
        return 2
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
