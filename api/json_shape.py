"""How many values, objects and arrays a JSON text holds and how deep they nest, read from its bytes
without parsing it.

Parsing runs on the event loop that also paces call audio, and `json.loads` holds the GIL for the
whole call, so a worker thread would not help. Its cost grows with the number of values, not of
bytes: on a 2-core VM a 1 MiB body of nested arrays (about 450,000) took 0.3 s to parse and walk,
one of 90,000 metadata keys 175 ms from parse to reply, one of 260,000 floats 164 ms, while a
20,000-character prompt with 50 tools (5,000 values) needs a few ms. So bodies are measured first,
with C-speed `bytes` methods only (about 1 ms a MiB): the count of separators and quotes bounds the
values, and only a body within that bound has its strings cut out (a cost per string) to count
brackets and depth exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_OPEN = frozenset(b"[{")
_FLOAT_DIGITS = 309  # an integer part this long overflows a float, as an exponent may


def values(raw: bytes) -> int:
    """An upper bound on what `json.loads` must build: the ',' and ':' (one per key and per value after a
    container's first), or the strings when they are more; separators inside strings count too."""
    strings = (raw.count(b'"') - raw.count(b'\\"')) // 2
    return max(raw.count(b",") + raw.count(b":"), strings)


@dataclass(frozen=True)
class Shape:
    containers: int  # objects and arrays
    depth: int  # the deepest nesting (0 for a bare scalar), measured within the first 2 × max_containers brackets
    big_numbers: bool  # an exponent or a 309-digit run: the only numbers that can overflow a float


def _outside_strings(raw: bytes) -> bytes:
    """`raw` without its strings: once escaped backslashes and quotes are gone, every quote delimits one."""
    return b"".join(raw.replace(b"\\\\", b"").replace(b'\\"', b"").split(b'"')[::2])


def shape(raw: bytes, max_containers: int, max_depth: int) -> Shape:
    """The shape of `raw`; the depth scan stops past `max_depth`, so its cost is bounded either way."""
    outside = _outside_strings(raw) if b'"' in raw else raw
    exponents = outside.count(b"e") + outside.count(b"E") - outside.count(b"true") - outside.count(b"false")
    big_numbers = exponents > 0 or b"0" * _FLOAT_DIGITS in outside.translate(_DIGITS_AS_ZERO)
    brackets = outside.translate(None, _NOT_BRACKETS)
    depth = deepest = 0
    for b in brackets[: 2 * max_containers]:
        depth += 1 if b in _OPEN else -1
        if depth > deepest:
            deepest = depth
            if deepest > max_depth:
                break
    return Shape(brackets.count(b"{") + brackets.count(b"["), deepest, big_numbers)
