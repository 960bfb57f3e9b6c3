"""A real OpenAI-compatible chat server on loopback: llama-cpp-python's own server with the ci model.

It is started with `--api_key`, so a request without the BYOK key gets 401; its access log (what
uvicorn prints per request) shows which requests reached it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from voicedock_bench.ports import free_port

MODEL = "smollm2-135m-instruct-q4_1/SmolLM2-135M-Instruct.Q4_1.gguf"
API_KEY = "sk-loopback-test-5f0c2a9e71"


@dataclass(frozen=True)
class ChatServer:
    base_url: str  # ends in /v1, as a BYOK base_url does
    api_key: str
    log_path: Path

    def requests(self, path: str = "/v1/chat/completions") -> list[str]:
        """Access-log lines of requests to `path`, e.g. `"POST /v1/chat/completions HTTP/1.1" 200 OK`."""
        return [line for line in self.log_path.read_text(errors="replace").splitlines() if f" {path} " in line]


def _ready(url: str, key: str) -> bool:
    request = urllib.request.Request(f"{url}/models", headers={"Authorization": f"Bearer {key}"})
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            return bool(response.status == 200)
    except (OSError, urllib.error.URLError):
        return False


def prime(server: ChatServer, messages: list[dict[str, str]]) -> None:
    """Blocking: one token for `messages`, so the server's prompt cache holds them, as a busy
    production server's would; on a CPU-only test machine a cold system prompt takes seconds."""
    body = json.dumps({"messages": messages, "max_tokens": 1}).encode()
    request = urllib.request.Request(f"{server.base_url}/chat/completions", data=body, headers={
        "Authorization": f"Bearer {server.api_key}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120):
        pass


def _warm(server: ChatServer) -> None:
    """So the first test does not also pay for reading the model from disk."""
    prime(server, [{"role": "user", "content": "Hi"}])


@contextmanager
def chat_server(models_dir: Path, log_path: Path, *, threads: int = 2) -> Iterator[ChatServer]:
    port = free_port("tcp")
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(models_dir / MODEL), "--host", "127.0.0.1",
               "--port", str(port), "--api_key", API_KEY, "--n_threads", str(threads), "--n_ctx", "2048",
               "--seed", "0"]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    server = ChatServer(f"http://127.0.0.1:{port}/v1", API_KEY, log_path)
    try:
        deadline = time.monotonic() + 120
        while not _ready(server.base_url, API_KEY):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the chat server did not start:\n{log_path.read_text(errors='replace')[-3000:]}")
            time.sleep(0.2)
        _warm(server)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
