"""Shared scripted engines for the conversation tests."""

from __future__ import annotations

from typing import Any


def assistant(**fields: Any) -> dict[str, Any]:
    return {"system_prompt": "You book appointments for a dental clinic.", **fields}
