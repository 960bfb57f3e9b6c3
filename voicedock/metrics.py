"""Prometheus metrics: per-turn latency of the voice pipeline, live calls, capacity and load.

One registry per process (not the library's global one), so tests and several apps in one process
do not share counters. The call side observes; the HTTP side exposes `/metrics`.
"""

from __future__ import annotations

from collections.abc import Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

TURN_STAGES = ("endpointing_ms", "stt_ms", "llm_ttft_ms", "tts_ttfb_ms", "total_ms")
BUCKETS_SECONDS = (0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.turn_seconds = Histogram(
            "voicedock_turn_latency_seconds", "Latency of one conversational turn, by pipeline stage",
            ["stage"], buckets=BUCKETS_SECONDS, registry=self.registry)
        self.live_calls = Gauge("voicedock_live_calls", "Calls this node is carrying now", registry=self.registry)
        self.call_capacity = Gauge("voicedock_call_capacity", "Calls this node admits at once (0: no limit)",
                                   registry=self.registry)
        self.call_load = Gauge("voicedock_call_load", "Calls holding a line now, counted against the capacity",
                               registry=self.registry)
        self.calls_refused = Counter("voicedock_calls_refused", "Calls refused before they began, by reason",
                                     ["reason"], registry=self.registry)

    def observe_turn(self, turn: Mapping[str, float]) -> None:
        for stage in TURN_STAGES:
            value = turn.get(stage)
            if isinstance(value, int | float) and value >= 0:
                self.turn_seconds.labels(stage=stage.removesuffix("_ms")).observe(value / 1000)

    def exposition(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
