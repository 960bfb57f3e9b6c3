"""Resolve spoken dates and times ("next Monday", "half past four") against a known now.

Why here: small local models get calendar arithmetic wrong, so a tool's date and time arguments
are read from the caller's words by this code, which is tested for every weekday as today,
instead of being trusted from the model. Text comes from speech recognition ("Friday?", "one
thirty p m", "uh, at three"); `datetime_words.normalise` first makes one canonical form of it.

Conventions, chosen for phone bookings (weeks start on Monday; `now` is timezone-aware and its own
calendar day is "today"):
- a bare weekday ("Friday") is the next one after today, never today itself: on a Friday,
  "Friday" is 7 days ahead (callers say "today" for today); "this Friday" is the one in the
  current week when today or still ahead, else next week's; "next Friday", "Friday next week"
  and "next week Friday" are the one in the following calendar week (on a Monday, "next Monday"
  is 7 days ahead); "Friday this week" is this week's even when past; "Friday after next" is a
  week after the bare one; "last Friday" is the past one; "in two weeks on Tuesday" and "Tuesday
  in two weeks" are the Tuesday of the week two weeks from today falls in; "this morning" after
  noon and "this afternoon" from 17:00 name no day (a time already past is no day to act on);
- "next week", "this weekend", "next month" name no single day and give no date;
- "the 3rd" is this month's when today or still ahead, else next month's; a month and day
  without a year ("March 3", "the third of March") is the next one from today on; a weekday
  said with a day ("Monday the 9th") must agree with it, else no date is given, so the
  assistant asks;
- a number is a time only with a cue (am/pm, o'clock, a colon, "half past", a part of the day,
  or "at"/"around"/... before it): "a table for four" and "room 12" are not times;
- an hour with no am/pm and no part of the day is afternoon below `assume_pm_before` (8):
  "at 4" is 16:00, "at 9" 09:00, "at 12" noon; "quarter to five" is 16:45 (the rule looks at
  the hour said, so "quarter to eight" is 07:45); a zero-padded "07:30" is a 24-hour clock;
- when a caller says two dates or two times, the last one counts ("at 3, no, at 4", "not today,
  Friday"); "from 3 to 5" is 15:00 ("to"/"until" end a range and are not times);
- "in 2 hours" / "in 30 minutes" are counted from `now` and give both date and time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from voicedock.engines.datetime_words import DAY_PARTS, MONTH_RE, WEEKDAY_RE, daypart, find_time, month_index, normalise
from voicedock.engines.datetime_words import MONTHS as _MONTH_NAMES
from voicedock.engines.datetime_words import WEEKDAYS as _WEEKDAY_NAMES

WEEKDAYS = list(_WEEKDAY_NAMES)
MONTHS = list(_MONTH_NAMES)


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


_ORD = r"(?:st|nd|rd|th)"
_YEAR = r"(?: (?P<year>(?:19|20)\d\d|20 \d\d))?"
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_UNIT_DAYS = {"day": 1, "week": 7, "fortnight": 14}
_LATER = re.compile(r"\bin (?:(?P<n>\d+|an?)|half an) (?P<unit>hour|minute)s?\b")
_IN = re.compile(r"\b(?:in|within) (?P<n>\d+|an?) (?P<unit>day|week|fortnight)s?(?: time)?\b")
# A weekday of a week some weeks ahead: "in two weeks on Tuesday", "Tuesday in two weeks".
_IN_WEEKS_ON = re.compile(
    rf"\bin (?P<n>\d+|an?) (?P<unit>week|fortnight)s?(?: time)?,? (?:on |the )?(?P<wd>{WEEKDAY_RE})\b|"
    rf"\b(?P<wd2>{WEEKDAY_RE}),? in (?P<n2>\d+|an?) (?P<unit2>week|fortnight)s?(?: time)?\b")
_FROM = re.compile(
    rf"\b(?P<n>\d+|an?) (?P<unit>day|week|fortnight)s? (?:from|after) (?P<base>today|now|tomorrow|{WEEKDAY_RE})\b"
)
_BRITISH = re.compile(r"\b(?:a|1) (?P<unit>week|fortnight) (?P<base>today|tomorrow)\b")
_NAMED = re.compile(
    r"\b(?:the )?day (?P<dir>after tomorrow|before yesterday)\b|\b(?P<word>tomorrow|yesterday|today|tonight)\b"
    r"|\bthis (?:morning|afternoon|evening)\b"
)
_NAMED_OFFSETS = {"after tomorrow": 2, "before yesterday": -2, "tomorrow": 1, "yesterday": -1}
_WEEKDAY = re.compile(
    rf"\b(?:(?P<q>this coming|this|next|coming|last|the) )?(?:(?P<w1>this|next) week (?:on )?)?(?P<wd>{WEEKDAY_RE})\b"
    r"(?: (?:of |on )?(?P<w2>this|next) week\b| (?P<after>after next)\b)?"
)
# A number that is the hour of a time ("March 3 pm", "on the 4:30") is not a day.
_NOT_CLOCK = r"(?! ?(?:am|pm|oclock)\b)(?![:.]\d)"
# A spoken clock time that follows a number: "20 12 10 am", "20 12 10 at night", "20 20 past 12".
_CLOCK_NEXT = r" (?:\d\d? ?(?:am|pm|oclock|in the|at night|tonight)|past|to|after|till)\b"
# Not "January 12" in "the 1st of January 12:10", nor "March 20" in "3 March 20 27" (a year said
# "twenty twenty-seven", but a clock in "January 20, twelve ten am"); after a bare number
# ("at 4 March 3rd") only with an ordinal day.
_MONTH_FIRST = re.compile(
    rf"(?<!of )(?<!\dst )(?<!\dnd )(?<!\drd )(?<!\dth )(?:(?<!\d )|(?<=[:.]\d\d )|(?=\w+ (?:the )?\d\d?{_ORD}))"
    rf"\b(?P<month>{MONTH_RE}) (?:the )?(?P<day>\d{{1,2}}){_ORD}?(?!(?<=\b20) [23]\d\b{_NOT_CLOCK}(?!{_CLOCK_NEXT})){_YEAR}\b{_NOT_CLOCK}"
)
_DAY_FIRST = re.compile(rf"(?<![:.])\b(?:the )?(?P<day>\d{{1,2}}){_ORD}? (?:of )?(?P<month>{MONTH_RE}){_YEAR}\b")
_DAY_OF_MONTH = re.compile(
    rf"\b(?:(?P<on>on )?the (?P<day>\d{{1,2}})(?P<ord>{_ORD})?|on (?P<day2>\d{{1,2}}){_ORD})\b{_NOT_CLOCK}"
    r"(?: of (?P<rel>this|next) month\b)?"
)
_ORDINAL_DAY = re.compile(rf"(?P<day>\d{{1,2}}){_ORD}\b")
# Not someone's birthday or anniversary: "it's my friend's thirtieth", "our 25th".
_BARE_ORDINAL = re.compile(rf"(?<!\d )(?<!\ba )(?<!\ban )(?<!s )(?<!\bmy )(?<!\bour )(?<!\bher )(?<!\bhis )"
                           rf"(?<!\btheir )(?<!\byour )\b(?P<day>[4-9]|[12]\d|3[01]){_ORD}\b")
# What may follow "the 3rd" for it to be a date: "the 3rd at 4", "the 3rd please", not "the 3rd floor".
_AFTER_DAY = re.compile(
    r" *(?:$|\.|(?:at|in|on|of|for|from|by|around|round|about|before|after|until|till|between|or|and|but|if|so|then|"
    r"please|thanks|thank|maybe|perhaps|instead|too|also|i|we|you|it|its|is|was|would|could|can|will|works?|"
    r"suits?|good|great|fine|ok|okay|right|yes|yeah|no|possible|available|free|morning|afternoon|evening|"
    r"night|tonight|this|next|preferably|ideally|sounds?|that|thats|im|id|ill|ive|because|as|with|half|quarter|"
    r"noon|midday|midnight)\b|\d{1,2}[:.]\d\d|\d{1,2}(?: \d\d)? ?(?:am|pm|oclock|past|to|after|till|in the|at night|tonight)\b)"
)
_MAY_VERB = re.compile(  # "the first may be fine" is not May 1st
    r" (?:be|i|we|you|he|she|they|it|have|need|want|not|also|come|do|get|take|ask|help|still|just)\b"
)


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _year(said: str | None) -> int | None:
    return int(said.replace(" ", "")) if said else None


def _month_dates(match: re.Match[str], today: date) -> list[date]:
    """The date a month and day name: with its year, or the next one from today on (Feb 29 included)."""
    month, day, year = month_index(match["month"]), int(match["day"]), _year(match["year"])
    if year is not None:
        return [d for d in [_safe_date(year, month, day)] if d is not None]
    upcoming = (_safe_date(y, month, day) for y in range(today.year, today.year + 9))
    return [d for d in upcoming if d is not None and d >= today][:1]


def _days_of_month(day: int, today: date, relative: str | None = None) -> list[date]:
    """ "The 5th": this month's when today or still ahead, then the next months' (the first is meant)."""
    months = [today.month + i for i in ((0,) if relative == "this" else (1,) if relative == "next" else (0, 1, 2))]
    found = (_safe_date(today.year + (m - 1) // 12, (m - 1) % 12 + 1, day) for m in months)
    return [d for d in found if d is not None and (d >= today or relative is not None)]


def _weekday(match: re.Match[str], today: date) -> date:
    weekday = WEEKDAYS.index(match["wd"])
    monday = today - timedelta(days=today.weekday())
    week = match["w1"] or match["w2"]
    if match["q"] == "last":
        return today - timedelta(days=(today.weekday() - weekday) % 7 or 7)
    if match["q"] == "next" or week == "next":
        return monday + timedelta(days=7 + weekday)
    if week == "this":
        return monday + timedelta(days=weekday)
    if match["q"] == "this":
        this_week = monday + timedelta(days=weekday)
        return this_week if this_week >= today else this_week + timedelta(days=7)
    ahead = (weekday - today.weekday()) % 7 or 7
    return today + timedelta(days=ahead + (7 if match["after"] else 0))


def _attached_day(text: str, end: int, today: date) -> tuple[int, list[date]] | None:
    """A day said right after a weekday ("Monday the 9th", "Friday, March 13"): its end and dates."""
    if not text.startswith(" ", end):
        return None
    for pattern in (_MONTH_FIRST, _DAY_FIRST):
        match = pattern.match(text, end + 1)
        if match:
            return match.end(), _month_dates(match, today)
    match = _DAY_OF_MONTH.match(text, end + 1) or _ORDINAL_DAY.match(text, end + 1)
    if match:
        return match.end(), _days_of_month(int(match["day"] or match["day2"]), today)
    return None


def _from_base(word: str, today: date) -> date:
    if word in WEEKDAYS:
        return today + timedelta(days=(WEEKDAYS.index(word) - today.weekday()) % 7 or 7)
    return today + timedelta(days=1 if word == "tomorrow" else 0)


def _count(said: str) -> int:
    return 1 if said in ("a", "an") else int(said)


def _find_date(text: str, today: date) -> tuple[date | None, str]:
    """The last date said in a normalised text, and the text with every date phrase blanked out,
    so that numbers in them ("the 3rd", "March 4") are not read as times."""
    found: list[tuple[int, date | None]] = []

    def take(start: int, end: int, value: date | None, blank: bool = True) -> None:
        nonlocal text
        found.append((start, value))
        if blank:
            text = text[:start] + " " * (end - start) + text[end:]

    for m in list(_ISO.finditer(text)):
        take(m.start(), m.end(), _safe_date(int(m[1]), int(m[2]), int(m[3])))
    for m in list(_FROM.finditer(text)):
        take(m.start(), m.end(), _from_base(m["base"], today) + timedelta(days=_count(m["n"]) * _UNIT_DAYS[m["unit"]]))
    for m in list(_BRITISH.finditer(text)):
        take(m.start(), m.end(), _from_base(m["base"], today) + timedelta(days=_UNIT_DAYS[m["unit"]]))
    for m in list(_IN_WEEKS_ON.finditer(text)):  # the weekday of the week that day falls in
        ahead = today + timedelta(days=_count(m["n"] or m["n2"]) * _UNIT_DAYS[m["unit"] or m["unit2"]])
        weekday = WEEKDAYS.index(m["wd"] or m["wd2"])
        take(m.start(), m.end(), ahead - timedelta(days=ahead.weekday()) + timedelta(days=weekday))
    for m in list(_IN.finditer(text)):
        take(m.start(), m.end(), today + timedelta(days=_count(m["n"]) * _UNIT_DAYS[m["unit"]]))
    for m in list(_NAMED.finditer(text)):
        offset = _NAMED_OFFSETS.get(m["dir"] or m["word"] or "", 0)
        take(m.start(), m.end(), today + timedelta(days=offset), blank=bool(offset))  # "8 tonight" stays a time
    for m in list(_WEEKDAY.finditer(text)):
        attached = _attached_day(text, m.end(), today)
        if attached is None:
            take(m.start(), m.end(), _weekday(m, today))
        else:
            weekday = WEEKDAYS.index(m["wd"])
            take(m.start(), attached[0], next((d for d in attached[1] if d.weekday() == weekday), None))
    for pattern in (_MONTH_FIRST, _DAY_FIRST):
        for m in list(pattern.finditer(text)):
            if m["month"] != "may" or not _MAY_VERB.match(text, m.end()):
                take(m.start(), m.end(), next(iter(_month_dates(m, today)), None))
    for m in list(_DAY_OF_MONTH.finditer(text)):
        if m["ord"] is None and m["day"] and not m["on"] or not (m["rel"] or _AFTER_DAY.match(text, m.end())):
            continue
        take(m.start(), m.end(), next(iter(_days_of_month(int(m["day"] or m["day2"]), today, m["rel"])), None))
    for m in list(_BARE_ORDINAL.finditer(text)):  # "twenty first?"; "first", "a second", "3rd floor" are not days
        if _AFTER_DAY.match(text, m.end()):
            take(m.start(), m.end(), next(iter(_days_of_month(int(m["day"]), today)), None))
    return (max(found, key=lambda item: item[0])[1] if found else None), text


def resolve_time(text: str, *, assume_pm_before: int = 8) -> time | None:
    """A clock time from speech, or None when nothing in the text is clearly a time."""
    normal = normalise(text)
    _, rest = _find_date(normal, date(2000, 1, 3))
    return find_time(rest, assume_pm_before, daypart(normal))


def resolve(text: str, now: datetime, *, assume_pm_before: int = 8) -> Resolved:
    """Date and time mentioned in `text`, relative to `now` (its timezone is kept)."""
    normal = normalise(text)
    later = _LATER.search(normal)
    if later:
        minutes = 30 if later["n"] is None else _count(later["n"]) * (60 if later["unit"] == "hour" else 1)
        moment = now + timedelta(minutes=minutes)
        return Resolved(moment.date(), moment.time().replace(second=0, microsecond=0, tzinfo=None))
    found_date, rest = _find_date(normal, now.date())
    if found_date == now.date() and (over := _PART_OVER.search(normal)) \
            and now.hour * 60 + now.minute >= DAY_PARTS[over[1]][1]:
        found_date = None  # "this afternoon" said in the evening names no day still to come
    return Resolved(found_date, find_time(rest, assume_pm_before, daypart(normal)))


_PART_OVER = re.compile(r"\bthis (morning|afternoon)\b")


def resolve_date(text: str, now: datetime) -> date | None:
    """The date mentioned in `text`, relative to `now`, or None."""
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
