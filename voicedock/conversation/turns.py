"""What one assistant turn does: transcribe, let the tool step act (tool_turn.py), and speak the answer.

Kept apart from the session's event loop (`voice.py`) so each reads top to bottom; the session
owns the state both touch (history, playout, the current utterance).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from voicedock.engines.base import EngineError, Message, Transcript

from .base import SAMPLE_RATE, Pcm
from .calendar_said import calendar_answer
from .claims import ReplyCheck, known_numbers
from .core import SessionCore, say_turn
from .cues import HERE, asks_for_a_moment, asks_something, asks_to_repeat, is_chatter, is_line_check, is_thanks
from .facts import HONEST, Lookup, identity_answer, instruction_lines, look_up, spoken_answer
from .hours import hours_answer
from .speech import Timings, speak_stream, speak_text
from .state import State
from .tool_turn import pending_question, tool_step

__all__ = ["LLM_ERROR_APOLOGY", "reply_turn", "say_turn"]

log = logging.getLogger("voicedock.conversation")

NO_SPEECH_PROB = 0.8
_WORD = re.compile(r"[a-z0-9']+")
# "I'm sorry, but I can't assist with that.", written after a tool has just done what was asked
_MACHINE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b|\b\w+=|\bAnswer the caller\b")
"""A tool's note written back as it was written for the model ("booked=true, confirmation=JP-3390.",
"(create_ticket(name=...) returned ..."): no words for a caller."""
_REFUSAL = re.compile(r"(?i)\b(?:can(?:no|')?t|(?:am|'m) (?:not able|unable) to|won't be able to)\s+"
                      r"(?:assist|help|do that|process)\b")
ANYTHING_ELSE = "Is there anything else I can help you with?"
WELCOME = "You're welcome! " + ANYTHING_ELSE
"""To thanks alone, at once: late in a call the model's reply to "Great, thanks." waited 1.5-8 s
through real calls (the turns the code answered are new to it), to say much the same."""
TAKE_YOUR_TIME = "Sure, take your time."
LLM_ERROR_APOLOGY = "I'm sorry, I didn't catch that. Could you say it again?"


async def reply_turn(
    s: SessionCore, pcm: Pcm | None, timings: Timings, text: str | None = None,
    early: asyncio.Future[Transcript] | None = None,
) -> None:
    """A caller's turn (audio, or an already known transcript) or a triggered reply (neither).

    `early` is a transcription of the same audio begun at the caller's pause; `stt_ms` then counts
    only what was left of it after the end of the turn.
    """
    s.set_state(State.THINKING)
    if pcm is not None and text is None:
        timings.mark("stt_start", s.clock())
        transcript = await (early if early is not None else s.engines.stt.transcribe(pcm, SAMPLE_RATE))
        timings.mark("stt_end", s.clock())
        text = transcript.text.strip()
        if not text or transcript.no_speech_prob > NO_SPEECH_PROB:
            log.info("no words in the caller's audio", extra={"call_id": s.info.call_id})
            s.prepared.drop()
            return
    else:
        timings.mark("stt_start", s.clock())
        timings.mark("stt_end", s.clock())
    if text:
        s.turn_transcribed = True
        s.note_caller(text)
        repeat = s.last_said() if asks_to_repeat(text) else ""
        await s.add_message("user", text)
        if repeat:  # "Sorry, could you repeat that?": the same words again
            await _say_fixed(s, repeat, timings)
            return
        if asks_for_a_moment(text):  # "Hmm, let me think."
            await _say_fixed(s, TAKE_YOUR_TIME, timings)
            return
        if (day := calendar_answer(text, s.now)) is not None:  # "What date is this Friday?": no tool's turn
            await _say_fixed(s, day, timings)
            return
        if s.specs and await tool_step(s, text, timings):
            return
        if s.tool_turn != s.caller_turns and is_line_check(text):
            await _say_fixed(s, HERE, timings)
            return
        if s.tool_turn != s.caller_turns and s.pending is None and is_thanks(text):
            await _say_fixed(s, WELCOME, timings)
            return
        if s.tool_turn != s.caller_turns and (who := identity_answer(text, s.settings.business_name)):
            await _say_fixed(s, who, timings)
            return
        if s.tool_turn != s.caller_turns and (found := await _look_up(s, text, _caller_turn(s, back=2))) is not None:
            if not found.answerable:  # the instructions never mention it: say so, never guess
                await _say_fixed(s, HONEST, timings)
                return
            if found.lines:  # the instructions' own words: a small model contradicts them too often
                others = instruction_lines(s.settings.system_prompt)
                await _say_fixed(s, hours_answer(text, found.lines, s.now, others) or spoken_answer(found.lines, text),
                                timings)
                return
            if (again := await _hours_again(s, text)) is not None:
                await _say_fixed(s, again, timings)
                return
    await _speak_reply(s, timings)


_ONLY_A_DAY = re.compile(
    r"(?i)^\W*(?:(?:and|so|okay|ok|oh|but)\W+)*(?:(?:what|how) about\W+)?(?:on\W+)?"
    r"(?:today|tonight|tomorrow(?: morning| afternoon| evening| night)?|(?:this |the )?weekend|"
    r"(?:this |next )?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)s?)\W*$")


async def _hours_again(s: SessionCore, text: str) -> str | None:
    """ "And tomorrow?" right after a question about hours ("Are you open today?", "Are your phone
    people around later?") asks the same of another day: that day's hours, from the line the
    assistant just said or the question before found, where it states some days' hours."""
    if not _ONLY_A_DAY.match(text):
        return None
    said = s.last_said()
    lines = [line for line in instruction_lines(s.settings.system_prompt) if spoken_answer((line,)) in said]
    before = await _look_up(s, _caller_turn(s, back=2), _caller_turn(s, back=3))
    return hours_answer(text, [*lines, *(before.lines if before else ())], s.now)  # None: no days' hours


def warm_reply(s: SessionCore, text: str, still: Callable[[], bool], heard: str = "") -> None:
    """Begin the reply to words the caller has not finished yet (their turn adds them next, after
    `heard`, what they heard of a reply they interrupt; `SessionCore.prepare_reply`), or where it
    cannot be begun, warm its request while `still` holds; neither when the instructions answer
    the question or say nothing of it, as the model never sees it then."""
    if not text:
        return
    found = _words_look_up(s, text, _caller_turn(s, back=1))  # by words alone: no time to wait here
    if found is not None and (not found.answerable or found.lines):  # said without the model
        return
    ahead: list[Message] = [{"role": "assistant", "content": heard}] if heard else []
    if not s.prepare_reply(*ahead, {"role": "user", "content": text}):
        s.warm_history(*ahead, {"role": "user", "content": text}, still=still)


async def _look_up(s: SessionCore, text: str, previous: str) -> Lookup | None:
    """The instructions' answer to a question (None when the words are no question for them), by
    words and, where the profile has a sentence encoder, by meaning."""
    if not _for_the_instructions(text):
        return None
    closeness = await _closeness(s, text)
    return look_up(text, s.settings.system_prompt, before=(previous, s.last_said()), closeness=closeness)


def _words_look_up(s: SessionCore, text: str, previous: str) -> Lookup | None:
    if not _for_the_instructions(text):
        return None
    return look_up(text, s.settings.system_prompt, before=(previous, s.last_said()))


def _for_the_instructions(text: str) -> bool:
    """Words the instructions may answer: a question, not chatter."""
    return asks_something(text) and not is_chatter(text)


async def _closeness(s: SessionCore, text: str) -> list[float] | None:
    """The question's closeness in meaning to each instruction line (None: words alone). The lines'
    vectors are the encoder's to keep; a failing encoder leaves the look-up to the words."""
    lines = instruction_lines(s.settings.system_prompt)
    if s.engines.facts is None or not lines:
        return None
    try:
        vectors = await s.engines.facts.embed([*lines, text])
    except EngineError as err:
        log.warning("facts encoder failed; looking up by words", extra={"call_id": s.info.call_id, "code": err.code})
        return None
    return [float(x) for x in vectors[:-1] @ vectors[-1]]


def _caller_turn(s: SessionCore, back: int) -> str:
    """The caller's turn `back` from the newest in the history ("" when there is none)."""
    said = [str(m["content"]) for m in s.history if m["role"] == "user"]
    return said[-back] if len(said) >= back else ""


async def _say_fixed(s: SessionCore, text: str, timings: Timings) -> None:
    s.prepared.drop()  # answered without the model: its two cores are the voice's now
    utterance = s.begin_utterance(True)
    await speak_text(s.engines.tts, text, s.playout, utterance, s.clock, timings)
    await s.report_latency(timings)
    await s.finish_utterance(utterance)


def _spaced(text: str) -> str:
    """The words of `text`, lower-case, between single spaces and with one at each end, so that
    `_spaced(piece) in _spaced(text)` matches whole words only."""
    return f" {' '.join(_WORD.findall(text.lower()))} "


def repeats(greeting: str | None) -> Callable[[str], bool] | None:
    """Whether a sentence of a reply only repeats the greeting ("Hello, Bright Smile Dental.")."""
    if not greeting:
        return None
    said = _spaced(greeting)

    def check(sentence: str) -> bool:
        words = _WORD.findall(sentence.lower())
        opener = len(words) == 1 and words[0] in ("hello", "hi", "hey")
        return bool(words) and (len(words) >= 3 or opener) and _spaced(sentence) in said

    return check


def parrots(caller_turns: Sequence[str]) -> Callable[[str], bool]:
    """Whether a sentence of a reply only says back what the caller said: a small model, given a
    tool's result, sometimes answers "Good morning! Do you have anything free on Wednesday
    afternoon?" with those very words. Not spoken: one of the caller's own sentences (three words or
    more), five words or more of one of their turns, and the pieces that follow such a piece in the
    same turn of theirs (a reply is spoken in pieces cut at commas). A short read-back ("Marcus
    Webb.", "555 867 2210.") is spoken."""
    turns = [_spaced(t) for t in caller_turns]
    sentences = {_spaced(part) for t in caller_turns for part in re.split(r"(?<=[.!?])\s+", t)}
    following: list[str] = []  # the caller turn the last piece was taken from

    def check(sentence: str) -> bool:
        words = _WORD.findall(sentence.lower())
        said = _spaced(sentence)
        inside = [turn for turn in turns if said in turn] if words else []
        parrot = (len(words) >= 3 and said in sentences) or (len(words) >= 5 and bool(inside)) or (
            bool(following) and following[0] in inside)
        following[:] = inside[:1] if parrot else []
        return parrot

    return check


def said_before(replies: Sequence[str]) -> Callable[[str], bool]:
    """Whether a piece of a reply (four words or more) is one the assistant already said in this call:
    to "Uh-huh." a small model says its last answer again, word for word."""
    said = [_spaced(r) for r in replies]

    def check(sentence: str) -> bool:
        return len(_WORD.findall(sentence.lower())) >= 4 and any(_spaced(sentence) in reply for reply in said)

    return check


def spoken_result(result: Any) -> str:
    """A tool's result in plain words, for a reply that had nothing of its own to say:
    {"available": true, "slots": ["14:00", "16:30"]} is "Here is what I found: available: yes;
    slots: 14:00 and 16:30." """
    text = _plain(result).strip()
    return f"Here is what I found: {text}." if text else ""


def _plain(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Mapping):
        return "; ".join(f"{str(k).replace('_', ' ')}: {_plain(v)}" for k, v in value.items() if v not in (None, ""))
    if isinstance(value, list | tuple):
        items = [_plain(v) for v in value]
        return " and ".join(items) if len(items) < 3 else ", ".join(items[:-1]) + " and " + items[-1]
    return "" if value is None else str(value)


def _reply_check(s: SessionCore) -> ReplyCheck:
    given = [str(m.get("content") or "") for m in s.context() if m.get("role") != "assistant"]
    return ReplyCheck(known_numbers([*given, *(said.text for said in s.grounding_sources())]))


async def _speak_reply(s: SessionCore, timings: Timings) -> None:
    utterance = s.begin_utterance(True)
    check = _reply_check(s)
    greeting = repeats(s.settings.greeting)
    parrot = parrots([str(m["content"]) for m in s.history if m["role"] == "user"])
    again = said_before([str(m["content"]) for m in s.history if m["role"] == "assistant"])
    spoken: list[str] = []
    parroted: list[str] = []

    acted = s.tool_turn == s.caller_turns  # a tool answered this turn: its result is the news
    # A refusal tells the caller the opposite of what happened after a tool answered, and while a
    # tool waits for their values it refuses what they are in the middle of ("Okay, three then."
    # heard "Okay, breathe in." got "I'm sorry, but I can't assist with that." mid-booking).
    no_refusal = acted or s.pending is not None
    machine: list[str] = []
    cut: list[str] = []  # a piece just skipped that did not end its sentence

    def skip(sentence: str) -> bool:
        if _MACHINE.search(sentence):
            machine.append(sentence)  # and the rest of the reply with it: the note's values, unlabelled
        # the tail of a sentence whose first piece was skipped ("What is the tracking number," said
        # before): "please?" alone is no answer
        orphan = bool(cut) and len(_WORD.findall(sentence.lower())) <= 2
        cut[:] = []
        if machine or orphan or parrot(sentence) or again(sentence) or (no_refusal and _REFUSAL.search(sentence)):
            parroted.append(sentence)
            if not sentence.rstrip().endswith((".", "!", "?")):
                cut.append(sentence)
            return True
        if bool(greeting and greeting(sentence)) or check(sentence):
            return True
        spoken.append(sentence)
        return False

    prepared = s.prepared.take(s.context())
    try:
        written = await speak_stream(
            s.engines.llm,
            s.engines.tts,
            s.context(),
            s.playout,
            utterance,
            s.clock,
            timings,
            max_tokens=s.settings.max_tokens,
            temperature=s.settings.temperature,
            skip=skip,
            written_ahead=prepared.take() if prepared is not None else None,
        )
    except EngineError as err:
        log.warning("reply generation failed", extra={"call_id": s.info.call_id, "code": err.code})
        await speak_text(s.engines.tts, LLM_ERROR_APOLOGY, s.playout, utterance, s.clock, timings)
        written = LLM_ERROR_APOLOGY
    finally:
        if prepared is not None:
            prepared.drop()  # a turn cut short stops the generation it took over
    if check.dropped:  # what it would have claimed is said to be unknown instead
        log.info("reply sentences with numbers nobody gave were not spoken",
                 extra={"call_id": s.info.call_id, "sentences": len(check.dropped)})
        await speak_text(s.engines.tts, HONEST, s.playout, utterance, s.clock, timings)
    elif not utterance.segments or (parroted and all(is_chatter(p) for p in spoken)):
        # only the greeting or the caller's words again ("Good morning!" at most), or nothing: the
        # caller must not hear silence, nor their own words instead of an answer
        log.info("reply had no speakable text", extra={"call_id": s.info.call_id, "chars": len(written),
                                                      "parroted": len(parroted)})
        result = s.last_result() if acted else None
        heard = next((str(m["content"]) for m in reversed(s.history) if m["role"] == "user"), "")
        asked = pending_question(s)  # the model asked it again, in words already said: ask it whole
        asked = asked if asked and any(_spaced(p) in _spaced(asked) for p in parroted) else None
        fallback = spoken_result(result) or asked or (
            ANYTHING_ELSE if parroted and is_chatter(heard) else LLM_ERROR_APOLOGY)
        await speak_text(s.engines.tts, fallback, s.playout, utterance, s.clock, timings)
    await s.report_latency(timings)
    await s.finish_utterance(utterance)
