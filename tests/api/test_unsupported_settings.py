"""Settings no call acts on are refused (422 unsupported_setting) instead of being stored and ignored."""

from __future__ import annotations

import pytest

from .conftest import Api, assert_error

ASYNC_TOOL = {"type": "function", "name": "log_lead", "async": True, "async_response": "Noted!"}


@pytest.mark.parametrize(("fields", "param"), [
    ({"tools": [ASYNC_TOOL]}, "tools"),
    ({"llm_config": {"tools": [ASYNC_TOOL]}}, "llm_config"),
])
async def test_a_setting_no_call_acts_on_is_refused_on_create_and_on_change(
    api: Api, fields: dict[str, object], param: str
) -> None:
    status, body, _ = await api.call("POST", "/assistants", {"system_prompt": "x", **fields})
    assert_error(status, body, 422, "unsupported_setting", param)
    assert "not supported" in body["error"]["message"]
    status, created, _ = await api.call("POST", "/assistants", {"system_prompt": "x"})
    assert status == 201
    status, body, _ = await api.call("PATCH", f"/assistants/{created['assistant']['id']}", fields)
    assert_error(status, body, 422, "unsupported_setting")

