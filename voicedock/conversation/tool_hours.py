"""The business's opening hours applied to a tool's values: what a time said without am/pm means
there, and whether a day or a time is one the business is open at.

Pure: the instructions, the tool and its values in; values or words to say out. A look-up or a
booking on a day or at a time nobody is there would be acted on for nothing, or booked for a
visit that cannot happen.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date, time
from typing import Any

from voicedock.engines.datetime_words import WEEKDAYS

from .cues import books, reads_only
from .hours import opening_week, outside_hours, within_opening_hours
from .said import Grounded
from .tools import ToolSpec


def _first(spec: ToolSpec, values: Mapping[str, Grounded], fmt: str) -> tuple[str, Any] | None:
    props = spec.parameters.get("properties") or {}
    return next(((k, v.value) for k, v in values.items() if (props.get(k) or {}).get("format") == fmt), None)


def in_opening_hours(prompt: str, today: date, spec: ToolSpec, values: dict[str, Grounded]) -> dict[str, Grounded]:
    """A time said without am/pm is read in the half of the day the business is open on that day
    (hours.py): "a quarter to nine" at a restaurant is 20:45."""
    props = spec.parameters.get("properties") or {}
    week = opening_week(prompt)
    day = _first(spec, values, "date")
    on = date.fromisoformat(day[1]) if day and isinstance(day[1], str) else today
    out = dict(values)
    for key, found in values.items():
        if (props.get(key) or {}).get("format") != "time" or found.source != "resolver" or not week:
            continue
        said = time.fromisoformat(found.value)
        fitted = within_opening_hours(said, on, week, found.said or "")
        if fitted != said:
            out[key] = replace(found, value=fitted.strftime("%H:%M"))
    return out


def closed_on(prompt: str, spec: ToolSpec, values: Mapping[str, Grounded]) -> str | None:
    """What to say instead of looking for or booking a time on a day the instructions say the
    business is closed ("Do you have a table for four tomorrow night?" the day before its closed
    Tuesday); None where the day is open or its hours are not stated."""
    if not (reads_only(spec) or books(spec)):
        return None
    day = _first(spec, values, "date")
    try:
        weekday = date.fromisoformat(day[1]).weekday() if day and isinstance(day[1], str) else None
    except ValueError:  # not a day: validation answers it
        weekday = None
    if weekday is None or opening_week(prompt).get(weekday, None) != ():
        return None
    return f"I'm sorry, we're closed on {WEEKDAYS[weekday].capitalize()}."


def not_open_at(prompt: str, spec: ToolSpec, values: Mapping[str, Grounded]) -> tuple[str, str] | None:
    """The time key and what to say where the time asked for is outside the hours the instructions
    give for that day ("Saturday at 2" of a Saturday open 9 am to 12 pm): the caller hears the
    day's hours and is asked for another time, rather than booked when nobody is there."""
    if not (reads_only(spec) or books(spec)):
        return None
    day, at = _first(spec, values, "date"), _first(spec, values, "time")
    if day is None or at is None or not isinstance(day[1], str) or not isinstance(at[1], str):
        return None
    try:
        hours = outside_hours(time.fromisoformat(at[1]), date.fromisoformat(day[1]), opening_week(prompt))
    except ValueError:  # not a day or a time: validation answers it
        return None
    return (at[0], f"I'm sorry, that's outside our hours. {hours} What time would suit you?") if hours else None
