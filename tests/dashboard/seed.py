"""Calls as a finished conversation leaves them, written through the store (no telephony needed)."""

from __future__ import annotations

import math
import struct
import wave
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from voicedock.ids import new_id
from voicedock.schemas.assistants import AssistantCreate, stored_document
from voicedock.store import Database
from voicedock.store import calls as store_calls
from voicedock.store.documents import ASSISTANTS
from voicedock.timeutil import iso
from voicedock.webhooks.outbox import enqueue

START = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
HOOK = "http://127.0.0.1:9/hooks/calls"


def _messages(start: datetime) -> list[dict[str, Any]]:
    said = [("assistant", "Hello, this is Acme support. How can I help?", {}),
            ("user", "I'd like to book a table for two tomorrow at seven.", {}),
            ("assistant", "Booked: a table for two tomorrow at 7 pm. Anything else?", {}),
            ("user", "No, that's", {}),
            ("assistant", "Great, have a lovely", {"interrupted": True}),
            ("user", "Thank you, bye.", {})]
    return [{"role": role, "content": text, "time": iso(start + timedelta(seconds=4 * i)), **extra}
            for i, (role, text, extra) in enumerate(said)]


TOOL_CALL = {"id": "tc_1", "name": "book_table", "arguments": {"party_size": 2, "time": "19:00"},
             "status": "ok", "result": "confirmed #A17", "seconds": 0.42, "turn": 1}
LATENCY = [{"endpointing_ms": 310.0, "stt_ms": 180.0, "llm_ttft_ms": 420.0, "tts_ttfb_ms": 95.0, "total_ms": 1005.0},
           {"endpointing_ms": 290.0, "stt_ms": 150.0, "llm_ttft_ms": 380.0, "tts_ttfb_ms": 90.0, "total_ms": 910.0},
           {"endpointing_ms": 300.0, "stt_ms": 160.0, "llm_ttft_ms": 0.0, "tts_ttfb_ms": 0.0, "total_ms": 460.0,
            "waited_ms": 460.0, "abandoned": "hangup"}]
ANALYSIS = {"summary": "The caller booked a table for two for tomorrow at 7 pm.",
            "structured_data": {"party_size": 2, "booked": True}, "success_evaluation": True}


def write_wav(path: Path, seconds: float = 2.0, rate: int = 8000) -> None:
    """A 440 Hz tone: a real WAV a browser can decode, `seconds` long."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate)))
                      for i in range(int(seconds * rate)))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)


def seed_assistant(db: Database, name: str = "Booking line") -> str:
    ident = new_id("assistant")
    doc = stored_document(AssistantCreate.model_validate(
        {"name": name, "system_prompt": "You take table bookings.", "webhook_url": HOOK,
         "webhook_events": ["end-of-call-report"]}))
    db.write_sync(lambda d: ASSISTANTS.insert(d, ident, doc))
    return ident


def seed_full_call(db: Database, data_dir: Path, assistant_id: str, start: datetime = START) -> str:
    """An ended inbound call with transcript, a tool call, latency, analysis, a recording, a failed
    webhook delivery and its usage row."""
    call_id = new_id("call")
    recording = data_dir / "recordings" / f"{call_id}.wav"
    write_wav(recording)

    def write(d: Any) -> None:
        store_calls.create_call(
            d, id=call_id, type="inbound_phone_call", status="ended", ended_reason="customer-ended-call",
            assistant_id=assistant_id, caller_phone="+15550111", agent_phone="+15550100",
            started_at=iso(start), ended_at=iso(start + timedelta(seconds=24)), duration_seconds=24.0, cost=0.04,
            created_at=iso(start), messages=_messages(start), tool_calls=[TOOL_CALL], latency=LATENCY,
            analysis=ANALYSIS, summary=ANALYSIS["summary"], recording_url=f"/api/v1/calls/{call_id}/recording")
        ids = enqueue(d, event_type="end-of-call-report", assistant_config={"webhook_url": HOOK,
                      "webhook_events": ["end-of-call-report"]}, assistant_id=assistant_id, call_id=call_id,
                      payload={"message": {"type": "end-of-call-report"}})
        d.execute("UPDATE webhook_events SET status = 'failed', attempts = 5 WHERE id = ?", [ids[0]])
        store_calls.record_usage(d, call_id, None, 24.0, 0.04)

    db.write_sync(write)
    return call_id


def seed_calls(db: Database, count: int, assistant_id: str | None = None, status: str = "ended",
               start: datetime = START) -> list[str]:
    """`count` plain calls, one a minute before `start` going back, in one transaction."""
    ids = [new_id("call") for _ in range(count)]

    def write(d: Any) -> None:
        for i, ident in enumerate(ids):
            when = iso(start - timedelta(minutes=i + 1))
            store_calls.create_call(
                d, id=ident, type="outbound_phone_call", status=status, ended_reason="assistant-ended-call",
                assistant_id=assistant_id, caller_phone="+15550199", agent_phone="+15550100", started_at=when,
                duration_seconds=61.0, cost=0.1, created_at=when, messages=_messages(START), latency=LATENCY)

    db.write_sync(write)
    return ids


def seed_live_call(db: Database, assistant_id: str | None = None) -> str:
    """A call in progress, one exchange in."""
    call_id = new_id("call")
    now = datetime.now(UTC) - timedelta(seconds=8)  # the two lines were said 8 and 4 s ago
    db.write_sync(lambda d: store_calls.create_call(
        d, id=call_id, type="inbound_phone_call", status="in-progress", assistant_id=assistant_id,
        caller_phone="+15550123", agent_phone="+15550100", started_at=iso(now), created_at=iso(now),
        messages=_messages(now)[:2]))
    return call_id


def say_in_call(db: Database, call_id: str, role: str, text: str) -> None:
    """A new transcript line, as the call side appends one."""
    def write(d: Any) -> None:
        call = store_calls.get_call(d, call_id)
        line = {"role": role, "content": text, "time": iso(datetime.now(UTC))}
        store_calls.update_call(d, call_id, messages=[*call["messages"], line])

    db.write_sync(write)
