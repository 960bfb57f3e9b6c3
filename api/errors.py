"""The error envelope `{"error": {code, message, param, type}}` and the mapping of every failure to it."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from voicedock.schemas.base import SEMANTIC_ERRORS
from voicedock.store.errors import Conflict, InvalidReference, LimitReached, NotFound

_TYPES = {400: "validation_error", 401: "authentication_error", 403: "permission_error", 404: "not_found_error",
          405: "invalid_request_error", 409: "conflict_error", 413: "invalid_request_error",
          408: "invalid_request_error", 415: "invalid_request_error", 422: "validation_error",
          429: "rate_limit_error"}
_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large", 415: "unsupported_media_type",
               400: "invalid_request", 408: "request_timeout"}
_TAG_VALUES = {"function", "end_call", "transfer_call", "inject-context", "say", "end-call", "transfer"}


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, param: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.param = param
        self.headers = headers or {}

    def response(self) -> web.Response:
        return error_response(self.status, self.code, self.message, self.param, self.headers)


def envelope(status: int, code: str, message: str, param: str | None = None) -> dict[str, Any]:
    kind = _TYPES.get(status, "api_error" if status >= 500 else "invalid_request_error")
    return {"error": {"code": code, "message": message, "param": param, "type": kind}}


def error_response(status: int, code: str, message: str, param: str | None = None,
                   headers: dict[str, str] | None = None) -> web.Response:
    body = envelope(status, code, message, param)
    return web.json_response(body, status=status, headers=headers, dumps=json.dumps)


def from_http_exception(exc: web.HTTPException) -> web.Response:
    headers = {}
    if isinstance(exc, web.HTTPMethodNotAllowed):
        headers["Allow"] = ", ".join(sorted(exc.allowed_methods))
        message = f"Method {exc.method} is not allowed here"
    elif exc.status == 404:
        message = "No such route"
    elif exc.status == 413:
        message = "Request body is larger than the 1 MiB limit"
    else:
        message = exc.reason
    code = _HTTP_CODES.get(exc.status, "http_error")
    return error_response(exc.status, code, message, None, headers)


def _param(loc: tuple[Any, ...], kind: str) -> str | None:
    # Discriminated unions add the tag value to the location; the caller never wrote it.
    parts = [str(item) for item in loc if item not in _TAG_VALUES]
    if kind in ("union_tag_not_found", "union_tag_invalid"):
        parts.append("type")
    return ".".join(parts) or None


def from_validation_error(err: ValidationError) -> ApiError:
    first = err.errors(include_url=False)[0]
    kind = first["type"]
    param = _param(tuple(first["loc"]), kind)
    if kind == "missing":
        message = f"Missing required field: {param}"
    elif kind == "extra_forbidden":
        message = f"Unknown field: {param}"
    else:
        reason = first["msg"].removeprefix("Value error, ")
        message = f"Invalid value for {param}: {reason}" if param else reason
    if kind in SEMANTIC_ERRORS:  # the documented shape, but it means nothing (not a JSON Schema, no such zone)
        return ApiError(422, kind, message, param)
    return ApiError(400, "invalid_request", message, param)


def from_store_error(err: Exception) -> ApiError:
    if isinstance(err, NotFound):
        return ApiError(404, "resource_not_found", str(err))
    if isinstance(err, Conflict):
        return ApiError(409, "conflict", str(err), err.param)
    if isinstance(err, InvalidReference):
        return ApiError(422, "invalid_reference", str(err), err.param)
    if isinstance(err, LimitReached):
        return ApiError(403, "limit_reached", str(err))
    raise err
