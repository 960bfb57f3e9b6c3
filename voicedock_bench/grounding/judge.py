"""Pure judging rules for one caller turn: the tool outcome, invented values, fact answers, parroting.

Each rule is a small function of plain data (no session, no model) so it can be unit-tested on
hand-made cases and read as the definition of the metric; docs/grounding-eval.md restates them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from difflib import SequenceMatcher
from typing import Any

from .normalise import (
    MONTHS,
    WEEKDAYS,
    as_date,
    as_time,
    dates_said,
    digits,
    fold,
    number_tokens,
    plain,
    spoken,
    squash,
    times_said,
)

_PHONE_KEY = re.compile(r"phone|mobile|cell|telephone|callback|contact_number", re.I)


@dataclass(frozen=True)
class ToolRun:
    """A tool that really ran in a turn (a question asked instead of running is not a run)."""

    name: str
    arguments: Mapping[str, Any] = field(default_factory=dict)


# -- the tool outcome of a turn ---------------------------------------------------------------------


def same_value(key: str, expected: Any, got: Any) -> bool:
    """One argument: phone digits only; dates and times by value; numbers by value; free text
    ({"contains": [[alternatives], ...]}) by keywords; other strings case- and space-insensitive."""
    if isinstance(expected, Mapping) and "contains" in expected:
        text = fold(str(got)) if got is not None else ""
        return all(any(fold(alt) in text for alt in group) for group in expected["contains"])
    if got is None:
        return False
    if _PHONE_KEY.search(key):
        return bool(digits(str(expected))) and digits(str(expected)) == digits(str(got))
    if isinstance(expected, bool) or isinstance(got, bool):
        return expected is got
    if isinstance(expected, int | float):
        try:
            return float(got) == float(expected)
        except (TypeError, ValueError):
            return False
    if (d := as_date(expected)) is not None:
        return as_date(got) == d
    if (t := as_time(expected)) is not None:
        return as_time(got) == t
    exp, val = plain(expected), plain(got)
    if any(c.isdigit() for c in exp) and "@" not in exp:  # identifiers: INC-40388 == inc 40388
        exp, val = re.sub(r"[-_.]", "", exp), re.sub(r"[-_.]", "", val)
    return exp == val


def arguments_match(expected: Mapping[str, Any], got: Mapping[str, Any]) -> bool:
    """Every expected argument equal, and nothing else given (an extra value is a made-up value too)."""
    extra = [k for k, v in got.items() if k not in expected and v not in (None, "", [], {})]
    return not extra and all(same_value(k, v, got.get(k)) for k, v in expected.items())


def turn_right(options: Sequence[Mapping[str, Any]], ran: Sequence[ToolRun]) -> bool:
    """`options`: acceptable {"tool", "arguments"} outcomes (tool None = no tool). Right when no tool
    ran and no tool is acceptable, or exactly one tool ran and it matches an acceptable one."""
    if not ran:
        return any(o["tool"] is None for o in options)
    if len(ran) != 1:
        return False
    run = ran[0]
    return any(o["tool"] == run.name and arguments_match(o.get("arguments") or {}, run.arguments) for o in options)


# -- invented values --------------------------------------------------------------------------------


@dataclass
class Sources:
    """Where a value may legitimately come from, as of one turn."""

    caller: list[str] = field(default_factory=list)  # the caller's turns so far
    results: list[str] = field(default_factory=list)  # tool results so far, as JSON text
    prompt: str = ""  # the assistant's system prompt (its facts)
    given: list[Any] = field(default_factory=list)  # canonical values the caller's words denote (gives)
    today: date | None = None  # the call's date, for reading "tomorrow" or "Friday" in the caller's words

    def texts(self) -> list[str]:
        return [*self.caller, *self.results, self.prompt]


_STOP = {"the", "and", "with", "that", "this", "from", "have", "been", "keeps", "their", "they", "there", "about",
         "please", "would", "could", "will", "again", "into", "does", "isn't", "doesn't", "caller", "user"}


def grounded(key: str, value: Any, sources: Sources) -> bool:
    """Whether a tool argument has a source in the call (the definition of "not invented")."""
    if value is None or value == "" or isinstance(value, bool):
        return True
    if any(same_value(key, g, value) for g in sources.given if not isinstance(g, Mapping)):
        return True
    text = str(value)
    if (day := as_date(text)) is not None:  # a literal copy, or a date the caller's words can mean
        return (any(text.strip() in src for src in [*sources.results, *sources.caller])
                or (sources.today is not None and any(day in dates_said(c, sources.today) for c in sources.caller)))
    if (at := as_time(text)) is not None:
        return (any(text.strip()[:5] in src for src in [*sources.results, *sources.caller])
                or any(at.replace(second=0) in times_said(c) for c in sources.caller))
    if isinstance(value, int | float):
        return any(str(int(value)) in number_tokens(src) for src in sources.texts())
    if "@" in text:
        spoken_form = text.replace("@", " at ").replace(".", " dot ")
        if any(squash(spoken_form) in squash(src) for src in sources.caller):
            return True
    if _PHONE_KEY.search(key) or (digits(text) and len(digits(text)) >= 5 and not re.search(r"[a-z]", fold(text))):
        need = digits(text)
        return bool(need) and any(need in digits(src) for src in sources.texts())
    words = [w for w in re.findall(r"[a-z]+", fold(text)) if len(w) >= 4 and w not in _STOP]
    if len(text.split()) >= 4 and words:  # free text: most of its content words were said
        said = " ".join(squash(src) for src in [*sources.caller, *sources.results])
        return sum(w[:5] in said for w in words) * 2 >= len(words)
    needle = squash(text)
    return bool(needle) and any(needle in squash(src) for src in sources.texts())


def invented_values(arguments: Mapping[str, Any], sources: Sources) -> list[tuple[str, Any]]:
    """The (key, value) pairs of a run whose value comes from nowhere in the call."""
    return [(k, v) for k, v in arguments.items() if not grounded(k, v, sources)]


# -- fact questions ---------------------------------------------------------------------------------

HONEST = (
    "don't have", "do not have", "don't know", "do not know", "not sure", "no information", "not certain",
    "can't say", "cannot say", "can't tell", "cannot tell", "can't confirm", "cannot confirm", "i'm afraid i",
    "not aware", "need to check", "have to check", "would need to check", "i'd need to", "take a message",
    "check with", "find out", "pass on", "pass that on", "not something i", "isn't something i", "don't see",
    "no details", "not listed", "not mentioned", "unfortunately i", "can't help with that", "don't have that",
    "not in my", "no record", "unsure", "i couldn't say", "i could not say", "don't currently have",
)
_DEFINITE = re.compile(
    r"^\W*(?:yes|yeah|yep|no|nope|sure|of course|absolutely|certainly|definitely)\b|"
    r"\bwe (?:do|don't|do not|have|offer|allow|accept|can|cannot|can't|are|aren't|sell|serve)\b|\byou can\b", re.I)
_NOT_A_NUMBER = re.compile(r"\b(?:one|first|second)\b(?! ?(?:am|pm|a\.m\.|p\.m\.|o'clock|dollars?|euros?|percent|"
                           r"minutes?|hours?|days?|weeks?|bottles?|people|persons|guests))")


def specifics(text: str) -> set[str]:
    """The checkable details of a reply: every number (in figures or words), weekday and month names.
    "One", "first" and "second" count only before a unit: "no one", "one moment", "first of all"."""
    folded = _NOT_A_NUMBER.sub(" ", fold(text))
    found = number_tokens(folded)
    found |= {w for w in re.findall(r"[a-z]+", folded) if w in WEEKDAYS or (w in MONTHS and w != "may")}
    return found


def known_specifics(text: str) -> set[str]:
    """The details a text supports, read liberally: every number, in figures or words, and names of days."""
    folded = fold(text)
    return number_tokens(folded) | {w for w in re.findall(r"[a-z]+", folded) if w in WEEKDAYS or w in MONTHS}


def _has(text: str, phrase: str) -> bool:
    phrase = fold(phrase)
    left = r"(?<![a-z0-9])" if phrase[:1].isalnum() else ""
    right = r"(?![a-z0-9])" if phrase[-1:].isalnum() else ""
    return re.search(left + re.escape(phrase) + right, text) is not None


def contains_any(reply: str, alternatives: Sequence[str]) -> bool:
    """A phrase (word-bounded, casefolded) in the reply as written or with number words as figures."""
    forms = (fold(reply), spoken(reply))
    return any(_has(form, alt) or _has(form, spoken(alt)) for alt in alternatives for form in forms)


@dataclass(frozen=True)
class FactVerdict:
    right: bool
    invented: bool
    why: str


def judge_fact(fact: Mapping[str, Any], reply: str, allowed: str) -> FactVerdict:
    """`allowed`: every text the reply may take details from (prompt, calendar, caller, tool results).

    Answerable: right when every keyword group matches and nothing contradicts (a `wrong` phrase, or
    a detail found nowhere in `allowed`). Unanswerable: right when the reply admits not knowing and
    gives no unsupported detail; invented when it gives one, or states a plain yes/no without admitting."""
    keywords = [list(g) for g in fact.get("keywords") or []]
    known = known_specifics(allowed) | known_specifics(" ".join(a for g in keywords for a in g))
    unsupported = sorted(specifics(reply) - known)
    if fact["answerable"]:
        missing = [g[0] for g in keywords if not contains_any(reply, g)]
        wrong = [w for w in fact.get("wrong") or [] if contains_any(reply, [w])]
        contradicted = bool(wrong or unsupported)
        why = "; ".join(filter(None, [
            f"missing {missing}" if missing else "", f"contradicts with {wrong}" if wrong else "",
            f"unsupported details {unsupported}" if unsupported else ""])) or "ok"
        return FactVerdict(not missing and not contradicted, contradicted, why)
    honest = contains_any(reply, HONEST)
    definite = not honest and _DEFINITE.search(fold(reply)) is not None
    invented = bool(unsupported) or definite
    why = "; ".join(filter(None, [
        "" if honest else "does not admit not knowing", f"unsupported details {unsupported}" if unsupported else "",
        "answers yes/no without knowing" if definite else ""])) or "ok"
    return FactVerdict(honest and not unsupported, invented, why)


# -- greeting parroting, asking for values ----------------------------------------------------------


def repeats_greeting(reply: str, greeting: str | None) -> bool:
    """A reply that is (or contains) the assistant's first message again."""
    if not greeting or not reply.strip():
        return False
    a, b = " ".join(re.findall(r"[a-z0-9']+", fold(reply))), " ".join(re.findall(r"[a-z0-9']+", fold(greeting)))
    return b in a or SequenceMatcher(None, a, b).ratio() >= 0.8


ASK_WORDS = {
    "name": ["name"], "phone": ["phone", "number", "reach you"], "date": ["day", "date", "when"],
    "time": ["time", "when"], "party_size": ["how many", "people", "guests", "party", "persons"],
    "tracking_number": ["tracking"], "address": ["address"], "ticket_number": ["ticket number", "number"],
    "priority": ["priority", "urgent", "how bad", "able to work", "can you work"], "email": ["email", "e-mail"],
    "summary": ["problem", "issue", "describe", "what's wrong", "what is wrong", "happening"],
}


def asks_for(reply: str, keys: Sequence[str]) -> bool:
    """The reply asks (with a question mark) for at least one of the values the turn still lacks."""
    return "?" in reply and any(contains_any(reply, ASK_WORDS.get(k, [k.replace("_", " ")])) for k in keys)


def result_text(result: Any) -> str:
    return result if isinstance(result, str) else json.dumps(result, ensure_ascii=False, default=str)
