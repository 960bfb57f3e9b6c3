"""Shared building blocks for the API models."""

from __future__ import annotations

import re
from typing import Annotated, Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, create_model

E164_PATTERN = r"^\+[1-9][0-9]{1,14}$"
_URL = re.compile(r"^https?://[^\s/?#]+[^\s]*$", re.IGNORECASE)


def _check_url(value: str) -> str:
    if not _URL.match(value):
        raise ValueError("must be an http:// or https:// URL")
    return value


def _check_json_schema(value: dict[str, Any]) -> dict[str, Any]:
    try:
        Draft202012Validator.check_schema(value)
    except SchemaError as err:
        raise ValueError(f"not a valid JSON Schema: {err.message}") from err
    return value


HttpUrl = Annotated[str, Field(max_length=2048), AfterValidator(_check_url)]
E164 = Annotated[str, Field(pattern=E164_PATTERN, examples=["+31201234567"])]
JsonSchema = Annotated[dict[str, Any], AfterValidator(_check_json_schema)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Text = Annotated[str, Field(max_length=20000)]


class Body(BaseModel):
    """Request bodies: unknown fields are rejected and types are not coerced ("1" is not 1)."""

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)


class Query(BaseModel):
    """Query strings arrive as text, so numbers are parsed; unknown parameters are still rejected."""

    model_config = ConfigDict(extra="forbid")


class Out(BaseModel):
    """Response models describe what we send; they are documentation, never used to parse input."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Pagination(Out):
    total: int
    limit: int
    offset: int


class PageQuery(Query):
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0)


class ErrorDetail(Out):
    code: str
    message: str
    param: str | None
    type: str


class ErrorBody(Out):
    error: ErrorDetail


class Deleted(Out):
    id: str
    deleted: bool


def partial(model: type[BaseModel], name: str) -> type[BaseModel]:
    """The PATCH twin of a create model: same fields and validators, every field optional."""
    fields: dict[str, Any] = {}
    for field_name, info in model.model_fields.items():
        copy = info._copy()  # keep constraints, alias and metadata
        copy.default = None
        copy.default_factory = None
        annotation = info.annotation
        fields[field_name] = (annotation | None, copy)  # type: ignore[operator]
    return create_model(name, __base__=Body, **fields)  # type: ignore[call-overload]
