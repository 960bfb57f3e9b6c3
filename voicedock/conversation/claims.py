"""Numbers a reply may say: only those the call holds.

A small model asked for a tracking number it was never given answers "Sure, your tracking number
is SD12345"; asked for a price it does not know, it names one. A number in a reply (a price, a
time, a reference, a phone number) is a claim the caller will act on, so a reply sentence whose
number appears nowhere in what the model was given (its instructions with the calendar, the
caller's words, tool results, injected context) is not spoken. Pure: the session passes the text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from .digits import spoken_digits

_DIGITS = re.compile(r"\d+")
_CLOCK = re.compile(r"\b(\d{1,2}):(\d{2})\b")


def _forms(number: str) -> set[str]:
    """A figure as it may be said again: "09" is also "9"."""
    return {number, number.lstrip("0") or "0"}


def known_numbers(texts: Iterable[str]) -> set[str]:
    """Every number the texts give, in figures or words, with 24-hour times also on the 12-hour
    clock ("17:00" supports "5 pm") and a text's spoken digits joined ("five five five, oh one" -> 55501)."""
    known: set[str] = set()
    for text in texts:
        for number in _DIGITS.findall(text):
            known |= _forms(number)
        for hours, _ in _CLOCK.findall(text):
            known |= _forms(str(int(hours) % 12 or 12))
        said = spoken_digits(text)
        if said:
            known |= _forms(said)
    return known


def unsupported(sentence: str, known: set[str]) -> set[str]:
    """The figures of `sentence` that `known` does not hold (a run of digits is one figure)."""
    return {n for n in _DIGITS.findall(sentence) if not (_forms(n) & known)}


@dataclass
class ReplyCheck:
    """`skip` for speak_stream: drops sentences with a number nobody gave, and remembers it did."""

    known: set[str]
    dropped: list[str] = field(default_factory=list)

    def __call__(self, sentence: str) -> bool:
        if unsupported(sentence, self.known):
            self.dropped.append(sentence)
            return True
        return False
