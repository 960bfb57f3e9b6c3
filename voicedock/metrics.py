"""Prometheus metrics: per-turn latency of the voice pipeline, live calls, capacity and load.

A turn the caller gave up on (hung up, or spoke again, before the reply was out) is not a latency
sample of the pipeline's stages: it is counted apart, with how long the caller had waited, so the
slowest turns are seen instead of vanishing.

One registry per process (not the library's global one), so tests and several apps in one process
do not share counters. The call side observes; the HTTP side exposes `/metrics`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from voicedock.conversation.latency import STAGES, Abandoned

TURN_STAGES = (*(name for name, _, _ in STAGES), "total_ms")  # the figures of a latency entry
ENGINE_WAIT_BUCKETS_SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0)
BUCKETS_SECONDS = (0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0)
WAIT_BUCKETS_SECONDS = (0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 20.0, 30.0)
ABANDON_REASONS = frozenset(str(reason) for reason in Abandoned)  # a closed set of label values


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
        self.calls_waiting = Gauge("voicedock_calls_waiting", "Callers waiting with music for a free line now",
                                   registry=self.registry)
        self.turns_abandoned = Histogram(
            "voicedock_turn_abandoned_wait_seconds",
            "Turns given up on before their reply was out, by reason: how long the caller had heard nothing",
            ["reason"], buckets=WAIT_BUCKETS_SECONDS, registry=self.registry)
        self.calls_refused = Counter("voicedock_calls_refused", "Calls refused before they began, by reason",
                                     ["reason"], registry=self.registry)
        self.engine_wait = Histogram(
            "voicedock_engine_wait_seconds", "How long a request waited for a shared engine before it ran, by stage",
            ["stage"], buckets=ENGINE_WAIT_BUCKETS_SECONDS, registry=self.registry)

    def observe_turn(self, turn: Mapping[str, Any]) -> None:
        if "abandoned" in turn:
            self._observe_abandoned(turn)
            return
        for stage in TURN_STAGES:
            value = turn.get(stage)
            if isinstance(value, int | float) and value >= 0:
                self.turn_seconds.labels(stage=stage.removesuffix("_ms")).observe(value / 1000)

    def _observe_abandoned(self, turn: Mapping[str, Any]) -> None:
        reason, waited = turn.get("abandoned"), turn.get("waited_ms")
        if reason in ABANDON_REASONS and isinstance(waited, int | float) and waited >= 0:
            self.turns_abandoned.labels(reason=reason).observe(waited / 1000)

    def observe_wait(self, stage: str, seconds: float) -> None:
        """A listener for `voicedock.engines.waits.WAITS`: where concurrent turns queue."""
        self.engine_wait.labels(stage=stage).observe(seconds)

    def exposition(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
