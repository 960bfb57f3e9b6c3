"""How urgent the caller says something is, for an enum that is a scale of levels (low, normal,
urgent): "the whole floor is down" is urgent without the word being said.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from .said import Grounded, Said

# How callers say how urgent something is, for a priority-like enum: the levels a scale's values
# name, and the words that say each level without naming it.
_LEVELS = {
    "urgent": {"urgent", "critical", "high", "highest", "emergency", "asap", "p1"},
    "normal": {"normal", "medium", "moderate", "standard", "p2"},
    "low": {"low", "lowest", "minor", "p3", "p4"},
}
_SAYS_LEVEL = (
    ("urgent", re.compile(
        r"\b(?:as soon as possible|asap|right away|immediately|(?:can'?t|cannot|can not|unable to) "
        r"(?:really |actually |even )?(?:do )?(?:any |my )?(?:work|do anything|anything|get anything done|"
        r"get (?:into|in to) (?:anything|my \w+)|get any work done|log ?in|sign ?in)|nobody(?:'s| has)? (?:got|can|has)|no one can|"
        r"(?:the )?(?:whole|entire) (?:team|office|floor|department|company|building|site)|all of us|"
        r"everyone(?:'s| is)? (?:down|affected|out|stuck))\b", re.I)),
    ("low", re.compile(
        r"\b(?:no (?:rush|hurry)|whenever (?:you|someone|somebody)|when(?:ever)? (?:you|someone|somebody) "
        r"(?:gets?|has|have) (?:a )?(?:chance|moment|minute)|small (?:thing|request)|just a question|"
        r"(?:not|no) (?:a )?big deal)\b", re.I)),
    ("normal", re.compile(r"\b(?:work around it|a workaround|i can still|for now i can)\b", re.I)),
)


def ground_level(enum: list[Any], sources: Sequence[Said]) -> Grounded | None:
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
