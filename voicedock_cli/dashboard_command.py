"""`voicedock dashboard link`: a one-time sign-in URL for the browser dashboard.

The operator at the server's console is trusted like `voicedock keys create`; the link spares them
pasting a key into a browser, and a URL that works once for 10 minutes is harmless in shell history.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from voicedock.config import Settings
from voicedock.store import open_database
from voicedock.store.dashboard import LINK_SECONDS, create_login_link, new_token, token_hash


def cmd_link(args: argparse.Namespace) -> int:
    settings = Settings.from_env(data_dir=Path(args.data_dir) if args.data_dir else None)
    token = new_token()
    db = open_database(settings.database_url, settings.database_path)
    try:
        db.migrate_sync()
        db.write_sync(lambda d: create_login_link(d, token_hash(token), time.time()))
    finally:
        db.close()
    base = (args.base_url or settings.api_base).rstrip("/")
    print(f"Open this link in a browser within {LINK_SECONDS / 60:g} minutes; it signs in once, as an admin:")
    print(f"{base}/dashboard/login?token={token}")
    return 0


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    dash = sub.add_parser("dashboard", help="the browser dashboard").add_subparsers(
        dest="dashboard_command", required=True)
    link = dash.add_parser("link", parents=[common],
                           help="print a one-time sign-in URL (last line), valid for 10 minutes")
    link.add_argument("--base-url", help="the server's address as the browser reaches it "
                                         "(default: $VOICEDOCK_PUBLIC_URL, else this host's API address)")
    link.set_defaults(fn=cmd_link)
