"""Controller logic without Asterisk: routing, assistant-request replies, dial strings, trunk files,
call records and their webhook rows."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from voicedock.store import Database
from voicedock.telephony import TelephonyError
from voicedock.webhooks.replies import AssistantReply, ReplyKind, parse_assistant_reply
from voicedock_ari.dialing import dial_string
from voicedock_ari.routing import apply_assistant_reply, route_inbound, to_e164
from voicedock_ari.sessions import word_tones
from voicedock_ari.trunks import registration_states, render_trunks, write_private

from .harness import add_assistant, add_number


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = Database(tmp_path / "t.db")
    database.migrate_sync()
    yield database
    database.close()


@pytest.mark.parametrize(("raw", "e164"), [("15550100", "+15550100"), ("+15550100", "+15550100"),
                                          ("s", None), ("", None), ("12ab", None)])
def test_dialed_extension_becomes_e164(raw: str, e164: str | None) -> None:
    assert to_e164(raw) == e164


def test_routing_rejects_unknown_numbers_and_inactive_assistants(db: Database) -> None:
    assert db.read_sync(lambda d: route_inbound(d, "+15550100")).reject == "unknown-number"
    add_number(db, add_assistant(db, is_active=False))
    route = db.read_sync(lambda d: route_inbound(d, "15550100"))
    assert route.reject == "assistant-inactive" and route.assistant_id == "asst_test"


def test_assistant_request_replies_keep_replace_override_or_reject(db: Database) -> None:
    add_number(db, add_assistant(db))
    add_assistant(db, "asst_other", name="Other", first_message="hi")
    route = db.read_sync(lambda d: route_inbound(d, "+15550100"))
    apply = lambda reply: db.read_sync(lambda d: apply_assistant_reply(d, route, reply))  # noqa: E731
    assert apply(parse_assistant_reply(b"{}")) is route
    assert apply(AssistantReply.no_reply("timeout")) is route
    one_off = apply(parse_assistant_reply(json.dumps({"assistant": {"name": "One-off"}})))
    assert one_off.assistant.name == "One-off" and one_off.reject is None
    override = apply(parse_assistant_reply(json.dumps({"assistant_id": "asst_other",
                                                       "assistant_override": {"first_message": "yo"}})))
    assert override.assistant_id == "asst_other" and override.assistant.first_message == "yo"
    assert override.assistant.name == "Other"
    error = apply(parse_assistant_reply(json.dumps({"error": "closed today"})))
    assert error.reject == "assistant-request-returned-error"
    unknown = apply(AssistantReply(ReplyKind.OVERRIDE, assistant_id="asst_nope", assistant_override={}))
    assert unknown.reject is not None


def test_dial_strings_use_the_trunk_for_numbers_and_the_local_endpoint_for_uris() -> None:
    assert dial_string("+31201234567", "trunk_1") == "PJSIP/+31201234567@trunk_1"
    assert dial_string("sip:bob@127.0.0.1:5090", None) == "PJSIP/voicedock-local/sip:bob@127.0.0.1:5090"
    with pytest.raises(TelephonyError) as err:
        dial_string("+31201234567", None)
    assert err.value.code == "no_sip_trunk"
    with pytest.raises(TelephonyError):
        dial_string("sip:bad uri,with(stuff)", None)


def test_trunk_file_has_endpoint_aor_auth_registration_and_is_private(tmp_path: Path) -> None:
    rows = [{"id": "trunk_a", "config": json.dumps({"name": "A", "host": "sip.example.com", "port": 5070,
                                                     "username": "alice", "register": True, "codecs": ["ulaw"]})},
            {"id": "trunk_b", "config": {"name": "B", "host": "127.0.0.1", "transport": "tcp"}}]
    text = render_trunks(rows, {"trunk_a": "s3cret", "trunk_b": None})
    for section in ("[trunk_a]\ntype = endpoint", "[trunk_a]\ntype = aor", "[trunk_a-auth]", "[trunk_a-reg]",
                    "[trunk_a-identify]", "contact = sip:sip.example.com:5070", "password = s3cret"):
        assert section in text
    assert "[trunk_b-auth]" not in text and "[trunk_b-identify]" not in text
    assert "contact = sip:127.0.0.1:5060;transport=tcp" in text
    path = tmp_path / "trunks.conf"
    assert write_private(path, text) is True
    assert os.stat(path).st_mode & 0o777 == 0o640  # group: Asterisk, which reads it and is not root
    assert write_private(path, text) is False


def test_registration_states_come_from_ami_events() -> None:
    events = [{"Event": "OutboundRegistrationDetail", "ObjectName": "trunk_a-reg", "Status": "Registered"},
              {"Event": "OutboundRegistrationDetail", "ObjectName": "trunk_b-reg", "Status": "Rejected"},
              {"Event": "OutboundRegistrationDetailComplete"}]
    assert registration_states(events) == {"trunk_a": "registered", "trunk_b": "rejected"}






def test_placeholder_speech_is_one_tone_per_word() -> None:
    pcm = word_tones("one two three")
    assert len(pcm) == 3 * int(8000 * 0.26)
    assert len(word_tones("")) == 0







