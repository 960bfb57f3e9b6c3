"""Both store backends for tests: SQLite files, and a throw-away PostgreSQL server started once per session.

The server is Debian's `postgresql` (initdb + pg_ctl, no system service), run as the `postgres`
user when the tests run as root (PostgreSQL refuses root), on 127.0.0.1 and a free port, with its
files in a temporary directory removed afterwards. Each test gets a database of its own.
`scripts/test` installs the package and sets VOICEDOCK_TEST_POSTGRES=required, so there a missing
server fails the run instead of skipping the PostgreSQL half.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from voicedock.store import Database

BACKENDS = ["sqlite", "postgresql"]


@dataclass
class PostgresServer:
    port: int
    host: str = "127.0.0.1"
    user: str = "postgres"
    _names: Iterator[int] = field(default_factory=itertools.count)

    def url(self, database: str) -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{database}"

    def new_database(self) -> str:
        """The URL of a new, empty database on the server."""
        import psycopg

        name = f"vd_test_{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def _binary(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    return found[-1] if found else shutil.which(name)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run_as() -> list[str]:
    if os.geteuid() != 0:
        return []
    for user in ("postgres", "nobody"):
        try:
            pwd.getpwnam(user)
        except KeyError:
            continue
        return ["runuser", "-u", user, "--"]
    pytest.fail("PostgreSQL will not run as root, and there is no postgres or nobody user")


def _owned_dir(run_as: list[str]) -> Path:
    root = Path(tempfile.mkdtemp(prefix="voicedock-pg-"))
    if run_as:
        shutil.chown(root, user=run_as[2])
    return root


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    if initdb is None or pg_ctl is None:
        message = "PostgreSQL is not installed (Debian: apt-get install postgresql)"
        if os.environ.get("VOICEDOCK_TEST_POSTGRES") == "required":
            pytest.fail(message)
        pytest.skip(message)
    run_as = _run_as()
    root = _owned_dir(run_as)
    data = root / "data"
    try:
        subprocess.run([*run_as, initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                        "--no-sync"], check=True, capture_output=True, timeout=120)
        port = _free_port()
        options = (f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={root} -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        subprocess.run([*run_as, pg_ctl, "-D", str(data), "-l", str(root / "server.log"), "-w", "-t", "60",
                        "-o", options, "start"], check=True, capture_output=True, timeout=120)
        try:
            yield PostgresServer(port=port)
        finally:
            subprocess.run([*run_as, pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True,
                           timeout=60)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def open_test_database(backend: str, path: Path, request: pytest.FixtureRequest) -> Database:
    """A migrated store of `backend`; the SQLite one at `path` (a PostgreSQL one keeps `path` too, as
    the directory tests put recordings beside)."""
    if backend == "sqlite":
        database = Database(path)
    else:
        from voicedock.store.postgres import PostgresDatabase

        server: PostgresServer = request.getfixturevalue("postgres_server")
        database = PostgresDatabase(server.new_database())
        database.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
    database.migrate_sync()
    return database


@pytest.fixture
def backend() -> str:
    """The store a test's `db` uses; a module overrides it with `params=BACKENDS` to run on both.
    VOICEDOCK_TEST_BACKEND=postgresql runs every other test that takes `db` on PostgreSQL."""
    return os.environ.get("VOICEDOCK_TEST_BACKEND") or "sqlite"


@pytest.fixture(params=BACKENDS)
def both_backends(request: pytest.FixtureRequest) -> str:
    return str(request.param)
