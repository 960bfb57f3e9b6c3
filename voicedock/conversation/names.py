"""Whose name a name is: the caller's own, or one they gave to someone else (a pet, a child).

"I'm Dana Whitfield. It's for Biscuit." gives two names for two keys of the same tool: the
owner's and the pet's. Each key takes only the name said for whom it names.
"""

from __future__ import annotations

import re

OWN_NAME_KEYS = re.compile(r"owner|caller|customer|client|contact|holder", re.I)
"""Name keys for the caller's own name, which a pet's, a child's or a friend's name never fills."""
_OTHER = r"(?:pet|animal|dog|cat|child|kid|baby|son|daughter)s?"
OTHERS_NAME_KEYS = re.compile(rf"(?:^|[_-])(?i:{_OTHER})(?=[_-]|[Nn]ame|$)|^{_OTHER}(?=[A-Z])")
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


_SPELLED = re.compile(r",?\s*\b(?:[A-Z][\s-]){2,}[A-Z]\b(?=[\s,.]|$),?")


def without_spelling(text: str) -> str:
    """`text` without the letters of a name spelled out in it: "Olu, O L U, Adeyemi" is Olu Adeyemi,
    "Derek Yazzie, Y-A-Z-Z-I-E." Derek Yazzie."""
    return _SPELLED.sub("", text)
