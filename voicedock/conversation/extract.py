"""Tool values read from the caller's turn in code: names, phone numbers, emails, identifiers,
counts and free text, by the shape callers say them in.

Asking a model for arguments costs a second of a 2-core machine per turn; most values callers
give have a plain shape ("my name is Ana Lopez", "five five five oh one three four", "a table
for four", "order ZX4912"). Code reads those at no cost; the model is asked only for what code
cannot read. Whatever either proposes is still checked by grounding.py before a tool runs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .digits import COUNT_WORDS, last_correction, phone_digits, says_digits_in_words, spoken_digits
from .grounding import ADDRESS_KEYS, DESCRIBED_FORMAT, PHONE_KEYS, described_digits
from .names import OTHERS_NAME_KEYS, OWN_NAME_KEYS, others_names, without_others_names, without_spelling
from .party import PARTY_KEYS, party_size
from .phones import PHONE_DIGITS

_WORD_OF_A_NAME = r"[A-Z][a-z'’]*(?:-?[A-Z][a-z'’]+)*(?<=[a-z'’])"
"""A capitalised word of a name, whole: "O'Brien", "Harris-Bell" (never "Harris-"), "McDonald"."""
_NAME = re.compile(
    r"\b(?i:my name is|my name's|name is|name's|name (?:would|will|should) be|name'll be|this is|it's|it is|"
    r"i'm|i am|under(?: the name(?: of)?)?|for)\s+"
    rf"((?:{_WORD_OF_A_NAME})(?:\s+(?:{_WORD_OF_A_NAME}|de|van|von|da|del|la|le)){{0,3}})"
)
_NOT_NAMES = {"Friday", "Monday", "Tuesday", "Wednesday", "Thursday", "Saturday", "Sunday", "Today", "Tomorrow",
              "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
              "November", "December", "Bright", "Smile", "Dental", "Please", "Thanks", "Yes", "No", "Okay", "Sure",
              "I", "It", "The", "A", "An", "My", "Me", "Just", "Hi", "Hello"}
_COUNT = re.compile(
    r"\b(?:for|party of|table for|group of|of us|we are|we're|there(?:'ll| will) be)\s+"
    r"(\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\b(?:\s+(?:people|persons|guests|of us|adults))?"
    r"|\b(\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\s+(?:people|persons|guests|adults|of us)\b",
    re.I,
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_ID = re.compile(r"\b(?=[A-Za-z0-9-]*\d)[A-Za-z0-9][A-Za-z0-9-]{3,}\b")
_ID_KEYS = re.compile(r"number|_id$|^id$|code|reference|ref|tracking|order|ticket|account|booking", re.I)
_TEXT_KEYS = re.compile(r"summary|description|issue|problem|reason|details|note|message|subject|request|text|body|"
                        r"address", re.I)
_REQUEST = re.compile(
    r"^\W*(?:(?:hi|hello|yes|yeah|so|well|uh|um|okay|ok)\W+)*(?:i'?d like to|i want to|i need to|can you|could you|"
    r"please)?\s*(?:open|create|log|raise|file|submit|make)?\s*(?:a|an|the)?\s*(?:new\s+)?(?:ticket|case|request)?"
    r"\s*(?:about|for|because|regarding)?\s*", re.I)


_LEAD_INS = re.compile(r"^(?:is|it'?s|its|was|email|e-mail|mail|address|my|the|that'?s|me|at|uh|um|sorry|oh|and|"
                       r"so|ok|okay|yes|yeah|sure|need|in|case|you|it|if)$", re.I)


def _email(text: str) -> str | None:
    """An email address, written or said ("t kowalski at northwind dot example"): the spelled local
    part is the words right before "at" back to the words that lead into it ("my email is")."""
    spoken = re.sub(r"\s+dot\s+", ".", text.lower())
    written = _EMAIL.search(spoken)
    if written:
        return written.group(0).strip(".")
    match = re.search(r"\s+at\s+([\w-]+(?:\.[\w-]+)+)", spoken)
    if not match:
        return None
    words = re.findall(r"[\w.+-]+", re.split(r"[,;:!?]|\.\s", spoken[: match.start()])[-1])
    local: list[str] = []
    for word in reversed(words):
        if _LEAD_INS.match(word) or len(local) >= 4:
            break
        local.insert(0, word)
    return f"{''.join(local)}@{match.group(1)}".strip(".") if local else None


_STREET = (r"street|st|road|rd|avenue|ave|drive|dr|lane|ln|way|court|ct|boulevard|blvd|place|pl|terrace|crescent|"
           r"close|parkway|pkwy|highway|hwy|square|sq|row|alley|circle|cir|trail|path")
_ADDRESS = re.compile(
    rf"\b\d+[A-Za-z]?(?:\s+[A-Za-z][\w'.-]*){{1,4}}?\s+(?:{_STREET})\b\.?"
    r"(?:,?\s+(?:unit|apt|apartment|suite|flat|floor|#)\s*\w+)?(?:,\s+[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)?",
    re.I)


def _address(text: str) -> str | None:
    """A street address as said ("48 Willow Creek Drive, unit 2B"): a house number and a street.
    The rest of a sentence that mentions an address ("I put the wrong address on my order") is none."""
    found = list(_ADDRESS.finditer(text))
    return found[-1].group(0).strip(" .,") if found else None


def is_free_text(key: str) -> bool:
    """A value in the caller's own phrasing (a problem, a message): the model cuts it cleaner than code."""
    return bool(_TEXT_KEYS.search(key))


def read_by_shape(key: str, prop: Mapping[str, Any]) -> bool:
    """A value code reads by its shape: a date or time (the resolver), one of an enum, a count, a
    phone number, an email, a name, an identifier. The model is not asked for these: its reading
    of them must be found in the caller's words by the same code anyway, and through real calls it
    took 2-4 s of a turn on two cores (the caller hearing nothing) while finding nothing code did
    not. Free text and an address are the model's to cut."""
    if prop.get("format") or prop.get("enum") or prop.get("type") in ("integer", "number"):
        return True
    if prop.get("type") not in (None, "string") or is_free_text(key) or ADDRESS_KEYS.search(key):
        return False
    return bool("mail" in key.lower() or PHONE_KEYS.search(key) or "name" in key.lower() or _ID_KEYS.search(key))


def code_proposals(parameters: Mapping[str, Any], text: str) -> dict[str, Any]:
    """Values for the schema's properties read from `text` by shape; absent where none is found."""
    out: dict[str, Any] = {}
    for key, prop in (parameters.get("properties") or {}).items():
        if not isinstance(prop, Mapping) or prop.get("format") or prop.get("enum"):
            continue  # dates, times and enums are read by the resolver and by mention (grounding.py)
        value = _read(key, prop, text)
        if value is not None:
            out[key] = value
    return out


def _read(key: str, prop: Mapping[str, Any], text: str) -> Any:
    kind = prop.get("type")
    if kind in ("integer", "number"):
        counts = list(_COUNT.finditer(text))
        if counts:  # the last one: "for two... actually make it four people" is four
            word = (counts[-1].group(1) or counts[-1].group(2)).lower()
            return int(word) if word.isdigit() else COUNT_WORDS[word]
        return party_size(text) if PARTY_KEYS.search(key) else None
    if kind not in (None, "string"):
        return None
    if "mail" in key.lower():
        return _email(text)
    if PHONE_KEYS.search(key):
        digits = phone_digits(text)
        return digits if len(digits) in PHONE_DIGITS else None
    if "name" in key.lower() and not _ID_KEYS.search(key.replace("name", "")):
        if OTHERS_NAME_KEYS.search(key):  # a pet's or a child's: only a name given to them
            given = others_names(text)
            return given[-1] if given else None
        return _name(without_others_names(text) if OWN_NAME_KEYS.search(key) else text)
    if _ID_KEYS.search(key):
        return _identifier(text, str(prop.get("description") or ""))
    if ADDRESS_KEYS.search(key):
        return _address(text)
    if _TEXT_KEYS.search(key):
        rest = _REQUEST.sub("", text, count=1).strip(" .,!?")
        return rest if len(rest.split()) >= 3 else None
    return None


_BARE_NAME = re.compile(rf"(?:^|[.!?,;:]\s*)((?:{_WORD_OF_A_NAME})(?:\s+(?:{_WORD_OF_A_NAME}|de|van|von|da|del|la|le)){{1,2}})"
                        r"\s*(?=[.!?,;:]|$)")
_NOT_BARE_NAMES = {  # greetings and the words of places and businesses, said capitalised on their own
    "Good", "Morning", "Afternoon", "Evening", "Thank", "You", "Hey", "Sorry", "Great", "Perfect", "Cool", "Bye",
    "Goodbye", "Street", "Road", "Avenue", "Lane", "Drive", "Square", "Building", "Suite", "Floor", "Room", "Dental",
    "Clinic", "Office", "Center", "Centre", "Station", "Airport", "Hospital", "School", "Team", "Desk"}


# "Name's Priya Shah." as Whisper tiny.en writes it from a phone line now and then: "Mains Priya Shah.",
# "Nains Tyler Brooks." (four times in 162 dev turns that give a name); no name begins so.
_HEARD_NAMES = re.compile(r"(?:^|(?<=[.!?,]\s))(?:Mains|Nains|Names)\s+(?=[A-Z])")


def _name(text: str) -> str | None:
    """The last name the turn gives: "under Priya... no sorry, under Daniel Okafor" is Daniel Okafor.
    Without words that introduce it, a first and last name said on their own ("...is dead. Emma
    Clarke. It's normal priority", "Sure, Ben Ortiz, ben dot ortiz at...") is a name too; a
    place's or a business's ("Linden Street", "Delta Dental"), or a greeting, is not."""
    text = _HEARD_NAMES.sub("Name's ", without_spelling(text))
    names = []
    for found in _NAME.finditer(text):
        words = [w for w in found.group(1).split() if w not in _NOT_NAMES]
        if words and words[0][0].isupper():
            names.append(" ".join(words))
    if names:
        return names[-1]
    bare = [m.group(1) for m in _BARE_NAME.finditer(text)
            if not set(m.group(1).split()) & (_NOT_NAMES | _NOT_BARE_NAMES)]
    return bare[-1] if bare else None


# Groups of one number as speech recognition writes them: "SD 5512 0934", "SD-7722 9-041", "SD3159,
# 0826" (a group after a comma has three digits or more: "SD 7100 3344, 2 people" is no longer number).
_GROUPED_ID = re.compile(r"\b[A-Z]{1,4}[ -]?\d{2,}(?:, ?\d{3,}|[ -]\d+)*\b|\b\d{3,}(?:[ -]\d{3,})+\b")
_DIGIT_COMMA = re.compile(r"(?<=\d),(?=\d)")
"""A comma between digits with no space is Whisper's thousands separator ("SD-5,512-0934"), not a pause."""


def _identifier(text: str, description: str = "") -> str | None:
    """An order, ticket or tracking number: "SD 5512 0934" and "INC 40388" as one, a token with
    digits, or a run of spoken characters ("S D, seven seven, double two, nine, oh four one"). A
    number said again after a self-correction ("... no wait, four one one zero six") is the one
    taken; a described format ("INC followed by five digits") gives a bare number its prefix when
    the caller said the prefix too."""
    shape = DESCRIBED_FORMAT.match(description)
    if shape:  # the prefix's letters as Whisper spaces them out: "I NC40388", "S D 7100 3344"
        spaced = r"[\s.-]*".join(shape.group(1))
        text = re.sub(rf"\b{spaced}(?=[\s-]*\d)", shape.group(1), text, flags=re.I)
    found = _identifier_in(last_correction(text)) or _identifier_in(text)
    if found and re.fullmatch(r"\d+(?:[ -]\d+)+", found):  # "4-1-1-0-6": digits read out one by one
        found = re.sub(r"\D", "", found)
    if found and shape and found.isdigit():
        prefix, size = shape.group(1), described_digits(description)
        said_prefix = re.search(rf"\b{prefix}(?![A-Za-z])|\b{' '.join(prefix)}\b", text, re.I)  # "INC4110 wait"
        if len(found) == size and said_prefix:
            return prefix + found
    return found


def _identifier_in(text: str) -> str | None:
    text = _DIGIT_COMMA.sub("", text)
    grouped: list[str] = [re.sub(r"[ ,-]", "", g) for g in _GROUPED_ID.findall(text)]
    tokens: list[str] = grouped + [t for t in _ID.findall(text) if not re.fullmatch(r"\d{1,2}(?:st|nd|rd|th)?", t)]
    spoken = _spoken_run(text)
    if not tokens:
        return spoken
    found = max(tokens, key=len)
    # the rest said in words after a sentence's end: "Sure SD 04. Double seven one nine oh eight"
    # (three characters more at least: "SD 7100 3344, two people" is no longer the number)
    longer = spoken is not None and len(spoken) >= len(found) + 3 and spoken.startswith(found.upper())
    return spoken if longer and says_digits_in_words(text) else found


def _spoken_run(text: str) -> str | None:
    """The longest run of characters said one by one ("S D, seven seven, double two, nine")."""
    words = re.sub(r"[^A-Za-z0-9 ]", " ", re.sub(r"['’]\w+", "", text)).split()
    best: list[str] = []
    run: list[str] = []
    repeat = 1
    for word in [*words, ""]:
        low = word.lower()
        if low in ("double", "triple") and run:
            repeat = 2 if low == "double" else 3
            continue
        if re.fullmatch(r"\d+|zero|oh|one|two|three|four|five|six|seven|eight|nine", low):
            run.append(spoken_digits(low) * repeat)
        elif re.fullmatch(r"[a-z]", low) or re.fullmatch(r"[A-Z]{2,4}", word):  # "S D", "INC"
            run.append(low)
        else:
            best, run = (run if len("".join(run)) > len("".join(best)) else best), []
        repeat = 1
    joined = "".join(best)
    return joined.upper() if len(joined) >= 4 and re.search(r"\d", joined) else None
