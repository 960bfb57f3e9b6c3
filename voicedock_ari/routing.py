"""Which assistant answers a call: dialed number -> number row -> assistant, then `assistant-request`.

Pure functions over the store and the webhook reply, so every branch (unknown number, inactive
assistant, keep / one-off / override / error reply) is tested without Asterisk.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from voicedock.store import records
from voicedock.store.documents import ASSISTANTS
from voicedock.store.errors import NotFound
from voicedock.webhooks.replies import AssistantReply, ReplyKind

_DIGITS = re.compile(r"^\+?[0-9]{2,15}$")


def to_e164(extension: str | None) -> str | None:
    """The dialed extension as E.164 (`15550100` and `+15550100` both give `+15550100`)."""
    if not extension:
        return None
    value = extension.strip()
    if not _DIGITS.match(value):
        return None
    return value if value.startswith("+") else "+" + value


@dataclass(frozen=True)
class Route:
    """The outcome of routing one inbound call; `reject` is an ended_reason when it must not be answered."""

    number: Mapping[str, Any] | None
    assistant_id: str | None
    assistant: Mapping[str, Any]
    reject: str | None = None
    message: str | None = None  # what to say before hanging up a rejected call


def route_inbound(d: sqlite_utils.Database, dialed: str | None) -> Route:
    """Look the dialed number up; unknown numbers and inactive assistants are rejected."""
    phone = to_e164(dialed)
    number = records.number_by_phone(d, phone) if phone else None
    if number is None:
        return Route(None, None, {}, reject="unknown-number")
    assistant_id = number.get("assistant_id")
    if not assistant_id:
        return Route(number, None, {}, reject="no-assistant")
    try:
        assistant = ASSISTANTS.doc(d, assistant_id)
    except NotFound:
        return Route(number, None, {}, reject="no-assistant")
    if not assistant.get("is_active", True):
        return Route(number, assistant_id, assistant, reject="assistant-inactive")
    return Route(number, assistant_id, assistant)


def apply_assistant_reply(d: sqlite_utils.Database, route: Route, reply: AssistantReply) -> Route:
    """Apply an assistant-request reply: keep, a one-off config, a shallow override, or an error (reject)."""
    if reply.uses_configured_assistant:
        return route
    if reply.kind is ReplyKind.ERROR:
        return Route(route.number, route.assistant_id, route.assistant, reject="assistant-request-returned-error",
                     message=reply.error)
    if reply.kind is ReplyKind.ASSISTANT and reply.assistant is not None:
        return Route(route.number, route.assistant_id, {"is_active": True, **reply.assistant})
    if reply.kind is ReplyKind.OVERRIDE:
        assistant_id = route.assistant_id
        base: Mapping[str, Any] = route.assistant
        if reply.assistant_id and reply.assistant_id != route.assistant_id:
            try:
                base = ASSISTANTS.doc(d, reply.assistant_id)
            except NotFound:
                return Route(route.number, route.assistant_id, route.assistant,
                             reject="assistant-request-returned-unknown-assistant")
            assistant_id = reply.assistant_id
        return Route(route.number, assistant_id, {**base, **(reply.assistant_override or {})})
    return route
