"""The assistant a call runs with: one typed, frozen value parsed at each boundary it enters by.

An assistant reaches a call from the store, from an `assistant-request` reply (a one-off config or a
stored one with an override), or from a `POST /calls` body. All of them are parsed here with the
API's own schema, so a call reads typed fields with the API's defaults, and a config the schema
rejects is caught where it arrives instead of surfacing mid-call.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cached_property
from typing import Any

from pydantic import ConfigDict, ValidationError

from .schemas.assistants import (
    AssistantFields,
    EndCallTool,
    FunctionTool,
    TransferCallTool,
    normalise,
)

SPEAKS_FIRST = "assistant-speaks-first"
WAITS_FOR_USER = "assistant-waits-for-user"

# Objects whose keys are configuration (and so may come camelCased, as in the seed's examples);
# JSON Schemas, metadata and messages inside them are the customer's own and are never renamed.
_CONFIG_OBJECTS = ("llm_config", "stt_config", "tts_config", "analysis_plan", "structured_data_plan",
                   "success_evaluation_plan", "start_speaking_plan", "stop_speaking_plan")
_OPAQUE = {"metadata", "parameters", "schema", "json_schema", "messages"}
DEFAULT_PROMPT = "You are a helpful phone assistant."


class AssistantInvalid(ValueError):
    """A configuration the schema rejects; the message names the first bad field."""


def _snake(key: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", lambda m: "_" + m.group(1).lower(), key)


def _snake_config(value: Any) -> Any:
    if isinstance(value, list):
        return [_snake_config(v) for v in value]
    if not isinstance(value, Mapping):
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        name = _snake(key) if isinstance(key, str) else key
        if name in _OPAQUE:
            out[name] = item
        elif name in _CONFIG_OBJECTS or name in ("tools", "destinations"):
            out[name] = _snake_config(item)
        else:
            out[name] = item
    return out


class CallAssistant(AssistantFields):
    """An assistant as one call sees it: the API's fields and defaults, frozen, secrets left out."""

    model_config = ConfigDict(extra="ignore", strict=False, frozen=True, populate_by_name=True)

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> CallAssistant:
        """Parse a stored document, a reply's config or a request body; `AssistantInvalid` if it is bad."""
        data = normalise(_snake_config(dict(raw)))
        data.pop("webhook_secret", None)
        data.setdefault("system_prompt", DEFAULT_PROMPT)
        try:
            return cls.model_validate(data)
        except ValidationError as err:
            first = err.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "assistant"
            raise AssistantInvalid(f"{where}: {first['msg']}") from None

    def merged(self, override: Mapping[str, Any]) -> CallAssistant:
        """A shallow merge, as `assistant_override` is documented: top-level keys replace whole."""
        return CallAssistant.parse({**self.document, **_snake_config(dict(override))})

    def replace(self, **fields: Any) -> CallAssistant:
        return self.model_copy(update=fields)

    @cached_property
    def document(self) -> dict[str, Any]:
        """The public JSON form, as webhooks carry it and routing reads it (`tools` mirrors llm_config)."""
        doc = self.model_dump(mode="json", by_alias=True, exclude={"webhook_secret"})
        doc["tools"] = doc["llm_config"]["tools"]
        return doc

    @property
    def greeting(self) -> str | None:
        """The first message, when the assistant speaks it before the caller says anything."""
        return self.first_message if self.first_message_mode == SPEAKS_FIRST and self.first_message else None

    @property
    def all_tools(self) -> list[FunctionTool | EndCallTool | TransferCallTool]:
        return list(self.llm_config.tools)

    @property
    def records(self) -> bool:
        """Whether the call is recorded: recording on, and not in GDPR mode."""
        return self.recording_enabled and not self.gdpr_mode

