"""What a remote engine needs to reach its server: the BYOK key, looked up when it is used rather
than when it is built, and the `tcp://` address of a Wyoming server.

Engines are built per call from the assistant alone, without touching the database; the key is read
(and decrypted) at the first request, so a key rotated through `POST /byok` applies to the next
utterance and no key sits in a long-lived object.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from voicedock.engines.base import EngineError


@dataclass(frozen=True)
class ProviderKey:
    """A provider's key and optional base URL; `repr` never shows the key, so logging one is safe."""

    api_key: str = field(repr=False)
    base_url: str | None = None


KeySource = Callable[[str], Awaitable[ProviderKey | None]]
"""provider name -> its key, or None when none is configured."""


async def require_key(keys: KeySource, provider: str) -> ProviderKey:
    """The key, or an engine error the fallback logs (the key was removed after the assistant was saved)."""
    key = await keys(provider)
    if key is None:
        raise EngineError("byok_missing", f"no BYOK key configured for {provider}")
    return key


def static_keys(mapping: dict[str, ProviderKey]) -> KeySource:
    """A fixed set of keys: for tests and for the command line."""

    async def lookup(provider: str) -> ProviderKey | None:
        return mapping.get(provider)

    return lookup


def parse_tcp_url(url: str | None) -> tuple[str, int]:
    """`tcp://host:port` -> (host, port); the API checks the same rule before a call can start."""
    parts = urlsplit(url or "")
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.scheme != "tcp" or not parts.hostname or not port:
        raise ValueError(f"a Wyoming server is addressed as tcp://host:port, not {url!r}")
    return parts.hostname, port
