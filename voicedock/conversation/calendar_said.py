"""What day it is, asked of the call's own clock: "What's today's date?", "What date is Friday?".

The assistant knows the date and the time of the call (the system prompt's calendar), and a
caller booking a day often asks it. The instructions hold no line for it, so the look-up would
answer that it does not know; a small model asked instead may name the wrong weekday. The answer
is said in code, from the resolver the tools use.
"""

from __future__ import annotations

import re
from datetime import datetime

from voicedock.engines.datetime_resolve import resolve_date
from voicedock.engines.spoken import say_date, say_time

_OPEN = r"^\W*(?:(?:hi|hello|hey|sorry|um|uh|so|and|oh|okay|ok|yes|yeah|quick question)\W+)*"
_TODAY = re.compile(_OPEN + r"(?:what(?:'s| is) (?:the date|today'?s date|the date today|today)|"
                    r"what (?:day|date) is (?:it|today)(?: today)?|what(?:'s| is) the day today)\W*$", re.I)
_WHICH = re.compile(_OPEN + r"(?:what(?:'s| is) the date (?:of |on |for )?|what date is |what day is |"
                    r"which date is |what date would (?:that|it) be (?:on |for )?)(?P<day>[\w' ]{3,40}?)\W*$", re.I)
_TIME = re.compile(_OPEN + r"what time is it(?: now| there| right now)?\W*$", re.I)


def calendar_answer(question: str, now: datetime) -> str | None:
    """Today's date, the date of a day named ("this Friday", "the day after tomorrow") or the time,
    said; None for any other question."""
    text = question.strip()
    if _TODAY.match(text):
        return f"Today is {say_date(now.date())}."
    if _TIME.match(text):
        return f"It's {say_time(now.time().replace(second=0, microsecond=0))}."
    found = _WHICH.match(text)
    if found is None:
        return None
    day = resolve_date(found["day"], now)
    if day is None:
        return None
    named = found["day"].strip()
    return f"{named[0].upper()}{named[1:]} is {say_date(day)}."
