"""Resolve spoken relative dates and times ("next Monday", "half past four") against a known now.

Small local models get calendar arithmetic wrong, so tool arguments are resolved here, in code
that can be tested. Conventions, chosen for phone bookings:
- a bare weekday ("Monday") is the next one after today; "this Monday" includes today;
  "next Monday" is the Monday of next calendar week (weeks start on Monday);
- a time with no am/pm and an hour below `assume_pm_before` (8) is afternoon: "at 4" is 16:00;
- a month day that has passed this year ("June 3" in July) means next year.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
MONTHS = "january february march april may june july august september october november december".split()
_MONTH_RE = "|".join(m[:3] + (m[3:] and f"(?:{m[3:]})?") for m in MONTHS).replace("sep(?:tember)?", "sep(?:t|tember)?")
_UNITS = (
    "zero one two three four five six seven eight nine ten eleven twelve "
    "thirteen fourteen fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50}
_ORDINALS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "eleventh": 11,
    "twelfth": 12,
    "thirteenth": 13,
    "fourteenth": 14,
    "fifteenth": 15,
    "sixteenth": 16,
    "seventeenth": 17,
    "eighteenth": 18,
    "nineteenth": 19,
    "twentieth": 20,
    "thirtieth": 30,
}


@dataclass(frozen=True)
class Resolved:
    """The parts that were found; either may be missing, so the assistant knows what to ask."""

    date: date | None = None
    time: time | None = None

    def to_datetime(self, now: datetime) -> datetime | None:
        if self.date is None and self.time is None:
            return None
        day = self.date or now.date()
        return datetime.combine(day, self.time or time(0, 0), tzinfo=now.tzinfo)


def _number_words_to_digits(text: str) -> str:
    """ "forty-five" -> "45", "twenty first" -> "21st", "one" -> "1"; leaves everything else alone."""
    unit_re = "|".join(_UNITS[1:10])
    ord_re = "|".join(k for k in _ORDINALS if _ORDINALS[k] < 10)

    def tens_unit(m: re.Match[str]) -> str:
        value = _TENS[m.group(1)]
        if m.group(2):
            value += _UNITS.index(m.group(2))
        return str(value)

    def tens_ordinal(m: re.Match[str]) -> str:
        return f"{_TENS[m.group(1)] + _ORDINALS[m.group(2)]}th"

    text = re.sub(rf"\b({'|'.join(_TENS)})[\s-]({ord_re})\b", tens_ordinal, text)
    text = re.sub(rf"\b({'|'.join(_TENS)})(?:[\s-]({unit_re}))?\b", tens_unit, text)
    text = re.sub(rf"\b({'|'.join(_ORDINALS)})\b", lambda m: f"{_ORDINALS[m.group(1)]}th", text)
    text = re.sub(rf"\b({'|'.join(_UNITS)})\b", lambda m: str(_UNITS.index(m.group(1))), text)
    return re.sub(r"\b(?:in|within) an? (hour|minute|day|week)\b", r"in 1 \1", text)


def _normalise(text: str) -> str:
    text = re.sub(r"\s+", " ", text.lower()).replace("a.m.", "am").replace("p.m.", "pm").replace("o'clock", "oclock")
    return _number_words_to_digits(re.sub(r"[,!?]", " ", text))


def _weekday_date(qualifier: str | None, weekday: int, today: date) -> date:
    if qualifier == "next":
        monday_next_week = today + timedelta(days=7 - today.weekday())
        return monday_next_week + timedelta(days=weekday)
    ahead = (weekday - today.weekday()) % 7
    if ahead == 0 and qualifier != "this":
        ahead = 7
    return today + timedelta(days=ahead)


def _month_day(month: int, day: int, year: int | None, today: date) -> date | None:
    try:
        candidate = date(year or today.year, month, day)
        if year is None and candidate < today:
            candidate = date(today.year + 1, month, day)
    except ValueError:
        return None
    return candidate


def _month_index(name: str) -> int:
    return next(i for i, m in enumerate(MONTHS, 1) if m.startswith(name[:3]))


def _find_date(text: str, today: date) -> tuple[date | None, str]:
    """Return the date and the text with the matched words removed, so numbers in it are not read as times."""
    rules: list[tuple[str, Any]] = [
        (r"\b(\d{4})-(\d{2})-(\d{2})\b", lambda m: _safe_date(int(m[1]), int(m[2]), int(m[3]))),
        (r"\b(?:the )?day after tomorrow\b", lambda m: today + timedelta(days=2)),
        (r"\btomorrow\b", lambda m: today + timedelta(days=1)),
        (r"\b(?:today|tonight|this (?:morning|afternoon|evening))\b", lambda m: today),
        (r"\byesterday\b", lambda m: today - timedelta(days=1)),
        (r"\bin (\d+) (day|week)s?\b", lambda m: today + timedelta(days=int(m[1]) * (7 if m[2] == "week" else 1))),
        (r"\b(?:a|1) week from (?:today|now)\b", lambda m: today + timedelta(days=7)),
        (
            rf"\b(?:(this|next|coming) )?({'|'.join(WEEKDAYS)})\b",
            lambda m: _weekday_date(m[1], WEEKDAYS.index(m[2]), today),
        ),
        (
            rf"\b({_MONTH_RE}) (?:the )?(\d{{1,2}})(?:st|nd|rd|th)?(?: (\d{{4}}))?\b",
            lambda m: _month_day(_month_index(m[1]), int(m[2]), int(m[3]) if m[3] else None, today),
        ),
        (
            rf"\b(?:the )?(\d{{1,2}})(?:st|nd|rd|th)?(?: of)? ({_MONTH_RE})(?: (\d{{4}}))?\b",
            lambda m: _month_day(_month_index(m[2]), int(m[1]), int(m[3]) if m[3] else None, today),
        ),
        (r"\bthe (\d{1,2})(?:st|nd|rd|th)\b", lambda m: _day_of_month(int(m[1]), today)),
    ]
    for pattern, build in rules:
        match = re.search(pattern, text)
        if match:
            found = build(match)
            if found is not None:
                return found, re.sub(r"\s+", " ", text[: match.start()] + " " + text[match.end() :])
    return None, text


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _day_of_month(day: int, today: date) -> date | None:
    """ "The 5th": this month, or next month once it has passed."""
    year, month = today.year, today.month
    for _ in range(3):
        candidate = _safe_date(year, month, day)
        if candidate is not None and candidate >= today:
            return candidate
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return None


def _hour_24(hour: int, meridiem: str | None, daypart: str | None, assume_pm_before: int) -> int | None:
    if not 0 <= hour <= 23:
        return None
    if hour > 12 or hour == 0:
        return hour if meridiem != "am" else None
    is_pm = meridiem == "pm" or (meridiem is None and daypart in ("afternoon", "evening", "tonight", "night"))
    if meridiem is None and daypart is None:
        is_pm = hour < assume_pm_before or hour == 12
    if meridiem == "am" or (meridiem is None and daypart == "morning"):
        is_pm = False
    if hour == 12:
        return 12 if is_pm else 0
    return hour + 12 if is_pm else hour


def resolve_time(text: str, *, assume_pm_before: int = 8) -> time | None:
    """A clock time from speech, or None when nothing in the text is clearly a time."""
    return _find_time(_normalise(text), assume_pm_before)


def _daypart(text: str) -> str | None:
    match = re.search(r"\b(morning|afternoon|evening|tonight|night)\b", text)
    return match[1] if match else None


def _find_time(text: str, assume_pm_before: int, daypart: str | None = None) -> time | None:
    if re.search(r"\b(?:noon|midday)\b", text):
        return time(12, 0)
    if re.search(r"\bmidnight\b", text):
        return time(0, 0)
    daypart = daypart or _daypart(text)
    hm = r"(\d{1,2})(?:(?::|\.| )(\d{2}))?"
    mer = r"\s*(am|pm|oclock)?"
    relative = re.search(r"\b(half|quarter|\d{1,2})(?: minutes?)? (past|after|to|before) (\d{1,2})" + mer, text)
    if relative:
        minutes = {"half": 30, "quarter": 15}.get(relative[1]) or int(relative[1])
        hour = int(relative[3])
        meridiem = relative[4] if relative[4] != "oclock" else None
        base = _hour_24(hour, meridiem, daypart, assume_pm_before)
        if base is None or not 0 < minutes < 60:
            return None
        total = base * 60 + (minutes if relative[2] in ("past", "after") else -minutes)
        return time((total // 60) % 24, total % 60)
    patterns = (
        rf"\b{hm}{mer}\b(?<=am|pm|ck)",
        r"\b(\d{1,2}):(\d{2})\b()",
        rf"\b(?:at|by|around|from|before|after) {hm}\b()",
        rf"\b{hm}\b()(?= (?:in the |at |this )?(?:morning|afternoon|evening|night|tonight))",
    )
    for pattern in patterns:
        match = re.search(pattern, text)
        if match:
            hour, minute = int(match[1]), int(match[2] or 0)
            meridiem = match[3] if match[3] in ("am", "pm") else None
            if meridiem is None and ":" in match[0] and hour > 12:
                daypart = None
            hour24 = _hour_24(hour, meridiem, daypart, assume_pm_before)
            if hour24 is not None and 0 <= minute < 60:
                return time(hour24, minute)
    return None


def resolve(text: str, now: datetime, *, assume_pm_before: int = 8) -> Resolved:
    """Date and time mentioned in `text`, relative to `now` (its timezone is kept)."""
    normal = _normalise(text)
    relative = re.search(r"\bin (\d+) (hour|minute)s?\b", normal)
    if relative:
        delta = timedelta(**{relative[2] + "s": int(relative[1])})
        moment = now + delta
        return Resolved(moment.date(), moment.time().replace(second=0, microsecond=0, tzinfo=None))
    found_date, rest = _find_date(normal, now.date())
    return Resolved(found_date, _find_time(rest, assume_pm_before, _daypart(normal)))


def resolve_date(text: str, now: datetime) -> date | None:
    return resolve(text, now).date


def resolve_arguments(arguments: Mapping[str, Any], schema: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """Rewrite string arguments whose schema says `format: date|time|date-time` into ISO form.

    Values that already parse as ISO are kept; unresolvable ones are left for the caller to query.
    """
    props = schema.get("properties", {})
    out = dict(arguments)
    for key, value in arguments.items():
        fmt = props.get(key, {}).get("format")
        if not isinstance(value, str) or fmt not in ("date", "time", "date-time"):
            continue
        if _is_iso(value, fmt):
            continue
        found = resolve(value, now)
        if fmt == "date" and found.date:
            out[key] = found.date.isoformat()
        elif fmt == "time" and found.time:
            out[key] = found.time.strftime("%H:%M")
        elif fmt == "date-time" and (found.date or found.time):
            moment = found.to_datetime(now)
            out[key] = moment.isoformat() if moment else value
    return out


def _is_iso(value: str, fmt: str) -> bool:
    try:
        {"date": date.fromisoformat, "time": time.fromisoformat, "date-time": datetime.fromisoformat}[fmt](value)
    except ValueError:
        return False
    return True
