"""Browser sessions for the dashboard: the cookie, its row, CSRF tokens and the Origin check.

The cookie holds a random token; the database holds its hash. The CSRF token is an HMAC of the
cookie's token, so it is per session, changes with it, and needs no storage of its own.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiohttp import web

from voicedock.store.dashboard import (
    SESSION_IDLE_SECONDS,
    create_session,
    find_session,
    new_token,
    revoke_session,
    token_hash,
    touch_session,
)

from ..context import read_now, write

COOKIE = "vd_session"
SIGNIN_COOKIE = "vd_signin"  # the sign-in form's own CSRF token, before there is a session
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
TOUCH_EVERY = 60.0  # seconds between writes of a session's last use


@dataclass(frozen=True)
class Session:
    ident: str
    role: str
    token: str

    @property
    def admin(self) -> bool:
        return self.role == "admin"

    @property
    def csrf(self) -> str:
        return hmac.new(self.token.encode(), b"dashboard-csrf", hashlib.sha256).hexdigest()


def set_cookie(response: web.StreamResponse, request: web.Request, name: str, value: str,
               max_age: int | None = None) -> None:
    """HttpOnly (no script reads it), SameSite=Strict (no other site's request carries it), Secure over TLS."""
    response.set_cookie(name, value, path="/dashboard", httponly=True, samesite="Strict",
                        secure=request.secure, max_age=max_age)


async def current(request: web.Request) -> Session | None:
    token = request.cookies.get(COOKIE)
    if not token or len(token) > 100:
        return None
    now = time.time()
    row = await read_now(request, lambda d: find_session(d, token_hash(token), now))
    if row is None:
        return None
    if now - row["last_seen_at"] > TOUCH_EVERY:
        await write(request, lambda d: touch_session(d, row["id"], now))
    return Session(row["id"], row["role"], token)


async def start(request: web.Request, response: web.StreamResponse, role: str, key_id: str | None) -> None:
    token = new_token()
    await write(request, lambda d: create_session(d, token_hash(token), role, key_id, time.time()))
    set_cookie(response, request, COOKIE, token, max_age=int(SESSION_IDLE_SECONDS))
    response.del_cookie(SIGNIN_COOKIE, path="/dashboard")


async def end(request: web.Request, session: Session, response: web.StreamResponse) -> None:
    await write(request, lambda d: revoke_session(d, session.ident, time.time()))
    response.del_cookie(COOKIE, path="/dashboard")


def same_origin(request: web.Request) -> bool:
    """A state-changing request must come from this host's own pages: its Origin (or, without one,
    its Referer) names this host. Browsers send Origin on every cross-site POST."""
    source = request.headers.get("Origin") or request.headers.get("Referer")
    if source is None:
        return True  # not a browser's cross-site request; the CSRF token still has to match
    return urlsplit(source).netloc == request.host


def token_matches(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), str(given).encode())


async def csrf_given(request: web.Request) -> str | None:
    """The token from the `X-CSRF-Token` header, else from the form body."""
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    return await form_field(request, CSRF_FIELD)


async def form_field(request: web.Request, name: str) -> str | None:
    """A text field of a form body (None for any other body or a file field)."""
    if request.content_type not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return None
    value = (await request.post()).get(name)
    return value if isinstance(value, str) else None
