"""The OpenAPI 3.1 document, built from the route declarations and the pydantic models."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from voicedock import __version__
from voicedock.schemas.base import ErrorBody

from .spec import Operation

REF = "#/components/schemas/{model}"
_STATUS_TEXT = {400: "Malformed body or parameters", 401: "Missing, invalid or revoked API key",
                403: "Limit reached, or a read key", 404: "Not found", 405: "Method not allowed", 408: "Body too slow",
                409: "Conflict", 413: "Body over 1 MiB", 422: "Semantically invalid", 429: "Rate limited",
                503: "Telephony unavailable"}
RATE_HEADERS = {name: {"schema": {"type": "integer"}} for name in
                ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")}


def _models(ops: list[Operation]) -> list[tuple[type[BaseModel], JsonSchemaMode]]:
    seen: dict[type[BaseModel], JsonSchemaMode] = {ErrorBody: "serialization"}
    for op in ops:
        if op.body is not None:
            seen[op.body] = "validation"
        if op.response is not None:
            seen.setdefault(op.response, "serialization")
    return list(seen.items())


def _query_parameters(model: type[BaseModel], schema: dict[str, Any], defs: dict[str, Any]) -> list[dict[str, Any]]:
    params = []
    for name, prop in schema.get("properties", {}).items():
        params.append({"name": name, "in": "query", "required": name in schema.get("required", []),
                       "schema": prop})
    return params


def build(ops: list[Operation], title: str = "VoiceDock API") -> dict[str, Any]:
    keys, definitions = models_json_schema(_models(ops), ref_template=REF, by_alias=True)
    components = dict(definitions.get("$defs", {}))
    paths: dict[str, dict[str, Any]] = {}
    for op in ops:
        path = "/api/v1" + op.path
        item = paths.setdefault(path, {})
        entry: dict[str, Any] = {"summary": op.summary, "tags": [op.tag],
                                 "operationId": op.handler.__name__, "responses": {}}
        params = [{"name": name, "in": "path", "required": True, "schema": {"type": "string", "maxLength": 64}}
                  for name in re.findall(r"{(\w+)}", op.path)]
        if op.query is not None:
            qschema = op.query.model_json_schema(ref_template=REF)
            components.update(qschema.pop("$defs", {}))
            params += _query_parameters(op.query, qschema, components)
        if params:
            entry["parameters"] = params
        if op.body is not None:
            entry["requestBody"] = {"required": True, "content": {
                "application/json": {"schema": keys[(op.body, "validation")]}}}
        if op.response is not None:
            schema = keys[(op.response, "serialization")]
            content = {op.media_type: {"schema": schema}}
        elif op.raw_response:
            content = {op.media_type: {"schema": {"type": "string", "format": "binary"}}}
        else:
            content = None
        ok: dict[str, Any] = {"description": "Success"}
        if content:
            ok["content"] = content
        if op.auth:
            ok["headers"] = RATE_HEADERS
        entry["responses"][str(op.status)] = ok
        error_statuses = set(op.errors) | {400, 405, 413}
        if op.body is not None:
            error_statuses |= {408, 422}  # 408: the body did not arrive within VOICEDOCK_BODY_TIMEOUT  # e.g. a tool's `parameters` that is an object but not a JSON Schema
        if op.auth:
            error_statuses |= {401, 429}
            if op.method != "GET":
                error_statuses.add(403)  # a read key
        for status in sorted(error_statuses):
            entry["responses"][str(status)] = {
                "description": _STATUS_TEXT.get(status, "Error"),
                "content": {"application/json": {"schema": keys[(ErrorBody, "serialization")]}}}
        if op.auth:
            entry["security"] = [{"bearer": []}]
        else:
            entry["security"] = []
        item[op.method.lower()] = entry
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": __version__,
                 "description": "On-prem voice-AI telephony API. Every error is "
                                "`{\"error\": {code, message, param, type}}`."},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {"schemas": components,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                                      "description": "An API key `vd_live_…`"}}},
        "security": [{"bearer": []}],
    }
