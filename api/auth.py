"""Bearer API keys: looked up by hash, cached briefly so the hot path needs no database round trip."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from voicedock.secrets import API_KEY_PREFIX, hash_api_key
from voicedock.store import Database
from voicedock.store.records import find_api_key, touch_api_key

from .errors import ApiError


@dataclass
class _Entry:
    key_id: str
    revoked: bool
    checked_at: float
    touched_at: float


class KeyCache:
    """Revocations made through this process apply at once; those made elsewhere within `ttl` seconds."""

    def __init__(self, db: Database, ttl: float = 2.0, touch_every: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._db = db
        self._ttl = ttl
        self._touch_every = touch_every
        self._clock = clock
        self._entries: dict[str, _Entry] = {}

    async def authenticate(self, header: str | None) -> str:
        if not header:
            raise ApiError(401, "missing_api_key", "Missing API key: send Authorization: Bearer <key>")
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise ApiError(401, "invalid_api_key", "Authorization header must be 'Bearer <key>'")
        if not token.startswith(API_KEY_PREFIX) or len(token) > 200:
            raise ApiError(401, "invalid_api_key", "Invalid API key")
        digest = hash_api_key(token)
        now = self._clock()
        entry = self._entries.get(digest)
        if entry is None or now - entry.checked_at > self._ttl:
            row = await self._db.read(lambda d: find_api_key(d, digest))
            if row is None:
                self._entries.pop(digest, None)
                raise ApiError(401, "invalid_api_key", "Invalid API key")
            touched = entry.touched_at if entry else float("-inf")
            entry = _Entry(row["id"], row["revoked_at"] is not None, now, touched)
            self._entries[digest] = entry
        if entry.revoked:
            raise ApiError(401, "api_key_revoked", "This API key has been revoked")
        if now - entry.touched_at > self._touch_every:
            entry.touched_at = now
            key_id = entry.key_id
            await self._db.write(lambda d: touch_api_key(d, key_id))
        return entry.key_id

    def revoked(self, key_id: str) -> None:
        for entry in self._entries.values():
            if entry.key_id == key_id:
                entry.revoked = True
