"""The data directory a command works on, and the lock that says a server is using it.

`voicedock serve` holds an exclusive `flock` on `<data dir>/voicedock.pid`, with its pid inside,
for as long as it runs. The kernel drops the lock when the process dies, even by SIGKILL, so a
stale file never makes `restore` refuse, and `drain` never signals a pid that now belongs to
another program: only a pid whose lock is still held is trusted.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from voicedock.config import Settings

PID_FILE = "voicedock.pid"
EXIT_REFUSED = 78  # EX_CONFIG: starting again as things are cannot help; a supervisor must not retry


class ServerRunning(RuntimeError):
    def __init__(self, data_dir: Path, pid: int | None) -> None:
        self.pid = pid
        super().__init__(f"a VoiceDock server (pid {pid or '?'}) is running on {data_dir}")


def settings_for(args: argparse.Namespace) -> Settings:
    """Settings with `--data-dir` applied, for commands that only need the data directory."""
    data_dir = getattr(args, "data_dir", None)
    return Settings.from_env(data_dir=Path(data_dir) if data_dir else None)


@contextmanager
def server_lock(data_dir: Path) -> Iterator[None]:
    """Hold the data directory for one server; raises `ServerRunning` when another one holds it."""
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(data_dir / PID_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ServerRunning(data_dir, running_pid(data_dir)) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)  # releases the lock


def running_pid(data_dir: Path) -> int | None:
    """The pid of the server holding `data_dir`, or None when no server holds it."""
    path = data_dir / PID_FILE
    for _ in range(20):  # a server that has just taken the lock writes its pid right after
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
                return None  # nobody holds it
            except BlockingIOError:
                pass
            text = os.read(fd, 32).decode(errors="replace").strip()
        finally:
            os.close(fd)
        if text.isdigit():
            return int(text)
        time.sleep(0.05)
    return None
