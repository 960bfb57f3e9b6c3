"""How many people a caller lists with themselves: "me, my wife and the two kids" is a party of four.

A caller rarely says the number; they name who comes. The count is the caller's words read in
code, so a table for four is grounded in them though "four" was never said.
"""

from __future__ import annotations

import re

from .digits import COUNT_WORDS

PARTY_KEYS = re.compile(r"party|people|guests|persons|covers|group|size", re.I)
"""Keys for how many people come, which a list of them (\"me and my wife\") gives."""
_PEOPLE = {**dict.fromkeys("wife husband partner boyfriend girlfriend fiance fiancee friend kid child son daughter "
                           "mum mom mother dad father brother sister colleague coworker guest baby grandma grandpa "
                           "grandmother grandfather boss aunt uncle cousin niece nephew neighbour neighbor".split(), 1),
           **dict.fromkeys("parents grandparents twins in-laws".split(), 2)}
_PLURAL_PEOPLE = frozenset("wives husbands partners friends kids children sons daughters brothers sisters colleagues "
                           "coworkers guests babies cousins".split())
_PERSON_WORD = "|".join(sorted({*_PEOPLE, *_PLURAL_PEOPLE}, key=len, reverse=True))
_ONE_OF = rf"(?:(?:my|the|our|his|her|a|an)\s+)?(?:[a-z]+\s+)?(?:{_PERSON_WORD})\b"
_PARTY = re.compile(rf"\b(?:me|myself|i|{_ONE_OF})(?:(?:\s*(?:,|\band\b|\bplus\b|\bwith\b))+\s*"
                    rf"(?:me|myself|i\b|{_ONE_OF}))+", re.I)
_SELF = re.compile(r"\b(?:me|myself|i)\b", re.I)
_PARTY_ITEM = re.compile(rf"(?:\b([a-z]+)\s+)?\b({_PERSON_WORD})\b", re.I)


def party_size(text: str) -> int | None:
    """The people a caller lists with themselves: "me, my wife and the two kids" are four, "my
    wife and I" two. None where a group is not counted ("me and the kids")."""
    found = [m.group(0) for m in _PARTY.finditer(text) if _SELF.search(m.group(0))]
    if not found:
        return None
    total = 1
    for item in _PARTY_ITEM.finditer(found[-1]):
        before, who = (item.group(1) or "").lower(), item.group(2).lower()
        if before in COUNT_WORDS or before.isdigit():
            total += int(before) if before.isdigit() else COUNT_WORDS[before]
        elif who in _PEOPLE:
            total += _PEOPLE[who]
        else:
            return None
    return total
