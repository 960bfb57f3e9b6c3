"""Turns callers gave up on reach the call record and `/metrics`: the entries a session reports for
a hang-up while the assistant thinks and for speaking again before its first audio are stored on
the call and counted by reason with the time waited, apart from the answered turns' stages."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from api.app import create_app
from tests.conversation.harness import run_call
from voicedock.engines.fakes import FakeLLM
from voicedock.engines.loader import fake_engines
from voicedock_ari.controller import CallController

from .harness import call
from .test_controller_fake_ari import FakeAri, live_inbound

HUNG_UP = [("silence", 0.5), ("speak", 1.0), ("silence", 3.0), ("hangup",)]
SPOKE_AGAIN = [("silence", 0.5), ("speak", 1.0), ("silence", 1.5), ("speak", 1.0), ("silence", 6.0), ("hangup",)]


@pytest.fixture(scope="module")
def reported() -> list[dict[str, Any]]:
    """What the voice session reports for both calls, run in virtual time."""
    turns: list[dict[str, Any]] = []
    for script, token_delay in ((HUNG_UP, 4.0), (SPOKE_AGAIN, 2.0)):
        engines = fake_engines(llm=FakeLLM(["Sure."], token_delay=token_delay))
        result = run_call(script, assistant={"first_message": None}, engines=engines)
        turns += [dict(t) for t in result.recorder.of("latency")]
    return turns


async def test_abandoned_turns_are_on_the_call_record_and_counted_on_metrics(
        aiohttp_client: Any, offline_controller: CallController, reported: list[dict[str, Any]]) -> None:
    ctl = offline_controller
    ctl.ari = FakeAri(channels=[], bridges=[])  # type: ignore[assignment]
    live = await live_inbound(ctl, "chan-1", "call_1")
    for turn in reported:
        await live.turn_latency(turn)

    stored = call(ctl.db, "call_1")["latency"]
    assert [t.get("abandoned") for t in stored] == ["hangup", "barge-in", None]
    assert stored[0]["total_ms"] >= 2900, "the caller who hung up had waited about 3 s"

    client = await aiohttp_client(create_app(replace(ctl.settings, telephony=True), db=ctl.db,
                                             telephony_service=ctl, metrics=ctl.metrics))
    text = (await (await client.get("/metrics")).read()).decode()
    assert 'voicedock_turn_abandoned_wait_seconds_count{reason="hangup"} 1.0' in text
    assert 'voicedock_turn_abandoned_wait_seconds_count{reason="barge-in"} 1.0' in text
    assert 'voicedock_turn_abandoned_wait_seconds_bucket{le="2.0",reason="hangup"} 0.0' in text
    assert 'voicedock_turn_abandoned_wait_seconds_bucket{le="3.0",reason="hangup"} 1.0' in text
    assert 'voicedock_turn_latency_seconds_count{stage="total"} 1.0' in text, "only the answered turn's stages"
