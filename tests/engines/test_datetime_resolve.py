from datetime import UTC, date, datetime, time

import pytest

from voicedock.engines.datetime_resolve import resolve, resolve_arguments, resolve_time

NOW = datetime(2025, 6, 2, 10, 0, tzinfo=UTC)  # a Monday


@pytest.mark.parametrize(
    ("text", "expected_date", "expected_time"),
    [
        ("tomorrow at 3 pm", date(2025, 6, 3), time(15, 0)),
        ("the day after tomorrow at 10 a.m.", date(2025, 6, 4), time(10, 0)),
        ("Monday", date(2025, 6, 9), None),
        ("this Monday", date(2025, 6, 2), None),
        ("next Monday", date(2025, 6, 9), None),
        ("on Thursday", date(2025, 6, 5), None),
        ("next Thursday at half past four", date(2025, 6, 12), time(16, 30)),
        ("friday at noon", date(2025, 6, 6), time(12, 0)),
        ("June 3rd at 9", date(2025, 6, 3), time(9, 0)),
        ("the third of July", date(2025, 7, 3), None),
        ("June 1", date(2026, 6, 1), None),
        ("the 5th", date(2025, 6, 5), None),
        ("the 1st", date(2025, 7, 1), None),
        ("in two weeks", date(2025, 6, 16), None),
        ("2025-07-01 at 14:30", date(2025, 7, 1), time(14, 30)),
        ("tonight at 8", date(2025, 6, 2), time(20, 0)),
        ("seven tomorrow morning", date(2025, 6, 3), time(7, 0)),
        ("in an hour", date(2025, 6, 2), time(11, 0)),
        ("I have 3 kids", None, None),
    ],
)
def test_resolves_spoken_dates_and_times(text, expected_date, expected_time):
    resolved = resolve(text, NOW)
    assert (resolved.date, resolved.time) == (expected_date, expected_time)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("half past four", time(16, 30)),
        ("quarter to five", time(16, 45)),
        ("quarter past nine in the morning", time(9, 15)),
        ("twenty past seven pm", time(19, 20)),
        ("four thirty in the afternoon", time(16, 30)),
        ("3pm", time(15, 0)),
        ("12 am", time(0, 0)),
        ("at 9", time(9, 0)),
        ("at 4", time(16, 0)),
        ("11 o'clock", time(11, 0)),
        ("midnight", time(0, 0)),
        ("we have 2 dogs", None),
    ],
)
def test_resolves_clock_times(text, expected):
    assert resolve_time(text) == expected


def test_tool_arguments_with_date_formats_are_made_iso():
    schema = {
        "properties": {
            "day": {"type": "string", "format": "date"},
            "at": {"type": "string", "format": "time"},
            "when": {"type": "string", "format": "date-time"},
            "name": {"type": "string"},
        }
    }
    args = {"day": "next Monday", "at": "half past four", "when": "tomorrow at 9 am", "name": "tomorrow"}
    assert resolve_arguments(args, schema, NOW) == {
        "day": "2025-06-09",
        "at": "16:30",
        "when": "2025-06-03T09:00:00+00:00",
        "name": "tomorrow",
    }


def test_iso_and_unresolvable_arguments_are_left_alone():
    schema = {"properties": {"day": {"type": "string", "format": "date"}}}
    assert resolve_arguments({"day": "2025-01-02"}, schema, NOW) == {"day": "2025-01-02"}
    assert resolve_arguments({"day": "whenever"}, schema, NOW) == {"day": "whenever"}
