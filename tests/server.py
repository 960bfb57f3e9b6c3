"""Start the real `voicedock` command in a subprocess, for tests that need a live server."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from voicedock_bench.ports import free_port


def voicedock(*args: str, data_dir: Path, env: dict[str, str] | None = None,
              check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "voicedock_cli.main", *args, "--data-dir", str(data_dir)],
                          capture_output=True, text=True, check=check, env={**os.environ, **(env or {})},
                          timeout=60)


@contextmanager
def running_server(data_dir: Path, env: dict[str, str] | None = None) -> Iterator[tuple[str, Path]]:
    """Yield (base URL, log file) of a server on a free port; stop it afterwards."""
    port = free_port()
    log = data_dir.parent / f"server-{port}.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "voicedock_cli.main", "serve", "--no-telephony", "--port", str(port),
             "--data-dir", str(data_dir)],
            stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(base + "/api/v1/health", timeout=1).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"server did not start:\n{log.read_text()}") from None
                time.sleep(0.1)
        yield base, log
    finally:
        stop(proc)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Terminate a test's server process, killing it if it has not exited within 10 s."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
