"""`voicedock serve | keys | db | drain | backup | restore | dashboard | demo | version`."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from voicedock import __version__
from voicedock.config import Settings, SettingsError
from voicedock.secrets import generate_api_key
from voicedock.store import Database, open_database, records
from voicedock.store.errors import NotFound
from voicedock.store.migrations import DatabaseTooNew

from . import backup, dashboard_command, db_commands, drain_command, logs
from .datadir import EXIT_REFUSED, ServerRunning


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(
        data_dir=Path(args.data_dir) if getattr(args, "data_dir", None) else None,
        host=getattr(args, "host", None),
        port=getattr(args, "port", None),
        tls_cert=Path(args.tls_cert) if getattr(args, "tls_cert", None) else None,
        tls_key=Path(args.tls_key) if getattr(args, "tls_key", None) else None,
    )


def _database(settings: Settings) -> Database:
    db = open_database(settings.database_url, settings.database_path)
    db.migrate_sync()
    return db


def cmd_serve(args: argparse.Namespace) -> int:
    from .serve import serve
    from .tls import TlsConfigError

    settings = _settings(args)
    if args.no_telephony:
        settings = replace(settings, telephony=False)
    logs.setup(args.log_level)
    try:
        return serve(settings, session=args.session)
    except TlsConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


def cmd_keys_create(args: argparse.Namespace) -> int:
    db = _database(_settings(args))
    try:
        key = generate_api_key()
        row = db.write_sync(lambda d: records.create_api_key(d, args.name, key, args.role))
    finally:
        db.close()
    print(f"Created {row['role']} API key {row['id']} ({printable(row['name'])}). It is shown once; store it now:")
    print(key)
    return 0


def printable(text: str) -> str:
    """`text` with control and format characters escaped: a key name set through the API must not be able
    to move the cursor, retitle or recolour the terminal of whoever lists the keys."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


def cmd_keys_list(args: argparse.Namespace) -> int:
    db = _database(_settings(args))
    try:
        keys, _ = db.read_sync(lambda d: records.list_api_keys(d, limit=10000))
    finally:
        db.close()
    print(f"{'ID':<30} {'NAME':<24} {'ROLE':<6} {'PREFIX':<14} {'CREATED':<25} STATUS")
    for k in keys:
        status = f"revoked {k['revoked_at']}" if k["revoked_at"] else "active"
        print(f"{k['id']:<30} {printable(k['name'])[:24]:<24} {k['role']:<6} {k['prefix']:<14} {k['created_at']:<25} {status}")
    return 0


def cmd_keys_revoke(args: argparse.Namespace) -> int:
    db = _database(_settings(args))
    try:
        row = db.write_sync(lambda d: records.revoke_api_key(d, args.id))
    except NotFound as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    finally:
        db.close()
    print(f"Revoked {row['id']} at {row['revoked_at']}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import ensure_demo

    row = ensure_demo(_settings(args), args.number)
    print(f"Demo number {row['phone_number']} answers with assistant {row['assistant_id']}.")
    print(f"Call it from a softphone on this host: sip:{row['phone_number']}@127.0.0.1:{args.sip_port}")
    return 0


def cmd_version(args: argparse.Namespace) -> int:
    print(__version__)
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="voicedock", description="On-prem voice-AI telephony backend.")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", help="data directory (default: $VOICEDOCK_DATA_DIR or /var/lib/voicedock)")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("serve", parents=[common], help="run the API (and telephony)")
    s.add_argument("--host", help="listen address (default 127.0.0.1)")
    s.add_argument("--port", type=int, help="listen port (default 8000)")
    s.add_argument("--no-telephony", action="store_true", help="serve the API only")
    s.add_argument("--tls-cert", help="PEM certificate (chain): serve HTTPS (default: $VOICEDOCK_TLS_CERT)")
    s.add_argument("--tls-key", help="PEM private key for --tls-cert (default: $VOICEDOCK_TLS_KEY)")
    s.add_argument("--session", choices=("voice", "tone", "echo"), default="voice",
                   help="what answers calls: voice (the local models; tone when they are not installed), "
                        "tone (a beep per word) or echo")
    s.add_argument("--log-level", default="INFO")
    s.set_defaults(fn=cmd_serve)

    keys = sub.add_parser("keys", help="manage API keys").add_subparsers(dest="keys_command", required=True)
    kc = keys.add_parser("create", parents=[common], help="create a key; prints it alone on the last line")
    kc.add_argument("--name", required=True)
    kc.add_argument("--role", choices=("admin", "read"), default="admin",
                    help="admin: every route (default); read: GET routes only, for dashboards and monitoring")
    kc.set_defaults(fn=cmd_keys_create)
    keys.add_parser("list", parents=[common], help="list keys").set_defaults(fn=cmd_keys_list)
    kr = keys.add_parser("revoke", parents=[common], help="revoke a key by id")
    kr.add_argument("id")
    kr.set_defaults(fn=cmd_keys_revoke)

    db = sub.add_parser("db", help="database maintenance").add_subparsers(dest="db_command", required=True)
    db_commands.add_parser(db, common)
    drain_command.add_parser(sub, common)
    backup.add_parsers(sub, common)
    dashboard_command.add_parser(sub, common)

    demo = sub.add_parser("demo", parents=[common], help="create a demo assistant and number if missing")
    demo.add_argument("--number", default="+15550100")
    demo.add_argument("--sip-port", type=int, default=5060, help="Asterisk's SIP port, for the printed URI")
    demo.set_defaults(fn=cmd_demo)

    from . import service_install

    service_install.add_parser(sub)

    from voicedock_bench import turns_cli

    bench = sub.add_parser("bench", help="benchmarks against the real parts")
    turns_cli.add_parser(bench.add_subparsers(dest="bench_command", required=True))

    sub.add_parser("version", help="print the version").set_defaults(fn=cmd_version)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.fn(args) or 0)
    except DatabaseTooNew as err:  # starting again cannot help: no traceback, and a supervisor must not retry
        print(f"error: {_settings(args).database_name}: {err}", file=sys.stderr)
        return EXIT_REFUSED
    except (ServerRunning, SettingsError) as err:  # a supervisor must not retry these either
        print(f"error: {err}", file=sys.stderr)
        return EXIT_REFUSED


if __name__ == "__main__":
    sys.exit(main())
