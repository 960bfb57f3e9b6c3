"""Times and dates as a caller should hear them.

A voice reads what it is given, and espeak-ng (which phonemizes for Piper) reads "17:00" as
"seventeen zero zero" and "2026-03-07" as "two thousand twenty-six dash zero three dash zero
seven". The call writes both that way on purpose: tool arguments and results are `YYYY-MM-DD` and
`HH:MM`, instructions often give hours on a 24-hour clock, and a small model copies them into its
reply. The transcript keeps what was written; only the text handed to the voice changes, to
"5 PM" and "Saturday, March 7th", and a reference ("MG-4877") is spelled out.
"""

from __future__ import annotations

import re
from datetime import date, time

_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b(?![-:\d])")
# a clock time not already followed by its half of the day ("7:30 pm", "8 o'clock")
_CLOCK = re.compile(r"(?<![\d:.,$])([01]?\d|2[0-3]):([0-5]\d)(?![\d:])(?!\s*(?:[ap]\.?\s?m\b|o'clock))", re.I)
# a dash between two times is "to": "5 PM-10 PM" is otherwise read as "5 PM, 10 PM"
_DASH = re.compile(r"(?:(?<=[AP]M)|(?<=noon)|(?<=night))\s*[-–]\s*(?=\d{1,2}(?::\d\d)? [AP]M|noon|midnight)")
# a reference read character by character: "MG-4877", "INC41290", "SD77229041" (espeak-ng says
# "seventy-seven million two hundred ..."); letters before it, if any, are said one by one too
_CODE = re.compile(r"\b(?:([A-Z]{1,5})[- ]?(\d{3,})|(\d{6,}))\b(?![.,]\d|-\d)")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


def spoken_forms(text: str) -> str:
    """`text` with ISO dates said as a weekday and a day of a month, references spelled out
    ("M G 4 8 7 7"), and clock times said as a
    caller says them. A time is read as on a 24-hour clock when it or another in the same piece
    shows it ("09:00", "17:00": "9 AM", "5 PM"); otherwise only a full hour changes ("8:00" is
    "8 o'clock"), as "9:15" already reads as "nine fifteen"."""
    text = _CODE.sub(_code, _ISO_DATE.sub(_date, text))
    clocks = list(_CLOCK.finditer(text))
    if not clocks:
        return text
    twenty_four = any(int(m.group(1)) >= 13 or m.group(1) == "00" or len(m.group(1)) == 2 and m.group(1)[0] == "0"
                      for m in clocks)
    text = _CLOCK.sub(lambda m: _clock(int(m.group(1)), int(m.group(2)), twenty_four), text)
    return _DASH.sub(" to ", text) if twenty_four else text


def _code(found: re.Match[str]) -> str:
    letters, digits = found.group(1) or "", found.group(2) or found.group(3)
    return " ".join([*letters, *digits])


def say_date(day: date | str) -> str:
    """"2026-03-07" -> "Saturday, March 7th"."""
    day = date.fromisoformat(day) if isinstance(day, str) else day
    return f"{day.strftime('%A')}, {_MONTHS[day.month - 1]} {_ordinal(day.day)}"


def say_time(at: time) -> str:
    """A time of day as said: 15:00 -> "3 PM", 11:30 -> "11:30 AM", 12:00 -> "noon"."""
    return _clock(at.hour, at.minute, twenty_four=True)


def _date(found: re.Match[str]) -> str:
    try:
        day = date(int(found.group(1)), int(found.group(2)), int(found.group(3)))
    except ValueError:
        return found.group(0)  # not a date ("2026-02-30"): left as written
    return say_date(day)


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _clock(hour: int, minute: int, twenty_four: bool) -> str:
    if not twenty_four:
        return f"{hour} o'clock" if minute == 0 and hour else f"{hour}:{minute:02d}"
    if minute == 0 and hour in (0, 12):
        return "midnight" if hour == 0 else "noon"
    half = "AM" if hour < 12 else "PM"
    hour = hour % 12 or 12
    return f"{hour} {half}" if minute == 0 else f"{hour}:{minute:02d} {half}"
