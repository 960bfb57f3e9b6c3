"""Settings read from the environment (`VOICEDOCK_*`) and overridden by command-line flags."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from .admission import default_capacity


def default_data_dir() -> Path:
    if os.geteuid() == 0:
        return Path("/var/lib/voicedock")
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "voicedock"


class SettingsError(ValueError):
    """A setting from the environment that no server could run with; its message names the variable."""


def _env_int(name: str, default: int, minimum: int = 0, maximum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum or (maximum is not None and value > maximum):
        bounds = f"from {minimum} to {maximum}" if maximum is not None else f"{minimum} or more"
        raise SettingsError(f"{name} must be {bounds}, not {value}")
    return value


def _env_float(name: str, default: float, minimum: float = 0.0) -> float:
    raw = os.environ.get(name)
    if raw in (None, ""):
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, not {raw!r}") from None
    if not value >= minimum or value == float("inf"):  # also refuses nan
        raise SettingsError(f"{name} must be a finite number of {minimum:g} or more, not {raw}")
    return value


def _env_path(name: str) -> Path | None:
    raw = os.environ.get(name)
    return Path(raw) if raw else None


@dataclass(frozen=True)
class Settings:
    data_dir: Path = field(default_factory=default_data_dir)
    host: str = "127.0.0.1"
    port: int = 8000
    telephony: bool = True
    company_name: str = "VoiceDock"
    rate_limit_per_minute: int = 100
    control_limit_per_minute: int = 10
    price_per_minute: float = 0.0
    max_body_bytes: int = 1024 * 1024
    header_timeout: float = 15.0  # a connection's next request line and headers, from connect or last reply
    body_timeout: float = 30.0  # a request body, from the end of its headers
    max_connections: int = 512  # open API connections; also capped by the file-descriptor limit
    auth_failures_per_minute: int = 30  # failed authentications per client address before 429
    max_records: int = 1000  # API-created keys, assistants, trunks, numbers, templates: each kind at most this many
    drain_seconds: float = 300.0  # on SIGTERM, how long live calls may go on before they are ended
    call_capacity: int = field(default_factory=default_capacity)  # calls at once on this node; 0: no limit
    call_queue: int = 0  # callers who may wait (with music) for a free line past the capacity; 0: none wait
    queue_seconds: float = 60.0  # the longest such wait before the busy message
    tls_cert: Path | None = None  # with tls_key: the API serves HTTPS
    tls_key: Path | None = None
    recording_retention_days: int = 0  # recordings of calls ended longer ago are deleted; 0 keeps them
    transcript_retention_days: int = 0  # the same for transcripts (messages, tool calls, their webhook payloads)
    smtp_url: str | None = field(default=None, repr=False)  # smtp[s|+starttls]://user:pass@host:port; holds a password
    mail_from: str = "voicedock@localhost"  # the sender of notification email
    public_url: str | None = None  # the API's address as readers of an email reach it; host and port when unset

    @property
    def api_base(self) -> str:
        """Where a link in an email points: the operator's public address, else this server's own."""
        if self.public_url:
            return self.public_url.rstrip("/")
        scheme = "https" if self.tls_cert else "http"
        return f"{scheme}://{self.host}:{self.port}"

    @property
    def database_path(self) -> Path:
        return self.data_dir / "voicedock.db"

    @property
    def secret_key_path(self) -> Path:
        return self.data_dir / "secret.key"

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        env = os.environ
        base = cls(
            data_dir=Path(env["VOICEDOCK_DATA_DIR"]) if env.get("VOICEDOCK_DATA_DIR") else default_data_dir(),
            host=env.get("VOICEDOCK_HOST", "127.0.0.1"),
            port=_env_int("VOICEDOCK_PORT", 8000, maximum=65535),
            company_name=env.get("VOICEDOCK_COMPANY_NAME", "VoiceDock"),
            rate_limit_per_minute=_env_int("VOICEDOCK_RATE_LIMIT_PER_MINUTE", 100, minimum=1),
            control_limit_per_minute=_env_int("VOICEDOCK_CONTROL_LIMIT_PER_MINUTE", 10, minimum=1),
            price_per_minute=_env_float("VOICEDOCK_PRICE_PER_MINUTE", 0.0),
            header_timeout=_env_float("VOICEDOCK_HEADER_TIMEOUT", 15.0, minimum=0.1),
            body_timeout=_env_float("VOICEDOCK_BODY_TIMEOUT", 30.0, minimum=0.1),
            max_connections=_env_int("VOICEDOCK_MAX_CONNECTIONS", 512, minimum=1),
            auth_failures_per_minute=_env_int("VOICEDOCK_AUTH_FAILURES_PER_MINUTE", 30, minimum=1),
            max_records=_env_int("VOICEDOCK_MAX_RECORDS", 1000, minimum=1),
            drain_seconds=_env_float("VOICEDOCK_DRAIN_SECONDS", 300.0),
            call_capacity=_env_int("VOICEDOCK_CALL_CAPACITY", default_capacity()),
            call_queue=_env_int("VOICEDOCK_CALL_QUEUE", 0),
            queue_seconds=_env_float("VOICEDOCK_QUEUE_SECONDS", 60.0, minimum=1.0),
            tls_cert=_env_path("VOICEDOCK_TLS_CERT"),
            tls_key=_env_path("VOICEDOCK_TLS_KEY"),
            recording_retention_days=_env_int("VOICEDOCK_RECORDING_RETENTION_DAYS", 0),
            transcript_retention_days=_env_int("VOICEDOCK_TRANSCRIPT_RETENTION_DAYS", 0),
            smtp_url=env.get("VOICEDOCK_SMTP_URL") or None,
            mail_from=env.get("VOICEDOCK_MAIL_FROM") or "voicedock@localhost",
            public_url=env.get("VOICEDOCK_PUBLIC_URL") or None,
        )
        given = {k: v for k, v in overrides.items() if v is not None}
        return replace(base, **given)  # type: ignore[arg-type]
