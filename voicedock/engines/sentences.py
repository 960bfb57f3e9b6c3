"""Cut a stream of LLM tokens into sentences, so TTS can speak the first one while the rest is generated.

A period ends a sentence only when whitespace follows and the word before it is not a known
abbreviation or an initial; "3.5" and "Dr. Smith" therefore stay whole.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from voicedock.engines.spoken import spoken_forms

ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof sr jr st mt ave blvd rd ltd inc co corp dept approx appt no nr tel vs "
    "e.g i.e a.m p.m jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thur thurs fri sat sun "
    "ca cf fig est min max".split()
)
_TERMINATORS = ".!?…"
_CLAUSE = ",;:"
_CLOSERS = "\"')]}’”»"
_MARKUP = re.compile(r"(\*\*|__|`+|^#+\s*|^\s*[-*]\s+)", re.MULTILINE)
# An apology that opens a reply is not a clause of its own: what follows it is where a small model
# refuses or claims what it was never given, which the session's checks may drop, and "I'm sorry,"
# spoken alone before that is known says nothing.
_APOLOGY = re.compile(r"(?i)^\W*(?:(?:i'?m|i am|we'?re|we are)\s+)?(?:so\s+|very\s+|really\s+)?"
                      r"(?:sorry|afraid|unfortunately)\W*$")


def clean_for_speech(text: str, english: bool = True) -> str:
    """Drop markdown a small model tends to emit (bold, code ticks, bullets) that TTS would read out,
    and, for an English voice, write times, dates and references as they are said (`spoken_forms`)."""
    cleaned = re.sub(r"[ \t]+", " ", _MARKUP.sub("", text)).strip()
    return spoken_forms(cleaned) if english else cleaned


@dataclass
class SentenceSplitter:
    """Feed tokens, get whole sentences back; `flush()` returns the unterminated tail at the end.

    `max_chars` splits an overlong run at the last comma or space so first audio is never held back.
    With `first_clause`, the first piece ends already at a comma, semicolon or colon followed by a
    space ("Yes, we do." gives "Yes," then "we do."): speech can start after the first clause
    instead of the whole first sentence; not after an apology alone ("I'm sorry,"). Later pieces
    are whole sentences.
    """

    max_chars: int = 250
    first_clause: bool = False
    _buffer: str = field(default="", repr=False)
    _emitted: bool = field(default=False, repr=False)

    def feed(self, token: str) -> list[str]:
        self._buffer += token
        out: list[str] = []
        while (cut := self._find_cut(self._buffer)) is not None:
            sentence, self._buffer = self._buffer[:cut], self._buffer[cut:]
            if sentence.strip():
                out.append(sentence.strip())
                self._emitted = True
        return out

    def flush(self) -> str | None:
        tail, self._buffer = self._buffer.strip(), ""
        return tail or None

    def _find_cut(self, text: str) -> int | None:
        for i, ch in enumerate(text[: self.max_chars]):
            if ch == "\n" and text[:i].strip():
                return i + 1
            if ch in _CLAUSE and self.first_clause and not self._emitted and text[:i].strip() \
                    and not _APOLOGY.match(text[:i]):
                if i + 1 < len(text) and text[i + 1].isspace():
                    return i + 1
            if ch in _TERMINATORS:
                end = i + 1
                while end < len(text) and (text[end] in _CLOSERS or text[end] in _TERMINATORS):
                    end += 1
                if end >= len(text):
                    return None
                if text[end].isspace() and not self._is_abbreviation(text, i):
                    return end
        if len(text) > self.max_chars:
            window = text[: self.max_chars]
            cut = max(window.rfind(", "), window.rfind("; "))
            return cut + 1 if cut > self.max_chars // 3 else window.rfind(" ") + 1 or self.max_chars
        return None

    @staticmethod
    def _is_abbreviation(text: str, dot: int) -> bool:
        if text[dot] != ".":
            return False
        line = text[:dot].rsplit("\n", 1)[-1]
        if re.fullmatch(r"\s*\d{1,2}", line):
            return True
        word = re.search(r"([\w.]+)$", text[:dot])
        if word is None:
            return False
        token = word.group(1).lower()
        if token in ABBREVIATIONS:
            return True
        return len(token) == 1 and token.isalpha() and text[dot - 1].isupper()


def first_clause_then_rest(text: str) -> list[str]:
    """Fixed text in two pieces for TTS: its first clause, then everything after it. A voice takes
    time in proportion to what it synthesizes, so the caller hears "Monday to Saturday 10:00 to
    18:00;" while the rest of the sentence is still being made."""
    splitter = SentenceSplitter(first_clause=True)
    pieces = splitter.feed(text)
    if tail := splitter.flush():
        pieces.append(tail)
    return [piece for piece in (pieces[:1] + [" ".join(pieces[1:])]) if piece]


def split_sentences(tokens: Iterable[str], max_chars: int = 250) -> Iterator[str]:
    """Convenience for a finished stream: every sentence, tail included."""
    splitter = SentenceSplitter(max_chars=max_chars)
    for token in tokens:
        yield from splitter.feed(token)
    tail = splitter.flush()
    if tail:
        yield tail
