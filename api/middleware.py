"""One middleware: route errors, authentication, rate limits and the error envelope for everything."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from aiohttp.typedefs import Handler

from .context import API_KEY_ID, KEYS, LIMITER, RATE_DECISION
from .errors import ApiError, error_response, from_http_exception
from .forwarding import node_grant

log = logging.getLogger("voicedock.api")

READ_METHODS = frozenset({"GET", "HEAD"})


async def _dispatch(request: web.Request, handler: Handler) -> web.StreamResponse:
    match = request.match_info
    if match.http_exception is not None:
        raise match.http_exception
    op = getattr(match.handler, "__operation__", None)
    if op is not None and op.auth:
        grant = await node_grant(request) if op.node_signed else None
        grant = grant or await request.app[KEYS].authenticate(request.headers.get("Authorization"),
                                                              request.remote or "")
        request[API_KEY_ID] = grant.key_id
        decision = request.app[LIMITER].hit(grant.key_id)
        request[RATE_DECISION] = decision
        if not decision.allowed:
            raise ApiError(429, "rate_limit_exceeded",
                           f"Rate limit of {decision.limit} requests per minute exceeded",
                           headers={"Retry-After": str(decision.retry_after)})
        if grant.read_only and request.method not in READ_METHODS:
            raise ApiError(403, "read_only_key", "This API key may only read (GET); use an admin key to change things")
    return await handler(request)


@web.middleware
async def api_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await _dispatch(request, handler)
    except ApiError as err:
        response = err.response()
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        response = from_http_exception(exc)
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("unhandled error", extra={"path": request.path, "method": request.method})
        response = error_response(500, "internal_error", "Internal server error")
    decision = request.get(RATE_DECISION)
    if decision is not None:
        response.headers.update(decision.headers())
    return response
