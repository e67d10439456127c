"""``vodguard users add|list|remove``: the console accounts of an app (one per person, admin or moderator)."""

from __future__ import annotations

import argparse
import getpass
import json
import sys

from vodguard.commands.common import EXIT_USAGE, action_parsers, add_data_dir, existing_settings
from vodguard.errors import InvalidParameterValue, VodError
from vodguard.timeutil import iso, utcnow

_EPILOG = """\
examples:
  vodguard users add alice --role admin                  # the password is prompted for, twice
  printf '%s' "$PASSWORD" | vodguard users add bob --role moderator --password-stdin
  vodguard users list --json
  vodguard users remove bob                              # bob's sessions end at once
"""

# services.users.ROLES, written out: importing that module to build the parser would load the database layer
# (tests/test_cli.py checks that the two agree)
ROLES = ("admin", "moderator")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "users",
        help="add, list and remove console accounts",
        description="Console accounts, one per person. An admin manages keys, settings, templates and accounts; "
        "a moderator works the review queue.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    action = action_parsers(parser, "users_action", _EPILOG)

    add = action("add", "a new account (the password is prompted for)")
    add.add_argument("name", help="the name the person signs in with, and that the audit log shows")
    add.add_argument(
        "--role", required=True, choices=ROLES,
        help="admin: keys, settings, templates and accounts; moderator: the queue and its decisions",
    )  # fmt: skip
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    listing = action("list", "every account (of --app, else of every app)")
    listing.add_argument("--json", action="store_true", help="print a JSON list of the accounts")
    remove = action("remove", "delete an account; its sessions end at once")
    remove.add_argument("name", help="the account's name")
    for p in (add, listing, remove):
        p.add_argument("--app", type=int, help="SubAppId (default: the server's only app)")
        add_data_dir(p)
    parser.set_defaults(func=run)


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(f"password for {args.name}: ")
    if getpass.getpass("again: ") != first:
        raise InvalidParameterValue("the two passwords differ")
    return first


def run(args: argparse.Namespace) -> int:
    from vodguard.services import audit, users  # lazily: see cli.py

    try:
        secret = ""
        if args.users_action == "add":
            users.validate_name(args.name)
            secret = _password(args)
            users.validate_password(secret)
    except VodError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return EXIT_USAGE
    # accounts belong to an app that `serve` or `keys create` made: no command here makes a data directory
    from vodguard.services.container import open_services

    services = open_services(existing_settings(args))
    try:
        with services.db.transaction() as s:
            app_id = args.app if args.app is not None or args.users_action == "list" else users.single_app(s)
            if args.users_action == "add":
                user = users.add_user(
                    s, app_id=app_id, name=args.name, role=args.role, password=secret, now=utcnow()
                )
                audit.record(
                    s,
                    app_id=app_id,
                    person="cli",
                    action="user.add",
                    target=user.name,
                    detail=user.role,
                    now=utcnow(),
                )
                print(f"added {user.name} ({user.role}) to app {user.app_id}")
            elif args.users_action == "remove":
                users.remove_user(s, app_id=app_id, name=args.name)
                audit.record(
                    s, app_id=app_id, person="cli", action="user.remove", target=args.name, now=utcnow()
                )
                print(f"removed {args.name} from app {app_id}")
            else:
                rows = [
                    {"SubAppId": u.app_id, "Name": u.name, "Role": u.role, "CreateTime": iso(u.created_at)}
                    for u in users.list_users(s, app_id=app_id)
                ]
                if args.json:
                    print(json.dumps(rows))
                for row in [] if args.json else rows:
                    print(f"{row['SubAppId']}  {row['Name']}  {row['Role']}  {row['CreateTime']}")
    except VodError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    finally:
        services.close()
    return 0
