"""``vodguard keys create|list|revoke|password``: manage apps and their key pairs."""

from __future__ import annotations

import argparse
import getpass
import json
import sys

from vodguard.commands.common import action_parsers, add_data_dir, existing_settings, settings_from
from vodguard.timeutil import iso, utcnow

_EPILOG = """\
examples:
  vodguard keys create --app 1500000001          # another key pair for the first app
  vodguard keys create --json                    # a new app: {"SubAppId","SecretId","SecretKey"}
  vodguard keys list --data-dir /srv/vodguard    # every key of that data dir (secrets are never shown)
  vodguard keys revoke AKID...
  vodguard keys password --app 1500000001        # console sign-in with a password (prompted)

Only `keys create` makes a data dir; the others say which one they read and stop if it does not exist.
exit status: 0 done, 2 refused (an unknown app, a key already revoked), 4 a bad option or data directory.
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "keys",
        help="create, list and revoke API keys",
        description="Manage apps and their key pairs on the local data directory.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    action = action_parsers(parser, "keys_action", _EPILOG)

    create = action("create", "a key pair for a new app, or for --app")
    create.add_argument("--app", type=int, help="SubAppId of an existing app (default: a new app)")
    create.add_argument("--name", default="", help="a name for a new app")
    create.add_argument("--json", action="store_true", help='print {"SubAppId","SecretId","SecretKey"}')
    listing = action("list", "every key (secrets are not shown)")
    listing.add_argument("--json", action="store_true", help="print a JSON list of the keys")
    revoke = action("revoke", "revoke a key by SecretId")
    revoke.add_argument("secret_id", metavar="SECRET_ID", help="the SecretId of the key to revoke")
    password = action("password", "set the console password of an app")
    password.add_argument("--app", type=int, required=True, help="SubAppId of the app")
    password.add_argument("--password", help="the password (prompted when absent)")
    for p in (create, listing, revoke, password):
        add_data_dir(p)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # only `keys create` may make a data directory; the others read (or change) one that exists
    settings = settings_from(args) if args.keys_action == "create" else existing_settings(args)
    from vodguard.services import apps, audit  # lazily: see cli.py
    from vodguard.services.container import open_services

    services = open_services(settings)
    now = utcnow()
    try:
        with services.db.transaction() as s:
            if args.keys_action == "create":
                existing = sorted({k.app_id for k in apps.list_keys(s)}) if args.app is None else []
                pair = apps.create_key(s, app_id=args.app, name=args.name, now=now)
                if existing:  # people who run `keys create` mostly want another key for the app they have
                    known = ", ".join(map(str, existing))
                    print(
                        f"note: made a new app; for another key of an existing app pass --app ({known})",
                        file=sys.stderr,
                    )
                audit.record(
                    s,
                    app_id=pair.sub_app_id,
                    person="cli",
                    action="key.create",
                    target=pair.secret_id,
                    now=now,
                )
                if args.json:
                    print(json.dumps(pair.to_json()))
                else:
                    print(
                        f"SubAppId  {pair.sub_app_id}\nSecretId  {pair.secret_id}\nSecretKey {pair.secret_key}"
                    )
                    print("Keep the SecretKey now: it is not shown again.")
            elif args.keys_action == "list":
                rows = [
                    {"SubAppId": k.app_id, "SecretId": k.secret_id, "CreateTime": iso(k.created_at),
                     "Revoked": k.revoked_at is not None}
                    for k in apps.list_keys(s)
                ]  # fmt: skip
                if args.json:
                    print(json.dumps(rows))
                elif rows:
                    print(f"{'SubAppId':<10}  {'SecretId':<36}  {'CreateTime':<20}  State")
                for row in [] if args.json else rows:
                    state = "revoked" if row["Revoked"] else "active"
                    print(f"{row['SubAppId']}  {row['SecretId']}  {row['CreateTime']}  {state}")
            elif args.keys_action == "revoke":
                key = apps.revoke_key(s, secret_id=args.secret_id, now=now)
                audit.record(
                    s, app_id=key.app_id, person="cli", action="key.revoke", target=key.secret_id, now=now
                )
                print(f"revoked {args.secret_id}")
            elif args.keys_action == "password":
                secret = args.password or getpass.getpass("console password: ")
                apps.set_console_password(s, app_id=args.app, password=secret)
                audit.record(s, app_id=args.app, person="cli", action="password.set", now=now)
                print(f"console password set for app {args.app}")
    except Exception as exc:  # noqa: BLE001 - a CLI prints the reason, not a traceback
        message = getattr(exc, "message", str(exc))
        print(f"error: {message}", file=sys.stderr)
        return 2
    finally:
        services.close()
    return 0
