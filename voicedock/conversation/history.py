"""Which of a call's messages the model is sent: the last ones, in a window that moves in steps.

llama.cpp reuses an evaluated prompt only up to the first token that differs from the last
request (and the prompt cache restores saved heads the same way). A window of the last N
messages that slides by one message a turn changes the request's start on every turn once a
call is long, so from then on every reply evaluates the whole window again: through real calls
on 2 cores, replies that began 0.6-1.5 s after the caller's 12 first sentences began 5-7 s after
every later one. A window whose start moves only every `HISTORY_STEP` messages pays that once a
step, and the history can be warmed in the background before the next turn needs it.
"""

from __future__ import annotations

from collections.abc import Sequence

from voicedock.engines.base import Message

HISTORY_MESSAGES = 24  # at most this many of the last messages go to the model besides the system prompt
HISTORY_STEP = 12  # the window's start moves by this many messages at a time


def window_start(messages: Sequence[Message]) -> int:
    """Index of the first message in the window: the first multiple of `HISTORY_STEP` that leaves
    at most `HISTORY_MESSAGES`, moved on to the next caller message so the window never opens
    with a reply or a tool result whose question it dropped. Depends only on the messages before
    it and on the count, so it stays put between steps."""
    over = len(messages) - HISTORY_MESSAGES
    if over <= 0:
        return 0
    start = -(-over // HISTORY_STEP) * HISTORY_STEP
    for i in range(start, len(messages)):
        if messages[i].get("role") == "user":
            return i
    return start


def window(messages: Sequence[Message]) -> list[Message]:
    return list(messages[window_start(messages):])
