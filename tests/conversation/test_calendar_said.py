"""What day it is, asked of the call's own clock."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.conversation.test_slot_filling import converse
from voicedock.conversation.calendar_said import calendar_answer

NOW = datetime(2026, 12, 2, 10, 15)  # a Wednesday


@pytest.mark.parametrize(("question", "answer"), [
    ("Hi, what's today's date?", "Today is Wednesday, December 2nd."),
    ("What day is it today?", "Today is Wednesday, December 2nd."),
    ("And what date is this Friday?", "This Friday is Friday, December 4th."),
    ("What day is the 12th?", "The 12th is Saturday, December 12th."),
    ("What time is it?", "It's 10:15 AM."),
    ("What day is good for you?", None), ("What is the date of my appointment?", None),
    ("Is Friday at 10 open?", None),
])
def test_the_date_of_a_day_named_is_said_from_the_calls_clock(question: str, answer: str | None) -> None:
    assert calendar_answer(question, NOW) == answer


def test_asking_the_date_or_for_a_moment_mid_booking_keeps_the_booking_waiting() -> None:
    result, runner = converse(["Book me in for Friday please", "Sorry, what date is Friday?", "Hmm, let me think.",
                               "Nine.", "Ana Lopez", "555 0134"], [{"intent": "book appointment"}] + [{}] * 6)
    assert result.recorder.messages("assistant")[:4] == [
        "At what time?", "Friday is Friday, June 6th.", "Sure, take your time.", "May I have your name, please?"]
    assert runner.calls == [("book_appointment", {"date": "2025-06-06", "time": "09:00", "name": "Ana Lopez",
                                                  "phone": "5550134"})]
