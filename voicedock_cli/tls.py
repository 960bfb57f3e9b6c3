"""Transport security for the API: HTTPS from a certificate and key, and a warning for plain HTTP off loopback.

API keys travel in the `Authorization` header: over plain HTTP on anything but loopback, anyone on
the path reads them. The server still starts (a reverse proxy may terminate TLS in front of it), but
says so at start, where an operator looks.
"""

from __future__ import annotations

import ipaddress
import logging
import ssl
from pathlib import Path

log = logging.getLogger("voicedock")

PLAINTEXT_WARNING = (
    "the API listens on a non-loopback address without TLS: API keys and call data cross the network "
    "in clear text; set --tls-cert/--tls-key (VOICEDOCK_TLS_CERT/VOICEDOCK_TLS_KEY) or put a TLS reverse "
    "proxy in front and bind 127.0.0.1"
)


class TlsConfigError(ValueError):
    """The TLS settings are incomplete or the files cannot be loaded; the server must not start on them."""


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach; an empty host or a name other than localhost is not."""
    if host.strip().lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def server_context(cert: Path | None, key: Path | None) -> ssl.SSLContext | None:
    """An HTTPS server context (TLS 1.2 or newer), or None when neither file is set.

    One file without the other is refused: silently serving plain HTTP after a typo would be worse.
    """
    if cert is None and key is None:
        return None
    if cert is None or key is None:
        raise TlsConfigError("--tls-cert and --tls-key must be given together")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(certfile=str(cert), keyfile=str(key))
    except (OSError, ssl.SSLError) as err:
        raise TlsConfigError(f"cannot load the TLS certificate {cert} and key {key}: {err}") from err
    return context


def warn_if_plaintext(host: str, context: ssl.SSLContext | None) -> bool:
    """Log the clear-text warning when it applies; True when it was logged."""
    if context is not None or is_loopback(host):
        return False
    log.warning(PLAINTEXT_WARNING, extra={"host": host})
    return True
