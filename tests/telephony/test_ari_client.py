"""ARI client against a scripted fake ARI server: typed results, typed errors, idempotent teardown,
and an events websocket that reconnects and says so."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import pytest
from aiohttp import WSMsgType, web

from voicedock_ari.ari import AriClient, AriConflict, AriError, AriNotFound, Connected
from voicedock_ari.ari.backoff import backoff_delays
from voicedock_ari.ari.events import (
    ChannelDtmfReceived,
    ChannelHangupRequest,
    StasisStart,
    UnknownEvent,
    parse_event,
)
from voicedock_ari.settings import AsteriskSettings

AUTH = "Basic " + base64.b64encode(b"vd:s3cret").decode()


class FakeAri:
    """Records requests; answers from a small routing table; serves scripted websocket sessions."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, str], Any]] = []
        self.sessions: list[list[dict[str, Any]]] = []
        self.ws_params: list[dict[str, str]] = []
        self.channels = {"c1": {"id": "c1", "name": "PJSIP/x-1", "state": "Ring"}}

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/ari/events", self.events)
        app.router.add_route("*", "/ari/{tail:.*}", self.rest)
        return app

    async def rest(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get("Authorization") != AUTH:
            return web.json_response({"message": "Authentication required"}, status=401)
        body = await request.json() if request.can_read_body else None
        path = "/" + request.match_info["tail"]
        self.requests.append((request.method, path, dict(request.query), body))
        if path == "/channels/gone/answer" or path == "/channels/gone" or path == "/bridges/gone":
            return web.json_response({"message": "Channel not found"}, status=404)
        if path == "/bridges/b1/addChannel" and request.query["channel"] == "early":
            return web.json_response({"message": "Channel not in Stasis application"}, status=422)
        if path == "/boom":
            return web.Response(status=500, text="oops")
        if path == "/channels/externalMedia":
            return web.json_response(
                {
                    "id": request.query["channelId"],
                    "name": "UnicastRTP/127.0.0.1:4000-0x1",
                    "state": "Down",
                    "channelvars": {"UNICASTRTP_LOCAL_ADDRESS": "127.0.0.1", "UNICASTRTP_LOCAL_PORT": "17000"},
                }
            )
        if path == "/bridges" and request.method == "POST":
            return web.json_response(
                {"id": "b1", "bridge_type": "mixing", "technology": "simple_bridge", "channels": []}
            )
        if path == "/channels" and request.method == "POST":
            return web.json_response({"id": "out1", "name": "PJSIP/trunk-2", "state": "Down"})
        if path == "/channels" and request.method == "GET":
            return web.json_response(list(self.channels.values()))
        if request.method == "GET" and path.startswith("/channels/"):
            return web.json_response(self.channels[path.rsplit("/", 1)[1]])
        return web.Response(status=204)

    async def events(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.ws_params.append(dict(request.query))
        script = self.sessions.pop(0) if self.sessions else []
        for message in script:
            await ws.send_str(json.dumps(message))
        if self.sessions or not script:
            await ws.close()  # simulate Asterisk going away
        else:
            async for msg in ws:
                if msg.type == WSMsgType.CLOSE:
                    break
        return ws


@pytest.fixture
async def fake(aiohttp_server: Any) -> tuple[FakeAri, AriClient]:
    ari = FakeAri()
    server = await aiohttp_server(ari.app())
    settings = AsteriskSettings(ari_url=str(server.make_url("")).rstrip("/"), ari_user="vd", ari_password="s3cret")
    client = AriClient(settings)
    yield ari, client
    await client.aclose()


async def test_rest_calls_send_the_documented_parameters(fake: tuple[FakeAri, AriClient]) -> None:
    server, client = fake
    await client.answer("c1")
    bridge = await client.create_bridge()
    media = await client.external_media("127.0.0.1:4000", channel_id="m1")
    await client.add_channel(bridge.id, "c1")
    await client.originate("PJSIP/+15550100@trunk", caller_id="+15550000", variables={"X": "1"})
    await client.continue_in_dialplan("c1", context="voicedock-transfer", extension="transfer", priority=1)
    assert bridge.id == "b1" and bridge.bridge_type == "mixing"
    assert (media.channel.id, media.local_address, media.local_port) == ("m1", "127.0.0.1", 17000)
    assert server.requests[0][:2] == ("POST", "/channels/c1/answer")
    assert server.requests[2][2] == {
        "app": "voicedock",
        "external_host": "127.0.0.1:4000",
        "format": "ulaw",
        "channelId": "m1",
        "encapsulation": "rtp",
        "transport": "udp",
        "connection_type": "client",
        "direction": "both",
    }
    originate = server.requests[4]
    assert originate[2]["endpoint"] == "PJSIP/+15550100@trunk" and originate[2]["app"] == "voicedock"
    assert originate[3] == {"variables": {"X": "1"}}
    assert server.requests[5][2] == {"context": "voicedock-transfer", "extension": "transfer", "priority": "1"}


async def test_teardown_of_something_already_gone_is_not_an_error(fake: tuple[FakeAri, AriClient]) -> None:
    _, client = fake
    assert await client.hangup("gone") is False
    assert await client.destroy_bridge("gone") is False
    assert await client.hangup("c1") is True
    assert await client.get_channel("gone") is None


async def test_errors_are_typed_with_codes_and_retryability(fake: tuple[FakeAri, AriClient]) -> None:
    _, client = fake
    with pytest.raises(AriNotFound) as nf:
        await client.answer("gone")
    assert nf.value.code == "not_found" and not nf.value.retryable
    with pytest.raises(AriConflict) as conflict:
        await client.add_channel("b1", "early")
    assert "not in Stasis" in str(conflict.value)
    with pytest.raises(AriError) as server_error:
        await client.request("GET", "/boom")
    assert server_error.value.retryable and server_error.value.status == 500


async def test_unreachable_server_is_a_retryable_ari_error() -> None:
    client = AriClient(AsteriskSettings(ari_url="http://127.0.0.1:1", ari_password="x"), timeout=2)
    with pytest.raises(AriError) as info:
        await client.info()
    assert info.value.code == "unreachable" and info.value.retryable
    await client.aclose()


async def test_events_arrive_typed_and_the_stream_reconnects_after_a_drop(fake: tuple[FakeAri, AriClient]) -> None:
    server, client = fake
    start = {
        "type": "StasisStart",
        "application": "voicedock",
        "args": ["inbound", "+15550100"],
        "channel": server.channels["c1"],
    }
    dtmf = {"type": "ChannelDtmfReceived", "digit": "5", "duration_ms": 100, "channel": server.channels["c1"]}
    server.sessions = [[start], [dtmf]]
    received = []
    async with client.events(delays=lambda: iter([0.01] * 10)) as events:
        async for event in events:
            received.append(event)
            if len(received) == 4:
                break
    assert [type(e) for e in received] == [Connected, StasisStart, Connected, ChannelDtmfReceived]
    assert received[0].attempt == 0 and received[2].attempt == 1
    assert received[1].args == ("inbound", "+15550100") and received[3].digit == "5"
    assert server.ws_params[0] == {"app": "voicedock", "subscribeAll": "false"}


async def test_closing_the_stream_ends_iteration() -> None:
    client = AriClient(AsteriskSettings(ari_url="http://127.0.0.1:1", ari_password="x"))
    events = client.events(delays=lambda: iter([5.0] * 10))
    consumer = asyncio.create_task(anext(aiter(events), None))
    await asyncio.sleep(0.05)
    await events.aclose()
    assert await asyncio.wait_for(consumer, 1) is None
    await client.aclose()


def test_known_event_with_missing_fields_degrades_to_unknown() -> None:
    assert isinstance(parse_event({"type": "StasisStart"}), UnknownEvent)
    assert isinstance(parse_event({"type": "SomethingNew", "x": 1}), UnknownEvent)
    hangup = parse_event({"type": "ChannelHangupRequest", "cause": 16, "channel": {"id": "c9"}})
    assert isinstance(hangup, ChannelHangupRequest) and hangup.cause == 16 and hangup.channel_id == "c9"


def test_backoff_grows_to_the_cap_with_jitter() -> None:
    delays = backoff_delays(base=0.1, cap=1.0)
    values = [next(delays) for _ in range(20)]
    assert values[0] == 0.1
    assert all(0 <= v <= 1.0 for v in values)


def test_a_lost_events_websocket_is_retried_at_least_once_a_second() -> None:
    """While it is down Asterisk refuses new calls, so the stream must not wait the old 10 s."""
    stream = AriClient(AsteriskSettings(root=None)).events()
    delays = stream._delays()
    assert all(0 <= next(delays) <= 1.0 for _ in range(50))


def test_settings_repr_never_shows_passwords(tmp_path: Any) -> None:
    secrets = tmp_path / "etc" / "asterisk"
    secrets.mkdir(parents=True)
    (secrets / "voicedock-secrets.env").write_text(
        "VOICEDOCK_ARI_URL=http://127.0.0.1:8099\nVOICEDOCK_ARI_PASSWORD=topsecret\nVOICEDOCK_AMI_PASSWORD=alsosecret\n"
    )
    settings = AsteriskSettings.load(tmp_path)
    assert settings.ari_url == "http://127.0.0.1:8099" and settings.ari_password == "topsecret"
    assert "secret" not in repr(settings) and "secret" not in str(settings)
