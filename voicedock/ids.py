"""Prefixed, URL-safe resource identifiers (`asst_…`, `call_…`)."""

import secrets

PREFIXES = {
    "assistant": "asst",
    "call": "call",
    "number": "num",
    "trunk": "trunk",
    "api_key": "key",
    "delivery": "whd",
    "tool_template": "tooltpl",
    "analysis_template": "anltpl",
    "usage": "use",
    "event": "evt",
    "account": "acct",
    "session": "sess",
}


def new_id(kind: str) -> str:
    return f"{PREFIXES[kind]}_{secrets.token_hex(12)}"
