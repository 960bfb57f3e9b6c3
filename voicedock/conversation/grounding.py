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
from datetime import datetime, time, timedelta
from typing import Any

from voicedock.engines.datetime_resolve import resolve, resolve_time
from voicedock.engines.datetime_words import normalise

from .digits import (
    ENDS_IN,
    PHONE_WHOLE_DIGITS,
    SMALL,
    TENS,
    corrected_digits,
    numbers,
    phone_digits,
    said_words,
    spoken_digits,
)
from .levels import ground_level
from .names import OTHERS_NAME_KEYS, OWN_NAME_KEYS, others_names, without_others_names, without_spelling
from .party import PARTY_KEYS, party_size
from .phones import possible_phone
from .said import Grounded as Grounded
from .said import Said as Said

PHONE_KEYS = re.compile(r"phone|mobile|cell|telephone|callback|contact_number", re.I)
_EMAIL_KEYS = re.compile(r"e-?mail", re.I)
ADDRESS_KEYS = re.compile(r"address", re.I)  # a street address, where the key is no email's


def _phone_ending(sources: Sequence[Said]) -> Grounded | None:
    """A number whose end the caller corrects: "it ends in two two four one, not two two one four"
    after "five five five, six one four, two two one four" is 5556142241. The newest caller turn
    gives the ending, an older one the number."""
    callers = [said for said in sources if said.source == "caller"]
    if not callers or not (found := ENDS_IN.search(callers[0].text)):
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



def _email(text: str) -> str:
    spoken = re.sub(r"\s+(at)\s+", "@", " " + text.lower() + " ")
    spoken = re.sub(r"\s+(dot)\s+", ".", spoken)
    return re.sub(r"\s+", "", spoken).strip(".,;:!?")


def _contains_phrase(haystack: str, needle: str) -> bool:
    """Whether the words of `needle` occur in order, next to each other, in `haystack`."""
    hay, pin = said_words(haystack), said_words(needle)
    if not pin:
        return False
    return any(hay[i : i + len(pin)] == pin for i in range(len(hay) - len(pin) + 1))


def _identifier(text: str) -> str:
    """Letters and digits only, number words as digits: "AB 12 three four" -> "ab1234"."""
    parts = []
    for token in re.findall(r"[a-z]+|\d+", text.lower()):
        digits = spoken_digits(token) if token in SMALL or token in TENS else ""
        parts.append(digits or token)
    return "".join(parts)


def _text_matches(value: str, said: str, key: str) -> bool:
    value = value.strip()
    if not value:
        return False
    if "name" in key.lower():
        if OTHERS_NAME_KEYS.search(key):
            return any(_contains_phrase(name, value) for name in others_names(said))
        said = without_spelling(without_others_names(said) if OWN_NAME_KEYS.search(key) else said)
    if ADDRESS_KEYS.search(key) and not _EMAIL_KEYS.search(key) and not re.search(r"\d", value):
        return False  # a street address has a number; "the wrong address on my order" is none
    if _EMAIL_KEYS.search(key) or "@" in value:
        return _email(value) != "" and _email(value) in _email(said)
    if PHONE_KEYS.search(key) or re.fullmatch(r"[\d\s()+.-]{5,}", value):
        digits = re.sub(r"\D", "", value)
        return len(digits) >= 3 and digits in phone_digits(said)
    if _contains_phrase(said, value):
        return True
    ident = _identifier(value)
    if re.search(r"\d", value) and len(ident) >= 3:
        heard = _identifier(said)
        prefix = re.match(r"[a-z]*", ident)
        letters = prefix.group(0) if prefix else ""
        # "INC four one, one oh... no wait, four one one zero six" said INC41106: its prefix, then the
        # digits; as is "It's INC-4110. Sorry, 4-1-1-0-6." (four digits or more said in a row)
        digits = ident[len(letters):]
        return ident in heard or (letters in heard and (
            digits == corrected_digits(said) or (len(digits) >= 4 and digits.isdigit() and digits in heard)))
    return _mostly_said(value, said)


def _mostly_said(value: str, said: str) -> bool:
    """Free text (a reason, a summary of a problem): most of its words are the caller's own."""
    words = [w for w in said_words(value) if len(w) > 2]
    if len(words) < 3:
        return False
    heard = set(said_words(said))
    return sum(w in heard for w in words) / len(words) >= 0.75


DESCRIBED_FORMAT = re.compile(r"^\s*([A-Z]{1,5})\s+followed by\s+(\w+)\s+digits?\b")
"""A number's format as a tool's parameter describes it: "SD followed by eight digits"."""


def described_digits(description: str) -> int | None:
    """How many digits a parameter's description says its values have (None: it says nothing)."""
    shape = DESCRIBED_FORMAT.match(description)
    if shape is None:
        return None
    count = shape.group(2).lower()
    return int(count) if count.isdigit() else SMALL.get(count)


def ground_value(
    key: str, prop: Mapping[str, Any], proposed: Any, sources: Sequence[Said], now: datetime,
    region: str | None = None, *, counts: bool = True,
) -> Grounded | None:
    """The value of one argument, from the newest source that gives it; None when nothing does.

    `sources` are newest first; `proposed` is the model's value, used only as a pointer into them.
    `region` is the country whose phone numbers the call expects (`phones.phone_region`): a phone
    number that cannot be one there was misheard, and is no value. `counts`: the tool takes a
    number too (a party's size), so an hour said alone may be that instead of a time.
    """
    grounded = _ground_value(key, prop, proposed, sources, now, counts)
    if grounded is not None and PHONE_KEYS.search(key) and not possible_phone(str(grounded.value), region):
        return None
    return grounded


def _ground_value(
    key: str, prop: Mapping[str, Any], proposed: Any, sources: Sequence[Said], now: datetime, counts: bool = True,
) -> Grounded | None:
    fmt = prop.get("format")
    if fmt in ("date", "time", "date-time"):
        return _ground_moment(fmt, sources, now, bare_hours=not counts)
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
    if PHONE_KEYS.search(key) and (ending := _phone_ending(sources)) is not None:
        return ending
    value = str(proposed).strip()
    if (size := described_digits(str(prop.get("description") or ""))) is not None and len(re.sub(r"\D", "", value)) != size:
        return None  # "SD-3-0-07-7-15" for "SD followed by eight digits": misheard, so asked again
    for said in sources:
        if _text_matches(value, said.text, key):
            clean = re.sub(r"\D", "", value) if PHONE_KEYS.search(key) else value
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


_NEW_TIME = re.compile(r"(?i)\b(?:make it|make that|change it to|change that to|move it to|instead|rather|"
                       r"how about|what about|actually|then)\b")
"""Words that put an hour said alone in the place of the time talked about: "Actually make it eleven."."""


def _ground_moment(fmt: str, sources: Sequence[Said], now: datetime, *, bare_hours: bool = False) -> Grounded | None:
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
        if fmt == "time" and bare_hours and _NEW_TIME.search(said.text) and (hour := _bare_hour(said.text)):
            return Grounded(hour.strftime("%H:%M"), "resolver", said.turn, said.text)
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


def _first_sentence(text: str) -> str:
    return re.split(r"(?<=\w)[.;!?]\s+", text)[0]


def picked_time(text: str, offered: Sequence[str]) -> str | None:
    """The one offered time a short turn names by its hour alone ("three then" of 15:00 and 16:00),
    which the resolver rightly does not read as a time without a cue. None unless exactly one fits."""
    first = _first_sentence(text)  # "Eight works. Name's Nick Fury, 555 616 1616."
    if len(said_words(text)) > PICK_MAX_WORDS and first != text:
        return picked_time(first, offered)
    if not offered or len(said_words(text)) > PICK_MAX_WORDS or _COUNTED.search(text):
        return None
    hours = {int(n) % 12 for n in numbers(text) if n.is_integer() and 1 <= n <= 12}
    fits = [t for t in offered if int(t[:2]) % 12 in hours]
    return fits[0] if len(fits) == 1 else None


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
    return ground_level(enum, sources)


def _by_tail(enum: list[Any], text: str) -> list[str]:
    """Values of one word named by their last part: "a cut" is the "haircut" of the enum, "the
    wash" its "carwash"; never a part shorter than three letters."""
    words = set(said_words(text))
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
        if number in numbers(said.text) or (counts_people and said.source == "caller" and party_size(said.text) == number):
            value: int | float = int(number) if kind == "integer" and number.is_integer() else number
            return Grounded(value, said.source, said.turn, said.text)
    return None


def ground_arguments(
    parameters: Mapping[str, Any], proposed: Mapping[str, Any], sources: Sequence[Said], now: datetime,
    region: str | None = None,
) -> dict[str, Grounded]:
    """Every argument of the schema that the call grounds; the model's other values are dropped."""
    props = parameters.get("properties") or {}
    counts = any(isinstance(p, Mapping) and p.get("type") in ("integer", "number") for p in props.values())
    out: dict[str, Grounded] = {}
    for key, prop in props.items():
        if not isinstance(prop, Mapping):
            continue
        grounded = ground_value(key, prop, proposed.get(key), sources, now, region, counts=counts)
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
    if PHONE_KEYS.search(name):
        return "What phone number can we reach you on?"
    if "name" in name and not re.search(r"(file|user|host|product|item|street)_?name", name):
        if OTHERS_NAME_KEYS.search(key):  # "pet_name": the pet's, not the caller's
            whose = re.sub(r"\s*name\s*", " ", _spaced(key)).strip()
            return f"What is your {whose}'s name?"
        return "May I have your name, please?"
    enum = prop.get("enum")
    if isinstance(enum, list) and 1 < len(enum) <= 5:
        options = [str(v) for v in enum]
        return f"Which would it be: {', '.join(options[:-1])} or {options[-1]}?"
    if re.search(r"(party|group)_?size|people|guests|persons", name):
        return "For how many people?"
    return f"What is the {_spaced(key)}, please?"


def _spaced(key: str) -> str:
    """A key as words: "tracking_number" and "trackingNumber" -> "tracking number"."""
    return re.sub(r"[_\W]+", " ", re.sub(r"([a-z])([A-Z])", r"\1 \2", key)).strip().lower()


_LEAD_IN = re.compile(
    r"^\W*(?:(?:yes|yeah|sure|ok|okay|so|well|uh|um)\W+)*(?:it'?s|it is|my name is|my name'?s|the name is|"
    r"name'?s|this is|i'?m|i am|under|put it under|for)\s+", re.I)
_NOT_A_NAME = set(
    "yes no okay ok sure hello hi thanks thank sorry what why when where how who the a an and or not to for in on "
    "at of it is are was be do does can could would will should i me my you your we our just please book booking "
    "appointment table ticket tomorrow today morning afternoon evening want need like that this there here now "
    "then so well uh um name number phone again already said told".split()) | set(
    # an acknowledgement said alone ("Cool.", "Perfect."), as a reply to the answer before the question
    "cool great perfect nice awesome sweet alright fine good right wonderful excellent lovely brilliant super "
    "gotcha bye goodbye cheers".split()) | set(
    # a time or a number said as the answer ("Eight thirty."), which is no name
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen "
    "eighteen nineteen twenty thirty forty fifty sixty hundred oh zero noon midnight half quarter past am pm "
    "o'clock oclock".split())


def answer_for(key: str, prop: Mapping[str, Any], said: Said, region: str | None = None) -> Grounded | None:
    """The caller's whole turn read as the answer to the question asked for `key` ("Ana Lopez.",
    "five five five oh one three four"), for when the model did not pick the value out."""
    text = said.text.strip()
    if prop.get("format") == "time":
        hour = _bare_hour(text)
        return Grounded(hour.strftime("%H:%M"), "resolver", said.turn, text) if hour else None
    if prop.get("format") or prop.get("enum"):
        return None
    if _EMAIL_KEYS.search(key):
        email = _email(text)
        found = re.search(r"[\w.+-]+@[\w-]+(\.[\w-]+)+", email)
        return Grounded(found.group(0), said.source, said.turn, text) if found else None
    if PHONE_KEYS.search(key):
        digits = phone_digits(text)
        return Grounded(digits, said.source, said.turn, text) if possible_phone(digits, region) else None
    if prop.get("type") in ("integer", "number"):
        said_numbers = numbers(re.sub(r"(?i)\ban?\b", " ", text))  # the article of "a kids' menu" counts nothing
        if len(said_numbers) == 1:
            number = said_numbers.pop()
            return Grounded(int(number) if number.is_integer() else number, said.source, said.turn, text)
        return None
    if "name" in key.lower():  # the whole answer, else its first sentence ("Lena Fischer. And my number's ...")
        for words in _name_shapes(text):
            if _capitalised(words):
                return Grounded(" ".join(words), said.source, said.turn, text)
    return None


BARE_HOUR_WORDS = 6  # an answer longer than this is not read for a bare hour


def _bare_hour(text: str) -> time | None:
    """An hour said alone in answer to "At what time?" ("Nine.", "Ten would be great.", "Let's say
    nine."), which the resolver does not take for a time anywhere else: "nine" in a turn may be a
    count or part of a number. Read as "at nine" is, with any part of the day said with it."""
    if len(text.split()) > BARE_HOUR_WORDS:
        return None
    normal = normalise(text)
    hours = re.findall(r"(?<![:\d])\b\d{1,2}\b(?![:\d])", normal)
    if len(hours) != 1 or not 1 <= int(hours[0]) <= 12 or re.search(r"\d{3,}", normal):
        return None
    return resolve_time(re.sub(rf"\b{hours[0]}\b", f"at {hours[0]}", normal, count=1))


def _name_shapes(text: str) -> list[list[str]]:
    """The words of the whole answer and of its first sentence, without a lead-in ("It's", "Under"),
    where they could be a name: one to four words of letters, none of them a common word."""
    shapes = []
    for part in dict.fromkeys((text, _first_sentence(text))):
        words = _LEAD_IN.sub("", part).strip(" .,!?").split()
        if 1 <= len(words) <= 4 and all(re.fullmatch(r"[A-Za-z][A-Za-z'.-]*", w) for w in words) \
                and not {w.lower() for w in words} & _NOT_A_NAME:
            shapes.append(words)
    return shapes


def name_not_caught(text: str) -> bool:
    """An answer in the shape of a name that is not written as one ("Man's Priya shop."): say so
    when asking again, rather than ask as if no name had been given."""
    shapes = _name_shapes(text)
    return bool(shapes) and not any(_capitalised(words) for words in shapes)


_PARTICLES = frozenset("van von der den de da del della di du le la bin ibn al el st".split())


def _capitalised(words: list[str]) -> bool:
    """Whether the words are written as a name: speech recognition capitalises the names it hears,
    so a lower-case word in an answer is a word it heard instead of one ("Name's Priya Shah."
    heard "Man's Priya shop." through a phone line); the name is asked again rather than taken."""
    return all(w[0].isupper() or w.lower() in _PARTICLES for w in words)
