"""scripts/supervise, which scripts/run serves through: a dead server is started again, a stop drains it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from tests.ops.test_migrations import newer_database
from voicedock_bench.ports import free_port
from voicedock_cli.datadir import running_pid

REPO = Path(__file__).resolve().parents[2]
SUPERVISE = REPO / "scripts" / "supervise"


def healthy(base: str) -> bool:
    try:
        return urllib.request.urlopen(base + "/api/v1/health", timeout=1).status == 200
    except (OSError, urllib.error.HTTPError):
        return False


def wait_until(check: Callable[[], bool], seconds: float, what: str) -> float:
    """Seconds it took for `check()` to hold."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > seconds:
            raise AssertionError(f"timed out after {seconds} s waiting for {what}")
        time.sleep(0.05)
    return time.monotonic() - started


def supervise(data: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("w") as out:
        return subprocess.Popen([str(SUPERVISE), sys.executable, "-m", "voicedock_cli.main", "serve", "--no-telephony",
                                 "--port", str(port), "--data-dir", str(data)], stdout=out, stderr=subprocess.STDOUT)


def test_a_killed_server_is_started_again_and_a_stop_drains_and_ends_everything(tmp_path: Path) -> None:
    data, port = tmp_path / "data", free_port()
    base = f"http://127.0.0.1:{port}"
    supervisor = supervise(data, port, tmp_path / "supervise.log")
    try:
        wait_until(lambda: healthy(base), 30, "the first start")
        first = running_pid(data)
        assert first is not None

        os.kill(first, signal.SIGKILL)
        wait_until(lambda: not healthy(base), 5, "the kill to take effect")
        took = wait_until(lambda: healthy(base), 15, "the restart")

        second = running_pid(data)
        assert second is not None and second != first
        assert took < 6, f"the API came back after {took:.1f} s"  # half a second's pause plus a Python start

        drained = subprocess.run([sys.executable, "-m", "voicedock_cli.main", "drain", "--data-dir", str(data)],
                                 capture_output=True, text=True, timeout=60)
        assert "has drained and exited" in drained.stdout, drained.stderr
        wait_until(lambda: running_pid(data) not in (None, second) and healthy(base), 15,
                   "the supervisor to start the drained server again (the upgrade path)")

        supervisor.send_signal(signal.SIGTERM)
        assert supervisor.wait(timeout=20) == 0
        wait_until(lambda: running_pid(data) is None, 5, "the server to exit")
        assert not healthy(base)
        log = (tmp_path / "supervise.log").read_text()
        assert "starting it again" in log and log.count("shutting down") == 2
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
            supervisor.wait()


def test_a_server_that_refuses_to_start_is_not_restarted_in_a_loop(tmp_path: Path) -> None:
    data = tmp_path / "data"
    newer_database(data / "voicedock.db")
    supervisor = supervise(data, free_port(), tmp_path / "supervise.log")
    try:
        assert supervisor.wait(timeout=30) == 78
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
            supervisor.wait()
    log = (tmp_path / "supervise.log").read_text()
    assert log.count("newer than this VoiceDock") == 1 and "not restarting it" in log


def installed_venv(target: Path) -> Path:
    """A virtualenv scripts/run takes as installed: this one's python and voicedock, and its stamp."""
    real = Path(sys.executable).parent
    (target / "bin").mkdir(parents=True)
    for name in ("python", "voicedock"):
        (target / "bin" / name).symlink_to(real / name)
    stamp = subprocess.run(f"cat '{REPO}/setup.cfg' '{REPO}/pyproject.toml' | sha256sum | cut -c1-16", shell=True,
                           capture_output=True, text=True, check=True).stdout.strip()
    (target / ".voicedock-installed-serve").write_text(stamp + "\n")
    return target


def test_the_run_command_restarts_a_killed_server_and_a_sigterm_stops_it(tmp_path: Path) -> None:
    data, port = tmp_path / "data", free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "VOICEDOCK_VENV": str(installed_venv(tmp_path / "venv")), "VOICEDOCK_TELEPHONY": "0",
           "VOICEDOCK_DATA_DIR": str(data), "VOICEDOCK_PORT": str(port)}
    with (tmp_path / "run.log").open("w") as out:
        run = subprocess.Popen([str(REPO / "scripts" / "run")], env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: healthy(base), 60, "scripts/run to serve")
        first = running_pid(data)
        assert first is not None
        os.kill(first, signal.SIGKILL)
        wait_until(lambda: running_pid(data) not in (None, first) and healthy(base), 15, "the restart")
        run.send_signal(signal.SIGTERM)
        assert run.wait(timeout=20) == 0
        assert running_pid(data) is None and not healthy(base)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
