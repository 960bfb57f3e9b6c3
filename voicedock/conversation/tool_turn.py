"""The tool part of a caller's turn: which tool (if any), with which grounded values, and running it.

A tool is an action in the customer's systems, so it runs only when the caller asked for it and
every required value came from the call (grounding.py). A value still missing is asked for, one
short fixed question at a time, and the tool waits (`PendingTool`) across as many turns as it
takes; a value the caller corrects replaces the old one. Every decision, including a question
asked instead of running, is on the call record with where each value came from.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from voicedock.engines.base import EngineError
from voicedock.engines.local_choice import ENGLISH, base_language

from .core import SessionCore, say_turn
from .cues import (
    Cue,
    asks_about_business,
    asks_for,
    asks_something,
    builtin_cue,
    confirms,
    cue_length,
    drops_request,
    is_chatter,
    is_question,
    is_small_talk,
    is_thanks,
    reads_only,
    undoes,
)
from .decide import choose_tool, extract_arguments
from .extract import code_proposals, is_free_text, read_by_shape
from .grounding import (
    PHONE_KEYS,
    Grounded,
    answer_for,
    ground_arguments,
    missing_required,
    name_not_caught,
    offered_times,
    picked_by_order,
    picked_time,
    question_for,
)
from .names import OTHERS_NAME_KEYS
from .phones import begun_before, number_not_caught
from .results import FREE_KEYS, result_words
from .speech import Timings, speak_text
from .state import Hangup, State, TransferTo
from .tool_hours import closed_on, in_opening_hours, not_open_at
from .tool_runner import TOOL_TIMEOUT_SECONDS, ToolError
from .tools import END_CALL, TRANSFER_CALL, ToolSpec, validation_errors

log = logging.getLogger("voicedock.conversation")

GOODBYE = "Thank you for calling. Goodbye!"
TRANSFER_MESSAGE = "Please hold while I transfer your call."
FILLER = "One moment, let me check."
FILLER_AFTER_SECONDS = 0.7
CORRECTION = re.compile(r"\b(?:no|wait|actually|sorry|i meant|make it|change it to|instead|rather)\b", re.I)
MISTAKE = re.compile(r"\b(?:no|wait|actually|sorry|i meant)\b", re.I)
"""What corrects a cancellation: "He'll just walk in on Saturday instead" after one asks for no
other day to be cancelled."""
LOOK_UP_FOLLOW_TURNS = 2  # how many caller turns after a look-up its action may still be taken up
LOOK_UP_MAX_WORDS = 6  # "Anything tomorrow?", "And Friday at 3?": a value with little around it
MODEL_MIN_WORDS = 3  # a shorter turn holds no value that code cannot read
TOOL_TIMEOUT_APOLOGY = "I'm sorry, that is taking too long right now. Could we try again in a moment?"
TOOL_ERROR_APOLOGY = "I'm sorry, something went wrong while I was doing that. Could we try again?"


@dataclass
class PendingTool:
    """A tool the caller asked for whose required values are not all known yet."""

    spec: ToolSpec
    values: dict[str, Grounded] = field(default_factory=dict)
    asked: str | None = None  # the value asked for last
    turn: int = 0  # the caller turn it ran in


def _prop(spec: ToolSpec, key: str) -> Mapping[str, Any]:
    """The schema of one of the tool's parameters ({} when it has none)."""
    return (spec.parameters.get("properties") or {}).get(key) or {}


def pending_question(s: SessionCore) -> str | None:
    """The question asked last for a tool that still waits for a value (None when none waits)."""
    pending = s.pending
    if not isinstance(pending, PendingTool) or pending.asked is None:
        return None
    return question_for(pending.asked, _prop(pending.spec, pending.asked))


_ONLY_A_PART = re.compile(r"(?i)^\W*(?:(?:um|uh|er|oh|well|hmm|yeah|yes|sure|ok|okay)\W+)*(?:(?:in )?the |maybe (?:the )?)?"
                          r"(morning|afternoon|evening)(?: (?:please|is (?:best|good|better|fine)|would be (?:best|good|great)"
                          r"|works))?\W*$")


def _asked_again(pending: PendingTool, text: str) -> str | None:
    """What to ask where the answer to a question gives nothing for it: "The morning." to "At
    what time?" gets "What time in the morning?"; a backchannel or an okay ("Uh-huh.", "Sure.")
    gets the question again, not a model's reply that goes elsewhere."""
    if pending.asked is None:
        return None
    part = _ONLY_A_PART.match(text)
    if part and _prop(pending.spec, pending.asked).get("format") == "time":
        return f"What time in the {part[1].lower()}?"
    if is_chatter(text) and not is_thanks(text):
        return question_for(pending.asked, _prop(pending.spec, pending.asked))
    return None


LET_GO = "No problem. Is there anything else I can help you with?"
"""To a caller who lets go of an action a tool was waiting on."""


async def tool_step(s: SessionCore, text: str, timings: Timings) -> bool:
    """Decide and act on tools for this caller turn; True when the turn's reply has been spoken.

    The caller's words pick the candidates (cues.py); the model is asked only to choose between
    several, and for values code could not read. A turn that asks for no tool costs no model call.
    """
    cue = builtin_cue(text, s.specs)
    if cue is not None:
        return await _builtin(s, cue)
    offered = s.last_said()
    question = is_question(text)
    if asks_about_business(text) and question:
        # the prompt answers it; a tool waiting for a value ("What is the tracking number?") does not
        # take "Saturday" from "Is the depot open on Saturday?", and waits on
        return False
    if s.pending is not None and drops_request(text) and not await _fresh_values(s, s.pending.spec, text):
        s.pending = None  # "never mind, I'll call back": not asked for its values again
        if asks_something(text):
            return False  # "Forget it, we'll walk in. Do you have high chairs?": the question is answered
        await _say(s, LET_GO, timings)
        return True
    if s.pending is not None:
        spoken = await _continue_pending(s, s.pending, text, timings)
        if spoken is not None:
            return spoken
        if not question and (asks_for(s.pending.spec, text) or confirms(s.pending.spec, text, offered)):
            return await _run_or_ask(s, s.pending, timings)  # "just book it": ask again for what is missing
        if not question and (ask := _asked_again(s.pending, text)) is not None:
            await _say(s, ask, timings)
            return True
    if is_chatter(text) and not offered.rstrip().endswith("?"):
        return False  # chatter needs no tool
    if s.done is not None and (MISTAKE if undoes(s.done.spec) else CORRECTION).search(text):
        fresh = await _fresh_values(s, s.done.spec, text)
        if fresh and not await _gives_more(s, s.done.spec, text):
            # "oh wait, I meant Tuesday": the action runs again with the corrected value
            s.pending = PendingTool(s.done.spec, {**s.done.values, **fresh})
            return await _run_or_ask(s, s.pending, timings)
    if s.done is not None and (again := _offered_time_taken(s, s.done, text)) is not None:
        s.pending = again  # "The earlier one, then." after the table asked for was not free
        return await _run_or_ask(s, again, timings)
    candidates = [spec for spec in s.specs if spec.kind not in (END_CALL, TRANSFER_CALL)
                  and (asks_for(spec, text) or confirms(spec, text, offered)
                       or (question and _looks_up(s, spec, text))
                       or (offered.rstrip().endswith("?") and asks_for(spec, offered)
                           and await _fresh_values(s, spec, text)))]
    actions = [c for c in candidates if not reads_only(c) and (asks_for(c, text) or confirms(c, text, offered))]
    if actions:
        candidates = actions  # "reschedule my delivery" is not a request to track it
        candidates = [c for c in actions if undoes(c)] or candidates
        lengths = {c.name: cue_length(c, text) for c in candidates}
        candidates = [c for c in candidates if lengths[c.name] == max(lengths.values())]
    if not candidates:
        follow = None if question else await _action_after_look_up(s, text)
        if follow is None:
            return False
        s.pending = follow
        return await _run_or_ask(s, follow, timings)
    spec: ToolSpec | None = candidates[0]
    if len(candidates) > 1:
        try:
            spec = await choose_tool(s.engines.llm, s.context(), candidates)
        except EngineError as err:
            log.warning("tool choice failed; answering without a tool", extra={"code": err.code})
            return False
    if spec is None:
        return False
    s.pending = _look_up_first(s, PendingTool(spec, await _read_values(s, spec, text)))
    return await _run_or_ask(s, s.pending, timings)


def _look_up_first(s: SessionCore, pending: PendingTool) -> PendingTool:
    """An action asked for before all its values are known ("Table for two tonight at eight
    thirty?") first runs the look-up that takes exactly what is known (is there a table?), as a
    receptionist checks before asking for a name; the action is taken up after it (a name given
    next reserves). Only a look-up of when (one with a date or time): looking a parcel up by its
    number is no step before changing its address. Otherwise the action waits and its missing
    value is asked for."""
    spec = pending.spec
    props = spec.parameters.get("properties") or {}
    if reads_only(spec) or not missing_required(spec.parameters, pending.values):
        return pending
    done = s.looked_up
    for look in s.specs:
        look_props = look.parameters.get("properties") or {}
        needs = set(look.parameters.get("required") or [])
        when = any((p or {}).get("format") in ("date", "time", "date-time") for p in look_props.values())
        if (look.kind not in (END_CALL, TRANSFER_CALL) and reads_only(look) and needs and when
                and needs <= set(pending.values) and set(look_props) <= set(props)):
            values = {k: v for k, v in pending.values.items() if k in look_props}
            if (isinstance(done, PendingTool) and done.spec.name == look.name
                    and {k: v.value for k, v in done.values.items()} == {k: v.value for k, v in values.items()}):
                return pending  # checked already: "Great, book it." asks for the name
            return PendingTool(look, values)
    return pending


async def _gives_more(s: SessionCore, done: ToolSpec, text: str) -> bool:
    """Whether the turn gives a value the action just taken has no place for: after a
    cancellation, "Could I do Wednesday the sixth instead, at ten?" asks for a new booking (a
    time), and is no correction of the day cancelled."""
    props = done.parameters.get("properties") or {}
    for spec in s.specs:
        if spec.name != done.name and spec.kind not in (END_CALL, TRANSFER_CALL):
            if any(key not in props for key in await _fresh_values(s, spec, text)):
                return True
    return False


async def _fresh_values(s: SessionCore, spec: ToolSpec, text: str) -> dict[str, Grounded]:
    """The tool's values this very turn gives, read in code (no model call)."""
    return _this_turn(s, await _read_values(s, spec, text, ask_model=False))


def _this_turn(s: SessionCore, values: dict[str, Grounded]) -> dict[str, Grounded]:
    return {k: v for k, v in values.items() if v.turn == s.caller_turns}


def _offered_time_taken(s: SessionCore, done: PendingTool, text: str) -> PendingTool | None:
    """The action just taken, again at one of the other times its result offered, where the turn
    right after it picks one ("The earlier one, then.", "Okay, nine then.")."""
    props = done.spec.parameters.get("properties") or {}
    key = next((k for k, p in props.items() if (p or {}).get("format") == "time"), None)
    if key is None or s.caller_turns - done.turn != 1 or is_question(text):
        return None
    result = next((said for said in s.grounding_sources() if said.source == "tool_result"), None)
    offered = offered_times([result]) if result is not None else []  # what this action's own result offered
    picked = picked_by_order(text, offered) or picked_time(text, offered)
    held = done.values.get(key)
    if picked is None or (held is not None and held.value == picked):
        return None
    return PendingTool(done.spec, {**done.values, key: Grounded(picked, "tool_result", s.caller_turns, text)})


def _likeliest(s: SessionCore, fits: list[tuple[ToolSpec, dict[str, Grounded]]]) -> list[tuple[ToolSpec, dict[str, Grounded]]]:
    """Of the actions a turn after a look-up gives values for, the one it gives the most: after
    free times were checked, "Nine thirty. Name's Abdi Warsame, ... five five five ..." books
    (time, name, phone) rather than cancels (a name). Taking something back follows a look-up
    only where nothing else fits."""
    if len(fits) < 2:
        return fits
    fits = [fit for fit in fits if not undoes(fit[0])] or fits
    most = max(len(_this_turn(s, values)) for _, values in fits)
    return [fit for fit in fits if len(_this_turn(s, fit[1])) == most]


async def _action_after_look_up(s: SessionCore, text: str) -> PendingTool | None:
    """The action a look-up leads to, taken up without a cue word: after "Is there an opening on
    the 12th at 2:30?" was checked, "Okay, three then." picks an offered time and "Lena Fischer,
    555 0134" gives what only the booking needs. The action must take every value the look-up
    ran with; the turn must give it a value of its own; exactly one action may fit."""
    look = s.looked_up
    if not isinstance(look, PendingTool) or not 0 < s.caller_turns - look.turn <= LOOK_UP_FOLLOW_TURNS:
        return None
    fits: list[tuple[ToolSpec, dict[str, Grounded]]] = []
    for spec in s.specs:
        props = spec.parameters.get("properties") or {}
        if spec.kind in (END_CALL, TRANSFER_CALL) or reads_only(spec) or not set(look.values) <= set(props):
            continue
        values = await _read_values(s, spec, text, ask_model=False)
        if _this_turn(s, values):
            fits.append((spec, values))
    fits = _likeliest(s, fits)
    if len(fits) != 1:
        return None
    spec, values = fits[0]
    fresh = _this_turn(s, values)
    carried = dict(look.values)
    offered = offered_times(s.grounding_sources())
    if offered and not _asked_is_free(s.last_result()):
        # times were offered instead (not among them the one asked): the caller picks one, or is asked
        props = spec.parameters.get("properties") or {}
        carried = {k: v for k, v in carried.items()
                   if (props.get(k) or {}).get("format") != "time" or v.value in offered}
    # what the caller gave earlier that the look-up did not take: "My name's Hannah Cole" said with
    # the first request is the booking's name
    held = {k: v for k, v in values.items() if k not in look.values and k not in fresh}
    return PendingTool(spec, {**held, **carried, **fresh})


def _asked_is_free(result: Any) -> bool:
    """The look-up said the time asked is free ({"available": true, "slots": [...]}): the other
    times it lists are more choice, not instead, and the time asked is kept ("at nine" checked
    free, then "My number's ..." books at nine)."""
    return isinstance(result, Mapping) and any(result.get(key) is True for key in FREE_KEYS)


_WHAT_ABOUT = re.compile(r"(?i)\b(?:what|how) about\b[^.?!]*\b(?:at|around)\b")
"""Asking about a day and a time ("Okay then, what about Friday at nine?"): a look-up, however long."""


def _looks_up(s: SessionCore, spec: ToolSpec, text: str) -> bool:
    """A look-up the turn gives a value for ("Anything tomorrow?", "What about order 4711?"): a short
    turn about little else, or any question right after the same look-up ran ("Hmm, seven's a bit
    early for us. What about Sunday, three in the afternoon?"); never a question about the business
    or small talk ("how are you today")."""
    look = s.looked_up
    again = (isinstance(look, PendingTool) and look.spec.name == spec.name
             and 0 < s.caller_turns - look.turn <= LOOK_UP_FOLLOW_TURNS)
    if not reads_only(spec) or (len(text.split()) > LOOK_UP_MAX_WORDS and not again and not _WHAT_ABOUT.search(text)):
        return False
    values = ground_arguments(spec.parameters, code_proposals(spec.parameters, text), s.grounding_sources(), s.now,
                              s.info.phone_region)
    return any(v.turn == s.caller_turns for v in values.values()) and not is_small_talk(text)


async def _read_values(s: SessionCore, spec: ToolSpec, text: str, *, ask_model: bool = True) -> dict[str, Grounded]:
    """The tool's values the call holds, read in code; the model is asked only for values still
    missing that code does not read by shape (free text, an address: `read_by_shape`) in a turn
    long enough to hold them."""
    sources = s.grounding_sources()
    proposals = code_proposals(spec.parameters, text)
    for said in sources:  # a value an earlier turn gave ("my number is SD 7100 3344"), newest first
        if said.source == "caller" and said.turn != s.caller_turns:
            proposals = {**code_proposals(spec.parameters, said.text), **proposals}
    values = ground_arguments(spec.parameters, proposals, sources, s.now, s.info.phone_region)
    unsure = [k for k in missing_required(spec.parameters, values) if not read_by_shape(k, _prop(spec, k))] or [
        k for k in proposals if is_free_text(k)]
    if ask_model and unsure and len(text.split()) > MODEL_MIN_WORDS:
        try:
            proposed = await extract_arguments(s.engines.llm, s.context(), spec)
        except EngineError as err:
            log.warning("argument extraction failed", extra={"call_id": s.info.call_id, "code": err.code})
            proposed = {}
        more = ground_arguments(spec.parameters, proposed, sources, s.now, s.info.phone_region)
        values = {**more, **values, **{k: v for k, v in more.items() if is_free_text(k)}}
    return in_opening_hours(s.settings.system_prompt, s.now.date(), spec, _with_content(values))


_NO_CONTENT = frozenset("a an the and or i i'm im me my mine it it's its is this that for to of please hi hello hey "
                        "yes yeah ok okay so um uh just name name's names number email phone".split())


def _with_content(values: dict[str, Grounded]) -> dict[str, Grounded]:
    """Free text (a ticket's summary) that says nothing but the other values is no value: "Name's
    Callum Reid." gives the name, "open a ticket for me, it's urgent" the priority, and neither
    describes a problem. Such text is dropped, so the summary is asked for."""
    out = dict(values)
    for key, found in values.items():
        if not is_free_text(key) or not isinstance(found.value, str):
            continue
        others = {w for k, v in values.items() if k != key for w in re.findall(r"[a-z0-9']+", str(v.value).lower())}
        words = set(re.findall(r"[a-z0-9']+", found.value.lower())) - others - _NO_CONTENT
        if not words:
            del out[key]
    return out


async def _continue_pending(s: SessionCore, pending: PendingTool, text: str, timings: Timings) -> bool | None:
    """The caller's turn while a tool waits for values: take what it gives, then run or ask again.

    None when the turn gave nothing for it; else whether the turn's reply has been spoken."""
    values = await _read_values(s, pending.spec, text)
    sources = s.grounding_sources()
    asked = pending.asked
    if asked is not None and (asked not in values or values[asked].turn != s.caller_turns) and sources \
            and sources[0].turn == s.caller_turns:  # not given this turn: the whole turn may be the answer
        answer = answer_for(asked, _prop(pending.spec, asked), sources[0], s.info.phone_region)
        if answer is not None:
            values[asked] = answer
    if asked is not None and PHONE_KEYS.search(asked) and asked in values and values[asked].turn == s.caller_turns:
        values[asked] = _number_begun_before(s, values[asked], text) or values[asked]
    fresh = {k: v for k, v in values.items() if v.turn == s.caller_turns and pending.values.get(k) != v}
    if asked in fresh:  # the answer is to the question asked: "It's Biscuit." names the pet, not its owner
        fresh = {k: v for k, v in fresh.items() if k == asked or v.value != fresh[asked].value}
    # A turn's free text is the answer to what was asked, or the first telling of it: "How soon will
    # someone look at it?" and "Low priority is fine" do not replace the problem the caller described.
    fresh = {k: v for k, v in fresh.items() if not is_free_text(k) or k == asked
             or (k not in pending.values and not is_question(text))}
    phones = [k for k in pending.spec.parameters.get("properties") or {} if PHONE_KEYS.search(k) and k not in fresh]
    if phones and number_not_caught(text, s.info.phone_region):
        for key in phones:  # the number the caller means now is not the one held, nor one heard whole
            pending.values.pop(key, None)
    elif not fresh and not (asked is not None and "name" in asked.lower() and name_not_caught(text)):
        return None
    pending.values.update(fresh)
    return await _run_or_ask(s, pending, timings)


async def _run_or_ask(s: SessionCore, pending: PendingTool, timings: Timings) -> bool:
    spec = pending.spec
    args = {k: g.value for k, g in pending.values.items()}
    sources = {k: g.describe() for k, g in pending.values.items()}
    record: dict[str, Any] = {"id": s.new_tool_call_id(), "name": spec.name, "arguments": args, "sources": sources,
                              "turn": s.caller_turns}
    # a closed day is said as soon as the day is known, not after the time, name and number
    if (closed := closed_on(s.settings.system_prompt, spec, pending.values)) is not None:  # no slot to look for or book
        s.pending = None
        await s.report_tool(record | {"status": "closed", "said": closed})
        await _say(s, closed, timings)
        return True
    if (shut := not_open_at(s.settings.system_prompt, spec, pending.values)) is not None:  # a time the place is not open at
        key, hours_said = shut
        pending.values.pop(key, None)
        pending.asked = key
        await s.report_tool(record | {"status": "closed", "said": hours_said})
        await _say(s, hours_said, timings)
        return True
    missing = missing_required(spec.parameters, args)
    errors = [] if missing else validation_errors(spec, args)
    if missing or errors:
        key = missing[0] if missing else next(iter(args), "")
        question = question_for(key, _prop(spec, key)) if missing else "Sorry, could you give me that again?"
        said = s.grounding_sources()[:1]
        now = said[0].text if missing and said and said[0].turn == s.caller_turns and said[0].source == "caller" \
            else None  # what the caller said this turn, in answer to the question asked
        if now is not None and PHONE_KEYS.search(key) and number_not_caught(now, s.info.phone_region):
            question = f"Sorry, I didn't catch the whole number. {question}"
        elif now is not None and "name" in key.lower() and pending.asked == key and name_not_caught(now):
            whose = "that" if OTHERS_NAME_KEYS.search(key) else "your"  # a pet's name is not the caller's
            question = f"Sorry, I didn't catch {whose} name. {question}"
        pending.asked = key
        await s.report_tool(record | {"status": "needs_arguments", "missing": missing, "errors": errors,
                                      "asked": question})
        await _say(s, question, timings)
        return True
    s.pending = None
    pending.turn = s.caller_turns
    s.done = None if reads_only(spec) else pending
    s.looked_up = pending if reads_only(spec) else None
    s.set_state(State.TOOL)
    return await _run_function(s, spec, record, timings)


def _number_begun_before(s: SessionCore, found: Grounded, text: str) -> Grounded | None:
    """The phone number read this turn joined to the group the turn before ended on
    (`phones.begun_before`), with both turns as what was said."""
    before = next((x for x in s.grounding_sources() if x.source == "caller" and x.turn == s.caller_turns - 1), None)
    joined = begun_before(before.text, str(found.value), text, s.info.phone_region) if before is not None else None
    return Grounded(joined, found.source, found.turn, f"{before.text} {text}") if joined and before else None


async def _builtin(s: SessionCore, cue: Cue) -> bool:
    s.pending = None
    s.set_state(State.TOOL)
    record: dict[str, Any] = {"id": s.new_tool_call_id(), "name": cue.spec.name, "arguments": {},
                              "turn": s.caller_turns}
    if cue.spec.kind == END_CALL:
        await s.report_tool(record | {"status": "ok", "result": "ending call"})
        await say_turn(s, GOODBYE, end=Hangup("assistant-ended-call"), interruptible=False)
        return True
    destination = cue.destination or ""
    await s.report_tool(record | {"arguments": {"destination": destination},
                                  "sources": {"destination": {"from": cue.source, "said": cue.said}},
                                  "status": "ok", "result": f"transferring to {destination}"})
    await say_turn(s, _transfer_message(cue.spec, destination), end=TransferTo(destination), interruptible=False)
    return True


def _transfer_message(spec: ToolSpec, destination: str) -> str:
    for dest in spec.destinations:
        if destination in (dest.get("number"), dest.get("sip_uri"), dest.get("sipUri")):
            return str(dest.get("message") or TRANSFER_MESSAGE)
    return TRANSFER_MESSAGE


async def _run_function(s: SessionCore, spec: ToolSpec, record: dict[str, Any], timings: Timings) -> bool:
    args = dict(record["arguments"])
    call = s.tool_runner(s.info, spec.config, str(record["id"]), args, record.get("sources"))
    if spec.is_async:
        s.spawn(_run_async_tool(s, call, record))
        s.add_note(f"The {spec.name} request was sent; its result will not be known during this call.")
        return False
    started = s.clock()
    task = asyncio.ensure_future(asyncio.wait_for(call, TOOL_TIMEOUT_SECONDS))
    try:
        done, _ = await asyncio.wait({task}, timeout=FILLER_AFTER_SECONDS)
        if not done:  # the caller hears a short filler, never silence, then the result
            await _say(s, FILLER, timings)
        result = await task
    except TimeoutError:
        await s.report_tool(record | {"status": "timeout", "seconds": round(s.clock() - started, 3)})
        return await _apologise(s, spec, TOOL_TIMEOUT_APOLOGY, timings)
    except ToolError as err:
        await s.report_tool(record | {"status": "error", "error": str(err)[:300]})
        return await _apologise(s, spec, TOOL_ERROR_APOLOGY, timings)
    except asyncio.CancelledError:
        task.cancel()
        raise
    except Exception as err:
        log.exception("tool runner failed", extra={"call_id": s.info.call_id, "tool": spec.name})
        await s.report_tool(record | {"status": "error", "error": type(err).__name__})
        return await _apologise(s, spec, TOOL_ERROR_APOLOGY, timings)
    await s.report_tool(record | {"status": "ok", "result": result, "seconds": round(s.clock() - started, 3)})
    s.add_result(spec.name, result)
    note = f"({spec.name} for {_compact(args)} returned {_compact(result)}.)"
    # said in code (results.py), in English: an assistant of another language hears the model's words
    english = base_language(s.info.assistant.language or ENGLISH) == ENGLISH
    if english and (words := result_words(spec.parameters, args, result)):
        s.add_note(note)
        await _say(s, words, timings)
        return True
    s.add_note(f"{note} Answer the caller in one short sentence, using only these values.")
    return False


async def _say(s: SessionCore, text: str, timings: Timings) -> None:
    utterance = s.begin_utterance(True)
    await speak_text(s.engines.tts, text, s.playout, utterance, s.clock, timings)
    await s.report_latency(timings)
    await s.finish_utterance(utterance)


async def _apologise(s: SessionCore, spec: ToolSpec, apology: str, timings: Timings) -> bool:
    s.add_note(f"The {spec.name} tool failed; the caller was told to try again later.")
    await _say(s, apology, timings)
    return True


async def _run_async_tool(s: SessionCore, call: Any, record: dict[str, Any]) -> None:
    """Fire and forget: the conversation goes on; the outcome is still recorded on the call."""
    try:
        result = await asyncio.wait_for(call, TOOL_TIMEOUT_SECONDS)
        await s.report_tool(record | {"status": "ok", "async": True, "result": result})
    except asyncio.CancelledError:
        raise
    except Exception as err:
        await s.report_tool(record | {"status": "error", "async": True, "error": type(err).__name__})


def _compact(value: Any) -> str:
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={_compact(v)}" for k, v in value.items())
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text[:600]
