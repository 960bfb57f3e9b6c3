"""Which URL receives an event, decided from the assistant's public config alone.

Tool calls go to the tool's own ``url`` when it has one, else to the assistant's ``webhook_url``;
every event type is sent only when listed in ``webhook_events``. One ``tool-calls`` message whose
tools live on different servers is split so each server sees only its own calls.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from .payloads import TOOL_CALLS


def subscribed_events(assistant_config: Mapping[str, Any]) -> set[str]:
    events = assistant_config.get("webhook_events") or ()
    return {e for e in events if isinstance(e, str)}


def _tools(assistant_config: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    llm = assistant_config.get("llm_config") or {}
    for tool in [*(llm.get("tools") or ()), *(assistant_config.get("tools") or ())]:
        if isinstance(tool, Mapping):
            yield tool


def tool_urls(assistant_config: Mapping[str, Any]) -> dict[str, str]:
    """Function name -> the tool's own URL, for function tools that set one."""
    urls: dict[str, str] = {}
    for tool in _tools(assistant_config):
        name = tool.get("name") or (tool.get("function") or {}).get("name")
        url = tool.get("url") or (tool.get("server") or {}).get("url")
        if isinstance(name, str) and isinstance(url, str) and url:
            urls.setdefault(name, url)
    return urls


def targets(
    event_type: str, assistant_config: Mapping[str, Any], payload: Mapping[str, Any]
) -> list[tuple[str, dict[str, Any]]]:
    """(url, payload) pairs to send; empty when the assistant does not subscribe or has no URL."""
    if event_type not in subscribed_events(assistant_config):
        return []
    default_url = assistant_config.get("webhook_url") or None
    if event_type != TOOL_CALLS:
        return [(default_url, dict(payload))] if default_url else []
    message = payload.get("message") or {}
    own = tool_urls(assistant_config)
    groups: dict[str, list[Any]] = {}
    for call in message.get("tool_call_list") or ():
        name: Any = ((call or {}).get("function") or {}).get("name")
        url = own.get(name) or default_url
        if url:
            groups.setdefault(url, []).append(call)
    return [(url, {**payload, "message": {**message, "tool_call_list": calls}}) for url, calls in groups.items()]


def redact_url(url: str) -> str:
    """The URL without a password, for logs and the delivery log."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    netloc = f"{parts.username}:***@{host}" if parts.username else host
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
