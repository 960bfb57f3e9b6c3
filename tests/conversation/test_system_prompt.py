"""What changes between calls comes last in the system prompt, so cached prompt heads serve every call."""

from __future__ import annotations

from datetime import datetime, timedelta

from voicedock.conversation.decide import system_prompt
from voicedock.conversation.tools import normalise_tools

TOOLS = normalise_tools([{"type": "function", "function": {
    "name": "book_appointment", "description": "Book an appointment",
    "parameters": {"type": "object", "properties": {"date": {"type": "string", "format": "date"}},
                   "required": ["date"]}}}])
NOW = datetime(2026, 12, 1, 10, 0)


def _shared_head(a: str, b: str) -> str:
    n = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    return a[:n]


def test_a_call_a_minute_later_differs_only_in_the_last_line() -> None:
    first = system_prompt("You are the clinic's receptionist.", TOOLS, NOW)
    later = system_prompt("You are the clinic's receptionist.", TOOLS, NOW + timedelta(minutes=7))
    head = _shared_head(first, later)
    assert "book_appointment" in head and "Tuesday = 2026-12-01 (today)" in head
    assert first[len(head):].count("\n") == 0 and first.endswith("Now it is Tuesday 2026-12-01, 10:00.")
    assert later.endswith("Now it is Tuesday 2026-12-01, 10:07.")


def test_a_call_on_another_day_still_shares_the_instructions_and_tools() -> None:
    first = system_prompt("You are the clinic's receptionist.", TOOLS, NOW)
    head = _shared_head(first, system_prompt("You are the clinic's receptionist.", TOOLS, NOW + timedelta(days=1)))
    assert "book_appointment" in head and "Never invent a value" in head
