"""`voicedock bench turns` against the real Asterisk and the ci models: it places real calls,
measures at the caller and reports figures a reader can trust."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from voicedock_ari.settings import AsteriskSettings

pytestmark = [pytest.mark.asterisk, pytest.mark.models]


def test_bench_turns_reports_latency_barge_in_and_wer_from_real_calls(
    asterisk: AsteriskSettings, ci_models_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "turns.json"
    run = subprocess.run(
        [sys.executable, "-m", "voicedock_cli.main", "bench", "turns", "--profile", "ci", "--models-dir",
         str(ci_models_dir), "--calls", "1", "--questions", "1", "--voices", "piper,espeak-ng", "--concurrent", "1,2",
         "--out", str(out), "--audio-dir", str(tmp_path / "audio"), "--paused", "test", "--paused-sentences", "1"],
        capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    data = json.loads(out.read_text())
    # one call per voice alone, then one round of both voices at once
    assert data["calls"] == 4 and data["failed_calls"] == [] and data["concurrent"] == [1, 2]
    answered = [t for t in data["turns"] if t["latency_ms"] is not None]
    assert len(answered) >= 6, data["turns"]
    assert {t["concurrent"] for t in answered} == {1, 2}
    assert data["turn_latency_ms_by_concurrent"]["2"]["n"] >= 3
    # every call heard its greeting, and the first (a new assistant's first call) is reported apart
    assert data["greeting_ms"]["n"] == 4 and data["greetings_not_heard"] == 0
    assert 0 < data["first_greeting_ms"] < 15000
    # each call, the two placed together included, is matched with its own stored record
    assert all(t["record_caller"] == t["caller"] and t["stored"] for t in data["transcripts"]), data["transcripts"]
    assert all(0 < t["latency_ms"] < 30000 for t in answered)
    # the stored transcript is VoiceDock's own STT of what the caller sent through Asterisk
    piper = next(t for t in data["transcripts"] if t["voice"] == "piper")
    assert "saturday" in piper["stored"].lower(), data["transcripts"]
    assert data["wer_by_voice"]["piper"] is not None and data["wer_by_voice"]["piper"] <= 0.2
    assert data["wer_by_voice"]["espeak-ng"] is not None
    assert data["barge_in_pause_ms"]["n"] + len(data["barge_in_not_measured"]) >= 4
    assert data["backchannel_resumes"]["n"] == 4
    assert data["server_latency_ms"]["stt_ms"]["n"] >= 2
    assert Path(data["plot"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # the first paused sentence of the test split in each of the four voices, one call per voice,
    # each answered after its last word; whether one was cut off is the benchmark's figure
    cut = data["false_cut_offs"]
    assert cut["split"] == "test" and cut["n"] == 4 and sorted(cut["by_voice"]) == [
        "espeak-en-gb-x-rp", "espeak-en-us", "espeak-en-us+f3", "piper-joe"]
    assert cut["unanswered"] == 0 and all(v["caller_turns_stored"] for v in cut["by_voice"].values()), cut
    assert data["goals"]["met"]["false_cut_offs"] is not None
    # the caller's sentences are kept for the next run: every question, the long one, the "okay"
    # and the interruption, per voice
    assert data["caller_audio"] == str(tmp_path / "audio")
    assert len(list((tmp_path / "audio").glob("piper-*.wav"))) == len(list((tmp_path / "audio").glob("espeak-ng-*.wav"))) >= 4
