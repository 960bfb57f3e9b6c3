"""Each kind of record a client can create is capped server-wide (`VOICEDOCK_MAX_RECORDS`)."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Api, assert_error

KINDS = [
    ("/assistants", lambda n: {"system_prompt": "x"}),
    ("/api-keys", lambda n: {"name": f"k{n}"}),
    ("/sip-trunks", lambda n: {"name": f"t{n}", "host": "127.0.0.1"}),
    ("/numbers", None),  # needs an assistant: built in the test
    ("/tool-templates", lambda n: {"name": f"t{n}", "tool": {"type": "function", "name": f"f{n}"}}),
    ("/analysis-templates", lambda n: {"name": f"a{n}", "analysis_plan": {"summary_prompt": "Summarise."}}),
]


@pytest.mark.parametrize(("path", "body"), KINDS, ids=[p for p, _ in KINDS])
async def test_creating_past_the_cap_is_403_limit_reached(make_client: Any, api_key: str, path: str,
                                                          body: Any) -> None:
    api = Api(await make_client(max_records=2), api_key)
    if body is None:
        _, assistant, _ = await api.call("POST", "/assistants", {"system_prompt": "x"})
        aid = assistant["assistant"]["id"]
        body = lambda n: {"phone_number": f"+1555010{n}", "assistant_id": aid}  # noqa: E731
    existing = 1 if path == "/api-keys" else 0  # the key this test authenticates with
    for n in range(2 - existing):
        status, reply, _ = await api.call("POST", path, body(n))
        assert status == 201, reply
    status, reply, _ = await api.call("POST", path, body(9))
    assert_error(status, reply, 403, "limit_reached")
    assert "at most 2" in reply["error"]["message"]


async def test_a_revoked_key_frees_its_place(make_client: Any, api_key: str) -> None:
    api = Api(await make_client(max_records=2), api_key)
    status, created, _ = await api.call("POST", "/api-keys", {"name": "second"})
    assert status == 201
    assert (await api.call("POST", "/api-keys", {"name": "third"}))[0] == 403
    assert (await api.call("DELETE", f"/api-keys/{created['api_key']['id']}"))[0] == 200
    assert (await api.call("POST", "/api-keys", {"name": "third"}))[0] == 201
