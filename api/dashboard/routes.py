"""Dashboard routes, declared once: the line that registers a page also says who may use it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum

from aiohttp import web

from ..errors import ApiError
from . import sessions
from .render import SECURITY_HEADERS, SESSION, page, see_other

log = logging.getLogger("voicedock.dashboard")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
SIGN_IN = "/dashboard/sign-in"


class Access(Enum):
    PUBLIC = "public"  # the sign-in pages
    VIEW = "view"  # any session, GET
    ACT = "act"  # any session, state-changing: CSRF token and Origin checked (signing out)
    ADMIN = "admin"  # an admin session, state-changing: CSRF token and Origin checked


@dataclass(frozen=True)
class Page:
    method: str
    path: str
    handler: Handler
    access: Access


async def _admit(request: web.Request, access: Access) -> web.StreamResponse | None:
    """None when the request may go on, else the answer it gets instead."""
    if access is Access.PUBLIC:
        return None
    session = await sessions.current(request)
    if session is None:  # never signed in, signed out, expired, or its key revoked
        return see_other(SIGN_IN)
    request[SESSION] = session
    if access is Access.VIEW:
        return None
    if not sessions.same_origin(request):
        return page(request, "error.html", 403, title="Refused", message="This request came from another site.")
    if not sessions.token_matches(session.csrf, await sessions.csrf_given(request)):
        return page(request, "error.html", 403, title="Refused",
                    message="The form had expired or was not sent by this dashboard. Reload the page and try again.")
    if access is Access.ADMIN and not session.admin:
        return page(request, "error.html", 403, title="Read only",
                    message="You signed in with a read-only key: you may look, not change.")
    return None


def guard(entry: Page) -> Handler:
    async def endpoint(request: web.Request) -> web.StreamResponse:
        try:
            response = await _admit(request, entry.access) or await entry.handler(request)
        except ApiError as err:
            response = page(request, "error.html", err.status, title="Not available", message=err.message)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("dashboard error", extra={"path": request.path})
            response = page(request, "error.html", 500, title="Error", message="Something went wrong on the server.")
        response.headers.update(SECURITY_HEADERS)
        return response

    endpoint.__name__ = entry.handler.__name__
    return endpoint


def add(app: web.Application, pages: list[Page]) -> None:
    for entry in pages:
        app.router.add_route(entry.method, entry.path, guard(entry))
