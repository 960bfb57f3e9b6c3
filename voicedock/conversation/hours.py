"""Opening hours read from a fact line, so "Are you open on Saturday?" gets Saturday's hours.

Speaking the whole hours line ("Monday to Friday 8:00 to 20:00, Saturday 9:00 to 15:00, closed
on Sunday") answers every day but the one the caller asked about, and leaves the caller to work
out whether "today" is in it. This module reads such a line into a week (each weekday: its
opening spans, closed, or not stated) and answers the day the question names: today, tonight,
tomorrow, a weekday, the weekend, now, or the latest/earliest day. Times are repeated exactly as
the instructions write them, so the answer states no value the instructions do not hold. Anything
it cannot read leaves the answer to the whole line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from voicedock.engines.datetime_resolve import resolve_date
from voicedock.engines.datetime_words import DAY_PARTS, WEEKDAY_RE, WEEKDAYS

from .facts import LABEL, instruction_lines


@dataclass(frozen=True)
class Clock:
    """A time of day as the instructions wrote it ("8:00", "5 pm") and as minutes past midnight."""

    said: str
    minutes: int


Span = tuple[Clock, Clock]
Week = dict[int, tuple[Span, ...]]  # weekday (Monday 0) -> spans; () closed; absent: not stated

_DAY = r"(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)\.?|(?:" + "|".join(WEEKDAYS) + r")s?"
_PART_OF_DAY = r"in the (?:morning|afternoon|evening)|at night"
_TIME = rf"\d{{1,2}}(?::\d{{2}})?\s*(?:[ap]\.?m\.?|o'clock)?(?:\s+(?:{_PART_OF_DAY}))?|noon|midnight"
_TOKEN = re.compile(
    rf"(?P<day>\b(?:{_DAY})\b)|(?P<group>\b(?:weekdays|weekends?|daily|every day)\b)|"
    rf"(?P<time>\b(?:{_TIME})(?!\w))|(?P<closed>\b(?:closed|no|not|none)\b)|"
    r"(?P<range>\b(?:to|through|thru|till|until)\b|[-–—])|(?P<stop>[;.])",
    re.I,
)
_GROUPS = {"weekdays": range(5), "weekend": range(5, 7), "weekends": range(5, 7), "daily": range(7),
           "every day": range(7)}


def _weekday(word: str) -> int:
    word = word.lower().rstrip(".")
    return next(i for i, name in enumerate(WEEKDAYS) if name.startswith(word[:3]))


def _clock(said: str) -> Clock | None:
    text = said.lower().replace(".", "").replace(" ", "").replace("o'clock", "")
    if text in ("noon", "midnight"):
        return Clock(said, 12 * 60 if text == "noon" else 24 * 60)
    match = re.fullmatch(r"(\d{1,2})(?::(\d{2}))?([ap]m)?(inthemorning|inthe(?:afternoon|evening)|atnight)?", text)
    if not match:
        return None
    hour, minute, meridiem = int(match[1]), int(match[2] or 0), match[3]
    if match[4]:  # "10:00 in the evening", "11 at night", "9 in the morning"
        meridiem = meridiem or ("am" if match[4] == "inthemorning" or (match[4] == "atnight" and hour == 12) else "pm")
    if meridiem == "pm" and hour < 12:
        hour += 12
    elif meridiem == "am" and hour == 12:
        hour = 0
    if (not meridiem and match[2] is None) or hour > 24 or minute > 59:
        return None  # a bare number ("room 214", "10 days") is no time
    said = said.strip()
    # "to 1 pm." took the sentence's full stop with it; "1 p.m." keeps its own
    return Clock(said[:-1] if said.endswith(".") and said.count(".") == 1 else said, hour * 60 + minute)


_SHORT = {"M": "Monday", "Tu": "Tuesday", "T": "Tuesday", "W": "Wednesday", "Th": "Thursday", "R": "Thursday",
          "F": "Friday", "Sa": "Saturday", "Su": "Sunday"}
_SHORT_DAYS = re.compile(r"\b(M|Tu|T|W|Th|R|F|Sa|Su)\s*[-–]\s*(M|Tu|T|W|Th|R|F|Sa|Su)\b")
"""A range of days in one or two letters, capitalised: "M-F", "Tu-Sa"."""


def parse_week(line: str) -> Week:
    """The weekdays a line gives hours for: "Monday, Tuesday and Thursday 8:00 to 17:00;
    Wednesday 10:00 to 19:00; closed on Saturday and Sunday" -> {0: ((8:00, 17:00),), ..., 5: ()}.

    Days collect until a time range or a "closed" claims them; "Monday to Friday" is a range of
    days; "Sunday 12:00 to 15:00 and 18:00 to 22:00" gives Sunday two spans. A line with no time
    range and no closed day gives an empty week. Days may follow their times too: "from 7:30 in
    the morning to 6 in the evening, Monday to Friday, and closed at weekends".
    """
    week: Week = {}
    pending: list[int] = []
    last: list[int] = []  # the days the previous span went to, for a second span ("and 18:00 to 22:00")
    closing = False  # "closed on ..." claims the days after it
    ahead: Span | None = None  # a span said before its days, which the days after it take
    times_first = False  # the line says spans before their days: a later span is for the days after it
    line = _SHORT_DAYS.sub(lambda m: f"{_SHORT[m[1]]} to {_SHORT[m[2]]}", line)
    tokens = list(_TOKEN.finditer(line))
    i = 0
    while i < len(tokens):
        tok, kind = tokens[i], tokens[i].lastgroup
        if kind == "day":
            day = _weekday(tok["day"])
            if len(tokens) > i + 1 and tokens[i + 1].lastgroup == "range" and len(tokens) > i + 2 \
                    and tokens[i + 2].lastgroup == "day":
                end = _weekday(tokens[i + 2]["day"])
                pending += [d % 7 for d in range(day, day + (end - day) % 7 + 1)]
                i += 3
            else:
                pending.append(day)
                i += 1
            if ahead and not closing:
                week.update(dict.fromkeys(pending, (ahead,)))
                last, pending, times_first = pending, [], True
                continue
            if closing:
                week.update(dict.fromkeys(pending, ()))
                pending = []
            continue
        if kind == "group":
            pending += list(_GROUPS[tok["group"].lower()])
            if ahead and not closing:
                week.update(dict.fromkeys(pending, (ahead,)))
                last, pending, times_first = pending, [], True
            elif closing:
                week.update(dict.fromkeys(pending, ()))
                pending = []
        elif kind == "closed":
            ahead = None
            if pending:
                week.update(dict.fromkeys(pending, ()))
                pending = []
            else:
                closing = True
        elif kind == "stop":
            closing, pending, ahead = False, [], None
        elif kind == "time" and (pair := _span_at(line, tokens, i)):
            (opens, closes), used = pair
            days = pending or last
            after = tokens[i + used].lastgroup if i + used < len(tokens) else None
            if times_first and not pending and after in ("day", "group"):
                days = []  # "7:30am-4pm Monday through Thursday and 7:30am-noon on Fridays": Friday's
            if opens and closes and days:
                for d in days:
                    week[d] = (*week.get(d, ()), (opens, closes)) if d in last and not pending else ((opens, closes),)
                last, pending, closing, ahead = days, [], False, None
            elif opens and closes:
                ahead = (opens, closes)
            elif pending and not closing:
                pending = []  # hours given for these days that cannot be read: unstated, never "closed"
            i += used
            continue
        elif kind == "time" and pending and not closing:
            pending = []  # "Sat 10ish-2ish, Sun closed": Saturday is not closed
        i += 1
    return week


def _span_at(line: str, tokens: list[re.Match[str]], i: int) -> tuple[tuple[Clock | None, Clock | None], int] | None:
    """ "8:00 to 17:00", "9 am - noon" or "between 8:00 and 18:00" starting at token `i`, and how
    many tokens it takes."""
    def kind(k: int) -> str | None:
        return tokens[k].lastgroup if k < len(tokens) else None

    if kind(i + 1) == "range" and kind(i + 2) == "time":
        return _afternoon(tokens[i]["time"], tokens[i + 2]["time"]), 3
    if kind(i + 1) == "time" and line[tokens[i].end():tokens[i + 1].start()].strip().lower() == "and":
        return _afternoon(tokens[i]["time"], tokens[i + 1]["time"]), 2
    return None


_MARKED = re.compile(rf"(?i)[ap]\.?m\.?|{_PART_OF_DAY}|noon|midnight")


def _afternoon(opens_said: str, closes_said: str) -> tuple[Clock | None, Clock | None]:
    """A span whose opening says no half of the day takes the closing's: "from 5:00 to 10:00 in
    the evening" opens at 17:00, "9 to 5 pm" at 9:00 (21:00 would be after the closing)."""
    if (bare := _bare_hours(opens_said, closes_said)) is not None:
        return bare
    closes = _clock(closes_said)
    if closes is None or _MARKED.search(opens_said) or not _MARKED.search(closes_said):
        return _clock(opens_said), closes
    later, earlier = _clock(f"{opens_said} pm"), _clock(f"{opens_said} am")  # a bare "9" too, in such a span
    opens = later if later and later.minutes < closes.minutes else earlier
    return (Clock(opens_said.strip(), opens.minutes) if opens else None), closes


def _bare_hours(opens_said: str, closes_said: str) -> tuple[Clock, Clock] | None:
    """Business hours of two bare hours ("M-F 9-6", "Sat 10-2", "5-10"): open from 6 to 11 in the
    morning, at noon, or from 1 to 5 in the afternoon, and close at the first such hour after."""
    if not (re.fullmatch(r"\s*\d{1,2}\s*", opens_said) and re.fullmatch(r"\s*\d{1,2}\.?\s*", closes_said)):
        return None
    opens, closes = int(opens_said), int(closes_said.strip(" ."))
    if not (1 <= opens <= 12 and 1 <= closes <= 12):
        return None
    start = opens * 60 if 6 <= opens <= 12 else (opens + 12) * 60 if opens <= 5 else None
    if start is None:
        return None
    end = next(m for m in (closes * 60 % (12 * 60), closes * 60 % (12 * 60) + 12 * 60, 24 * 60) if m > start)
    return Clock(opens_said.strip(), start), Clock(closes_said.strip(" ."), end)


_NOW = re.compile(r"\b(?:now|right now|at the moment|currently|still open|open yet|still serving)\b", re.I)
_TODAY = re.compile(r"\b(?:today|tonight|this (?:morning|afternoon|evening))\b", re.I)
_WEEKEND = re.compile(r"\b(?:weekends?|saturday and sunday)\b", re.I)
_LATE = re.compile(r"\b(?:late|latest|evenings?|after work)\b", re.I)
_EARLY = re.compile(r"\b(?:early|earliest)\b", re.I)
_YES_NO = re.compile(r"^\W*(?:(?:and|so|hi|hello|okay|ok|also|oh|um|uh)\W+)*(?:are|is|do|does|can|could|will|would)\b", re.I)
_ASKS_CLOSED = re.compile(r"\bclosed?\b", re.I)


@dataclass(frozen=True)
class Asked:
    days: tuple[int, ...]
    label: str  # how the answer names them: "today", "tomorrow", "on Saturday", "at the weekend"


def asked_days(question: str, now: datetime) -> Asked | None:
    """The day or days a question is about, relative to the call's `now`, named as the caller
    named them ("tonight", "tomorrow", "on Saturday")."""
    today = _TODAY.search(question)
    if today or _NOW.search(question):
        return Asked((now.weekday(),), "tonight" if today and today[0].lower() == "tonight" else "today")
    if _WEEKEND.search(question):
        return Asked((5, 6), "at the weekend")
    day = resolve_date(question, now)
    if day is None:
        return None
    if re.search(rf"\b(?:{WEEKDAY_RE})", question, re.I) or day > (now + timedelta(days=1)).date():
        return Asked((day.weekday(),), f"on {WEEKDAYS[day.weekday()].capitalize()}")
    return Asked((day.weekday(),), "today" if day == now.date() else "tomorrow")


def _spans(spans: tuple[Span, ...]) -> str:
    return " and ".join(f"from {a.said} to {b.said}" for a, b in spans)


_ABOUT_HOURS = re.compile(r"\b(?:hours|open|opens|opening|closed)\b", re.I)


# Labels that name the kind of line, not a thing with hours of its own: "Facts: open Monday to
# Saturday ..." is the business's own hours ("On Saturday we're open ..."), not "Facts on Saturday".
_GENERIC_LABEL = re.compile(r"(?i)^(?:(?:key|main|business|general|basic|useful|important)\s+)?"
                            r"(?:facts?|info|information|details?|notes?|about(?:\s+us)?|overview|summary)$")


def _label(line: str) -> str | None:
    """The line's own name for what the hours are of ("Depot pickup"); "" for plain opening
    hours, which are "we"; None for a line that is neither ("There are no deliveries on Sunday"),
    whose days are better said in its own words."""
    match = LABEL.match(line)
    if match and not _ABOUT_HOURS.search(match[1]) and not _GENERIC_LABEL.match(match[1].strip()):
        return match[1].strip()
    return "" if _ABOUT_HOURS.search(line) else None


def _say(label: str, when: str, spans: tuple[Span, ...]) -> str:
    if not label:
        return f"{when} we're open {_spans(spans)}" if spans else f"we're closed {when}"
    return f"{label} {when}: {_spans(spans)}" if spans else f"{label}: not {when}"


def _sentence(text: str) -> str:
    """Capitalised, with one full stop: a time said "1 p.m." already ends in one."""
    return text[0].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _days(days: Sequence[int]) -> str:
    """[0, 1, 2, 3, 4] -> "from Monday to Friday"; [4, 5] -> "on Friday and Saturday"."""
    runs: list[list[int]] = []
    for d in sorted(days):
        if runs and runs[-1][-1] == d - 1:
            runs[-1].append(d)
        else:
            runs.append([d])
    names: list[str] = []
    for run in runs:
        first, last = WEEKDAYS[run[0]].capitalize(), WEEKDAYS[run[-1]].capitalize()
        names += [f"{first} to {last}"] if len(run) > 2 else [first, last] if len(run) == 2 else [first]
    if len(runs) == 1 and len(runs[0]) > 2:
        return f"from {names[0]}"
    return "on " + (names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1])


_ASKS_HOURS = re.compile(r"\b(?:open|opens|opening|close|closes|closing|closed|(?<!after )(?<!of )hours)\b", re.I)
"""Opening or closing asked about; not "after hours" or "out of hours", when the place is closed."""


def hours_answer(question: str, lines: Sequence[str], now: datetime, others: Sequence[str] = ()) -> str | None:
    """The hours of the day the question asks about, from the first of `lines` that gives them;
    None when the question names no day or no line states that day.

    `others`: the rest of the instructions, tried after `lines` when the question asks about
    opening or closing ("Are you open late any day?" shares "day" with "same-day emergency slots").
    """
    if _ASKS_HOURS.search(question):
        lines = [*lines, *others]
    for line in lines:
        week = parse_week(line)
        label = _label(line)
        if not week or label is None:
            continue
        extreme = _extreme(question, week, label)
        if extreme:
            return extreme
        if _NEXT.search(question) and (following := _next_open(week, label, now)):
            return following
        asked = asked_days(question, now)
        if asked is None or any(d not in week for d in asked.days):
            continue
        return _answer(question, asked, week, label, now)
    return None


_PART_ASKED = re.compile(r"\b(morning|afternoon|evening|tonight)\b", re.I)
"""The part of the day a yes or no is about: "Are you open Friday afternoon?" of 7:30am to noon is no."""


def _answer(question: str, asked: Asked, week: Week, label: str, now: datetime) -> str:
    spans = [week[d] for d in asked.days]
    during = spans  # the spans of the part of the day asked about: open that part of the day at all
    if (part := _PART_ASKED.search(question)) is not None:
        start, end = DAY_PARTS[part[1].lower()]
        during = [tuple(sp for sp in day if sp[0].minutes < end and sp[1].minutes > start) for day in spans]
    open_all, closed_all = all(during), not any(during)
    if len(asked.days) == 1 or len({week[d] for d in asked.days}) == 1:
        parts = [_say(label, asked.label, spans[0])]
    else:
        parts = [_say(label, f"on {WEEKDAYS[d].capitalize()}", week[d]) for d in asked.days]
    if _NOW.search(question) and asked.label == "today":
        minute = now.hour * 60 + now.minute
        open_now = _open_at(week[now.weekday()], minute)
        if label:
            parts.insert(0, "Yes, right now" if open_now else "No, not right now")
        else:
            parts.insert(0, "Yes, we're open right now" if open_now else "No, we're closed right now")
    elif _YES_NO.search(_last_sentence(question)) and (open_all or closed_all):
        yes = closed_all if _ASKS_CLOSED.search(question) else open_all
        if label:
            parts.insert(0, "Yes" if yes else "No")
        else:
            parts[0] = ("Yes, " if yes else "No, ") + parts[0][:1].lower() + parts[0][1:]
    return " ".join(_sentence(p) for p in parts)


_NEXT = re.compile(r"\b(?:next time|(?:the )?soonest|(?:the )?earliest|next (?:open|opening)|open next|"
                   r"when(?:'s| is| are| do| does)? (?:you|it|the \w+ )?(?:next|again)|next chance)\b", re.I)


def _next_open(week: Week, label: str, now: datetime) -> str | None:
    """ "When's the soonest I could reach somebody?" on a Sunday evening: the next opening from now,
    today's if it is still ahead or under way."""
    minute = now.hour * 60 + now.minute
    for ahead in range(8):
        day = (now.weekday() + ahead) % 7
        for opens, closes in week.get(day, ()):
            if ahead == 0 and closes.minutes <= minute:
                continue
            if ahead == 0 and opens.minutes <= minute:
                when = f"right now, until {closes.said}"
            else:
                name = "today" if ahead == 0 else "tomorrow" if ahead == 1 else f"on {WEEKDAYS[day].capitalize()}"
                when = f"{name} from {opens.said} to {closes.said}"
            return _sentence(f"{label}: open {when}" if label else f"we're next open {when}"
                             if not when.startswith("right now") else f"we're open {when}")
    return None


def _last_sentence(question: str) -> str:
    """ "Tomorrow's Saturday, right? Do you deliver Saturdays?" asks its yes/no in the last one."""
    parts = [p for p in re.split(r"(?<=[.?!])\s+", question.strip()) if p]
    return parts[-1] if parts else question


def _extreme(question: str, week: Week, label: str) -> str | None:
    """ "Are you open late any day?" -> the day that closes latest; "early" -> opens earliest.
    Only about opening or closing: "Do I need to come early?" is not about the hours."""
    if not _ASKS_HOURS.search(question):
        return None
    late, early = _LATE.search(question), _EARLY.search(question)
    open_days = {d: spans for d, spans in week.items() if spans}
    if not open_days or bool(late) == bool(early) or re.search(rf"\b(?:{_DAY}|today|tonight|tomorrow)\b", question, re.I):
        return None
    if late:
        best = max(spans[-1][1].minutes for spans in open_days.values())
        days = [d for d in sorted(open_days) if open_days[d][-1][1].minutes == best]
        said, verb = open_days[days[0]][-1][1].said, "until"
    else:
        best = min(spans[0][0].minutes for spans in open_days.values())
        days = [d for d in sorted(open_days) if open_days[d][0][0].minutes == best]
        said, verb = open_days[days[0]][0][0].said, "from"
    if label:
        return _sentence(f"{label}: {verb} {said} {_days(days)}")
    return _sentence(f"we're open {verb} {said} {_days(days)}")


@lru_cache(maxsize=64)
def opening_week(prompt: str) -> Week:
    """The business's own opening hours from its instructions: the first line about hours (a
    "Opening hours:" or "Hours:" label, or none) that states some day's, with the sentences next to
    it that state other days' ("We're closed all day on Tuesday. On Monday, Wednesday and Thursday
    we only serve dinner, from 5:00 to 10:00 in the evening."); {} when none does."""
    week: Week = {}
    about_hours = False
    for line in instruction_lines(prompt):
        label = _label(line)
        found = parse_week(line) if not label or re.search(r"(?i)\bhours\b", label) else {}
        if found:
            for day, spans in found.items():
                week.setdefault(day, spans)
            about_hours = about_hours or label is not None
        elif week and about_hours:
            break
        else:
            week = {}
    return week if about_hours else {}


_SAID_HALF_OF_DAY = re.compile(
    r"(?i)\b(?:[ap]\.?\s?m\b|morning|afternoon|evening|night|tonight|noon|midday|midnight|lunch|dinner|breakfast)"
    r"|\b(?:[01]\d|2[0-3]):\d\d\b")


def _open_at(spans: Sequence[Span], minute: int) -> bool:
    return any(a.minutes <= minute < b.minutes for a, b in spans)


def outside_hours(value: time, on: date, week: Week) -> str | None:
    """What to say of a time the business is not open at on a day whose hours are stated ("On
    Saturday we're open from 9 am to 12 pm."); None when it is open then, or nothing is stated."""
    spans = week.get(on.weekday())
    if not spans or _open_at(spans, value.hour * 60 + value.minute):
        return None
    return _sentence(_say("", f"on {WEEKDAYS[on.weekday()].capitalize()}", spans))


def within_opening_hours(value: time, on: date, week: Week, said: str) -> time:
    """ "Around eight" at a restaurant open 12:00 to 23:00 is 20:00, at a clinic open from 8:00 it
    is 8:00: an hour said without am/pm, a part of the day or a 24-hour clock is taken in the half
    of the day the business is open, when only the other half is. Anything else stays as read."""
    spans = week.get(on.weekday())
    if not spans or _SAID_HALF_OF_DAY.search(said):
        return value
    minute = value.hour * 60 + value.minute
    other = minute + 12 * 60 if minute < 12 * 60 else minute - 12 * 60

    if not _open_at(spans, minute) and _open_at(spans, other) and value.hour % 12 != 0:
        return time(other // 60, other % 60)
    return value
