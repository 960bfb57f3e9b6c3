"""Account, API keys, BYOK and health."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from .base import Body, HttpUrl, Name, Out, Pagination, Query

Provider = Literal["openai", "deepgram", "elevenlabs", "resend"]


class AccountOut(Out):
    id: str
    company_name: str
    active_numbers: int
    active_assistants: int
    active_calls: int
    monthly_usage_minutes: float


KeyRole = Literal["admin", "read"]


class ApiKeyCreate(Body):
    name: Name = "API key"
    role: KeyRole = Field("admin", description="`admin`: every route; `read`: GET routes only (dashboards, "
                                                "monitoring), anything else answers 403 `read_only_key`.")


class ApiKeyOut(Out):
    id: str
    name: str
    role: KeyRole
    prefix: str
    created_at: str
    revoked_at: str | None
    last_used_at: str | None
    key: str | None = Field(None, description="The full key: present only in the create response.")


class ApiKeyEnvelope(Out):
    api_key: ApiKeyOut


class ApiKeyList(Out):
    api_keys: list[ApiKeyOut]
    pagination: Pagination


class ByokCreate(Body):
    provider: Provider
    api_key: Annotated[str, Field(min_length=8, max_length=1024, pattern=r"^[^ \t\r\n]+$")]
    base_url: HttpUrl | None = None


class ByokDeleteQuery(Query):
    provider: Provider


class ByokEntry(Out):
    configured: bool
    last4: str | None
    base_url: str | None


class ByokList(Out):
    byok_keys: dict[str, ByokEntry]


class ByokProvider(Out):
    provider: str
    category: str
    models: list[str]
    configured: bool
    supports: dict[str, str] = Field(default_factory=dict, description="The assistant settings this provider's "
                                                                        "key serves, and how.")


class ByokConfig(Out):
    providers: list[ByokProvider]
    local: dict[str, Any]


class HealthOut(Out):
    status: str
    timestamp: str
    version: str
    checks: dict[str, dict[str, Any]]
    nodes: list[dict[str, Any]] = []  # the nodes sharing this store: {id, status, active_calls, capacity}
