"""Phone numbers and SIP trunks."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AliasChoices, Field

from .base import E164, Body, Int, Name, Out, Pagination, partial

Codec = Literal["ulaw", "alaw", "slin", "g722", "opus"]
Hostname = Annotated[str, Field(pattern=r"^[A-Za-z0-9.\-\[\]:]{1,253}$")]


def _default_codecs() -> list[Codec]:
    return ["ulaw"]


class NumberCreate(Body):
    phone_number: E164 = Field(validation_alias=AliasChoices("phone_number", "number"))
    name: Annotated[str, Field(max_length=200)] | None = None
    assistant_id: Annotated[str, Field(max_length=64)] | None = None
    sip_trunk_id: Annotated[str, Field(max_length=64)] | None = None


class NumberUpdate(Body):
    name: Annotated[str, Field(max_length=200)] | None = None
    assistant_id: Annotated[str, Field(max_length=64)] | None = None
    sip_trunk_id: Annotated[str, Field(max_length=64)] | None = None


class NumberOut(Out):
    id: str
    phone_number: str
    name: str | None
    assistant_id: str | None
    sip_trunk_id: str | None
    created_at: str
    updated_at: str


class NumberEnvelope(Out):
    number: NumberOut


class NumberList(Out):
    numbers: list[NumberOut]
    pagination: Pagination


class TrunkFields(Body):
    name: Name
    host: Hostname
    port: Int = Field(5060, ge=1, le=65535)
    transport: Literal["udp", "tcp", "tls"] = "udp"
    username: Annotated[str, Field(max_length=200, pattern=r"^[^ \t\r\n\"';]*$")] | None = None
    password: Annotated[str, Field(max_length=200, pattern=r"^[^ \t\r\n\"';]*$")] | None = Field(
        None, description="Write-only."
    )
    codecs: Annotated[list[Codec], Field(min_length=1, max_length=5)] = Field(default_factory=_default_codecs)
    registers: bool = Field(False, alias="register", description="Send REGISTER to the provider.")


class TrunkCreate(TrunkFields):
    pass


TrunkUpdate = partial(TrunkFields, "TrunkUpdate")


class TrunkOut(Out):
    id: str
    name: str
    host: str
    port: int
    transport: str
    username: str | None
    password_set: bool
    codecs: list[str]
    registers: bool = Field(alias="register")
    registration: dict[str, Any]
    created_at: str
    updated_at: str


class TrunkEnvelope(Out):
    sip_trunk: TrunkOut


class TrunkList(Out):
    sip_trunks: list[TrunkOut]
    pagination: Pagination
