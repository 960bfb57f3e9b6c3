"""`voicedock db migrate [--dry-run]`: apply pending migrations, or show what they would change."""

from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path

from voicedock.store import open_database
from voicedock.store.migration_preview import preview
from voicedock.store.migrations import pending

from .datadir import settings_for


def cmd_db_migrate(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    if args.dry_run and settings.database_url:
        return _dry_run_postgres(settings.database_url, settings.database_name)
    if args.dry_run:
        return _dry_run(settings.database_path)
    db = open_database(settings.database_url, settings.database_path)
    try:
        applied = db.migrate_sync()
    finally:
        db.close()
    print(f"{settings.database_name}: applied {applied or 'nothing (up to date)'}")
    return 0


def _dry_run_postgres(url: str, name: str) -> int:
    """On PostgreSQL the preview lists the pending migrations; their statements are in migrations.py."""
    db = open_database(url, Path())
    try:
        todo = db.read_sync(lambda d: pending(d.conn))
    finally:
        db.close()
    if not todo:
        print(f"{name}: up to date; nothing would change")
        return 0
    print(f"{name}: would apply {len(todo)} migration(s); nothing was changed")
    for number, title in todo:
        print(f"  {number:>3}  {title}")
    return 0


def _dry_run(path: Path) -> int:
    try:
        found = preview(path)
    except sqlite3.Error as err:
        print(f"error: {path}: the pending migrations would fail on this database: {err}", file=sys.stderr)
        return 1
    if not found.pending:
        print(f"{path}: up to date; nothing would change")
        return 0
    state = "" if path.exists() else " (no database yet: it would be created)"
    print(f"{path}: would apply {len(found.pending)} migration(s){state}; nothing was changed")
    for number, name in found.pending:
        print(f"  {number:>3}  {name}")
    for label, statements in (("create", found.added), ("change to", found.changed), ("drop", found.removed)):
        for sql in statements:
            print(f"{label}: {' '.join(sql.split())}")
    return 0


def add_parser(db: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    m = db.add_parser("migrate", parents=[common], help="apply pending migrations (only ever forward)")
    m.add_argument("--dry-run", action="store_true", help="print the migrations and schema changes; change nothing")
    m.set_defaults(fn=cmd_db_migrate)
