"""A tool's result said to the caller in code, from the result and the values the tool ran with.

Asked to answer from a result, the cpu profile's 0.5B model said, through real calls: "I can bring
my dog in at nine for his nails." (the caller's words, as its own), "I have booked your table for
2 at 8 on Thursday, 11:00." (a time nobody gave), "I'm sorry, but I can't assist with that." after
a booking went through, and the greeting again; and its first word came 2-4 s after the result
on two cores. A result is data the tool gave back, and what the tool did is known in code, so the
caller hears both at once and in words that carry nothing else: "That's booked: Saturday, March
28th at 3 PM, under Jonah Whitfield. Your confirmation is MG-4877." Saying the date, time
and name back is also how a caller hears that one of them was misheard.

A result this module cannot say (nothing but nested data, say) leaves the answer to the model.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, time
from typing import Any

from voicedock.engines.spoken import say_date, say_time

from .names import OTHERS_NAME_KEYS
from .party import PARTY_KEYS

FREE_KEYS = ("available", "free", "open")  # a look-up's answer: is there room
_ALTERNATIVES = re.compile(r"slots?|times?|alternatives?|options?|free|openings?|available_times", re.I)
_IDENTIFIER = re.compile(r"confirmation|reference|ref|number|code|ticket|booking_id|_id$|^id$", re.I)
_REASON = re.compile(r"reason|message|error|detail|why", re.I)
_SAY = ("message", "say", "speech", "text", "response")  # a sentence the tool's server wrote for the caller
_DONE = ("success", "ok", "done")  # a flag that says only that it worked
MAX_WORDS = 60  # a string result longer than this is no sentence for the caller


def result_words(parameters: Mapping[str, Any], args: Mapping[str, Any], result: Any) -> str:
    """What the caller hears of `result` ("" when it is not something to say in code)."""
    if isinstance(result, str):
        text = result.strip()
        return text if text and len(text.split()) <= MAX_WORDS else ""
    if not isinstance(result, Mapping) or not result:
        return ""
    props = parameters.get("properties") or {}
    flags = {k: v for k, v in result.items() if isinstance(v, bool)}
    free = next((k for k in FREE_KEYS if isinstance(result.get(k), bool)), None)
    said: list[str] = []
    used: set[str] = set()
    if free is not None:
        said.append(_free_words(bool(result[free]), props, args, result, used))
        used.add(free)
    for key, value in flags.items():
        if key in used:
            continue
        used.add(key)
        said.append(_done_words(key, value, props, args, result, used))
    for key, value in result.items():
        if key in used or value in (None, "", [], {}):
            continue
        if isinstance(value, Mapping) or (isinstance(value, list) and any(isinstance(v, Mapping | list) for v in value)):
            return ""  # nested data: the model says it
        if key.lower() in _SAY and isinstance(value, str):
            said.append(value.strip() if value.strip().endswith((".", "!", "?")) else f"{value.strip()}.")
        elif _IDENTIFIER.search(key) and isinstance(value, str | int):
            said.append(f"Your {_words(key)} is {value}.")
        else:
            said.append(f"{_words(key).capitalize()}: {_value(value)}.")
    return " ".join(s for s in said if s)


def _free_words(free: bool, props: Mapping[str, Any], args: Mapping[str, Any], result: Mapping[str, Any],
                used: set[str]) -> str:
    """ "Yes, Saturday, March 28th at 3 PM is free." / "Sorry, Saturday, March 7th at 8 PM isn't free.
    We could do 5:30 PM or 9:30 PM instead." The times the result lists are its own; the day and time asked are the tool's values."""
    day, at = _day(props, args), _time(props, args)
    listed = next(((k, v) for k, v in result.items() if isinstance(v, list) and v and _ALTERNATIVES.search(k)
                   and all(isinstance(x, str | int | float) for x in v)), None)
    if listed:
        used.add(listed[0])
    others = [_value(v) for v in listed[1]] if listed else []
    others = [v for v in others if v != at]  # the time asked is not one more choice
    times = _listing(others)
    asked = " at ".join(x for x in (day, at) if x)
    if free:
        if at or not times:
            head = f"Yes, {asked} is free." if asked else "Yes, that's free."
            return head + (f" We also have {times}." if times and at else "")
        return f"On {day} we have {times} free." if day else f"We have {times} free."
    head = f"Sorry, {asked} isn't free." if asked else "Sorry, that isn't free."
    return head + (f" We could do {_listing(others, 'or')} instead." if others else "")


def _done_words(key: str, done: bool, props: Mapping[str, Any], args: Mapping[str, Any],
                result: Mapping[str, Any], used: set[str]) -> str:
    """ "That's reserved: 4 people, Saturday, March 7th at 7:30 PM, under Garcia." or "I'm sorry,
    that couldn't be changed: out for delivery." """
    word = _words(key)
    if not done:
        reason = next((k for k, v in result.items() if _REASON.search(k) and k.lower() not in _SAY
                       and isinstance(v, str) and v), None)
        if reason:
            used.add(reason)
        tail = f": {result[reason]}" if reason else ""
        if key.lower() in _DONE:
            return f"I'm sorry, that didn't go through{tail}."
        return f"I'm sorry, that couldn't be {word}{tail}." if word.endswith("ed") else f"{word.capitalize()}: no{tail}."
    if key.lower() in _DONE:
        return "Done."
    if not word.endswith("ed"):
        return f"{word.capitalize()}: yes."
    day = _day_of(result, used)  # the result's own date of what was done, else the one asked for
    day = _day(props, args) or day
    at = _time(props, args)
    party = next((str(v) for k, v in args.items() if PARTY_KEYS.search(k) and isinstance(v, int)), "")
    name = next((str(v) for k, v in args.items() if "name" in k.lower() and not OTHERS_NAME_KEYS.search(k)
                 and isinstance(v, str) and v.strip()), "")
    details = [f"{party} people" if party else "", " at ".join(x for x in (day, at) if x)]
    told = ", ".join(d for d in details if d)
    if not told:
        return f"Done, that's {word}" + (f", under {name}." if name else ".")
    return f"That's {word}: {told}" + (f", under {name}." if name else ".")


def _day(props: Mapping[str, Any], args: Mapping[str, Any]) -> str:
    return next((say_date(v) for k, v in args.items()
                 if (props.get(k) or {}).get("format") == "date" and _is_date(v)), "")


def _day_of(result: Mapping[str, Any], used: set[str]) -> str:
    """A date the result gives for what was done ({"rescheduled": true, "date": "2026-10-21"})."""
    for key, value in result.items():
        if key not in used and key.lower() in ("date", "day", "new_date") and _is_date(value):
            used.add(key)
            return say_date(value)
    return ""


def _time(props: Mapping[str, Any], args: Mapping[str, Any]) -> str:
    for key, value in args.items():
        if (props.get(key) or {}).get("format") == "time" and isinstance(value, str):
            try:
                return say_time(time.fromisoformat(value))
            except ValueError:
                continue
    return ""


def _is_date(value: Any) -> bool:
    try:
        date.fromisoformat(value)
    except (TypeError, ValueError):
        return False
    return True


def _value(value: Any) -> str:
    if isinstance(value, list):
        return _listing([_value(v) for v in value])
    if isinstance(value, str) and _is_date(value):
        return say_date(value)
    if isinstance(value, str):
        try:
            return say_time(time.fromisoformat(value)) if re.fullmatch(r"\d{1,2}:\d{2}", value) else value
        except ValueError:
            return value
    return str(value)


def _listing(items: Sequence[str], last: str = "and") -> str:
    items = [i for i in items if i]
    return f" {last} ".join(items) if len(items) < 3 else ", ".join(items[:-1]) + f" {last} " + items[-1]


def _words(key: str) -> str:
    """A key as words: "ticket_number" -> "ticket number", "deliveryAttempted" -> "delivery attempted"."""
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", key).replace("_", " ").replace("-", " ").strip().lower()
