"""Bearer API keys: looked up by hash, cached briefly so the hot path needs no database round trip.

Failures cost nothing either: an unknown key's hash is remembered for a minute (a bounded cache), and
a client address that failed `failures.limit` times in a minute gets 429 before any lookup, while keys
already in the cache keep working from that address (several clients may share one behind a proxy).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from voicedock.secrets import API_KEY_PREFIX, hash_api_key
from voicedock.store import Database
from voicedock.store.records import find_api_key, touch_api_key

from .errors import ApiError
from .ratelimit import RateLimiter

UNKNOWN_KEYS_KEPT = 4096


@dataclass(frozen=True)
class Grant:
    """Who a request authenticated as: the key's id, and whether it may only read (GET)."""

    key_id: str
    read_only: bool


@dataclass
class _Entry:
    grant: Grant
    revoked: bool
    checked_at: float
    touched_at: float


def _bearer(header: str | None) -> str | None:
    """The key in an `Authorization: Bearer <key>` header, or None when there is no well-formed one."""
    scheme, _, token = (header or "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token.startswith(API_KEY_PREFIX) or len(token) > 200:
        return None
    return token


def _malformed(header: str | None) -> ApiError:
    if not header:
        return ApiError(401, "missing_api_key", "Missing API key: send Authorization: Bearer <key>")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return ApiError(401, "invalid_api_key", "Authorization header must be 'Bearer <key>'")
    return ApiError(401, "invalid_api_key", "Invalid API key")


class KeyCache:
    """Revocations made through this process apply at once; those made elsewhere within `ttl` seconds."""

    def __init__(self, db: Database, ttl: float = 2.0, touch_every: float = 60.0,
                 clock: Callable[[], float] = time.monotonic, failures: RateLimiter | None = None,
                 unknown_ttl: float = 60.0) -> None:
        self._db = db
        self._ttl = ttl
        self._touch_every = touch_every
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        self._failures = failures
        self._unknown: OrderedDict[str, float] = OrderedDict()
        self._unknown_ttl = unknown_ttl

    async def authenticate(self, header: str | None, client: str = "") -> Grant:
        """The key's grant. 401 for a missing, malformed, unknown or revoked key; 429 for `client` (its
        address) after too many of those in the last minute, unless the key is a cached, valid one."""
        try:
            return await self._authenticate(header, client)
        except ApiError as err:
            if err.status == 401 and self._failures is not None:
                self._failures.hit(client)
            raise

    async def _authenticate(self, header: str | None, client: str) -> Grant:
        now = self._clock()
        token = _bearer(header)
        digest = hash_api_key(token) if token else ""
        entry = self._entries.get(digest)
        fresh = entry is not None and now - entry.checked_at <= self._ttl
        if entry is None or not fresh or entry.revoked:
            self._admit(client)
        if not token:
            raise _malformed(header)
        if entry is None or not fresh:
            entry = await self._look_up(digest, entry, now)
        if entry.revoked:
            raise ApiError(401, "api_key_revoked", "This API key has been revoked")
        if now - entry.touched_at > self._touch_every:
            entry.touched_at = now
            key_id = entry.grant.key_id
            await self._db.write(lambda d: touch_api_key(d, key_id))
        return entry.grant

    def _admit(self, client: str) -> None:
        if self._failures is None:
            return
        decision = self._failures.check(client)
        if not decision.allowed:
            raise ApiError(429, "rate_limit_exceeded",
                           f"Too many failed authentications from this address; retry in {decision.retry_after} s",
                           headers={"Retry-After": str(decision.retry_after)})

    async def _look_up(self, digest: str, entry: _Entry | None, now: float) -> _Entry:
        unknown_since = self._unknown.get(digest)
        if unknown_since is not None and now - unknown_since <= self._unknown_ttl:
            raise ApiError(401, "invalid_api_key", "Invalid API key")
        row = await self._db.read(lambda d: find_api_key(d, digest))
        if row is None:
            self._entries.pop(digest, None)
            self._unknown[digest] = now
            self._unknown.move_to_end(digest)
            while len(self._unknown) > UNKNOWN_KEYS_KEPT:
                self._unknown.popitem(last=False)
            raise ApiError(401, "invalid_api_key", "Invalid API key")
        self._unknown.pop(digest, None)
        touched = entry.touched_at if entry else float("-inf")
        fresh = _Entry(Grant(row["id"], row["role"] == "read"), row["revoked_at"] is not None, now, touched)
        self._entries[digest] = fresh
        return fresh

    def revoked(self, key_id: str) -> None:
        for entry in self._entries.values():
            if entry.grant.key_id == key_id:
                entry.revoked = True
