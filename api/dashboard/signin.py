"""Signing in (by one-time link or by pasting an API key) and out.

A key is only ever sent in a POST body, never in a URL, so it stays out of browser history, proxy
logs and Referer headers; the link's token is single use, so its URL is worthless once opened.
"""

from __future__ import annotations

import time

from aiohttp import web

from voicedock.store.dashboard import LINK_SECONDS, new_token, redeem_login_link, token_hash

from ..context import KEYS, write
from ..errors import ApiError
from . import sessions
from .render import SESSION, page, see_other

HOME = "/dashboard"


def _sign_in_form(request: web.Request, status: int = 200, error: str = "") -> web.Response:
    token = new_token()
    response = page(request, "signin.html", status, title="Sign in", error=error, signin_token=token)
    sessions.set_cookie(response, request, sessions.SIGNIN_COOKIE, token, max_age=int(LINK_SECONDS))
    return response


async def sign_in_page(request: web.Request) -> web.StreamResponse:
    if await sessions.current(request) is not None:
        return see_other(HOME)
    return _sign_in_form(request)


async def sign_in(request: web.Request) -> web.StreamResponse:
    expected = request.cookies.get(sessions.SIGNIN_COOKIE, "")
    given = await sessions.form_field(request, sessions.CSRF_FIELD)
    if not sessions.same_origin(request) or not expected or not sessions.token_matches(expected, given):
        return _sign_in_form(request, 403, "The form had expired. Please try again.")
    key = (await sessions.form_field(request, "api_key") or "").strip()
    try:
        grant = await request.app[KEYS].authenticate(f"Bearer {key}", request.remote or "")
    except ApiError as err:
        message = "Too many failed attempts; wait a minute." if err.status == 429 else "That API key is not valid."
        return _sign_in_form(request, err.status, message)
    response = see_other(HOME)
    await sessions.start(request, response, "read" if grant.read_only else "admin", grant.key_id)
    return response


async def login_link(request: web.Request) -> web.StreamResponse:
    token = request.query.get("token", "")
    now = time.time()
    if not token or len(token) > 100 or not await write(request, lambda d: redeem_login_link(d, token_hash(token), now)):
        return page(request, "error.html", 400, title="Link not valid",
                    message="This sign-in link is unknown, already used or older than 10 minutes. "
                            "Run `voicedock dashboard link` for a new one.", sign_in_link=True)
    response = see_other(HOME)
    await sessions.start(request, response, "admin", None)
    return response


async def sign_out(request: web.Request) -> web.StreamResponse:
    response = see_other("/dashboard/sign-in")
    await sessions.end(request, request[SESSION], response)
    return response
