"""Control commands as tests write them (plain JSON bodies), parsed the way the API parses them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from voicedock.conversation.base import Dtmf, SessionCommand
from voicedock.schemas.calls import ControlRequest


def command(body: Mapping[str, Any]) -> SessionCommand:
    """`{"type": "dtmf", "digit": "5"}` or any `POST /calls/{id}/control` body."""
    if body.get("type") == "dtmf":
        return Dtmf(str(body["digit"]))
    return ControlRequest.model_validate(dict(body)).root
