"""A telephony double that records what the API asked of it."""

from __future__ import annotations

from typing import Any

from voicedock.schemas.calls import CallCreate
from voicedock.store import Database
from voicedock.store import calls as store_calls
from voicedock.telephony import ControlCommand


class FakeTelephony:
    sip_port = 5070  # not the default, so a page that shows it is seen to read it

    def __init__(self, db: Database) -> None:
        self.db = db
        self.commands: list[tuple[str, dict[str, Any]]] = []
        self.outbound: list[dict[str, Any]] = []
        self.config_changes = 0

    async def start_outbound(self, request: CallCreate) -> str:
        self.outbound.append(request.model_dump(by_alias=True))
        call = await self.db.write(lambda d: store_calls.create_call(
            d, type="outbound_phone_call", status="queued", assistant_id=request.assistant_id,
            caller_phone=request.customer.number))
        return call["id"]

    async def control(self, call_id: str, command: ControlCommand) -> str:
        self.commands.append((call_id, command.model_dump(by_alias=True)))
        return f"{command.type} accepted"

    def is_live(self, call_id: str) -> bool:
        return True

    async def config_changed(self) -> None:
        self.config_changes += 1

    def health(self) -> dict[str, Any]:
        return {"status": "ok", "trunks": {}}
