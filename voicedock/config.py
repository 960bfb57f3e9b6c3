"""Settings read from the environment (`VOICEDOCK_*`) and overridden by command-line flags."""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import SplitResult, urlsplit

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


DATABASE_SCHEMES = ("postgresql", "postgres")
_NODE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")


_QUERY_PASSWORD = re.compile(r"(?i)(^|&)(password=)[^&]*")


def redact_database_url(url: str) -> str:
    """The URL as it may appear in a log or an error: the password (in the address or as
    `?password=`) replaced by `***`."""
    parts = urlsplit(url)
    parts = parts._replace(query=_QUERY_PASSWORD.sub(r"\1\2***", parts.query))
    if parts.password is not None:
        host = parts.netloc.rsplit("@", 1)[1]
        parts = parts._replace(netloc=f"{parts.username or ''}:***@{host}")
    return parts.geturl()


def _env_url(name: str, problem: Callable[[SplitResult], str | None],
             shown: Callable[[str], str] = str) -> str | None:
    """The URL in `name`, or None when unset; one that does not parse, or has a `problem`, is refused
    with a message that shows it as `shown` makes it."""
    raw = os.environ.get(name) or None
    if raw is None:
        return None
    try:
        parts = urlsplit(raw)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise SettingsError(f"{name} is not a valid URL ({shown(raw)})") from None
    found = problem(parts)
    if found:
        raise SettingsError(f"{name} {found} ({shown(raw)})")
    return raw


def _env_database_url(name: str) -> str | None:
    """`postgresql://user:pass@host:port/db` (or a socket: `postgresql://user@/db?host=/run/postgresql`)."""
    return _env_url(name, _database_url_problem, redact_database_url_safely)


def _database_url_problem(parts: SplitResult) -> str | None:
    if parts.scheme not in DATABASE_SCHEMES:
        return "must be a postgresql:// URL"
    if not parts.hostname and "host=" not in parts.query:
        return "must name the database server's host (or its socket directory as ?host=)"
    if not parts.path.strip("/"):
        return "must name the database (postgresql://user:password@host:port/DATABASE)"
    return None


def redact_database_url_safely(raw: str) -> str:
    """Redacted even when the URL does not parse: then nothing after the scheme is shown."""
    try:
        return redact_database_url(raw)
    except ValueError:
        return raw.split("://", 1)[0] + "://..."


def _node_url_problem(parts: SplitResult) -> str | None:
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path.strip("/") or parts.query:
        return "must be http(s)://host[:port]"
    return None


def _env_node_url(name: str) -> str | None:
    """An `http(s)://host[:port]` base the other nodes reach this node's API at."""
    url = _env_url(name, _node_url_problem)
    return url.rstrip("/") if url else None


def _env_node_id(name: str) -> str:
    raw = os.environ.get(name) or socket.gethostname()
    if not _NODE_ID.fullmatch(raw):
        raise SettingsError(f"{name} must be 1 to 63 letters, digits, '.', '_' or '-', not {raw!r}")
    return raw


def _env_address(name: str) -> str | None:
    """`host:port` (an IPv4 address or a name; the port required)."""
    raw = os.environ.get(name)
    if not raw:
        return None
    host, _, port = raw.rpartition(":")
    if not host or not _HOST.fullmatch(host) or not port.isdigit() or not 0 < int(port) < 65536:
        raise SettingsError(f"{name} must be host:port, not {raw!r}")
    return raw


_HOST = re.compile(r"[A-Za-z0-9.-]{1,253}")


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
    database_url: str | None = field(default=None, repr=False)  # PostgreSQL (holds a password); else SQLite
    node_id: str = field(default_factory=socket.gethostname)  # this node's name on call records and heartbeats
    node_timeout_seconds: float = 15.0  # another node silent this long has failed: its calls are closed
    node_url: str | None = None  # where the other nodes reach this node's API; host and port when unset
    sip_entry: str | None = None  # a cluster's Kamailio (host:port as nodes reach it): trunk calls leave through it
    sip_entry_rpc: str | None = None  # its JSON-RPC socket (host:port): trunks register from there, not from Asterisk

    @property
    def api_base(self) -> str:
        """Where a link in an email points: the operator's public address, else this server's own."""
        if self.public_url:
            return self.public_url.rstrip("/")
        scheme = "https" if self.tls_cert else "http"
        return f"{scheme}://{self.host}:{self.port}"

    @property
    def node_base_url(self) -> str:
        """Where another node sends the control commands of this node's calls: `node_url`, else the
        address the server binds (the host name for a wildcard bind, which no other node can dial)."""
        if self.node_url:
            return self.node_url
        host = socket.gethostname() if self.host in ("", "0.0.0.0", "::") else self.host
        host = f"[{host}]" if ":" in host else host
        scheme = "https" if self.tls_cert else "http"
        return f"{scheme}://{host}:{self.port}"

    @property
    def database_path(self) -> Path:
        return self.data_dir / "voicedock.db"

    @property
    def database_name(self) -> str:
        """The store as a log line or an error may name it: the SQLite file, or the redacted URL."""
        return redact_database_url(self.database_url) if self.database_url else str(self.database_path)

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
            database_url=_env_database_url("VOICEDOCK_DATABASE_URL"),
            node_id=_env_node_id("VOICEDOCK_NODE_ID"),
            node_timeout_seconds=_env_float("VOICEDOCK_NODE_TIMEOUT_SECONDS", 15.0, minimum=2.0),
            node_url=_env_node_url("VOICEDOCK_NODE_URL"),
            sip_entry=_env_address("VOICEDOCK_SIP_ENTRY"),
            sip_entry_rpc=_env_address("VOICEDOCK_SIP_ENTRY_RPC"),
        )
        if (base.sip_entry is None) != (base.sip_entry_rpc is None):
            # Trunks would either register from nowhere, or from both Kamailio and this node's Asterisk.
            raise SettingsError("VOICEDOCK_SIP_ENTRY and VOICEDOCK_SIP_ENTRY_RPC are set together or not at all")
        given = {k: v for k, v in overrides.items() if v is not None}
        return replace(base, **given)  # type: ignore[arg-type]
