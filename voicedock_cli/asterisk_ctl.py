"""The project's Asterisk for a benchmark: started when it is not running, stopped again afterwards."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CTL = Path(__file__).resolve().parent.parent / "scripts" / "asterisk-ctl"


@contextmanager
def asterisk_running() -> Iterator[None]:
    """An Asterisk that was already running is left running; one started here is stopped on exit."""
    started = subprocess.run([str(CTL), "status"], capture_output=True).returncode != 0
    if started:
        subprocess.run([str(CTL), "start"], check=True, capture_output=True)
    try:
        yield
    finally:
        if started:
            subprocess.run([str(CTL), "stop"], capture_output=True)
