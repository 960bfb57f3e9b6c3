"""Text normal forms the judge compares in, written here and not borrowed from `voicedock`.

The judge must not share code with what it judges: if the session's number reader had a bug, a
judge built on it would agree with the bug. So the few rules needed (number words to digits,
"squashed" alphanumerics, the ways a date or a time is said) live here, small and tested.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

_UNITS = "zero one two three four five six seven eight nine".split()
_TEENS = "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_SMALL = {**{w: i for i, w in enumerate(_UNITS)}, **{w: 10 + i for i, w in enumerate(_TEENS)}}
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
             "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14,
             "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19,
             "twentieth": 20, "thirtieth": 30}
_REPEAT = {"double": 2, "triple": 3}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december")
_TOKENS = re.compile(r"[a-z]+(?:'[a-z]+)?|\d+|[^a-z\d\s]")


def fold(text: str) -> str:
    """Casefolded, typographic apostrophes made plain, whitespace collapsed."""
    return " ".join(text.replace("\u2019", "'").replace("\u2018", "'").casefold().split())


def _value(word: str) -> int | None:
    return _SMALL.get(word, _TENS.get(word, _ORDINALS.get(word)))


def spoken(text: str) -> str:
    """Number words as figures, one token per number: "five five five, oh one" -> "5 5 5 , 0 1";
    "twenty-fifth" -> "25"; "three hundred fifty" -> "350"; "double seven" -> "7 7"."""
    words = _TOKENS.findall(fold(text).replace("-", " "))
    out: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        nxt = words[i + 1] if i + 1 < len(words) else ""
        if word in _REPEAT and (nxt.isdigit() or nxt in _SMALL):
            digit = nxt if nxt.isdigit() else str(_SMALL[nxt])
            out.extend([digit] * _REPEAT[word])
            i += 2
            continue
        if word in ("oh", "o") and out and out[-1].isdigit() and (nxt.isdigit() or nxt in _SMALL or nxt in ("oh", "o")):
            out.append("0")
            i += 1
            continue
        value = _value(word)
        if value is None:
            out.append(word)
            i += 1
            continue
        i += 1
        if word in _TENS and i < len(words) and words[i] in _UNITS[1:] + list(_ORDINALS)[:9]:
            value += _value(words[i]) or 0
            i += 1
        if i < len(words) and words[i] == "hundred" and value < 100:
            value *= 100
            i += 1
            if i < len(words) and words[i] == "and" and i + 1 < len(words) and _value(words[i + 1]) is not None:
                i += 1
            if i < len(words) and (rest := _value(words[i])) is not None and rest < 100:
                i += 1
                if words[i - 1] in _TENS and i < len(words) and words[i] in _UNITS[1:]:
                    rest += _SMALL[words[i]]
                    i += 1
                value += rest
        out.append(str(value))
    return " ".join(out)


def squash(text: str) -> str:
    """Letters and digits only, number words as digits: "S D, four four" -> "sd44"; "Ana Lopez" -> "analopez"."""
    return re.sub(r"[^a-z0-9]", "", spoken(text))


def digits(text: str) -> str:
    """Only the digits said, in order (phone numbers)."""
    return re.sub(r"\D", "", spoken(text))


def number_tokens(text: str) -> set[str]:
    """Every number in the text as a canonical integer string ("09" -> "9")."""
    return {str(int(tok)) for tok in re.findall(r"\d+", spoken(text))}


def plain(value: object) -> str:
    """A value for equality: casefolded with all whitespace removed ("Ana  Lopez" == "ana lopez")."""
    return re.sub(r"\s+", "", fold(str(value)))


def as_date(value: object) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


def as_time(value: object) -> time | None:
    if not isinstance(value, str) or not re.fullmatch(r"\s*\d{1,2}:\d{2}(:\d{2})?\s*", value):
        return None
    try:
        return time.fromisoformat(value.strip().zfill(5) if len(value.strip()) == 4 else value.strip())
    except ValueError:
        return None


def _ordinal(day: int) -> str:
    suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def date_patterns(day: date, today: date | None = None) -> list[str]:
    """Regexes for the ways a summary or reply may name this date."""
    month = MONTHS[day.month - 1]
    d = rf"{day.day}(?:st|nd|rd|th)?"
    out = [day.isoformat(), rf"\b{month[:3]}\w*\.? {d}\b", rf"\b{d} (?:of )?{month[:3]}", rf"\b{WEEKDAYS[day.weekday()]}\b",
           rf"\b{day.month}/{day.day}\b", rf"\bthe {_ordinal(day.day)}\b"]
    if today is not None:
        if day == today:
            out.append(r"\btoday\b|\btonight\b")
        elif day == today + timedelta(days=1):
            out.append(r"\btomorrow\b")
    return out


def time_patterns(at: time) -> list[str]:
    """Regexes for the ways a time is said: "15:30", "3:30 pm", "half past three", "3.30"."""
    h12 = at.hour % 12 or 12
    word = _UNITS[h12] if h12 < 10 else _TEENS[h12 - 10]
    out = [rf"\b{at.hour}[:.]{at.minute:02d}\b", rf"\b{h12}[:.]{at.minute:02d}\b"]
    if at.minute == 0:
        out += [rf"\b{h12} ?(?:am|pm|a\.m\.|p\.m\.|o'clock)", rf"\b{word} ?(?:am|pm|a\.m\.|p\.m\.|o'clock)",
                rf"\bat {h12}\b", rf"\bat {word}\b", rf"\b{word}\b"]
    elif at.minute == 30:
        out += [rf"\bhalf past (?:{h12}|{word})\b", rf"\b{word} thirty\b"]
    return out


def mentions_date(text: str, day: date, today: date | None = None) -> bool:
    folded = fold(text)
    return any(re.search(p, folded) for p in date_patterns(day, today))


def mentions_time(text: str, at: time) -> bool:
    folded = fold(text)
    return any(re.search(p, folded) for p in time_patterns(at))


def calendar_text(now: datetime, days: int = 8) -> str:
    """What any assistant may know about the date: now and the coming days, with weekday and month
    names; digits and names in a reply that come from here are not invented."""
    lines = [f"{now:%A %B} {now.day} {now.year} {now:%H:%M} {now:%Y-%m-%d}"]
    for i in range(1, days + 1):
        day = now + timedelta(days=i)
        lines.append(f"{day:%A %B} {day.day} {day:%Y-%m-%d}")
    return "\n".join(lines)


def twelve_hour_forms(text: str) -> str:
    """The 12-hour forms of every HH:MM in the text ("17:00" -> "5 pm 5:00"), so an assistant that
    says "5 pm" for a prompt's "17:00" is not taken to invent a number."""
    out = []
    for hour, minute in re.findall(r"\b(\d{1,2}):(\d{2})\b", text):
        h = int(hour) % 12 or 12
        out.append(f"{h} {h}:{minute}")
    return " ".join(out)


_RELATIVE = {"today": 0, "tonight": 0, "tomorrow": 1}


def dates_said(text: str, today: date) -> set[date]:
    """Every date the words could mean, read leniently (for "is this value from nowhere?", not for
    "is it right?"): today/tonight/tomorrow, a weekday (its next two occurrences), a day of the
    month with "the"/an ordinal/a month name (this month and the next)."""
    words = spoken(text)
    found: set[date] = set()
    for word, offset in _RELATIVE.items():
        if re.search(rf"\b{word}\b", words):
            found.add(today + timedelta(days=offset))
    if "day after tomorrow" in words:
        found.add(today + timedelta(days=2))
    if re.search(r"\ba week from (?:today|now)\b", words):
        found.add(today + timedelta(days=7))
    for i, name in enumerate(WEEKDAYS):
        if re.search(rf"\b{name}s?\b", words):
            first = today + timedelta(days=(i - today.weekday()) % 7)
            found |= {first, first + timedelta(days=7)}
    folded = fold(text)
    days = {int(d) for d in re.findall(r"\b(\d{1,2}) ?(?:st|nd|rd|th)\b", folded)}
    days |= {int(d) for d in re.findall(r"\bthe (\d{1,2})\b", words)}
    days |= {int(d) for m in MONTHS for d in re.findall(rf"\b{m[:3]}\w* (\d{{1,2}})\b", words)}
    for day in days:
        for month_start in (today.replace(day=1), (today.replace(day=1) + timedelta(days=32)).replace(day=1)):
            try:
                found.add(month_start.replace(day=day))
            except ValueError:
                continue
    return found


def times_said(text: str) -> set[time]:
    """Every clock time the words could mean: "3" -> 03:00 and 15:00, "half past two" -> 02:30 and
    14:30, "four thirty" -> 04:30 and 16:30, "noon" -> 12:00, "15:30" as written."""
    words = spoken(text)
    found: set[time] = set()
    if re.search(r"\bnoon|midday\b", words):
        found.add(time(12, 0))
    pairs: list[tuple[int, int]] = []
    pairs += [(int(h), int(m)) for h, m in re.findall(r"\b(\d{1,2}) ?[:.] ?(\d{2})\b", words)]
    pairs += [(int(h), 30) for h in re.findall(r"\bhalf past (\d{1,2})\b", words)]
    pairs += [(int(h), 15) for h in re.findall(r"\bquarter past (\d{1,2})\b", words)]
    pairs += [(int(h) - 1, 45) for h in re.findall(r"\bquarter to (\d{1,2})\b", words)]
    pairs += [(int(h), int(m)) for h, m in re.findall(r"\b(\d{1,2}) (15|30|45|[1-5]\d)\b", words)]
    pairs += [(int(h), 0) for h in re.findall(r"\b(\d{1,2})\b", words)]
    pairs += [(h, m - m % 10) for h, m in pairs if m >= 20 and m % 10]  # "four thirty one" -> 4:30 (one)
    for hour, minute in pairs:
        for h in {hour, hour + 12}:
            if 0 <= h < 24 and 0 <= minute < 60:
                found.add(time(h, minute))
    return found
