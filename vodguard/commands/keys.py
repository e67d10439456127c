"""``vodguard keys create|list|revoke|password``: manage apps and their key pairs."""

from __future__ import annotations

import argparse
import getpass
import json

from vodguard.commands.common import add_data_dir, settings_from
from vodguard.services import apps, audit
from vodguard.services.container import open_services
from vodguard.timeutil import iso, utcnow


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("keys", help="create, list and revoke API keys")
    actions = parser.add_subparsers(dest="keys_action", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="a key pair for a new app, or for --app")
    create.add_argument("--app", type=int, help="SubAppId of an existing app (default: a new app)")
    create.add_argument("--name", default="", help="a name for a new app")
    create.add_argument("--json", action="store_true", help='print {"SubAppId","SecretId","SecretKey"}')
    listing = actions.add_parser("list", help="every key (secrets are not shown)")
    listing.add_argument("--json", action="store_true")
    revoke = actions.add_parser("revoke", help="revoke a key by SecretId")
    revoke.add_argument("secret_id")
    password = actions.add_parser("password", help="set the console password of an app")
    password.add_argument("--app", type=int, required=True)
    password.add_argument("--password", help="the password (prompted when absent)")
    for p in (create, listing, revoke, password):
        add_data_dir(p)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    services = open_services(settings_from(args))
    now = utcnow()
    try:
        with services.db.transaction() as s:
            if args.keys_action == "create":
                pair = apps.create_key(s, app_id=args.app, name=args.name, now=now)
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
        print(f"error: {message}")
        return 2
    finally:
        services.close()
    return 0
