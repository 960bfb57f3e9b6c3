"""Where a call goes: dial strings for outbound calls and transfers, and the plan of a `POST /calls`.

E.164 numbers go out through a SIP trunk (`PJSIP/<number>@<trunk endpoint>`); SIP URIs are
dialed directly through the local endpoint (`PJSIP/voicedock-local/<uri>`), which is how test
callers and softphones on this host are reached.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from voicedock.assistant import CallAssistant
from voicedock.schemas.assistants import stored_document
from voicedock.schemas.calls import CallCreate
from voicedock.store import records
from voicedock.store.documents import ASSISTANTS
from voicedock.telephony import TelephonyError

from .trunks import trunk_endpoint

LOCAL_ENDPOINT = "voicedock-local"
E164 = re.compile(r"^\+[1-9][0-9]{1,14}$")
SIP_URI = re.compile(r"^sips?:[^\s,()&|]+$")


def trunk_for(d: sqlite_utils.Database, phone_number_id: str | None, sip_trunk_id: str | None) -> str | None:
    """The trunk asked for, else the number's trunk, else the only/first trunk there is."""
    if sip_trunk_id:
        return sip_trunk_id
    if phone_number_id:
        rows = list(d.query("SELECT sip_trunk_id FROM numbers WHERE id = ?", [phone_number_id]))
        if rows and rows[0]["sip_trunk_id"]:
            return str(rows[0]["sip_trunk_id"])
    rows = list(d.query("SELECT id FROM sip_trunks ORDER BY created_at LIMIT 1"))
    return str(rows[0]["id"]) if rows else None


def dial_string(destination: str, trunk_id: str | None) -> str:
    """The Asterisk dial string for a destination; TelephonyError when it cannot be reached."""
    if E164.match(destination):
        if trunk_id is None:
            raise TelephonyError("no_sip_trunk", "Calling a phone number needs a SIP trunk; add one first", 422)
        return f"PJSIP/{destination}@{trunk_endpoint(trunk_id)}"
    if SIP_URI.match(destination):
        return f"PJSIP/{LOCAL_ENDPOINT}/{destination}"
    raise TelephonyError("invalid_destination", f"Cannot dial {destination!r}", 422)


@dataclass(frozen=True)
class OutboundPlan:
    endpoint: str
    customer: str
    assistant: CallAssistant
    assistant_id: str | None = None
    phone_number_id: str | None = None
    agent_phone: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)


def outbound_plan(d: sqlite_utils.Database, request: CallCreate) -> OutboundPlan:
    """Resolve a validated `POST /calls` body into what to dial and which assistant talks."""
    assistant_id = request.assistant_id
    if assistant_id:
        assistant = CallAssistant.parse(ASSISTANTS.doc(d, assistant_id))
    else:
        assistant = CallAssistant.parse(stored_document(request.assistant))
    number_id = request.phone_number_id
    agent_phone = records.get_number(d, number_id)["phone_number"] if number_id else None
    customer = request.customer.number
    trunk_id = trunk_for(d, number_id, request.sip_trunk_id)
    return OutboundPlan(
        endpoint=dial_string(customer, trunk_id), customer=customer, assistant=assistant,
        assistant_id=assistant_id, phone_number_id=number_id, agent_phone=agent_phone,
        metadata=dict(request.metadata),
    )
