"""The system prompt and the per-turn tool decision, shared by the live session and the eval script.

The system prompt is built once per call and never changes during it, so the LLM's KV cache of it
(filled by `prefill` at call start) is reused by every turn; the decision questions go after the
conversation, where they cost only their own few tokens. Measured choices (docs/conversation.md):
a plain-words intent first, then the chosen tool's arguments, beat one combined JSON object and
the model's own tool-call text on the cpu profile's 0.5B model.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from voicedock.engines.base import LLM, EngineError, Message

from .tools import (
    END_CALL,
    NO_TOOL,
    TRANSFER_CALL,
    Decision,
    ToolSpec,
    arguments_schema,
    describe_tools,
    intent_label,
    intent_schema,
)

log = logging.getLogger("voicedock.conversation")

SPOKEN_STYLE = (
    "You are speaking on the phone. Answer in one or two short, plain sentences; no lists, no markdown, "
    "no emojis. Do not greet the caller again. Use only facts from these instructions and from tool results; "
    "never make up names, numbers, prices, dates or times, and never say something was booked, cancelled or "
    "changed unless a tool result says so."
)


def calendar_lines(now: datetime, days: int = 7) -> str:
    """Weekday names next to ISO dates, so the model can copy a date instead of computing one.

    The minute comes last: every call in a later minute shares the prompt's evaluated head up to
    it, so a cached prompt re-evaluates a dozen tokens instead of everything after the calendar."""
    out = []
    for i in range(days + 1):
        day = now + timedelta(days=i)
        label = " (today)" if i == 0 else " (tomorrow)" if i == 1 else ""
        out.append(f"{day:%A} = {day:%Y-%m-%d}{label}")
    out.append(f"Now it is {now:%A} {now:%Y-%m-%d}, {now:%H:%M}.")
    return "\n".join(out)


def system_prompt(
    assistant_prompt: str, specs: Sequence[ToolSpec], now: datetime, business_name: str | None = None
) -> str:
    """The assistant's instructions, the spoken style, the tools, then the calendar: what changes
    between calls (the day, the minute) goes last, so the prompt caches hold the rest."""
    parts = [assistant_prompt.strip()]
    if business_name:
        parts.append(f"You answer the phone for {business_name}.")
    parts.append(SPOKEN_STYLE)
    if specs:
        parts.append(
            "Tools (the system runs them and gives you the result):\n"
            + describe_tools(specs)
            + f"\n- {NO_TOOL}: no tool fits; just talk (greetings, questions you can answer, asking for details)."
            "\nWhen the caller asks for something a tool does, use that tool. Dates are YYYY-MM-DD, "
            "times are HH:MM (24-hour). Never invent a value the caller did not give.\n" + tool_examples(specs)
        )
    parts.append(calendar_lines(now))
    return "\n\n".join(parts)


def tool_examples(specs: Sequence[ToolSpec]) -> str:
    """A few fixed examples for the built-in choices, which small models otherwise rarely pick."""
    names = {s.name for s in specs}
    lines = [
        '"What are your opening hours?" -> none',
        '"Hello there." -> none',
        '"I want to book." -> none (ask for details)',
    ]
    if END_CALL in names:
        lines.append('"Thanks, that is all, bye!" -> end_call')
    if TRANSFER_CALL in names:
        lines.append('"Can I talk to a real person?" -> transfer_call')
    return "Examples:\n" + "\n".join(lines)


async def choose_tool(llm: LLM, messages: Sequence[Message], specs: Sequence[ToolSpec]) -> ToolSpec | None:
    """One short constrained generation: which of `specs` the caller wants now, in plain words."""
    last = next((str(m.get("content", "")) for m in reversed(messages) if m.get("role") == "user"), "")
    labels = {intent_label(s): s for s in specs}
    options = ", ".join(f'"{label}"' for label in [*labels, intent_label(None)])
    ask = f'The caller just said: "{last}". What does the caller want now? One of {options}. Answer as JSON {{"intent": ...}}.'
    raw: Mapping[str, Any] = await llm.complete_json(
        [*messages, {"role": "system", "content": ask}], intent_schema(specs), max_tokens=24
    )
    return labels.get(str(raw.get("intent")))


async def decide(
    llm: LLM, messages: Sequence[Message], specs: Sequence[ToolSpec], *, max_tokens: int = 160
) -> Decision:
    """The model's choice among `specs` and its proposal for that tool's arguments.

    An engine failure means no tool, so the turn still gets a reply. The arguments are only the
    model's proposal: grounding.py keeps those the call really holds.
    """
    if not specs:
        return Decision(None)
    try:
        spec = await choose_tool(llm, messages, specs)
        if spec is None:
            return Decision(None)
        args = await extract_arguments(llm, messages, spec, max_tokens=max_tokens)
    except EngineError as err:
        log.warning("tool decision failed; answering without a tool", extra={"code": err.code})
        return Decision(None)
    return Decision(spec, args)


async def extract_arguments(
    llm: LLM, messages: Sequence[Message], spec: ToolSpec, *, max_tokens: int = 160
) -> dict[str, Any]:
    """The model's reading of the tool's arguments from the conversation (empty for none)."""
    if not (spec.parameters.get("properties") or {}):
        return {}
    fill = (f"Fill in the arguments for {spec.name} from the conversation as JSON. Copy the caller's own words "
            "for every value; leave out anything the caller has not said.")
    args = await llm.complete_json(
        [*messages, {"role": "system", "content": fill}], arguments_schema(spec), max_tokens=max_tokens
    )
    return dict(args)
