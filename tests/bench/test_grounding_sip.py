"""The grounding set through real SIP calls (`--via sip`): one short dialogue, the ci models, a real
Asterisk. The ci LLM is far too small to be right, so only the plumbing is asserted: a call was
placed and recorded, the caller's turns reached the record as user messages, the text runner's
judge gave every turn a verdict, and the JSON carries the figures (WER included)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from voicedock_ari.settings import AsteriskSettings
from voicedock_bench.grounding.report import metrics
from voicedock_bench.grounding.sip_clock import FakeClock, faketime_library
from voicedock_bench.grounding.sip_runner import failed_result, parse_voices, wer_of
from voicedock_bench.grounding.sip_tools import signature_ok

DIALOGUE = "dental-transfer-billing"  # dev split, one caller turn: the shortest call (a ci LLM reply can run 20 s)


def test_voices_and_the_clock_file(tmp_path: Path) -> None:
    assert parse_voices("piper, espeak") == ["piper", "espeak-ng"]
    with pytest.raises(ValueError):
        parse_voices("festival")
    clock = FakeClock(tmp_path / "clock", "real")
    assert clock.env() == {} and (tmp_path / "clock").read_text() == "+0\n"


def test_signature_check_is_the_documented_one() -> None:
    from voicedock.webhooks.signing import sign

    assert signature_ok('{"a":1}', "1700000000", sign("whsec_x", 1700000000, '{"a":1}'), "whsec_x")
    assert not signature_ok('{"a":2}', "1700000000", sign("whsec_x", 1700000000, '{"a":1}'), "whsec_x")


def test_a_failed_call_counts_every_turn_wrong() -> None:
    from voicedock_bench.grounding.dataset import load_split

    dialogue = next(d for d in load_split("dev") if d["id"] == DIALOGUE)
    result = failed_result(dialogue, "CallFailed: 404")
    figures = metrics([result])
    assert figures["turn_accuracy"] == {"value": 0.0, "n": 1} and figures["turns_not_run"] == 1
    assert wer_of(result["turns"]) == {"value": None, "words": 0, "turns": 0}


@pytest.mark.asterisk
@pytest.mark.models
def test_a_dialogue_through_a_real_call_is_recorded_and_judged(
    asterisk: AsteriskSettings, ci_models_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "sip.json"
    clock = "faketime" if faketime_library() is not None else "real"
    run = subprocess.run(
        [sys.executable, "-m", "voicedock_bench.grounding", "--via", "sip", "--profile", "ci", "--models-dir",
         str(ci_models_dir), "--split", "dev", "--ids", DIALOGUE, "--voices", "piper", "--clock", clock,
         "--reply-timeout", "20", "--out", str(out)],
        capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    data = json.loads(out.read_text())
    assert data["via"] == "sip" and data["voices"] == ["piper"] and data["clock"]["mode"] == clock
    [dialogue] = data["dialogues"]
    assert dialogue.get("error") is None, dialogue
    assert dialogue["call_id"] and dialogue["call_status"] == "ended"
    turns = data["turns"]
    assert [t["turn"] for t in turns] == [1]
    first = turns[0]
    # the session's own transcript of the caller's first turn is on the record as a user message
    assert first["session_turns"] and first["heard"], first
    assert first["wer"]["words"] == len(first["caller"].split())
    for turn in turns:
        assert turn["status"] in ("ran", "error", "skipped", "not_run")
        if turn["status"] in ("ran", "error"):
            assert isinstance(turn["right"], bool) and "reply" in turn and "invented" in turn
    overall = data["overall"]
    assert overall["turn_accuracy"]["n"] >= 1 and overall["stt_wer"]["value"] is not None
    assert overall["webhook_unsigned"] == 0 and overall["failed_calls"] == []
    assert set(data["per_voice"]) == {"piper"} and "dental" in data["per_domain"]
    assert isinstance(dialogue["summary"], str) and isinstance(dialogue["summary_violations"], list)
    if clock == "faketime":  # the server's clock read the dialogue's now when the call began
        assert abs(dialogue["clock"]["started_minus_now_s"]) < 30, dialogue["clock"]
