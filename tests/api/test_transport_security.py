"""`voicedock serve` over HTTPS with --tls-cert/--tls-key, and its warning for clear text off loopback."""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from voicedock_bench.ports import free_port
from voicedock_cli.tls import PLAINTEXT_WARNING, is_loopback


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost, valid for a day, and its key (PEM files)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(
            [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_path.chmod(0o600)
    return cert_path, key_path


def _serve(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    log = (tmp_path / "server.log").open("w")
    return subprocess.Popen(
        [sys.executable, "-m", "voicedock_cli.main", "serve", "--no-telephony", "--data-dir", str(tmp_path / "data"),
         *args], stdout=log, stderr=subprocess.STDOUT, text=True, env={**os.environ, **(env or {})})


@contextmanager
def server(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> Iterator[list[dict[str, object]]]:
    """Run `voicedock serve` until it logs "api listening"; yield its JSON log lines so far."""
    proc = _serve(tmp_path, *args, env=env)
    log = tmp_path / "server.log"
    try:
        deadline = time.monotonic() + 30
        while "api listening" not in log.read_text():
            assert proc.poll() is None, f"server exited:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"server did not start:\n{log.read_text()}"
            time.sleep(0.1)
        time.sleep(0.2)  # the warning, when there is one, follows the "listening" line
        yield [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def trusting(cert: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(cert))
    return context


def test_https_with_the_given_certificate_and_no_plain_http(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    port = free_port()
    with server(tmp_path, "--port", str(port), "--tls-cert", str(cert), "--tls-key", str(key)) as lines:
        with urllib.request.urlopen(f"https://127.0.0.1:{port}/api/v1/health", context=trusting(cert),
                                    timeout=5) as reply:
            assert reply.status == 200
            assert json.load(reply)["status"] in ("ok", "degraded")
        with pytest.raises((urllib.error.URLError, ConnectionError)):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=5).read()
        listening = next(line for line in lines if line["msg"] == "api listening")
        assert str(listening["url"]).startswith("https://")
        assert not any(line["msg"] == PLAINTEXT_WARNING for line in lines)


def test_tls_files_from_the_environment(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    port = free_port()
    env = {"VOICEDOCK_TLS_CERT": str(cert), "VOICEDOCK_TLS_KEY": str(key)}
    with server(tmp_path, "--port", str(port), env=env):
        with urllib.request.urlopen(f"https://localhost:{port}/api/v1/health", context=trusting(cert),
                                    timeout=5) as reply:
            assert reply.status == 200


def test_warning_when_listening_off_loopback_without_tls(tmp_path: Path) -> None:
    with server(tmp_path, "--host", "0.0.0.0", "--port", str(free_port())) as lines:
        warnings = [line for line in lines if line["msg"] == PLAINTEXT_WARNING]
    assert len(warnings) == 1 and warnings[0]["level"] == "warning"


def test_no_warning_off_loopback_with_tls_nor_on_loopback(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    with server(tmp_path, "--host", "0.0.0.0", "--port", str(free_port()),
                "--tls-cert", str(cert), "--tls-key", str(key)) as lines:
        assert not any(line["msg"] == PLAINTEXT_WARNING for line in lines)
    with server(tmp_path, "--port", str(free_port())) as lines:
        assert not any(line["msg"] == PLAINTEXT_WARNING for line in lines)


def test_a_certificate_without_its_key_refuses_to_start(tmp_path: Path) -> None:
    cert, _ = self_signed(tmp_path)
    proc = _serve(tmp_path, "--port", str(free_port()), "--tls-cert", str(cert))
    assert proc.wait(timeout=30) == 2
    assert "--tls-cert and --tls-key must be given together" in (tmp_path / "server.log").read_text()


def test_an_unreadable_key_refuses_to_start(tmp_path: Path) -> None:
    cert, _ = self_signed(tmp_path)
    proc = _serve(tmp_path, "--port", str(free_port()), "--tls-cert", str(cert), "--tls-key", str(tmp_path / "nope"))
    assert proc.wait(timeout=30) == 2
    assert "cannot load the TLS certificate" in (tmp_path / "server.log").read_text()


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("127.0.0.2", True), ("::1", True), ("[::1]", True), ("localhost", True),
    ("0.0.0.0", False), ("::", False), ("", False), ("192.168.1.10", False), ("example.org", False),
])
def test_loopback_addresses(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
