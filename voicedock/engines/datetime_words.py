"""Spoken words to one canonical text, and clock times from that text, for `datetime_resolve`.

Speech recognition writes "Twenty-first,", "one thirty p m", "uh, Friday?" and "4 p.m." for the
same few things. The resolver's patterns stay small and testable when they only ever see one form
("21st", "1 30 pm", "friday", "4 pm"), so every text goes through `normalise` first. Clock times
live here too: `find_time` reads them from a text whose dates were already blanked out, so the day
in "March 3 at 4" is never read as three o'clock.

A number is a time only with a cue: am/pm, "o'clock", a colon, a part of the day ("in the
morning"), "half/quarter/ten past ...", a word before it such as "at" or "around", or a quarter-hour
said after it ("two thirty"). So "three
kids", "a table for four", "room 12" and digits of a phone number are not times.
"""

from __future__ import annotations

import re
from datetime import time

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = tuple("january february march april may june july august september october november december".split())
WEEKDAY_RE = "|".join(WEEKDAYS)
MONTH_RE = "|".join(sorted((*MONTHS, *(m[:3] for m in MONTHS), "sept"), key=len, reverse=True))

_UNITS = (
    "zero one two three four five six seven eight nine ten eleven twelve "
    "thirteen fourteen fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50}
_ORDINAL_WORDS = (
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth "
    "fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth"
).split()
_ORDINALS = {w: i for i, w in enumerate(_ORDINAL_WORDS, 1)} | {"twentieth": 20, "thirtieth": 30}
_FILLERS = r"\b(?:uh+|um+|uhm+|umm+|er+m?|ah+|hmm+|mm+|you know|i mean)\b"

# Words that make the number before them a count, not an hour: "at 4 people", "about 3 hours".
_COUNT_NOUNS = (
    r"(?:minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?|people|persons?|kids?|children|adults?|"
    r"guests?|euros?|dollars?|pounds?|percent|times?|pieces?|items?|of|more|less|or so)"
)
_CUES = r"(?:at|by|around|round|about|from|before|after)"  # "round": Whisper's "around" now and then
# A hedge between a time's cue and the time: "at like nine", "around maybe 3", "at say half past two".
_HEDGED = re.compile(rf"\b({_CUES}) (?:like|maybe|say|roughly|approximately|about|around|just|probably) ")
_PART_THEN_HOUR = re.compile(rf"\b(morning|afternoon|evening|tonight|today|tomorrow|{WEEKDAY_RE}) "
                             r"(?:like|maybe|say|about|around|roughly) (?=\d)")
_ISH = re.compile(r"\b(\d{1,2}(?::\d\d)?) ?ish\b")
DAY_PARTS = {"morning": (0, 12 * 60), "afternoon": (12 * 60, 17 * 60), "evening": (17 * 60, 24 * 60),
             "tonight": (17 * 60, 24 * 60)}
"""The parts of a day, in minutes from midnight: when "this afternoon" is over, whether a span
reaches into "Friday afternoon"."""
_DAYPARTS = {"morning": "morning", "afternoon": "afternoon", "evening": "evening", "tonight": "evening"}


def ordinal_suffix(number: int) -> str:
    """3 -> "3rd", 11 -> "11th", 22 -> "22nd"."""
    if 10 <= number % 100 <= 20:
        return f"{number}th"
    return f"{number}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(number % 10, 'th') }"


def month_index(name: str) -> int:
    """1-12 for a month name or its abbreviation ("sept" included)."""
    return next(i for i, m in enumerate(MONTHS, 1) if m.startswith(name[:3]))


def _number_words_to_digits(text: str) -> str:
    """ "forty five" -> "45", "twenty first" -> "21st", "third" -> "3rd", "twelve oh five" -> "12:05"."""
    units = "|".join(_UNITS[1:10])
    small_ordinals = "|".join(_ORDINAL_WORDS[:9])
    tens = "|".join(_TENS)
    text = re.sub(
        rf"\b({tens}) ({small_ordinals})\b",
        lambda m: ordinal_suffix(_TENS[m[1]] + _ORDINALS[m[2]]),
        text,
    )
    text = re.sub(
        rf"\b({tens})(?: ({units}))?\b", lambda m: str(_TENS[m[1]] + (_UNITS.index(m[2]) if m[2] else 0)), text
    )
    text = re.sub(rf"\b({'|'.join(_ORDINALS)})\b", lambda m: ordinal_suffix(_ORDINALS[m[1]]), text)
    text = re.sub(rf"\b({'|'.join(_UNITS)})\b", lambda m: str(_UNITS.index(m[1])), text)
    # "twelve oh five" is 12:05, but not inside a number read out ("four one nine, oh six oh two")
    return re.sub(r"(?<!\d )(?<!\boh )(?<!\bo )\b(\d{1,2}) (?:oh|o) ([1-9])\b(?! \d)", r"\1:0\2", text)


def normalise(text: str) -> str:
    """Lower case, digits for number words, one spelling of am/pm and o'clock, no fillers or punctuation."""
    text = text.lower().replace("\u2019", "'")
    text = re.sub(r"(?<![a-z])([ap])\s?\.?\s?m\b\.?", r" \1m ", text)
    text = re.sub(r"\bo\s?'?\s?clock\b", " oclock ", text)
    text = re.sub(r"(?<=[a-z])-(?=[a-z])", " ", text)
    text = re.sub(r"(?<=\d)(?=[a-z])(?!st|nd|rd|th)", " ", text)  # "4pm" -> "4 pm"
    text = re.sub(r"[.?!;]+(?=\s|$)", " . ", text)
    text = re.sub(r"[^a-z0-9:., -]+", " ", text.replace("'", "")).replace(",", " , ")
    # Number words are read before commas go: "twenty twenty, one am" is a year and a time, not 2021.
    text = _number_words_to_digits(re.sub(r"\s+", " ", text)).replace(",", " ")
    text = re.sub(r"\s+", " ", re.sub(_FILLERS, " ", text))
    text = _HEDGED.sub(r"\1 ", text)  # "at like nine", "around maybe 3"
    text = _PART_THEN_HOUR.sub(r"\1 at ", text)  # "Monday morning, like nine"
    return _ISH.sub(r"around \1", text).strip()  # "nine-ish"


def daypart(text: str) -> str | None:
    """The part of the day a normalised text names for its time: "tomorrow morning", "in the
    afternoon", "tonight", "at night". A greeting ("good morning", "Morning!") is not one."""
    match = re.search(
        rf"\b(?:in the|this|tomorrow|today|yesterday|the|on|that|{WEEKDAY_RE}) (morning|afternoon|evening|night)\b"
        r"|\b(tonight)\b|\bat (night)\b",
        text,
    )
    if match is None:
        return None
    word = next(g for g in match.groups() if g)
    return _DAYPARTS.get(word, "night")


def clock(hour: int, minute: int, meridiem: str | None, part: str | None, assume_pm_before: int) -> time | None:
    """A 24-hour time from an hour as said. Without am/pm or a part of the day, 1 to
    `assume_pm_before - 1` is afternoon ("at 4" is 16:00), 8 to 11 morning and 12 noon. "At night"
    is before dawn up to 5 ("2 at night" is 02:00); "12 at night" and "12 tonight" are midnight."""
    if not (0 <= hour <= 23 and 0 <= minute < 60):
        return None
    if hour == 0 or hour > 12:
        return time(hour, minute) if meridiem != "am" else None
    if meridiem is not None:
        pm = meridiem == "pm"
    elif part == "morning":
        pm = False
    elif part in ("afternoon", "evening"):
        pm = not (part == "evening" and hour == 12)
    elif part == "night":
        pm = 6 <= hour < 12
    else:
        pm = hour < assume_pm_before or hour == 12
    if hour == 12:
        return time(12 if pm else 0, minute)
    return time(hour + 12 if pm else hour, minute)


_MERIDIEM = r"(?: ?(?P<mer>am|pm))?"
_SUFFIX_PART = r"(?: +(?:(?:in the|this|at) )?(?:morning|afternoon|evening|night)| +tonight)"  # gaps: a blanked date
_RELATIVE = re.compile(
    r"(?<!from )(?<!between )\b(?:a )?(?P<min>half|quarter|\d{1,2})(?P<unit> minutes?)? (?P<dir>past|after|to|till|of) "
    rf"(?P<hour>\d{{1,2}})(?: oclock)?{_MERIDIEM}\b"
)
_FORMS = (
    re.compile(r"\b(?P<hour>\d{1,2})(?:[:. ](?P<min>\d{2}))? ?(?P<mer>am|pm)\b"),
    re.compile(r"\b(?P<hour>\d{1,2})(?:[:.](?P<min>\d{2}))? oclock\b"),
    re.compile(r"\b(?P<hour>\d{1,2}):(?P<min>\d{2})\b"),
    re.compile(rf"(?<!for )(?<!of )\b(?P<hour>\d{{1,2}})(?:[:. ](?P<min>\d{{2}}))?(?={_SUFFIX_PART}\b)"),
    re.compile(rf"\b{_CUES} (?P<hour>\d{{1,2}})(?:[:. ](?P<min>\d{{2}}))?\b"),
    # Run together by speech recognition: "130 pm", "1030am"; with am/pm, or after "around" ("the 12th
    # round 230" for "around two thirty"): "at 330" may be an address, "around 330" hardly.
    re.compile(r"\b(?P<hour>\d{1,2})(?P<min>[0-5]\d) ?(?P<mer>am|pm)\b"),
    re.compile(r"\b(?:around|round) (?P<hour>[1-9]|1[0-2])(?P<min>[0-5]\d)\b"),
    # "two thirty", "three-thirty", "twelve fifteen" with no cue: an hour and a quarter-hour said together
    # is a clock time ("two fifty" may be a price, so only :15, :30 and :45).
    re.compile(r"(?<!room )(?<!number )(?<!suite )(?<!unit )(?<!flat )(?<!apartment )"
               r"\b(?P<hour>[1-9]|1[0-2]) (?P<min>15|30|45)\b"),
)


def _is_count(text: str, end: int) -> bool:
    """Whether the number ending at `end` is a count or part of a longer number ("4 people", "06 12 34")."""
    return re.match(rf"[ -]?(?:\d|{_COUNT_NOUNS}\b)", text[end:]) is not None


def _follows_digits(text: str, start: int) -> bool:
    return re.search(r"\d ?$", text[:start]) is not None


def _relative_time(match: re.Match[str], part: str | None, assume_pm_before: int) -> time | None:
    """ "half past 3", "quarter to 5", "20 past 7 pm", "10 to 4"; None for "5 to 6 people"."""
    said, direction, hour = match["min"], match["dir"], int(match["hour"])
    minutes = {"half": 30, "quarter": 15}.get(said) or int(said)
    forward = direction in ("past", "after")
    if said == "half" and not forward or direction == "of" and said != "quarter" or not 0 < minutes < 60:
        return None
    if not forward and said.isdigit() and not match["unit"] and (minutes % 5 or minutes > 30):
        return None
    if forward:
        return clock(hour, minutes, match["mer"], part, assume_pm_before)
    if match["mer"] or part:  # am/pm and the part of the day describe the time said: "quarter to 12 in the morning"
        return clock(12 if hour == 1 else hour - 1, 60 - minutes, match["mer"], part, assume_pm_before)
    base = clock(hour, 0, None, None, assume_pm_before)
    if base is None:
        return None
    total = (base.hour * 60 - minutes) % (24 * 60)
    return time(total // 60, total % 60)


def find_time(text: str, assume_pm_before: int = 8, part: str | None = None) -> time | None:
    """The last clock time said in a normalised text (a caller corrects themselves: "at 3, no, 4 pm"),
    or None. `part` is the part of the day named anywhere in the whole text."""
    part = part or daypart(text)
    found: list[tuple[int, time | None]] = []

    def take(start: int, end: int, value: time | None) -> None:
        nonlocal text
        found.append((start, value))
        text = text[:start] + " " * (end - start) + text[end:]

    for match in list(re.finditer(r"\b(?:12 )?(noon|midday|midnight)\b", text)):
        take(match.start(), match.end(), time(0, 0) if match[1] == "midnight" else time(12, 0))
    for match in list(_RELATIVE.finditer(text)):
        if not _is_count(text, match.end()) and not _follows_digits(text, match.start()):
            value = _relative_time(match, _own_part(text, match.end()) or part, assume_pm_before)
            if value is not None:
                take(match.start(), match.end(), value)
    for form in _FORMS:
        for match in list(form.finditer(text)):
            # "7 oclock, 4 people": a number after o'clock or am/pm is the next thing said, not more digits
            if (match[0][-1].isdigit() and _is_count(text, match.end())) or _follows_digits(text, match.start("hour")):
                continue
            own = _own_part(text, match.end())
            groups = match.groupdict()
            minute = int(groups.get("min") or 0)
            value = clock(int(match["hour"]), minute, groups.get("mer"), own or part, assume_pm_before)
            if re.fullmatch(r"0\d", match["hour"]) and not (groups.get("mer") or own or part) and minute < 60:
                value = time(int(match["hour"]), minute)  # "07:30" is a 24-hour clock: 07:30, not 19:30
            take(match.start(), match.end(), value)
    return max(found, key=lambda item: item[0])[1] if found else None


def _own_part(text: str, end: int) -> str | None:
    """A part of the day said right after a time: "3 in the afternoon", "8 tonight", "2 at night"."""
    match = re.match(rf"{_SUFFIX_PART}\b", text[end:])
    if match is None:
        return None
    word = match[0].split()[-1]
    return "night" if word == "night" else _DAYPARTS[word]
