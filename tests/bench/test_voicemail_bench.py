"""The voicemail benchmark runs on this host's audio and its held-apart split stays accurate and quick."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from voicedock_bench import voicemail
from voicedock_bench.voicemail_set import missing_sources

pytestmark = pytest.mark.skipif(bool(missing_sources()), reason="; ".join(missing_sources()))


def test_the_test_split_is_told_apart_and_no_person_waits_long(tmp_path: Path) -> None:
    out = tmp_path / "voicemail.json"
    assert voicemail.main(["--work", str(tmp_path / "set"), "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["machine"]["cpu_count"] and result["items"]["test"] == {"human": 21, "machine": 22}
    test = result["test"]
    assert test["accuracy"] >= 0.9, test
    assert test["human_wait_seconds_after_their_words"]["max"] <= 1.5
    assert test["message_over_greeting"] == [] and test["machines"]["taken_for_human"] == []
