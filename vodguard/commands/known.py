"""``vodguard known add|list|remove|export|import``: the bank of known content of an app in the data directory."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from vodguard.commands.common import (
    EXIT_USAGE,
    action_parsers,
    add_data_dir,
    existing_settings,
    settings_from,
)
from vodguard.errors import VodError
from vodguard.timeutil import utcnow

_EPILOG = """\
examples:
  vodguard known add leaked.mp4 --label Porn --reason "reported 2026-11-02"
  vodguard known list --json
  vodguard known remove known-5f1c0a9e2b7d4c31
  vodguard known export bank.csv                 # share the hash list with another server
  vodguard known import bank.csv
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "known", help="the bank of known content: blocked media and hash lists",
        description="The bank of known content: files hashed here are reported on every later upload that "
        "matches them, with their label and reason.",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    action = action_parsers(parser, "known_action", _EPILOG)

    add = action("add", "hash files (videos, pictures) into the bank")
    add.add_argument("paths", nargs="+", type=Path, metavar="FILE", help="the videos or pictures to hash")
    add.add_argument("--label", required=True, help="the label a match reports (Porn, Terror, ...)")
    add.add_argument("--sub-label", default="", help="a sub-label for the match (default: KnownContent)")
    add.add_argument("--reason", default="", help="why it is known (shown with every match)")
    listing = action("list", "the bank's entries, newest first")
    listing.add_argument("--json", action="store_true", help="print a JSON list")
    remove = action("remove", "remove an entry by its id")
    remove.add_argument("entry_id", metavar="ID", help="the entry's id, as `known list` shows it")
    export = action("export", "write the bank as a CSV hash list")
    export.add_argument("out", type=Path, metavar="OUT.csv", help="the CSV file to write")
    imported = action("import", "add the entries of a CSV hash list (all or nothing)")
    imported.add_argument("source", type=Path, metavar="IN.csv", help="a CSV file written by `known export`")
    for p in (add, listing, remove, export, imported):
        p.add_argument("--app", type=int, help="SubAppId (default: the first app of the data directory)")
        add_data_dir(p)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from vodguard.services import apps, known, known_lists, wire
    from vodguard.services.container import open_services

    # add and import may start a bank in a new data directory; list, remove and export only read one that exists
    making = args.known_action in ("add", "import")
    try:
        services = open_services(settings_from(args) if making else existing_settings(args))
    except SystemExit as exc:
        print(f"vodguard known: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        with services.db.transaction() as s:
            app_id = known.local_app(s, args.app)
            if (
                app_id is None
            ):  # a fresh data directory: its first app, with a key pair, as `serve` would make
                pair = apps.create_key(s, name="default", now=utcnow())
                app_id = pair.sub_app_id
                print(f"created app {pair.sub_app_id}: SecretId {pair.secret_id} SecretKey {pair.secret_key} "
                      "(keep the SecretKey now: it is not shown again)", file=sys.stderr)  # fmt: skip
        action = args.known_action
        if action == "add":
            limits = services.engine().config.limits
            for path in args.paths:
                if not path.is_file():
                    print(f"vodguard known: {path}: no such file", file=sys.stderr)
                    return EXIT_USAGE
            for path in args.paths:
                entry = known.add_file(
                    services.db, app_id=app_id, path=path, label=args.label, sub_label=args.sub_label,
                    reason=args.reason, created_by="cli", limits=limits,
                )  # fmt: skip
                print(f"{entry.id}  {entry.kind}  {entry.label}  {path}")
        elif action == "list":
            with services.db.transaction() as s:
                rows = [
                    wire.known.known_content(e, n)
                    for e, n in known.list_entries(s, app_id=app_id, limit=1_000_000)
                ]
            if args.json:
                print(json.dumps(rows, ensure_ascii=False))
            for r in [] if args.json else rows:
                source = r["FileId"] or r["SourceName"]
                print(f"{r['EntryId']}  {r['Kind']:<7}  {r['Label']:<8}  {r['FrameCount']:>5} frames  "
                      f"{r['CreateTime']}  {r['Origin']:<8}  {source}  {r['Reason']}")  # fmt: skip
        elif action == "remove":
            with services.db.transaction() as s:
                known.remove_entry(s, app_id=app_id, entry_id=args.entry_id)
            print(f"removed {args.entry_id}")
        elif action == "export":
            with services.db.transaction() as s:
                text = known_lists.export_list(s, app_id=app_id)
            args.out.write_text(text, encoding="utf-8")
            print(f"wrote {text.count(chr(10)) - 1} hashes to {args.out}")
        elif action == "import":
            try:
                text = args.source.read_text(encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError) as exc:
                print(f"vodguard known: {args.source}: {exc}", file=sys.stderr)
                return EXIT_USAGE
            entries = known_lists.import_list(
                services.db, app_id=app_id, text=text, created_by="cli", now=utcnow()
            )
            print(f"imported {len(entries)} entries from {args.source}")
    except VodError as exc:
        print(f"vodguard known: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:  # noqa: BLE001 - a file the engine cannot read: the reason, not a traceback
        from vodguard.moderation.errors import ModerationError

        if not isinstance(exc, ModerationError | OSError):
            raise
        print(f"vodguard known: {exc}", file=sys.stderr)
        return 3
    finally:
        services.close()
    return 0
