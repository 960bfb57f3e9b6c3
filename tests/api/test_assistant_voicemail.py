"""The voicemail settings are accepted and kept: calls act on them (tests/telephony/test_calls_voicemail.py)."""

from __future__ import annotations

from .conftest import Api


async def test_voicemail_settings_are_accepted_and_kept(api: Api) -> None:
    fields = {"voicemail_detection": True, "voicemail_message": "Hi, this is the clinic. Please call us back."}
    status, created, _ = await api.call("POST", "/assistants", {"system_prompt": "x", **fields})
    assert status == 201, created
    assert {k: created["assistant"][k] for k in fields} == fields
    status, body, _ = await api.call("PATCH", f"/assistants/{created['assistant']['id']}", {"voicemail_detection": False})
    assert status == 200 and body["assistant"]["voicemail_detection"] is False
