"""`voicedock drain`: tell the server running on a data directory to drain, and wait until it has.

It sends SIGTERM to the pid in the data directory's lock file, and only while that lock is held
(see `datadir`), so it never signals a process that is not this directory's server. The server
then refuses new calls, lets live ones finish (up to VOICEDOCK_DRAIN_SECONDS) and exits; under
`scripts/run` the supervisor starts it again, on the code now installed.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time

from .datadir import running_pid, settings_for


def cmd_drain(args: argparse.Namespace) -> int:
    data_dir = settings_for(args).data_dir
    try:
        pid = running_pid(data_dir)
        if pid is None:
            print(f"error: no VoiceDock server is running on {data_dir}", file=sys.stderr)
            return 1
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        print(f"the server (pid {pid}) had already exited")
        return 0
    except PermissionError as err:
        print(f"error: {err.filename or 'the server'}: not permitted; run this as the server's user or root",
              file=sys.stderr)
        return 1
    print(f"draining the server (pid {pid}) on {data_dir}: no new calls; live calls may finish", flush=True)
    if args.no_wait:
        return 0
    deadline = time.monotonic() + args.timeout if args.timeout else None
    while running_pid(data_dir) == pid:
        if deadline is not None and time.monotonic() > deadline:
            print(f"error: the server (pid {pid}) is still draining after {args.timeout:g} s", file=sys.stderr)
            return 1
        time.sleep(0.2)
    print(f"the server (pid {pid}) has drained and exited")
    return 0


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    d = sub.add_parser("drain", parents=[common],
                       help="make the running server finish its live calls, take no new ones, and exit")
    d.add_argument("--no-wait", action="store_true", help="return at once instead of waiting for the exit")
    d.add_argument("--timeout", type=float, default=0.0, help="give up waiting after this many seconds (0: never)")
    d.set_defaults(fn=cmd_drain)
