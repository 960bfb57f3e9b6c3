"""Tool arguments that come from the conversation, never from the model's imagination.

A small model fills in a tool's arguments readily, and invents what nobody said ("John Doe",
"123-456-7890", "today at 10:00"). So every value a tool runs with is checked here against what
the call really holds, and carries where it came from:
- `caller`: a name, phone number, email, identifier, number or free text the caller said in this
  call (the model's value is kept only when the caller's words contain it);
- `resolver`: a date or time the resolver read from the caller's words (the model's never counts);
- `tool_result` / `context`: a value a tool returned or the operator injected in this call;
- `schema`: the only value an enum allows.
A value with no such source is left out, so the session asks the caller for it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from voicedock.engines.datetime_resolve import resolve

from .party import PARTY_KEYS, party_size

_UNITS = "zero one two three four five six seven eight nine".split()
_TEENS = "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
         "ninety": 90}
_SMALL = {**{w: i for i, w in enumerate(_UNITS)}, **{w: 10 + i for i, w in enumerate(_TEENS)}, "oh": 0, "o": 0,
          "a": 1, "single": 1, "couple": 2, "pair": 2, "dozen": 12}
_DOUBLE = {"double": 2, "triple": 3}
_FILLERS = {"uh", "um", "er", "erm", "hmm", "ah", "like"}
_PHONE_KEYS = re.compile(r"phone|mobile|cell|telephone|callback|contact_number", re.I)
_EMAIL_KEYS = re.compile(r"e-?mail", re.I)
ADDRESS_KEYS = re.compile(r"address", re.I)  # a street address, where the key is no email's


@dataclass(frozen=True)
class Said:
    """One thing the call holds that a value may come from."""

    text: str
    source: str  # caller | tool_result | context
    turn: int | None = None  # the caller's turn number (1 = first), for caller text


@dataclass(frozen=True)
class Grounded:
    """An argument value and where it came from (kept on the call record with the tool call)."""

    value: Any
    source: str  # caller | resolver | tool_result | context | schema
    turn: int | None = None
    said: str | None = None

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"from": self.source}
        if self.turn is not None:
            out["turn"] = self.turn
        if self.said:
            out["said"] = self.said[:200]
        return out


def spoken_digits(text: str) -> str:
    """Digits said as words or figures, in order: "five five five, oh one 3 4" -> "5550134";
    "double four" -> "44", "twenty one" -> "21"."""
    out: list[str] = []
    words = re.findall(r"[a-z]+|\d+", text.lower())
    repeat = 1
    i = 0
    while i < len(words):
        word = words[i]
        if word.isdigit():
            out.append(word * repeat)
            repeat = 1
        elif word in _DOUBLE:
            repeat = _DOUBLE[word]
        elif word in _TENS:
            value = _TENS[word]
            if i + 1 < len(words) and words[i + 1] in _UNITS[1:]:
                value += _UNITS.index(words[i + 1])
                i += 1
            out.append(str(value) * repeat)
            repeat = 1
        elif word in _SMALL and word not in ("a", "single", "couple", "pair", "dozen", "o"):
            out.append(str(_SMALL[word]) * repeat)
            repeat = 1
        elif word == "o" and out:
            out.append("0")
        i += 1
    return "".join(out)


_SELF_CORRECTION = re.compile(r"(?:\.\.\.|…|,|\.)?\s*\b(?:no,? wait|no sorry|sorry,? no|i mean|i meant|"
                              r"actually|wait,? (?:no|sorry)|no,? no|scratch that)\b[\s,.]*(?:sorry[\s,.]*)?", re.I)


def last_correction(text: str) -> str:
    """What follows the caller's last self-correction ("... no wait, ..."); the whole text without one."""
    return _SELF_CORRECTION.split(text)[-1]


def corrected_digits(text: str) -> str:
    """Digits read out, with a correction in the middle taken: "six oh two, nine nine one... no
    wait, nine one one nine" replaces the group said last ("nine nine one") with what follows; a
    correction that says the number again from the start ("four one, one oh... no wait, four one
    one zero six") replaces all of it."""
    parts = _SELF_CORRECTION.split(text)
    digits, said = spoken_digits(parts[0]), parts[0]
    for part in parts[1:]:
        again = spoken_digits(part)
        if not again:
            continue
        groups = [g for g in re.split(r"[,;.…]+", said) if spoken_digits(g)]
        if len(again) >= len(digits) - 1 or not groups:
            digits = again
        else:
            digits = digits[: len(digits) - len(spoken_digits(groups[-1]))] + again
        said = part
    return digits


_NUMBER_WORD = "|".join([r"\d+", *_UNITS, *_TEENS, *_TENS, "oh", "o", *_DOUBLE])
_DIGIT_RUN = re.compile(rf"\b(?:{_NUMBER_WORD})\b(?:(?:[\s,;.…-]|\b(?:{'|'.join(_FILLERS)})\b)+(?:{_NUMBER_WORD})\b)*",
                        re.I)
_NOT_BEFORE = re.compile(r"\bnot\s*$", re.I)
_ENDS_IN = re.compile(r"\b(?:ends?|ending) (?:in|with)\b|\blast (?:\w+ )?(?:digits|numbers?) (?:are|is|should be)\b",
                      re.I)
PHONE_RUN_DIGITS = 3  # digits a run of number words must give to be part of a phone number
PHONE_WHOLE_DIGITS = 7  # ... and a whole phone number, read out in one run
PHONE_GAP = 12  # characters between a whole number and a part said next to it ("555 and then 207 4419")


def _phone_ending(sources: Sequence[Said]) -> Grounded | None:
    """A number whose end the caller corrects: "it ends in two two four one, not two two one four"
    after "five five five, six one four, two two one four" is 5556142241. The newest caller turn
    gives the ending, an older one the number."""
    callers = [said for said in sources if said.source == "caller"]
    if not callers or not (found := _ENDS_IN.search(callers[0].text)):
        return None
    ending = phone_digits(callers[0].text[found.end():])
    if not 1 <= len(ending) < PHONE_WHOLE_DIGITS:
        return None
    for said in callers[1:]:
        number = phone_digits(said.text)
        if PHONE_WHOLE_DIGITS <= len(number) <= 15:
            return Grounded(number[: -len(ending)] + ending, "caller", callers[0].turn,
                            f"{said.text} ({callers[0].text})")
    return None


def phone_digits(text: str) -> str:
    """The phone number a turn reads out: its runs of number words ("nine two eight, five five five,
    oh one six oh") with `corrected_digits`' corrections, without the short ones around them: "Oh,
    right. Five five five..." starts with no zero, and the eleven of "quarter past eleven then.
    ... nine two eight, ..." or the eight and two of "at eight, for two" are no digits of it. Where
    the turn reads out a whole number before any correction, a time said apart from it ("Nine
    thirty. Name's ..., five five five, ...") is none of it either."""
    first = _SELF_CORRECTION.search(text)
    head = text[: first.start()] if first else text
    wholes = [m.span() for m in _DIGIT_RUN.finditer(head) if len(spoken_digits(m.group(0))) >= PHONE_WHOLE_DIGITS]

    def keep(m: re.Match[str]) -> str:
        if _NOT_BEFORE.search(text, 0, m.start()):  # "two two four one, not two two one four"
            return " " * len(m.group(0))
        digits = len(spoken_digits(m.group(0)))
        apart = m.start() < len(head) and all(m.start() - end > PHONE_GAP or start - m.end() > PHONE_GAP
                                              for start, end in wholes)
        short = digits < PHONE_RUN_DIGITS or (bool(wholes) and apart and digits < PHONE_WHOLE_DIGITS)
        return " " * len(m.group(0)) if short else m.group(0)

    return corrected_digits(_DIGIT_RUN.sub(keep, text))


def _words(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z0-9']+", text.lower().replace("’", "'")) if w not in _FILLERS]


_DIGIT_WORD = re.compile(r"\d|zero|oh|one|two|three|four|five|six|seven|eight|nine|double|triple")
DIGIT_RUN = 4  # digits said in a row from this many on are a number read out, not counts


def _in_digit_runs(words: list[str]) -> set[int]:
    """The positions of words that belong to a number read out digit by digit ("five five five,
    four oh four, two two one nine"): none of its digits is a count the caller gave."""
    inside: set[int] = set()
    start = 0
    for i in range(len(words) + 1):
        if i < len(words) and _DIGIT_WORD.fullmatch(words[i]) and len(words[i]) <= 6:
            continue
        if i - start >= DIGIT_RUN:
            inside.update(range(start, i))
        start = i + 1
    return inside


def _numbers(text: str) -> set[float]:
    """Every number the text says, in figures or words ("a table for four" -> {4}); the single
    digits of a number read out ("five five five, oh one two") are not numbers of their own."""
    found: set[float] = {float(n) for n in re.findall(r"\d+(?:\.\d+)?", text)}
    words = _words(text)
    read_out = _in_digit_runs(words)
    for i, word in enumerate(words):
        if i in read_out:
            continue
        if word in _TENS:
            unit = _UNITS.index(words[i + 1]) if i + 1 < len(words) and words[i + 1] in _UNITS[1:] else 0
            found.add(float(_TENS[word] + unit))
        elif word in _SMALL:
            found.add(float(_SMALL[word]))
    return found


def _email(text: str) -> str:
    spoken = re.sub(r"\s+(at)\s+", "@", " " + text.lower() + " ")
    spoken = re.sub(r"\s+(dot)\s+", ".", spoken)
    return re.sub(r"\s+", "", spoken).strip(".,;:!?")


def _contains_phrase(haystack: str, needle: str) -> bool:
    """Whether the words of `needle` occur in order, next to each other, in `haystack`."""
    hay, pin = _words(haystack), _words(needle)
    if not pin:
        return False
    return any(hay[i : i + len(pin)] == pin for i in range(len(hay) - len(pin) + 1))


def _identifier(text: str) -> str:
    """Letters and digits only, number words as digits: "AB 12 three four" -> "ab1234"."""
    parts = []
    for token in re.findall(r"[a-z]+|\d+", text.lower()):
        digits = spoken_digits(token) if token in _SMALL or token in _TENS else ""
        parts.append(digits or token)
    return "".join(parts)


OWN_NAME_KEYS = re.compile(r"owner|caller|customer|client|contact|holder", re.I)
"""Name keys for the caller's own name, which a pet's, a child's or a friend's name never fills."""
OTHERS_NAME_KEYS = re.compile(r"pet|animal|dog|cat|child|kid|baby|son|daughter", re.I)
"""Name keys for someone else's name (a pet's, a child's), which the caller's own never fills."""
_ANOTHER = (r"dog|cat|pet|puppy|kitten|rabbit|bunny|ferret|hamster|bird|parrot|horse|son|daughter|kid|child|baby|"
            r"husband|wife|partner|mother|father|mom|mum|dad|friend|boss")
_A_NAME = r"((?:(?:Mr|Mrs|Ms|Miss|Dr|Sergeant|Captain)\.? )?[A-Z][\w'’-]*(?: [A-Z][\w'’-]*)?)"
_OTHERS_NAME = re.compile(
    rf"\b(?i:(?:her|his|its|their|(?:the |my |our )?(?:{_ANOTHER})(?:'s|s)?) name(?:'s| is| was)|"
    rf"(?:she|he|it)(?:'s| is) called|named|(?:it'?s|it is|that'?s|this is) for(?: my [a-z]+,?)?|"
    rf"(?:the|my|our) (?:{_ANOTHER})(?:'s| is|,)?)\s+{_A_NAME}"
    rf"|{_A_NAME}'s (?i:appointment|visit|booking|checkup|check-up|vaccinations?|shots?)\b")


def others_names(text: str) -> list[str]:
    """The names `text` gives to someone else: "Her name's Clover", "It's for Biscuit", "the dog's
    Tank", "my beagle, Waffles", "Luna's appointment"."""
    names = [m.group(1) or m.group(2) for m in _OTHERS_NAME.finditer(text)]
    return [n for n in names if n.split()[0].lower() not in _NOT_OTHERS]


_NOT_OTHERS = frozenset("monday tuesday wednesday thursday friday saturday sunday today tomorrow tonight january "
                        "february march april may june july august september october november december".split())


def without_others_names(text: str) -> str:
    """`text` without the names it gives to someone else, for reading the caller's own name: a
    caller who named only their rabbit never gave theirs."""
    return _OTHERS_NAME.sub(lambda m: " " * len(m.group(0)), text)


def _text_matches(value: str, said: str, key: str) -> bool:
    value = value.strip()
    if not value:
        return False
    if OTHERS_NAME_KEYS.search(key) and "name" in key.lower():
        return any(_contains_phrase(name, value) for name in others_names(said))
    if OWN_NAME_KEYS.search(key) and "name" in key.lower():
        said = without_others_names(said)
    if ADDRESS_KEYS.search(key) and not _EMAIL_KEYS.search(key) and not re.search(r"\d", value):
        return False  # a street address has a number; "the wrong address on my order" is none
    if _EMAIL_KEYS.search(key) or "@" in value:
        return _email(value) != "" and _email(value) in _email(said)
    if _PHONE_KEYS.search(key) or re.fullmatch(r"[\d\s()+.-]{5,}", value):
        digits = re.sub(r"\D", "", value)
        return len(digits) >= 3 and digits in phone_digits(said)
    if _contains_phrase(said, value):
        return True
    ident = _identifier(value)
    if re.search(r"\d", value) and len(ident) >= 3:
        heard = _identifier(said)
        prefix = re.match(r"[a-z]*", ident)
        letters = prefix.group(0) if prefix else ""
        # "INC four one, one oh... no wait, four one one zero six" said INC41106: its prefix, then the digits
        return ident in heard or (letters in heard and ident[len(letters):] == corrected_digits(said))
    return _mostly_said(value, said)


def _mostly_said(value: str, said: str) -> bool:
    """Free text (a reason, a summary of a problem): most of its words are the caller's own."""
    words = [w for w in _words(value) if len(w) > 2]
    if len(words) < 3:
        return False
    heard = set(_words(said))
    return sum(w in heard for w in words) / len(words) >= 0.75


def ground_value(
    key: str, prop: Mapping[str, Any], proposed: Any, sources: Sequence[Said], now: datetime,
) -> Grounded | None:
    """The value of one argument, from the newest source that gives it; None when nothing does.

    `sources` are newest first; `proposed` is the model's value, used only as a pointer into them.
    """
    fmt = prop.get("format")
    if fmt in ("date", "time", "date-time"):
        return _ground_moment(fmt, sources, now)
    enum = prop.get("enum")
    if isinstance(enum, list) and enum:
        return _ground_enum(enum, proposed, sources)
    kind = prop.get("type")
    if kind in ("integer", "number"):
        return _ground_number(kind, proposed, sources, counts_people=bool(PARTY_KEYS.search(key)))
    if kind == "boolean":
        return None  # a yes/no the model read into the call is not the caller's answer
    if proposed is None or isinstance(proposed, (dict, list)):
        return None
    if _PHONE_KEYS.search(key) and (ending := _phone_ending(sources)) is not None:
        return ending
    value = str(proposed).strip()
    for said in sources:
        if _text_matches(value, said.text, key):
            clean = re.sub(r"\D", "", value) if _PHONE_KEYS.search(key) else value
            return Grounded(clean, said.source, said.turn, said.text)
    return None


_CLAUSE = re.compile(r"(?<=[,;.!?])\s+|\s+(?:but|except)\s+", re.I)
_DENIED = re.compile(r"\b(?:not|never|no longer|won'?t|can'?t|cannot|don'?t|doesn'?t|isn'?t|wasn'?t|aren'?t)\b|n't\b"
                     # days the caller is away are days ruled out: "I'm out of town this weekend and Monday"
                     r"|\b(?:out of town|(?<!right )(?<!take )(?<!far )away|on (?:holiday|vacation)|travell?ing|unavailable|busy)\b",
                     re.I)


def affirmed(text: str) -> str:
    """The text without the statements it denies: "I won't be home Thursday, can you come another
    day?" gives no day, "not Tuesday, Wednesday" gives Wednesday. A negative question ("Isn't
    there anything on Friday?") still asks about Friday."""
    parts = _CLAUSE.split(text)
    return " ".join(p for p in parts if not _DENIED.search(p) or p.rstrip().endswith("?"))


# A day said relative to the day last talked about: "What about the day after?"
_DAY_AFTER = re.compile(r"\bthe (?:day|one) after\b(?! tomorrow)|\bthe (?:next|following) day\b", re.I)
_DAY_BEFORE = re.compile(r"\bthe (?:day|one) before\b(?! yesterday)|\bthe previous day\b", re.I)


def _relative_day(text: str) -> int:
    """+1 for "the day after", -1 for "the day before", 0 for neither."""
    return 1 if _DAY_AFTER.search(text) else -1 if _DAY_BEFORE.search(text) else 0


def _ground_moment(fmt: str, sources: Sequence[Said], now: datetime) -> Grounded | None:
    offered = offered_times(sources)
    shift: tuple[int, Said] | None = None  # a newer turn's "the day after", waiting for the day it is after
    for said in sources:
        if said.source == "tool_result":
            offered = []  # a turn before the times were offered cannot have picked one
        if said.source != "caller":
            continue
        found = resolve(affirmed(said.text), now)
        if fmt == "date" and found.date and shift is not None:
            day = found.date + timedelta(days=shift[0])
            return Grounded(day.isoformat(), "resolver", shift[1].turn, f"{shift[1].text} ({said.text})")
        if fmt == "date" and found.date:
            return Grounded(found.date.isoformat(), "resolver", said.turn, said.text)
        if fmt == "date" and shift is None and (step := _relative_day(said.text)):
            shift = (step, said)
            continue
        if fmt == "time" and (picked := picked_by_order(said.text, offered)):
            return Grounded(picked, "tool_result", said.turn, said.text)
        if fmt == "time" and found.time:
            return Grounded(found.time.strftime("%H:%M"), "resolver", said.turn, said.text)
        if fmt == "time" and (picked := picked_time(said.text, offered)):
            return Grounded(picked, "tool_result", said.turn, said.text)
        if fmt == "date-time" and found.date and found.time:
            moment = found.to_datetime(now)
            assert moment is not None
            return Grounded(moment.isoformat(), "resolver", said.turn, said.text)
    return None


_CLOCK = re.compile(r"\b([01]?\d|2[0-3]):([0-5]\d)\b")
_COUNTED = re.compile(r"\b(?:people|persons|guests|adults|kids|children|of us|party|we'?re|we are|days?|weeks?)\b",
                      re.I)
PICK_MAX_WORDS = 6  # "Okay, three then.", "The four o'clock one": a choice, not a story with numbers in it


def offered_times(sources: Sequence[Said]) -> list[str]:
    """The clock times ("15:00") the call's tool results hold, newest result first."""
    out: list[str] = []
    for said in sources:
        if said.source == "tool_result":
            out += [f"{int(h):02d}:{m}" for h, m in _CLOCK.findall(said.text) if f"{int(h):02d}:{m}" not in out]
    return out


_BY_ORDER = re.compile(r"\bthe (earlier|earliest|first|later|latest|last) (?:one|slot|time|option)\b", re.I)


def picked_by_order(text: str, offered: Sequence[str]) -> str | None:
    """The offered time a turn names by its place among them: "Okay, the later one." of 18:45 and
    21:30; the last such words said count ("the earlier one's too early... okay, the later one")."""
    said = _BY_ORDER.findall(text)
    if not said or len(offered) < 2:
        return None
    ordered = sorted(offered)
    return ordered[0] if said[-1].lower() in ("earlier", "earliest", "first") else ordered[-1]


def picked_time(text: str, offered: Sequence[str]) -> str | None:
    """The one offered time a short turn names by its hour alone ("three then" of 15:00 and 16:00),
    which the resolver rightly does not read as a time without a cue. None unless exactly one fits."""
    if not offered or len(_words(text)) > PICK_MAX_WORDS or _COUNTED.search(text):
        return None
    hours = {int(n) % 12 for n in _numbers(text) if n.is_integer() and 1 <= n <= 12}
    fits = [t for t in offered if int(t[:2]) % 12 in hours]
    return fits[0] if len(fits) == 1 else None


# How callers say how urgent something is, for a priority-like enum: the levels a scale's values
# name, and the words that say each level without naming it.
_LEVELS = {
    "urgent": {"urgent", "critical", "high", "highest", "emergency", "asap", "p1"},
    "normal": {"normal", "medium", "moderate", "standard", "p2"},
    "low": {"low", "lowest", "minor", "p3", "p4"},
}
_SAYS_LEVEL = (
    ("urgent", re.compile(
        r"\b(?:as soon as possible|asap|right away|immediately|(?:can'?t|cannot|can not|unable to) (?:do )?(?:any |my )?"
        r"(?:work|do anything|get anything done)|nobody(?:'s| has)? (?:got|can|has)|no one can|"
        r"(?:the )?(?:whole|entire) (?:team|office|floor|department|company|building|site)|all of us|"
        r"everyone(?:'s| is)? (?:down|affected|out|stuck))\b", re.I)),
    ("low", re.compile(
        r"\b(?:no (?:rush|hurry)|whenever (?:you|someone|somebody)|when(?:ever)? (?:you|someone|somebody) "
        r"(?:gets?|has|have) (?:a )?(?:chance|moment|minute)|small (?:thing|request)|just a question|"
        r"(?:not|no) (?:a )?big deal)\b", re.I)),
    ("normal", re.compile(r"\b(?:work around it|a workaround|i can still work|for now i can)\b", re.I)),
)


def _ground_level(enum: list[Any], sources: Sequence[Said]) -> Grounded | None:
    """A priority said in other words: "I can't do any work at all" is the scale's urgent value,
    "no hurry at all" its low one. Only for an enum whose values name such levels, only from the
    caller's own words, newest first."""
    levels = {level: v for v in enum if isinstance(v, str)
              for level, names in _LEVELS.items() if v.lower() in names}
    if len(levels) < 2:
        return None
    for said in sources:
        if said.source != "caller":
            continue
        for level, says in _SAYS_LEVEL:
            if level in levels and says.search(said.text.replace("’", "'")):
                return Grounded(levels[level], said.source, said.turn, said.text)
    return None


def _ground_enum(enum: list[Any], proposed: Any, sources: Sequence[Said]) -> Grounded | None:
    if len(enum) == 1:
        return Grounded(enum[0], "schema")
    for said in sources:
        text = re.sub(r"\b(?:not|no|isn't|is not|nothing)\s+(?:\w+\s+)?(\w+)", " ", said.text.lower())
        mentioned = [v for v in enum if isinstance(v, str) and _contains_phrase(text, v)] or _by_tail(enum, text)
        if len(mentioned) == 1:
            return Grounded(mentioned[0], said.source, said.turn, said.text)
        if proposed in mentioned:
            return Grounded(proposed, said.source, said.turn, said.text)
    return _ground_level(enum, sources)


def _by_tail(enum: list[Any], text: str) -> list[str]:
    """Values of one word named by their last part: "a cut" is the "haircut" of the enum, "the
    wash" its "carwash"; never a part shorter than three letters."""
    words = set(_words(text))
    return [v for v in enum if isinstance(v, str) and " " not in v.strip() and any(
        len(w) >= 3 and v.lower() != w and v.lower().replace("-", "").endswith(w) for w in words)]


def _ground_number(kind: str, proposed: Any, sources: Sequence[Said], *, counts_people: bool = False) -> Grounded | None:
    if isinstance(proposed, bool) or not isinstance(proposed, (int, float, str)):
        return None
    try:
        number = float(proposed)
    except ValueError:
        return None
    for said in sources:
        if number in _numbers(said.text) or (counts_people and said.source == "caller" and party_size(said.text) == number):
            value: int | float = int(number) if kind == "integer" and number.is_integer() else number
            return Grounded(value, said.source, said.turn, said.text)
    return None


def ground_arguments(
    parameters: Mapping[str, Any], proposed: Mapping[str, Any], sources: Sequence[Said], now: datetime,
) -> dict[str, Grounded]:
    """Every argument of the schema that the call grounds; the model's other values are dropped."""
    props = parameters.get("properties") or {}
    out: dict[str, Grounded] = {}
    for key, prop in props.items():
        if not isinstance(prop, Mapping):
            continue
        grounded = ground_value(key, prop, proposed.get(key), sources, now)
        if grounded is not None:
            out[key] = grounded
    return out


def missing_required(parameters: Mapping[str, Any], values: Mapping[str, Any]) -> list[str]:
    return [k for k in parameters.get("required") or [] if k not in values]


def question_for(key: str, prop: Mapping[str, Any]) -> str:
    """One short question for one missing value, in fixed words (nothing a model could invent)."""
    name = key.lower()
    fmt = prop.get("format")
    if fmt == "date":
        return "For which day?"
    if fmt == "time":
        return "At what time?"
    if fmt == "date-time":
        return "For which day and time?"
    if _EMAIL_KEYS.search(name):
        return "What is your email address?"
    if _PHONE_KEYS.search(name):
        return "What phone number can we reach you on?"
    if "name" in name and not re.search(r"(file|user|host|product|item|street)_?name", name):
        return "May I have your name, please?"
    enum = prop.get("enum")
    if isinstance(enum, list) and 1 < len(enum) <= 5:
        options = [str(v) for v in enum]
        return f"Which would it be: {', '.join(options[:-1])} or {options[-1]}?"
    if re.search(r"(party|group)_?size|people|guests|persons", name):
        return "For how many people?"
    words = re.sub(r"[_\W]+", " ", re.sub(r"([a-z])([A-Z])", r"\1 \2", key)).strip().lower()
    return f"What is the {words}, please?"


_LEAD_IN = re.compile(
    r"^\W*(?:(?:yes|yeah|sure|ok|okay|so|well|uh|um)\W+)*(?:it'?s|it is|my name is|my name'?s|the name is|"
    r"name'?s|this is|i'?m|i am|under|put it under|for)\s+", re.I)
_NOT_A_NAME = set(
    "yes no okay ok sure hello hi thanks thank sorry what why when where how who the a an and or not to for in on "
    "at of it is are was be do does can could would will should i me my you your we our just please book booking "
    "appointment table ticket tomorrow today morning afternoon evening want need like that this there here now "
    "then so well uh um name number phone again already said told".split())


def answer_for(key: str, prop: Mapping[str, Any], said: Said) -> Grounded | None:
    """The caller's whole turn read as the answer to the question asked for `key` ("Ana Lopez.",
    "five five five oh one three four"), for when the model did not pick the value out."""
    text = said.text.strip()
    if prop.get("format") or prop.get("enum"):
        return None
    if _EMAIL_KEYS.search(key):
        email = _email(text)
        found = re.search(r"[\w.+-]+@[\w-]+(\.[\w-]+)+", email)
        return Grounded(found.group(0), said.source, said.turn, text) if found else None
    if _PHONE_KEYS.search(key):
        digits = phone_digits(text)
        return Grounded(digits, said.source, said.turn, text) if 7 <= len(digits) <= 15 else None
    if prop.get("type") in ("integer", "number"):
        numbers = _numbers(re.sub(r"(?i)\ban?\b", " ", text))  # the article of "a kids' menu" counts nothing
        if len(numbers) == 1:
            number = numbers.pop()
            return Grounded(int(number) if number.is_integer() else number, said.source, said.turn, text)
        return None
    if "name" in key.lower():  # the whole answer, else its first sentence ("Lena Fischer. And my number's ...")
        for part in dict.fromkeys((text, re.split(r"(?<=\w)[.;!?]\s+", text)[0])):
            name = _LEAD_IN.sub("", part).strip(" .,!?")
            words = name.split()
            if 1 <= len(words) <= 4 and all(re.fullmatch(r"[A-Za-z][A-Za-z'.-]*", w) for w in words) \
                    and not {w.lower() for w in words} & _NOT_A_NAME:
                return Grounded(name, said.source, said.turn, text)
    return None
