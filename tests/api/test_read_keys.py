"""Read keys (`role: read`) may only GET: for dashboards and monitoring that must not change anything."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.server import voicedock
from voicedock.config import Settings

from .conftest import Api, assert_error


async def test_a_read_key_may_get_but_not_change_anything(api: Api) -> None:
    status, created, _ = await api.call("POST", "/api-keys", {"name": "dashboard", "role": "read"})
    assert status == 201 and created["api_key"]["role"] == "read"
    read_key = created["api_key"]["key"]
    _, assistant, _ = await api.call("POST", "/assistants", {"system_prompt": "x"})
    aid = assistant["assistant"]["id"]
    for path in ("/assistants", f"/assistants/{aid}", "/calls", "/account", "/api-keys"):
        assert (await api.call("GET", path, key=read_key))[0] == 200, path
    for method, path, body in (("POST", "/assistants", {"system_prompt": "x"}),
                               ("PATCH", f"/assistants/{aid}", {"name": "renamed"}),
                               ("DELETE", f"/assistants/{aid}", None),
                               ("POST", "/api-keys", {"name": "escalate"})):
        status, reply, _ = await api.call(method, path, body, key=read_key)
        assert_error(status, reply, 403, "read_only_key")
    _, still, _ = await api.call("GET", f"/assistants/{aid}")
    assert still["assistant"]["name"] != "renamed"


async def test_keys_are_admin_keys_unless_created_read(api: Api) -> None:
    status, created, _ = await api.call("POST", "/api-keys", {"name": "ops"})
    assert created["api_key"]["role"] == "admin"
    status, _, _ = await api.call("POST", "/assistants", {"system_prompt": "x"}, key=created["api_key"]["key"])
    assert status == 201
    status, reply, _ = await api.call("POST", "/api-keys", {"name": "x", "role": "root"})
    assert_error(status, reply, 400, "invalid_request", "role")


async def test_the_command_line_creates_and_lists_read_keys(make_client: Any, settings: Settings) -> None:
    out = (await asyncio.to_thread(voicedock, "keys", "create", "--name", "grafana", "--role", "read",
                                   data_dir=settings.data_dir)).stdout
    key = out.strip().splitlines()[-1]
    api = Api(await make_client(), key)
    assert (await api.call("GET", "/account"))[0] == 200
    assert (await api.call("POST", "/assistants", {"system_prompt": "x"}))[0] == 403
    listing = (await asyncio.to_thread(voicedock, "keys", "list", data_dir=settings.data_dir)).stdout
    assert any("grafana" in line and " read " in line for line in listing.splitlines())
