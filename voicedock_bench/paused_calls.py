"""False cut-offs heard at the caller: the false-cut-off set's paused sentences said in real calls.

The offline replay (`voicedock_bench.endpointing`) counts every turn that ends in the caller's
pause. A caller notices less and more than that: when they go on before the reply's first audio,
VoiceDock drops the half-made reply and joins the two halves into one turn (the record keeps a
turn given up with `abandoned: barge-in`), which they never hear; a reply that starts before
they have finished is what they hear as being cut off, and it depends on how fast the reply
comes on this machine, which only a real call measures. So one call per voice says that voice's
paused utterances of a split one after another, each after the previous reply has ended, and
counts per utterance:

- `jumped_in`: the caller heard the assistant between their first and last voiced frame (the
  issue's false cut-off, measured at the caller);
- `unanswered`: no reply began within the timeout after the last word;

and per call the turns the server gave up because the caller went on (`ended_in_pause`) and
the caller turns its record stores (one per sentence when none was split in two).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import turn_metrics as tm
from .pause_set import RATE, Item, build
from .sip_caller import CallFailed, SipCall
from .turn_call import LOUD, wait_quiet, wait_voice

FALSE_CUT_OFF_RATE = 0.03  # the goal: at most 3 % of paused utterances
QUIET_BEFORE = 2.0  # seconds without the assistant's voice before the next sentence: a slow reply's
# gap between two sentences can outlast the turn benchmark's 1.2 s
AFTER_SPEECH = 0.2  # seconds of the item's tail silence sent after its last word; the line's own silence follows
VOICE_OF = {"piper": ("piper-joe",), "espeak-ng": ("espeak-en-us", "espeak-en-gb-x-rp", "espeak-en-us+f3")}
"""The pause set's voices behind each of the turn benchmark's voice names."""


@dataclass
class Said:
    name: str
    text: str
    pause_ms: int
    jumped_in_at_ms: float | None  # first assistant frame heard after the caller's first word, if before the last
    reply_ms: float | None  # caller's last voiced frame -> first reply frame


@dataclass
class PausedCall:
    voice: str
    index: int
    said: list[Said] = field(default_factory=list)
    record: dict[str, Any] | None = None
    error: str | None = None

    @property
    def user(self) -> str:
        return f"paused{self.index}"


def items_for(voices: list[str], split: str, workdir: Path, piper: Any | None) -> dict[str, list[Item]]:
    """The paused utterances of `split`, grouped by pause-set voice, for the benchmark's voices
    (`piper`: the Piper voice, or None when Piper is not among them)."""
    wanted = [v for name in voices for v in VOICE_OF.get(name, ())]
    items = [i for i in build(workdir, piper)
             if i.kind == "paused" and i.split == split and i.voice in wanted]
    return {v: [i for i in items if i.voice == v] for v in wanted if any(i.voice == v for i in items)}


def _sent_part(item: Item) -> Any:
    """The utterance with its lead silence, up to a little after the last word."""
    return item.pcm[: int((item.speech_end + AFTER_SPEECH) * RATE)]


async def say_paused(call: SipCall, item: Item, reply_timeout: float) -> Said:
    played = await call.play(_sent_part(item))
    first, last = played.voice_started, played.voice_ended
    pause_ms = round(((item.pause_end or 0) - (item.pause_start or 0)) * 1000)
    if first is None or last is None:
        return Said(item.name, item.text, pause_ms, None, None)
    early = tm.voice_starts(call.heard, first, LOUD)
    jumped = None if early is None or early > last else round((early - first) * 1000, 1)
    reply = await wait_voice(call, last, reply_timeout)
    if reply is not None:
        await wait_quiet(call, reply, 60, QUIET_BEFORE)
    return Said(item.name, item.text, pause_ms, jumped, None if reply is None else round((reply - last) * 1000, 1))


async def paused_call(uri: str, voice: str, index: int, items: list[Item], reply_timeout: float) -> PausedCall:
    """One call: the greeting, then every item in turn, each after the previous reply has ended."""
    result = PausedCall(voice, index)
    call = SipCall(user=result.user)
    loop = asyncio.get_running_loop()
    try:
        await call.dial(uri)
        greeting = await wait_voice(call, loop.time(), 15)
        if greeting is not None:
            await wait_quiet(call, greeting, 60, QUIET_BEFORE)
        for item in items:
            if call.far_end_hung_up.is_set():
                result.error = f"the assistant hung up after {len(result.said)} of {len(items)} utterances"
                break
            result.said.append(await say_paused(call, item, reply_timeout))
    except CallFailed as err:
        result.error = str(err)
    finally:
        await call.hangup()
    return result


def ended_in_pause(result: PausedCall) -> int:
    """Turns the server gave up because the caller spoke again before the reply was heard."""
    return sum(1 for e in tm.server_latency(result.record) if e.get("abandoned") == "barge-in")


def caller_turns(result: PausedCall) -> int | None:
    """The caller turns the record stores: one per sentence when no pause split one in two."""
    if result.record is None:
        return None
    return sum(1 for m in result.record.get("messages") or [] if m.get("role") == "user")


def _counts(said: list[Said]) -> dict[str, Any]:
    jumped = sum(1 for s in said if s.jumped_in_at_ms is not None)
    return {"n": len(said), "jumped_in": jumped, "unanswered": sum(1 for s in said if s.reply_ms is None)}


def summarize(results: list[PausedCall], split: str) -> dict[str, Any]:
    said = [s for r in results for s in r.said]
    counts = _counts(said)
    return {
        "split": split, **counts, "jumped_in_rate": round(counts["jumped_in"] / len(said), 3) if said else None,
        "ended_in_pause": sum(ended_in_pause(r) for r in results),
        "reply_ms": tm.summary([s.reply_ms for s in said if s.reply_ms is not None]),
        "by_voice": {r.voice: {**_counts(r.said), "ended_in_pause": ended_in_pause(r),
                               "caller_turns_stored": caller_turns(r), "error": r.error} for r in results},
        "jumped_in_list": [{"name": s.name, "text": s.text, "pause_ms": s.pause_ms, "at_ms": s.jumped_in_at_ms}
                           for s in said if s.jumped_in_at_ms is not None],
        "utterances": [s.__dict__ for s in said],
    }
