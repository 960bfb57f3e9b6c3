"""`voicedock backup DEST` and `voicedock restore SRC`: the whole state of a node, taken while it runs.

The database is copied with SQLite's online backup API in one step, which reads one consistent
snapshot while the server keeps writing (WAL readers never block the writer). Recordings are
copied after it, so every recording the snapshot links to is already in place. The encryption
key goes too: without it the stored webhook secrets, BYOK keys and trunk passwords cannot be
decrypted; with it, whoever reads the backup can decrypt them, hence the warning.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sqlite3
import sys
import time
from pathlib import Path

from voicedock import __version__
from voicedock.store.migrations import applied_versions, pending
from voicedock.timeutil import now_iso

from .datadir import ServerRunning, server_lock, settings_for

DATABASE = "voicedock.db"
KEY = "secret.key"
RECORDINGS = "recordings"
MANIFEST = "voicedock-backup.json"


class BackupError(RuntimeError):
    pass


def copy_database(source: Path, target: Path) -> str:
    """Online backup of `source` into a new single-file database at `target`; its integrity check."""
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(str(target))
    try:
        src.backup(dst)  # all pages in one step: one snapshot, never restarted by the server's writes
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        return str(dst.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        dst.close()
        src.close()


def _copy_private(source: Path, target: Path) -> None:
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out, source.open("rb") as data:
        shutil.copyfileobj(data, out)


def _copy_recordings(source: Path, target: Path) -> int:
    target.mkdir(mode=0o700)
    count = 0
    for path in sorted(source.glob("*")) if source.is_dir() else []:
        if path.is_file():
            _copy_private(path, target / path.name)
            count += 1
    return count


def backup(data_dir: Path, dest: Path) -> dict[str, object]:
    """Write a backup of `data_dir` into the new (or empty) directory `dest`; its manifest."""
    database = data_dir / DATABASE
    if not database.is_file():
        raise BackupError(f"no database at {database}: nothing to back up")
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise BackupError(f"{dest} exists and is not an empty directory; choose a new one")
    dest.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(dest, 0o700)
    integrity = copy_database(database, dest / DATABASE)
    os.chmod(dest / DATABASE, 0o600)
    if integrity != "ok":
        raise BackupError(f"the copied database fails its integrity check: {integrity}")
    recordings = _copy_recordings(data_dir / RECORDINGS, dest / RECORDINGS)
    has_key = (data_dir / KEY).is_file()
    if has_key:
        _copy_private(data_dir / KEY, dest / KEY)
    with contextlib.closing(sqlite3.connect(str(dest / DATABASE))) as conn:
        schema = max(applied_versions(conn), default=0)
    manifest: dict[str, object] = {"created_at": now_iso(), "voicedock_version": __version__,
                                   "schema_version": schema, "source": str(data_dir),
                                   "recordings": recordings, "encryption_key": has_key}
    (dest / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    os.chmod(dest / MANIFEST, 0o600)
    return manifest


def restore(src: Path, data_dir: Path, force: bool) -> Path | None:
    """Put the backup in `src` into `data_dir`; with `force`, the files it replaces are kept aside
    (returned). Holds the server lock throughout, so no server starts on a half-restored directory."""
    if not (src / MANIFEST).is_file() or not (src / DATABASE).is_file():
        raise BackupError(f"{src} is not a VoiceDock backup (no {MANIFEST} and {DATABASE} in it)")
    with contextlib.closing(sqlite3.connect(f"{(src / DATABASE).resolve().as_uri()}?mode=ro", uri=True)) as conn:
        check = conn.execute("PRAGMA integrity_check").fetchone()[0]
        pending(conn)  # raises DatabaseTooNew for a backup from a newer VoiceDock
    if check != "ok":
        raise BackupError(f"the backup's database fails its integrity check: {check}")
    with server_lock(data_dir):
        present = [p for p in (DATABASE, f"{DATABASE}-wal", f"{DATABASE}-shm", KEY, RECORDINGS)
                   if (data_dir / p).exists()]
        if DATABASE in present and not force:
            raise BackupError(f"{data_dir} already holds a database; pass --force to replace it "
                              "(the files it replaces are kept in a folder beside them)")
        aside = None
        if present:
            aside = data_dir / f"replaced-by-restore-{time.strftime('%Y%m%dT%H%M%S')}"
            aside.mkdir(mode=0o700)
            for name in present:
                os.replace(data_dir / name, aside / name)
        staging = data_dir / f".{DATABASE}.restoring"
        staging.unlink(missing_ok=True)
        copy_database(src / DATABASE, staging)
        os.chmod(staging, 0o600)
        os.replace(staging, data_dir / DATABASE)
        _copy_recordings(src / RECORDINGS, data_dir / RECORDINGS)
        if (src / KEY).is_file():
            _copy_private(src / KEY, data_dir / KEY)
    return aside


KEY_WARNING = """\
WARNING: {dest}/{key} is the encryption key of this VoiceDock.
WARNING: It decrypts every stored webhook secret, BYOK provider key and SIP trunk password.
WARNING: Anyone who can read this backup can read those secrets: keep it as protected as the
WARNING: server itself (encrypted storage, access limited to administrators), never beside it in the clear."""


POSTGRES_BACKUP = ("the store is PostgreSQL (VOICEDOCK_DATABASE_URL): back it up with the database's own tools "
                   "(pg_dump, or the server's base backups); this command copies only a SQLite store")


def cmd_backup(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    if settings.database_url:
        print(f"error: {POSTGRES_BACKUP}", file=sys.stderr)
        return 1
    data_dir = settings.data_dir
    dest = Path(args.dest)
    try:
        manifest = backup(data_dir, dest)
    except (BackupError, sqlite3.Error, OSError) as err:
        print(f"error: backup failed: {err}", file=sys.stderr)
        return 1
    print(f"backed up {data_dir} to {dest}: database (schema {manifest['schema_version']}), "
          f"{manifest['recordings']} recording(s), encryption key: {'yes' if manifest['encryption_key'] else 'none'}")
    if manifest["encryption_key"]:
        print(KEY_WARNING.format(dest=dest, key=KEY), file=sys.stderr)
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    if settings.database_url:
        print(f"error: {POSTGRES_BACKUP.replace('back it up', 'restore it')}", file=sys.stderr)
        return 1
    data_dir = settings.data_dir
    try:
        aside = restore(Path(args.src), data_dir, args.force)
    except ServerRunning as err:
        print(f"error: {err}; it would overwrite the data under a live server. Stop it first "
              f"(`voicedock drain --data-dir {data_dir}`, or stop its service), then restore.", file=sys.stderr)
        return 1
    except (BackupError, sqlite3.Error, OSError) as err:
        print(f"error: restore failed: {err}", file=sys.stderr)
        return 1
    print(f"restored {args.src} into {data_dir}" + (f"; the files it replaced are in {aside}" if aside else ""))
    print("start the server as usual; it applies any newer migrations at start")
    return 0


def add_parsers(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    b = sub.add_parser("backup", parents=[common],
                       help="copy the database (online), recordings and the encryption key into DEST")
    b.add_argument("dest", help="a new or empty directory")
    b.set_defaults(fn=cmd_backup)
    r = sub.add_parser("restore", parents=[common], help="restore a backup into the data directory")
    r.add_argument("src", help="a directory written by `voicedock backup`")
    r.add_argument("--force", action="store_true", help="replace an existing database (the old files are kept aside)")
    r.set_defaults(fn=cmd_restore)
