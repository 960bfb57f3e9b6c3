"""Bring-your-own-key provider credentials: stored encrypted, never returned."""

from __future__ import annotations

from typing import Any, get_args

from aiohttp import web

from voicedock.schemas.account import ByokConfig, ByokCreate, ByokDeleteQuery, ByokList, Provider
from voicedock.store import records

from ..context import BOX, read, reply, write
from ..spec import Operation

PROVIDERS = {
    "openai": ("llm", ["gpt-4o-mini", "gpt-4o", "any model your OpenAI-compatible server serves"]),
    "deepgram": ("stt", ["nova-2", "nova-3"]),
    "elevenlabs": ("tts", ["eleven_turbo_v2_5", "eleven_multilingual_v2"]),
    "resend": ("email", []),
}
LOCAL = {"llm": "llama.cpp", "stt": "faster-whisper", "tts": "piper", "vad": "webrtcvad"}
SUPPORTS = {
    "openai": {
        "llm_config.provider": "chat completions streamed as server-sent events, from the key's base_url or "
                               "llm_config.url (any OpenAI-compatible server); structured output by json_schema, "
                               "else JSON mode, else JSON taken from the text",
        "stt_config.provider": "POST /audio/transcriptions",
        "tts_config.provider": "POST /audio/speech",
    },
    "deepgram": {"stt_config.provider": "live transcription over its websocket API"},
    "elevenlabs": {"tts_config.provider": "streamed text to speech"},
    "resend": {"notification_email": "the end-of-call summary, when no SMTP server is configured"},
}
"""provider -> the assistant settings its key serves, and how."""


def _listing(configured: dict[str, dict]) -> dict:
    empty = {"configured": False, "last4": None, "base_url": None}
    return {"byok_keys": {p: configured.get(p, empty) for p in get_args(Provider)}}


async def list_byok(request: web.Request) -> web.Response:
    return reply(_listing(await read(request, records.list_byok)))


async def set_byok(request: web.Request, body: ByokCreate) -> web.Response:
    box = request.app[BOX]

    def store(d: Any) -> dict[str, dict[str, Any]]:
        records.set_byok(d, box, body.provider, body.api_key, body.base_url)
        return records.list_byok(d)

    return reply(_listing(await write(request, store)), status=201)


async def delete_byok(request: web.Request, query: ByokDeleteQuery) -> web.Response:
    provider = query.provider

    def remove(d: Any) -> dict[str, dict[str, Any]]:
        records.delete_byok(d, provider)
        return records.list_byok(d)

    return reply(_listing(await write(request, remove)))


async def byok_config(request: web.Request) -> web.Response:
    configured = await read(request, records.list_byok)
    providers = [{"provider": p, "category": cat, "models": models, "configured": p in configured,
                  "supports": SUPPORTS[p]} for p, (cat, models) in PROVIDERS.items()]
    return reply({"providers": providers, "local": LOCAL})


OPERATIONS = [
    Operation("GET", "/byok", list_byok, "Configured provider keys (never the keys themselves)", "BYOK",
              response=ByokList),
    Operation("POST", "/byok", set_byok, "Store a provider key", "BYOK", body=ByokCreate, response=ByokList,
              status=201),
    Operation("DELETE", "/byok", delete_byok, "Remove a provider key", "BYOK", query=ByokDeleteQuery,
              response=ByokList, errors=(404,)),
    Operation("GET", "/byok/config", byok_config, "Providers, categories and models", "BYOK",
              response=ByokConfig),
]
