"""What the HTTP layer may ask of the call side, as a protocol.

The API depends on this interface only; `voicedock_ari` provides the implementation and the
composition root hands it to the API. Without one, call routes answer 503 `telephony_unavailable`.
"""

from __future__ import annotations

from typing import Any, Protocol

from .schemas.calls import CallCreate, EndCall, InjectContext, Say, Transfer

ControlCommand = InjectContext | Say | EndCall | Transfer


class TelephonyError(Exception):
    """A call-side failure with a machine code the API passes on."""

    def __init__(self, code: str, message: str, status: int = 502) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


class Telephony(Protocol):
    @property
    def sip_port(self) -> int:
        """The port Asterisk takes SIP on at 127.0.0.1: a softphone on this host dials a number there."""

    async def start_outbound(self, request: CallCreate) -> str:
        """Store a new outbound call for a validated `POST /calls` body, start dialling, return its id."""

    async def control(self, call_id: str, command: ControlCommand) -> str:
        """Hand a control command to the live call's session on this node; returns a human-readable result.

        The session owns the ending: `end-call` and `transfer` return once accepted, and the session
        hangs up or transfers after the caller has heard the message."""

    def is_live(self, call_id: str) -> bool:
        """Whether this node is carrying the call right now."""

    async def config_changed(self) -> None:
        """Numbers or SIP trunks changed: bring Asterisk's configuration up to date."""

    def health(self) -> dict[str, Any]:
        """Status of the telephony side for `/health`."""
