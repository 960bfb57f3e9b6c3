"""Which calls are screened for an answering machine, and what is left on one.

Only outbound calls: on an inbound call the caller dialled in and is waiting for the assistant, so
there is nothing to screen, and screening would only delay the greeting.
"""

from __future__ import annotations

from voicedock.assistant import CallAssistant

VOICEMAIL = "voicemail"  # the ended_reason of a call that reached a machine (the contract's addition)


def screens(direction: str, assistant: CallAssistant) -> bool:
    return direction == "outbound" and assistant.voicemail_detection


def message_for_machine(assistant: CallAssistant) -> str | None:
    """`voicemail_message`, else the first message (the greeting the person would have heard);
    None when the assistant has neither: the call then ends at the machine without a word."""
    return assistant.voicemail_message or assistant.first_message or None
