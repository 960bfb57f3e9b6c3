"""Fixtures for the benchmark tests: the real Asterisk of the telephony tests, for the ones that call it."""

from __future__ import annotations

from tests.telephony.conftest import asterisk

__all__ = ["asterisk"]
