"""Numbers and digits said as words: a phone number read out, a count, a corrected digit group.

Callers read numbers out ("five five five, oh one three four", "double seven") and mix them with
times and counts ("at eight, for two"); what is a digit of which value is read here, for
grounding.py and extract.py.
"""

from __future__ import annotations

import re

_UNITS = "zero one two three four five six seven eight nine".split()
_TEENS = "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
COUNT_WORDS = {w: i for i, w in enumerate([*_UNITS, "ten", "eleven", "twelve"])}
"""Counts said as words, up to twelve: "a table for four", "the two kids"."""
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
         "ninety": 90}
SMALL = {**{w: i for i, w in enumerate(_UNITS)}, **{w: 10 + i for i, w in enumerate(_TEENS)}, "oh": 0, "o": 0,
          "a": 1, "single": 1, "couple": 2, "pair": 2, "dozen": 12}
_DOUBLE = {"double": 2, "triple": 3}
FILLERS = {"uh", "um", "er", "erm", "hmm", "ah", "like"}


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
        elif word in TENS:
            value = TENS[word]
            if i + 1 < len(words) and words[i + 1] in _UNITS[1:]:
                value += _UNITS.index(words[i + 1])
                i += 1
            out.append(str(value) * repeat)
            repeat = 1
        elif word in SMALL and word not in ("a", "single", "couple", "pair", "dozen", "o"):
            out.append(str(SMALL[word]) * repeat)
            repeat = 1
        elif word == "o" and out:
            out.append("0")
        i += 1
    return "".join(out)


SELF_CORRECTION = re.compile(r"(?:\.\.\.|…|,|\.)?\s*\b(?:no,? wait|no sorry|sorry,? no|i mean|i meant|"
                              r"actually|wait,? (?:no|sorry)|no,? no|scratch that)\b[\s,.]*(?:sorry[\s,.]*)?", re.I)


def last_correction(text: str) -> str:
    """What follows the caller's last self-correction ("... no wait, ..."); the whole text without one."""
    return SELF_CORRECTION.split(text)[-1]


def corrected_digits(text: str) -> str:
    """Digits read out, with a correction in the middle taken: "six oh two, nine nine one... no
    wait, nine one one nine" (or "555-602-991. No wait, 9-119.") replaces the group said last
    ("nine nine one") with what follows; a
    correction that says the number again from the start ("four one, one oh... no wait, four one
    one zero six") replaces all of it."""
    parts = SELF_CORRECTION.split(text)
    digits, said = spoken_digits(parts[0]), parts[0]
    for part in parts[1:]:
        again = spoken_digits(part)
        if not again:
            continue
        # groups as read out: "six oh two, nine nine one", or in figures "555-602-991" / "555 602 991"
        groups = [g for g in re.split(r"[,;.…]+|(?<=\d)[\s-]+(?=\d)", said) if spoken_digits(g)]
        if len(again) >= len(digits) - 1 or not groups:
            digits = again
        else:
            digits = digits[: len(digits) - len(spoken_digits(groups[-1]))] + again
        said = part
    return digits


_NUMBER_WORD = "|".join([r"\d+", *_UNITS, *_TEENS, *TENS, "oh", "o", *_DOUBLE])
_DIGIT_RUN = re.compile(rf"\b(?:{_NUMBER_WORD})\b(?:(?:[\s,;.…-]|\b(?:{'|'.join(FILLERS)})\b)+(?:{_NUMBER_WORD})\b)*",
                        re.I)
_NOT_BEFORE = re.compile(r"\bnot\s*$", re.I)
_OH_THEN = re.compile(r"^(?:oh|o)(?=\s*[,.!])", re.I)
"""An "Oh," that opens a run of numbers ("Oh, 608 555 0199."): the caller's surprise, not a zero."""
ENDS_IN = re.compile(r"\b(?:ends?|ending) (?:in|with)\b|\blast (?:\w+ )?(?:digits|numbers?) (?:are|is|should be)\b",
                      re.I)
PHONE_RUN_DIGITS = 3  # digits a run of number words must give to be part of a phone number
PHONE_WHOLE_DIGITS = 7  # ... and a whole phone number, read out in one run
PHONE_GAP = 12  # characters between a whole number and a part said next to it ("555 and then 207 4419")


_NOT_PHONE_FIGURES = re.compile(r"\b(?=\w*[A-Za-z])(?=\w*\d)\w+\b")
"""Figures run into letters, no digits of a phone number: an ordinal ("the 15th"), or a word
speech recognition ran into one ("Haff9")."""


def phone_digits(text: str) -> str:
    """The phone number a turn reads out: its runs of number words ("nine two eight, five five five,
    oh one six oh") with `corrected_digits`' corrections, without the short ones around them: "Oh,
    right. Five five five..." starts with no zero, and the eleven of "quarter past eleven then.
    ... nine two eight, ..." or the eight and two of "at eight, for two" are no digits of it. Where
    the turn reads out a whole number before any correction, a time said apart from it ("Nine
    thirty. Name's ..., five five five, ...") is none of it either."""
    text = _NOT_PHONE_FIGURES.sub(lambda m: " " * len(m.group(0)), text)
    text = _DIGIT_RUN.sub(lambda m: _OH_THEN.sub(lambda o: " " * len(o.group(0)), m.group(0)), text)
    first = SELF_CORRECTION.search(text)
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


def said_words(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z0-9']+", text.lower().replace("’", "'")) if w not in FILLERS]


_DIGIT_NAMES = "|".join([*_UNITS, "oh", *_DOUBLE])
_DIGIT_WORD = re.compile(rf"\d|{_DIGIT_NAMES}")
_SAID_DIGIT = re.compile(rf"\b(?:{_DIGIT_NAMES})\b", re.I)


def says_digits_in_words(text: str) -> bool:
    """Whether the text says a digit as a word ("oh four", "double seven"), not only in figures."""
    return bool(_SAID_DIGIT.search(text))
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


def numbers(text: str) -> set[float]:
    """Every number the text says, in figures or words ("a table for four" -> {4}); the single
    digits of a number read out ("five five five, oh one two") are not numbers of their own."""
    found: set[float] = {float(n) for n in re.findall(r"\d+(?:\.\d+)?", text)}
    words = said_words(text)
    read_out = _in_digit_runs(words)
    for i, word in enumerate(words):
        if i in read_out:
            continue
        if word in TENS:
            unit = _UNITS.index(words[i + 1]) if i + 1 < len(words) and words[i + 1] in _UNITS[1:] else 0
            found.add(float(TENS[word] + unit))
        elif word in SMALL:
            found.add(float(SMALL[word]))
    return found
