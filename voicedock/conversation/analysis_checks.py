"""Post-call analysis that reports only what happened: summaries and structured data checked
against the call's own words and its tool calls.

On held-out calls a small model's summary said a patient was "available for a dental cleaning at
22:59 on Monday" when nothing of the sort was said or done. A summary is rejected when it names a
time, date, weekday or number the call never mentioned, or claims an action (booked, cancelled,
created) that no successful tool call performed; a structured-data value the call did not
establish is taken out (null where the schema allows it).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from .digits import spoken_digits

_WEEKDAYS = "monday tuesday wednesday thursday friday saturday sunday".split()
_MONTHS = "january february march april may june july august september october november december".split()
_ACTIONS = {
    "book": ("booked", "scheduled", "reserved", "made an appointment", "made a reservation", "confirmed"),
    "cancel": ("cancelled", "canceled"),
    "create": ("created", "opened a ticket", "logged", "raised a ticket", "filed"),
    "reschedule": ("rescheduled", "moved the delivery", "changed the delivery"),
    # that a time or a person is free, which only a look-up that ran can say
    "check": ("is available", "are available", "was available", "were available", "is free", "was free"),
}
_VERB_OF_TOOL = {"book": "book", "reserve": "book", "schedule": "book", "cancel": "cancel", "create": "create",
                 "open": "create", "reschedule": "reschedule", "change": "reschedule", "update": "reschedule",
                 "check": "check", "find": "check", "search": "check", "get": "check", "list": "check"}


def actions_done(tool_calls: Sequence[Mapping[str, Any]]) -> list[str]:
    """Plain lines for the tools that ran successfully: what the call really did."""
    lines = []
    for call in tool_calls:
        if call.get("status") == "ok" and call.get("name") not in ("end_call",):
            args = ", ".join(f"{k}={v}" for k, v in (call.get("arguments") or {}).items())
            lines.append(f"{call.get('name')}({args}) -> {call.get('result')}")
    return lines


def _done_verbs(tool_calls: Sequence[Mapping[str, Any]]) -> set[str]:
    verbs = set()
    for call in tool_calls:
        if call.get("status") == "ok":
            first = re.split(r"[\W_]+", str(call.get("name") or "").lower())[0]
            if first in _VERB_OF_TOOL:
                verbs.add(_VERB_OF_TOOL[first])
    return verbs


def summary_problems(summary: str, transcript: str, tool_calls: Sequence[Mapping[str, Any]]) -> list[str]:
    """What the summary states that the call does not hold; empty when it is grounded."""
    known = (transcript + " " + " ".join(actions_done(tool_calls))).lower()
    known_digits = spoken_digits(known) + " " + " ".join(re.findall(r"\d+", known))
    problems = []
    text = summary.lower()
    if _DUMP.search(summary):
        problems.append("transcript, not a summary")
    sentences = [" ".join(re.findall(r"[a-z0-9']+", part)) for part in re.split(r"[.!;]\s+", text)]
    if any(sentences.count(said) > 1 for said in sentences if len(said.split()) >= 4):
        problems.append("repeats itself")
    for number in re.findall(r"\d+(?::\d+)?", text):
        plain = number.replace(":", "")
        if number not in known and plain not in known_digits and plain.lstrip("0") not in known_digits:
            problems.append(f"number {number}")
    for word in _WEEKDAYS + _MONTHS:
        if re.search(rf"\b{word}\b", text) and word not in known and not _resolves_to(word, known):
            problems.append(word)
    done = _done_verbs(tool_calls)
    for verb, claims in _ACTIONS.items():
        if verb not in done and any(re.search(rf"\b{c}\b", text) for c in claims):
            if not re.search(r"\b(?:not|no|wasn'?t|never|didn'?t|could ?n[o']?t|without)\b[^.]{0,40}"
                             + "(?:" + "|".join(claims) + ")", text):
                problems.append(f"claims {verb}")
    return problems


_DUMP = re.compile(r"(?:^|\s)(?:Caller|Assistant|User|Agent|Keypad):\s|\?(?:\s|$)")
"""The call copied out rather than summed up: its speakers' labels, or a question someone asked
("Hello, Bright Smile Dental, this is Sam. How can I help you? Caller: ...", from a 0.5B model)."""


def _resolves_to(word: str, known: str) -> bool:
    """A weekday the call gave as an ISO date (tool arguments) also counts as mentioned."""
    return bool(re.search(r"\d{4}-\d{2}-\d{2}", known)) and word in _WEEKDAYS


def ground_structured(data: Any, schema: Mapping[str, Any], transcript: str,
                      tool_calls: Sequence[Mapping[str, Any]]) -> Any:
    """Take out string and number values the call never mentioned (null where allowed, else dropped
    when optional); booleans and enums are judgements and stay."""
    if not isinstance(data, dict):
        return data
    known = (transcript + " " + " ".join(actions_done(tool_calls))).lower()
    props = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    out = dict(data)
    for key, value in data.items():
        found = props.get(key)
        prop: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
        if isinstance(value, bool) or value is None or "enum" in prop:
            continue
        if isinstance(value, dict):
            out[key] = ground_structured(value, prop, transcript, tool_calls)
            continue
        if isinstance(value, (str, int, float)) and not _mentioned(value, known):
            types = prop.get("type")
            nullable = types == "null" or (isinstance(types, list) and "null" in types)
            if nullable:
                out[key] = None
            elif key not in required:
                del out[key]
    return out


def _mentioned(value: str | int | float, known: str) -> bool:
    text = str(value).strip().lower()
    if not text:
        return True
    if text in known:
        return True
    digits = re.sub(r"\D", "", text)
    if digits and len(digits) >= len(text.replace(" ", "")) - 2:
        return digits in spoken_digits(known) or digits in re.sub(r"\D", "", known)
    words = [w for w in re.findall(r"[a-z0-9']+", text) if len(w) > 2]
    return bool(words) and sum(w in known for w in words) / len(words) >= 0.75
