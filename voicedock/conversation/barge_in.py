"""Barge-in that pauses first and decides after.

The caller's voice pauses the assistant's audio within a frame (`AudioPort.pause_output`), keeping
what is queued; their words, once they pause, decide (`interruption.py`): a backchannel, a cough
or noise resumes the same audio where it stopped, anything else stops the turn, keeps in the
history what was heard up to the pause, and the caller's words become the next turn. A function
that may interrupt returns the caller turn that must now be answered, if any, for the session to
queue.
"""

from __future__ import annotations

import logging

from .base import SAMPLE_RATE
from .core import SessionCore, join_audio
from .interruption import Hold, interrupts
from .listener import PAUSE_SECONDS, SpeechEnded, SpeechPaused
from .state import Judged, State
from .turns import NO_SPEECH_PROB, warm_reply

log = logging.getLogger("voicedock.conversation")


def pause_on_onset(s: SessionCore) -> None:
    """The caller's voice began while the assistant speaks: silence it now, decide later."""
    if s.hold is not None:
        if s.hold.ended is None:
            _drop_judging(s, s.hold)  # the caller went on after a pause: their words are not judged yet
        return
    _pause(s, _new_hold(s))


def _new_hold(s: SessionCore) -> Hold:
    return Hold(s.clock(), s.listener.voiced_total, s.listener.in_speech)


def _pause(s: SessionCore, hold: Hold) -> bool:
    """Pause the assistant's audio for `hold`; False when nothing is playing, or a goodbye that must
    be heard whole."""
    if not s.speaking or not s.interruptible:
        return False
    s.playout.pause()
    s.hold = hold
    s.set_state(State.PAUSED)
    return True


def pause_late(s: SessionCore, ended: SpeechEnded | None = None) -> bool:
    """Pause for speech the onset did not pause for, its voice counted from its start; with its turn
    `ended` already, its words are judged now. False when nothing plays that may be paused."""
    hold = Hold(s.clock(), s.listener.voiced_total - s.listener.voiced, confirmed=True)
    if not _pause(s, hold):
        return False
    if ended is not None:
        hold.ended = ended
        judge_at_pause(s, SpeechPaused(ended.at, ended.pcm, ended.pause or 0))
    return True


async def on_speech_confirmed(s: SessionCore) -> None:
    """The endpointer counts the paused-for voice as speech: no longer a possible click. Speech
    that begins after the caller's turn over the assistant has ended takes the floor: both are
    one turn ("Wait," [the end-of-turn model ends it] "can I book Tuesday?").

    Speech confirmed over the assistant with no pause yet pauses it now: the reply's audio began
    between the caller's first voiced frames and their confirmation (a caller going on after the
    end-of-turn model ended "Hello," at its comma). Unpaused, the rest of their sentence would be
    taken for words said over the reply and dropped."""
    hold = s.hold
    if hold is None:
        pause_late(s)
        return
    if hold.ended is None:
        hold.confirmed = True
        return
    ended = hold.ended
    await interrupt(s)
    s.carry = join_audio(s.carry, ended.pcm)  # transcribed with what follows, in order


def judge_at_pause(s: SessionCore, event: SpeechPaused) -> None:
    """The caller paused after enough voice to interrupt: transcribe what they said. With less,
    the pause waits for more voice, or resumes after `QUIET_SECONDS` without it."""
    hold = s.hold
    if hold is None:
        return
    _drop_judging(s, hold)
    if _voiced(s, hold) < s.settings.barge_in_voice_seconds - 1e-9:
        return
    task = s.spawn(s.engines.stt.transcribe(event.pcm, SAMPLE_RATE))
    hold.judging = (event.pause, task)
    s.judge_words_when_heard(event.pause, task)  # the end of their turn is decided on the same words
    task.add_done_callback(lambda _: s.inbox.put_nowait(Judged(event.pause)))


async def hold_turn_end(s: SessionCore, event: SpeechEnded) -> SpeechEnded | None:
    """The caller's turn ended while paused: words already found to interrupt do so now, and the
    turn is returned to be answered; otherwise it waits for its verdict, which answers or drops it."""
    hold = s.hold
    assert hold is not None
    hold.ended = event
    if hold.interrupts and hold.judging is not None and hold.judging[0] == event.pause:
        return await interrupt(s)
    return None


async def on_judged(s: SessionCore, pause: int) -> SpeechEnded | None:
    """The caller's words up to `pause` are transcribed. A backchannel or no words resume at once;
    words that interrupt do so when the caller's turn ends, as the caller may only be at a comma
    ("Uh-huh, okay": tiny.en heard the "uh-huh" alone as "Wow.")."""
    hold = s.hold
    if hold is None or hold.judging is None or hold.judging[0] != pause or hold.judging[1].cancelled():
        return None  # decided already, or the caller went on and newer words will be judged
    task = hold.judging[1]
    if (err := task.exception()) is not None:
        log.warning("could not transcribe the caller over the assistant: %s", err, extra={"call_id": s.info.call_id})
        hold.interrupts = True  # words not known: the caller's turn will try again
    else:
        transcript = task.result()
        text = transcript.text.strip() if transcript.no_speech_prob <= NO_SPEECH_PROB else ""
        plan = s.settings
        if not interrupts(text, _voiced(s, hold), plan.barge_in_voice_seconds, plan.barge_in_words):
            if s.clock() - s.listener.last_voice_at < PAUSE_SECONDS:  # the caller is speaking again
                s.hold = _new_hold(s)
            else:
                resume(s, "backchannel" if text else "no words", text)
            return None
        hold.interrupts = True
        if hold.ended is None:  # the turn may still take the longest wait: warm its reply meanwhile
            heard = s.utterance.heard_text(s.audio.sent_seconds) if s.utterance is not None else ""
            warm_reply(s, text, still=lambda: s.hold is hold and hold.ended is None, heard=heard)
    return await interrupt(s) if hold.ended is not None else None


async def on_hold_timer(s: SessionCore) -> SpeechEnded | None:
    """The pause lasted its longest: too little voice resumes, a caller still talking interrupts,
    and words not transcribed yet are judged by their voiced seconds alone."""
    hold = s.hold
    if hold is None or s.clock() < _deadline(s, hold) - 1e-9:
        return None
    if _voiced(s, hold) < s.settings.barge_in_voice_seconds - 1e-9:
        resume(s, "too short" if hold.confirmed else "noise")
        return None
    if hold.judging is None and hold.ended is None:
        s.set_state(State.TALKED_OVER)
    return await interrupt(s)


async def interrupt(s: SessionCore) -> SpeechEnded | None:
    """Stop the assistant, keeping what was heard up to the pause; the caller's words already
    transcribed serve their turn, which is returned when it has ended already."""
    hold, s.hold = s.hold, None
    if hold is not None and hold.judging is not None:
        s.keep_early(hold.judging)
    await s.barge_in(State.BARGE_IN)
    return hold.ended if hold is not None else None


def resume(s: SessionCore, why: str, text: str = "") -> None:
    """Not an interruption: the kept audio goes on where it paused. The caller's "uh-huh" is not a
    turn and is not stored (see docs/conversation.md); the log keeps it."""
    hold, s.hold = s.hold, None
    if hold is None:
        return
    s.resumed_over = True
    _drop_judging(s, hold)
    s.playout.resume()
    s.set_state(State.RESUMED)
    log.info("assistant resumed after caller speech", extra={
        "call_id": s.info.call_id, "why": why, "text": text, "paused_ms": round((s.clock() - hold.since) * 1000)})


def hold_deadline(s: SessionCore) -> float | None:
    """When the current pause must be decided without (more) words; None when there is none."""
    return _deadline(s, s.hold) if s.hold is not None else None


def _deadline(s: SessionCore, hold: Hold) -> float:
    return hold.deadline(_voiced(s, hold), s.settings.barge_in_voice_seconds, s.listener.last_voice_at)


def _voiced(s: SessionCore, hold: Hold) -> float:
    """Voice since the pause began; none counts before the endpointer confirms it as speech."""
    return s.listener.voiced_total - hold.voiced_from if hold.confirmed else 0.0


def _drop_judging(s: SessionCore, hold: Hold) -> None:
    hold.interrupts = False
    if hold.judging is not None:
        hold.judging[1].cancel()
        hold.judging = None
        s.prepared.drop()  # begun for those words, if they interrupted
