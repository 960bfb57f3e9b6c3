"""Modes for what VoiceDock keeps: only the service user may read it (transcripts, recordings, keys).

Modes are set where each file or directory is made, not with a process-wide umask: the same process
writes configuration that Asterisk, running as another user, must read. Existing files are narrowed
too, so a data directory made by an older version is fixed at the next start.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def restrict(path: Path, mode: int) -> None:
    """Set `mode` on a file or directory this user owns; a missing one or another user's is left alone."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return
    if info.st_uid == os.geteuid() and stat.S_IMODE(info.st_mode) != mode:
        path.chmod(mode)


def private_dir(path: Path) -> Path:
    """Make `path` (parents keep the default mode) and give it mode 0700."""
    path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    restrict(path, PRIVATE_DIR)
    return path


def private_file(path: Path) -> Path:
    """Create `path` empty with mode 0600 if it is missing, else narrow it to 0600."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    except FileExistsError:
        restrict(path, PRIVATE_FILE)
    return path
