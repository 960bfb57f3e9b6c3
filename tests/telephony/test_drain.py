"""Draining a node against a scripted fake ARI: live calls finish, new ones are refused, the rest end at the limit."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from voicedock.draining import Drain
from voicedock.schemas.calls import CallCreate
from voicedock.telephony import TelephonyError
from voicedock_ari.ari.errors import AriNotFound
from voicedock_ari.ari.events import parse_event
from voicedock_ari.controller import CallController
from voicedock_cli.lifecycle import drain_calls

from .harness import add_assistant, add_number, call, calls, wait_for, webhook_events
from .test_controller_fake_ari import FakeAri, live_inbound


class SoundlessAri(FakeAri):
    """Also answers the sound look-up of a refused call: no prompt installed."""

    async def request(self, method: str, path: str, *args: Any, **kwargs: Any) -> Any:
        raise AriNotFound(path, status=404)


@pytest.fixture
def ctl(offline_controller: CallController) -> CallController:
    offline_controller.ari = SoundlessAri(channels=[], bridges=[])  # type: ignore[assignment]
    return offline_controller


def hang_up(ctl: CallController, channel_id: str) -> None:
    ctl._route(parse_event({"type": "ChannelHangupRequest", "channel": {"id": channel_id}, "cause": 16}))


async def test_a_live_call_finishes_during_the_drain_and_a_new_call_is_refused(ctl: CallController) -> None:
    await live_inbound(ctl, "c1", "call_live")
    add_number(ctl.db, add_assistant(ctl.db))
    drain = Drain()
    draining = asyncio.create_task(drain_calls(ctl, drain, 30.0, asyncio.Event()))
    await asyncio.sleep(0.5)
    assert not draining.done() and ctl.is_live("call_live"), "a live call must not be cut by the drain"
    assert drain.active and drain.seconds_left() > 25

    ctl._route(parse_event({"type": "StasisStart", "channel": {"id": "c-new", "caller": {"number": "+4930111"}},
                            "args": ["inbound", "+15550100"]}))
    refused = await wait_for(lambda: next((c for c in calls(ctl.db) if c["id"] != "call_live"
                                           and c["status"] == "rejected"), None), 5, "the new call's refusal")
    assert refused["ended_reason"] == "server-draining" and refused["caller_phone"] == "+4930111"
    assert "c-new" in ctl.ari.hung_up  # type: ignore[attr-defined]
    with pytest.raises(TelephonyError) as err:
        await ctl.start_outbound(CallCreate.model_validate({"assistant_id": "asst_test", "customer": {"number": "+4930222"}}))
    assert err.value.status == 503 and err.value.code == "server_draining"

    hang_up(ctl, "c1")
    assert await asyncio.wait_for(draining, 5) == 0, "nothing was left to end"
    row = call(ctl.db, "call_live")
    assert row["status"] == "ended" and row["ended_reason"] == "customer-ended-call"


async def test_calls_still_live_at_the_limit_are_ended_with_their_records(ctl: CallController) -> None:
    await live_inbound(ctl, "c2", "call_long")
    ended = await drain_calls(ctl, Drain(), 0.3, asyncio.Event())
    assert ended == 1 and not ctl.live_calls()
    row = call(ctl.db, "call_long")
    assert row["status"] == "ended" and row["ended_reason"] == "server-shutdown" and row["ended_at"]
    assert webhook_events(ctl.db, "call_long")[-1] == "end-of-call-report"


async def test_a_second_signal_ends_the_live_calls_at_once(ctl: CallController) -> None:
    await live_inbound(ctl, "c3", "call_3")
    now = asyncio.Event()
    draining = asyncio.create_task(drain_calls(ctl, Drain(), 300.0, now))
    await asyncio.sleep(0.3)
    now.set()
    assert await asyncio.wait_for(draining, 5) == 1
    assert call(ctl.db, "call_3")["ended_reason"] == "server-shutdown"
