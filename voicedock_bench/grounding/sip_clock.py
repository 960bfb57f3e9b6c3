"""The server's wall clock for real-call grounding runs: libfaketime, one offset per dialogue.

Every dialogue of the set has a fixed `now` ("Thursday at 3" said on a Wednesday), and the
session reads its calendar from the server's wall clock when a call is answered. `voicedock
serve` has no option for a fixed "now", so the real-call runner starts it under libfaketime
(Debian package `faketime`) with a *timestamp file*: before each call the runner writes the
offset that puts the server's clock at the dialogue's `now`, and libfaketime re-reads the file
(at most once a second). One server, and its loaded models, serve every dialogue.

Only the wall clock moves. CLOCK_MONOTONIC stays real (`FAKETIME_DONT_FAKE_MONOTONIC=1`), so
event-loop timers, RTP pacing and latency figures are untouched. The offset is checked, not
assumed: `server_now` is the server's own `timestamp` from `/health`. Known limit of
libfaketime 0.9.10: Python's `time.sleep` fails (EINVAL) with a negative offset; the server does
not call it.

Re-basing instead (moving each dialogue's expected dates onto the real today) was rejected: the
set's expectations, `gives` and the judge's date reader are all written for the dialogue's own
date, and a weekday-preserving shift would have to rewrite them all.
"""

from __future__ import annotations

import os
import time
from datetime import datetime
from pathlib import Path

LIBRARIES = (
    Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1"),
    Path("/usr/lib/aarch64-linux-gnu/faketime/libfaketimeMT.so.1"),
    Path("/usr/lib/faketime/libfaketimeMT.so.1"),
)
RELOAD_SECONDS = 1  # FAKETIME_CACHE_DURATION: how often libfaketime re-reads the file


def faketime_library() -> Path | None:
    """The multi-threaded libfaketime (the server runs model threads), if installed."""
    return next((p for p in LIBRARIES if p.exists()), None)


class FakeClock:
    """The offset file a `voicedock serve` started with `env()` reads its wall clock from.

    `mode` "faketime" fakes the clock; "real" leaves it alone (plumbing runs without libfaketime:
    the dialogue's dates are then not the session's dates and date verdicts mean nothing)."""

    def __init__(self, path: Path, mode: str = "faketime") -> None:
        if mode not in ("faketime", "real"):
            raise ValueError(f"clock mode must be faketime or real, not {mode!r}")
        self.path, self.mode, self.offset = path, mode, 0
        self.library = faketime_library() if mode == "faketime" else None
        if mode == "faketime" and self.library is None:
            raise RuntimeError("libfaketime is not installed (apt-get install faketime), or use --clock real")
        self._write(0)

    def env(self) -> dict[str, str]:
        """Environment additions for the server process."""
        if self.library is None:
            return {}
        preload = " ".join(filter(None, [str(self.library), os.environ.get("LD_PRELOAD", "")]))
        return {"LD_PRELOAD": preload, "FAKETIME_TIMESTAMP_FILE": str(self.path),
                "FAKETIME_DONT_FAKE_MONOTONIC": "1", "FAKETIME_CACHE_DURATION": str(RELOAD_SECONDS)}

    def aim(self, now: datetime, lead: float) -> None:
        """Make the server's clock read `now` `lead` seconds from now (when the call is placed)."""
        if self.library is None:
            return
        self.offset = round(now.timestamp() - (time.time() + lead))
        self._write(self.offset)

    def server_now(self) -> float:
        """What the server's wall clock should read at this moment."""
        return time.time() + (self.offset if self.library is not None else 0)

    def _write(self, offset: int) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(f"{offset:+d}\n")
        tmp.replace(self.path)  # never a half-written file for libfaketime to read
