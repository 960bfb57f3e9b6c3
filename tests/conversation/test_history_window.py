"""The window of messages the model is sent: at most `HISTORY_MESSAGES`, with a start that moves
in steps and opens on a caller message, so a long call's requests keep beginning as the last one did."""

from __future__ import annotations

from voicedock.conversation.history import HISTORY_MESSAGES, HISTORY_STEP, window, window_start


def talk(n: int) -> list[dict[str, str]]:
    return [{"role": "user" if i % 2 == 0 else "assistant", "content": str(i)} for i in range(n)]


def test_a_short_call_is_sent_whole() -> None:
    assert window(talk(HISTORY_MESSAGES)) == talk(HISTORY_MESSAGES)


def test_the_window_never_holds_more_than_the_limit_and_its_start_moves_only_once_a_step() -> None:
    starts = [window_start(talk(n)) for n in range(1, 100)]
    assert all(n - s <= HISTORY_MESSAGES for n, s in zip(range(1, 100), starts, strict=True))
    moves = [n for n, (a, b) in enumerate(zip(starts, starts[1:], strict=False), start=2) if a != b]
    assert moves == list(range(HISTORY_MESSAGES + 1, 100, HISTORY_STEP))


def test_the_window_opens_on_a_caller_message_not_on_a_reply_or_a_tool_result() -> None:
    messages = talk(HISTORY_MESSAGES)
    messages[HISTORY_STEP:HISTORY_STEP] = [{"role": "assistant", "content": "calling"}, {"role": "tool", "content": "{}"}]
    messages += [{"role": "user", "content": "last"}]
    out = window(messages)
    assert out[0]["role"] == "user" and len(out) <= HISTORY_MESSAGES
    assert out[-1]["content"] == "last"
