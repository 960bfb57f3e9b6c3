"""Routes declared once: the same declaration registers the handler, validates its input and
describes it in the OpenAPI document."""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from .context import SETTINGS
from .errors import ApiError, from_validation_error
from .json_shape import shape, values

Handler = Callable[..., Awaitable[web.StreamResponse]]
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    handler: Handler
    summary: str
    tag: str
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    errors: tuple[int, ...] = ()
    auth: bool = True
    node_signed: bool = False  # another node may send it on signed, in place of an API key (api.forwarding)
    media_type: str = "application/json"
    raw_response: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


MAX_DEPTH = 32
MAX_CONTAINERS = 10_000  # objects and arrays in one body; a full assistant with 64 tools needs a few thousand
MAX_VALUES = 20_000  # keys and values (json_shape.values): a 20,000-character prompt with 64 tools of 8-property schemas
# counts about 8,400; a body at this bound costs about twice that assistant's loop time (docs/benchmarks.md)


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"number {text[:40]} is out of range")
    return value


def parse_json_object(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        raise ApiError(400, "invalid_request", "Request body must be a JSON object")
    if values(raw) > MAX_VALUES:  # first, and cheapest: parsing and even measuring cost per value
        raise ApiError(413, "payload_too_large", f"Request body holds more than {MAX_VALUES:,} keys and values")
    too_deep = ApiError(400, "invalid_request", f"Request body is nested more than {MAX_DEPTH} levels deep")
    measured = shape(raw, MAX_CONTAINERS, MAX_DEPTH)  # before parsing: parsing holds the event loop
    if measured.depth > MAX_DEPTH:
        raise too_deep
    if measured.containers > MAX_CONTAINERS:
        raise ApiError(413, "payload_too_large", f"Request body holds more than {MAX_CONTAINERS} objects and arrays")
    try:
        # The float check is Python code per number, so it runs only where a number could overflow.
        data = json.loads(raw, parse_constant=_reject_constant,
                          parse_float=_finite_float if measured.big_numbers else None)
    except RecursionError:
        raise too_deep from None
    except (ValueError, UnicodeDecodeError) as err:
        raise ApiError(400, "invalid_json", f"Request body is not valid JSON: {err}") from err
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_request", "Request body must be a JSON object")
    return data


def validate(model: type[M], data: Any) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise from_validation_error(err) from None


def parse_query(request: web.Request, model: type[BaseModel]) -> BaseModel:
    data: dict[str, Any] = {}
    for key in request.query:
        values = request.query.getall(key)
        if len(values) > 1:
            raise ApiError(400, "invalid_request", f"Query parameter {key} is given more than once", key)
        data[key] = values[0]
    return validate(model, data)


async def read_body(request: web.Request) -> bytes:
    """The whole body within `body_timeout` seconds: a client that stops half-way does not hold the request."""
    timeout = request.app[SETTINGS].body_timeout
    try:
        async with asyncio.timeout(timeout):
            return await request.read()
    except TimeoutError:
        raise ApiError(408, "request_timeout", f"The request body did not arrive within {timeout:g} s") from None


def bind(op: Operation) -> Handler:
    """Wrap a handler so it receives validated `body=` and `query=` arguments."""

    async def endpoint(request: web.Request) -> web.StreamResponse:
        kwargs: dict[str, Any] = {}
        if op.query is not None:
            kwargs["query"] = parse_query(request, op.query)
        elif request.query and not op.extra.get("free_query"):
            name = next(iter(request.query))
            raise ApiError(400, "invalid_request", f"Unknown query parameter: {name}", name)
        if op.body is not None:
            kwargs["body"] = validate(op.body, parse_json_object(await read_body(request)))
        return await op.handler(request, **kwargs)

    endpoint.__name__ = op.handler.__name__
    return endpoint
