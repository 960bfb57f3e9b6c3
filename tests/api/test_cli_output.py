"""What the `voicedock` command prints cannot be steered by data that came in through the API."""

from __future__ import annotations

import asyncio

from tests.server import voicedock
from voicedock.config import Settings

from .conftest import Api


async def test_keys_list_escapes_control_characters_in_key_names(api: Api, settings: Settings) -> None:
    hostile = "ops\x1b]0;owned\x07\x1b[2J\u202eevil\r"
    status, body, _ = await api.call("POST", "/api-keys", {"name": hostile})
    assert status == 201, body
    listing = (await asyncio.to_thread(voicedock, "keys", "list", data_dir=settings.data_dir)).stdout
    for raw in ("\x1b", "\x07", "\u202e", "\r"):
        assert raw not in listing
    assert "ops\\x1b]0;owned\\x07" in listing
