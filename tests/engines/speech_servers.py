"""Real speech servers on loopback with the ci models: wyoming-piper, wyoming-faster-whisper, and
faster-whisper-server (OpenAI's transcription API over faster-whisper)."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from tests.server import stop


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_listening(proc: subprocess.Popen[bytes], port: int, log: Path, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}: {log.read_text()[-2000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.2)
    raise RuntimeError(f"server did not listen on {port} in {timeout} s: {log.read_text()[-2000:]}")


@contextlib.contextmanager
def wyoming_server(module: str, args: list[str], log: Path) -> Iterator[str]:
    """`python -m module --uri tcp://127.0.0.1:PORT args…`; yields the uri, stops the server after."""
    port = free_port()
    uri = f"tcp://127.0.0.1:{port}"
    with _running([sys.executable, "-m", module, "--uri", uri, *args], port, log):
        yield uri


@contextlib.contextmanager
def openai_whisper_server(models_dir: Path, tmp: Path) -> Iterator[str]:
    """faster-whisper-server serving the ci Whisper as `whisper-1`; yields its OpenAI base URL (…/v1)."""
    config = tmp / "models.yaml"
    config.write_text(json.dumps({"models": [{
        "name": "whisper-1", "path": str(models_dir / "whisper-tiny.en"),
        "model_options": {"device": "cpu", "compute_type": "int8", "cpu_threads": 1}}]}))
    port = free_port()
    cmd = [sys.executable, "-m", "faster_whisper_server", "--config", str(config), "--host", "127.0.0.1",
           "--port", str(port)]
    with _running(cmd, port, tmp / "server.log"):
        yield f"http://127.0.0.1:{port}/v1"


@contextlib.contextmanager
def _running(cmd: list[str], port: int, log: Path) -> Iterator[None]:
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=out)
    try:
        _wait_listening(proc, port, log)
        yield
    finally:
        stop(proc)


def piper_args(models_dir: Path, tmp: Path) -> list[str]:
    return ["--voice", "en_US-joe-medium", "--data-dir", str(models_dir / "piper-en_US-joe-medium"),
            "--download-dir", str(tmp)]


def whisper_args(models_dir: Path, tmp: Path) -> list[str]:
    return ["--model", str(models_dir / "whisper-tiny.en"), "--data-dir", str(tmp), "--language", "en",
            "--compute-type", "int8", "--cpu-threads", "1", "--beam-size", "1", "--local-files-only"]
