"""The summary email of one ended call, built from its stored end-of-call-report payload.

Pure: the same payload always gives the same text, so a retried send carries the same email.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from email.message import EmailMessage
from typing import Any


def _duration(seconds: Any) -> str:
    if not isinstance(seconds, int | float):
        return "unknown"
    whole = int(round(seconds))
    minutes, rest = divmod(whole, 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


def summary_text(message: Mapping[str, Any], api_base: str) -> tuple[str, str]:
    """(subject, body) for an end-of-call-report message."""
    call = message.get("call") or {}
    caller = (message.get("customer") or {}).get("number") or "unknown number"
    assistant = (message.get("assistant") or {}).get("name") or "your assistant"
    analysis = message.get("analysis") or {}
    summary = message.get("summary") or analysis.get("summary") or "No summary was made of this call."
    structured = analysis.get("structured_data")
    lines = [
        f"{assistant} finished a call with {caller}.",
        "",
        f"Caller: {caller}",
        f"Duration: {_duration(message.get('duration_seconds'))}",
        f"Ended because: {message.get('ended_reason') or 'unknown'}",
        "",
        "Summary:",
        str(summary),
    ]
    if structured is not None:
        lines += ["", "Structured data:", json.dumps(structured, indent=2, ensure_ascii=False, sort_keys=True)]
    call_id = call.get("id")
    if message.get("recording_url") and call_id:
        lines += ["", f"Recording: {api_base}/api/v1/calls/{call_id}/recording (needs an API key)"]
    if call_id:
        lines += [f"Call record: {api_base}/api/v1/calls/{call_id}"]
    subject = f"Call with {caller} ({_duration(message.get('duration_seconds'))})"
    return subject, "\n".join(lines) + "\n"


def summary_email(payload: Mapping[str, Any], *, sender: str, to: str, api_base: str) -> EmailMessage:
    """The email for one stored end-of-call-report (the ``{"message": ...}`` envelope)."""
    subject, body = summary_text(payload.get("message") or {}, api_base)
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = to
    mail["Subject"] = subject
    mail.set_content(body)
    return mail
