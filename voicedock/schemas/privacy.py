"""Responses of the privacy endpoints."""

from __future__ import annotations

from .base import Out


class ErasedCounts(Out):
    calls: int
    transcripts: int
    webhook_events: int
    usage: int
    recordings: int


class CustomerErasure(Out):
    number: str
    deleted: ErasedCounts
