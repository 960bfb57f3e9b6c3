"""Which assistant answers a call: dialed number -> number row -> assistant, then `assistant-request`.

Pure functions over the store and the webhook reply, so every branch (unknown number, inactive
assistant, keep / one-off / override / error reply) is tested without Asterisk.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from voicedock.assistant import AssistantInvalid, CallAssistant
from voicedock.store import records
from voicedock.store.documents import ASSISTANTS
from voicedock.store.errors import NotFound
from voicedock.webhooks.replies import AssistantReply, ReplyKind

from .ari.events import StasisStart

log = logging.getLogger("voicedock.calls")
_DIGITS = re.compile(r"^\+?[0-9]{2,15}$")


def to_e164(extension: str | None) -> str | None:
    """The dialed extension as E.164 (`15550100` and `+15550100` both give `+15550100`)."""
    if not extension:
        return None
    value = extension.strip()
    if not _DIGITS.match(value):
        return None
    return value if value.startswith("+") else "+" + value


def dialed_number(start: StasisStart) -> str | None:
    """The number the caller dialed: the dialplan passes `${EXTEN}` as the second app argument."""
    exten = start.args[1] if len(start.args) > 1 else start.channel.dialplan.exten
    return to_e164(exten) or exten or None


def may_hand_back(start: StasisStart) -> bool:
    """Whether a cluster's Kamailio would send this call to another node if this one cannot take it:
    the dialplan passes its X-VoiceDock-Handback header as the third app argument."""
    return len(start.args) > 2 and start.args[2] == "1"


@dataclass(frozen=True)
class Route:
    """The outcome of routing one inbound call; `reject` is an ended_reason when it must not be answered."""

    number: Mapping[str, Any] | None
    assistant_id: str | None
    assistant: CallAssistant | None
    reject: str | None = None
    message: str | None = None  # what to say before hanging up a rejected call

    def replace(self, **changes: Any) -> Route:
        return Route(**{**self.__dict__, **changes})


def stored_assistant(d: sqlite_utils.Database, assistant_id: str) -> CallAssistant | None:
    """A stored assistant, typed; None when it is gone."""
    try:
        return CallAssistant.parse(ASSISTANTS.doc(d, assistant_id))
    except NotFound:
        return None


def route_inbound(d: sqlite_utils.Database, dialed: str | None) -> Route:
    """Look the dialed number up; unknown numbers and inactive assistants are rejected."""
    phone = to_e164(dialed)
    number = records.number_by_phone(d, phone) if phone else None
    if number is None:
        return Route(None, None, None, reject="unknown-number")
    assistant_id = number.get("assistant_id")
    assistant = stored_assistant(d, assistant_id) if assistant_id else None
    if assistant is None:
        return Route(number, None, None, reject="no-assistant")
    if not assistant.is_active:
        return Route(number, assistant_id, assistant, reject="assistant-inactive")
    return Route(number, assistant_id, assistant)


def apply_assistant_reply(d: sqlite_utils.Database, route: Route, reply: AssistantReply) -> Route:
    """Apply an assistant-request reply: keep, a one-off config, a shallow override, or an error (reject).

    A config the schema rejects counts as a malformed reply: the call keeps its configured assistant.
    """
    if reply.uses_configured_assistant:
        return route
    if reply.kind is ReplyKind.ERROR:
        return route.replace(reject="assistant-request-returned-error", message=reply.error)
    try:
        if reply.kind is ReplyKind.ASSISTANT and reply.assistant is not None:
            return route.replace(assistant=CallAssistant.parse({"is_active": True, **reply.assistant}))
        if reply.kind is ReplyKind.OVERRIDE:
            assistant_id, base = route.assistant_id, route.assistant
            if reply.assistant_id and reply.assistant_id != route.assistant_id:
                base = stored_assistant(d, reply.assistant_id)
                if base is None:
                    return route.replace(reject="assistant-request-returned-unknown-assistant")
                assistant_id = reply.assistant_id
            if base is None:
                return route
            return route.replace(assistant_id=assistant_id, assistant=base.merged(reply.assistant_override or {}))
    except AssistantInvalid as err:
        log.warning("assistant-request reply has an invalid assistant; keeping the configured one: %s", err)
    return route
