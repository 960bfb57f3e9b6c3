"""The grounding evaluation: its data hold what the set promises, its judge rules mean what the
docs say, and the runner goes end to end on fake engines (no model files needed)."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from datetime import date, time
from pathlib import Path
from typing import Any

import pytest

from voicedock_bench.grounding.dataset import (
    DatasetError,
    counts,
    load_domains,
    load_split,
    split_of,
    validate_dialogue,
)
from voicedock_bench.grounding.judge import (
    Sources,
    ToolRun,
    asks_for,
    invented_values,
    judge_fact,
    repeats_greeting,
    same_value,
    specifics,
    turn_right,
)
from voicedock_bench.grounding.normalise import (
    dates_said,
    digits,
    mentions_date,
    mentions_time,
    spoken,
    squash,
    times_said,
)
from voicedock_bench.grounding.report import percentile
from voicedock_bench.grounding.summary import claims, judge_summary

REPO = Path(__file__).resolve().parents[2]


# -- the data ---------------------------------------------------------------------------------------


def test_the_set_has_the_promised_shape() -> None:
    every = load_split("all")
    shape = counts(every)
    assert shape["turns"] >= 200
    assert shape["domains"] >= 4
    assert shape["no_tool_share"] >= 0.30
    assert shape["fact_questions"] >= 50
    assert shape["unanswerable_share"] >= 0.20
    assert all(len(d["turns"]) <= 7 for d in every)
    assert len({d["now"][:10] for d in every}) >= 7  # weekdays are resolved from many different days


def test_dev_and_test_are_disjoint_cover_every_domain_and_follow_the_fixed_rule() -> None:
    dev, test = load_split("dev"), load_split("test")
    dev_ids, test_ids = {d["id"] for d in dev}, {d["id"] for d in test}
    assert not dev_ids & test_ids
    assert all(split_of(i) == "dev" for i in dev_ids) and all(split_of(i) == "test" for i in test_ids)
    assert {d["domain"] for d in dev} == {d["domain"] for d in test} == set(load_domains())
    assert 0.25 <= len(dev) / (len(dev) + len(test)) <= 0.55


def test_every_domain_has_its_tools_and_the_built_ins() -> None:
    for name, domain in load_domains().items():
        assert {"end_call", "transfer_call"} <= set(domain.tools), name
        assert any(t["type"] == "function" for t in domain.tools.values()), name


def _dialogue(**changes: Any) -> dict[str, Any]:
    base = copy.deepcopy(next(d for d in load_split("all") if d["id"] == "dental-book-slot-filling"))
    base.update(changes)
    return base


def test_the_validator_rejects_a_value_the_caller_never_gave() -> None:
    bad = _dialogue()
    bad["turns"][3]["expect"]["arguments"]["name"] = "John Doe"
    with pytest.raises(DatasetError, match="not given by the caller"):
        validate_dialogue(bad, load_domains())


def test_the_validator_rejects_unknown_tools_bad_dates_and_turns_after_a_goodbye() -> None:
    domains = load_domains()
    bad = _dialogue()
    bad["turns"][3]["expect"]["tool"] = "book_table"
    with pytest.raises(DatasetError, match="no tool"):
        validate_dialogue(bad, domains)
    bad = _dialogue()
    bad["turns"][1]["gives"]["date"] = "Thursday"
    with pytest.raises(DatasetError, match="YYYY-MM-DD"):
        validate_dialogue(bad, domains)
    bad = _dialogue()
    bad["turns"].append({"caller": "One more thing.", "expect": {"tool": None}})
    with pytest.raises(DatasetError, match="last turn"):
        validate_dialogue(bad, domains)


# -- normal forms -----------------------------------------------------------------------------------


def test_number_words_become_digits() -> None:
    assert digits("five five five, zero one three four") == "5550134"
    assert digits("four four one, double seven, zero nine") == "4417709"
    assert digits("Five five five oh one eight one") == "5550181"
    assert squash("S D, nine nine one two, three four five six") == "sd99123456"
    assert spoken("the twenty-fifth") == "the 25"
    assert spoken("three hundred and fifty dollars") == "350 dollars"
    assert spoken("a table for four") == "a table for 4"


def test_dates_and_times_are_recognised_as_people_write_them() -> None:
    assert mentions_date("Booked for Thursday, March 5.", date(2026, 3, 5))
    assert mentions_date("see you on the 5th", date(2026, 3, 5))
    assert mentions_date("booked for tomorrow", date(2026, 3, 5), today=date(2026, 3, 4))
    assert not mentions_date("booked for Friday", date(2026, 3, 5))
    assert mentions_time("at 3 pm", time(15, 0)) and mentions_time("at 15:00", time(15, 0))
    assert mentions_time("at half past seven", time(19, 30)) and not mentions_time("at 4 pm", time(15, 0))


def test_dates_and_times_a_caller_can_mean_are_read_leniently() -> None:
    tuesday = date(2026, 3, 10)
    assert dates_said("how are you doing today?", tuesday) == {tuesday}
    assert date(2026, 3, 11) in dates_said("tomorrow afternoon", tuesday)
    assert date(2026, 3, 13) in dates_said("Friday works", tuesday)
    assert date(2026, 3, 16) in dates_said("Monday, the sixteenth", tuesday)
    assert dates_said("I'd like to book", tuesday) == set()
    assert time(14, 30) in times_said("at half past two") and time(15, 0) in times_said("Friday at 3")
    assert time(16, 30) in times_said("the four thirty one works") and time(12, 0) in times_said("noon today")


# -- turn outcome and invented values ---------------------------------------------------------------


def test_a_turn_is_right_only_with_the_expected_tool_and_exactly_its_arguments() -> None:
    book = {"tool": "book_appointment", "arguments": {"date": "2026-03-05", "time": "15:00", "name": "Ana Lopez",
                                                      "phone": "5550134"}}
    assert turn_right([book], [ToolRun("book_appointment", {"date": "2026-03-05", "time": "15:00:00",
                                                            "name": "ana  lopez", "phone": "555-0134"})])
    assert not turn_right([book], [ToolRun("book_appointment", {**book["arguments"], "name": "Ana"})])
    assert not turn_right([book], [ToolRun("book_appointment", {**book["arguments"], "notes": "cleaning"})])
    assert not turn_right([book], [])
    assert turn_right([{"tool": None, "arguments": {}}], [])
    assert not turn_right([{"tool": None, "arguments": {}}], [ToolRun("end_call")])
    with_alternative = [{"tool": None, "arguments": {}}, {"tool": "end_call", "arguments": {}}]
    assert turn_right(with_alternative, [ToolRun("end_call")])
    assert not turn_right([book], [ToolRun("check_availability", {"date": "2026-03-05"}),
                                   ToolRun("book_appointment", book["arguments"])])


def test_argument_comparison_rules() -> None:
    assert same_value("phone", "5550134", "555 01 34")
    assert same_value("ticket_number", "INC40388", "inc-40388")
    assert same_value("party_size", 4, 4) and not same_value("party_size", 4, 5)
    assert same_value("summary", {"contains": [["vpn"], ["connect", "access"]]}, "Cannot connect to the VPN")
    assert not same_value("summary", {"contains": [["vpn"]]}, "laptop broken")


def test_invented_values_are_those_with_no_source_in_the_call() -> None:
    sources = Sources(caller=["I'd like to book Thursday at 3", "It's Ana Lopez", "five five five, zero one three four"],
                      results=['{"slots": ["16:30"]}'], prompt="Dr. Priya Nair", given=["2026-03-05", "15:00"])
    args = {"date": "2026-03-05", "time": "15:00", "name": "Ana Lopez", "phone": "5550134"}
    assert invented_values(args, sources) == []
    assert invented_values({**args, "name": "John Doe"}, sources) == [("name", "John Doe")]
    assert invented_values({**args, "phone": "1234567890"}, sources) == [("phone", "1234567890")]
    assert invented_values({**args, "date": "2026-03-06"}, sources) == [("date", "2026-03-06")]
    assert invented_values({**args, "time": "16:30"}, sources) == []  # a slot the tool returned
    assert invented_values({"name": "Priya"}, sources) == []  # in the prompt: not invented (maybe still wrong)
    assert invented_values({"party_size": 4}, Sources(caller=["a table for four"])) == []
    wednesday = date(2026, 3, 4)
    in_words = Sources(caller=["Thursday at 3 if you have it"], today=wednesday)
    assert invented_values({"date": "2026-03-05", "time": "15:00"}, in_words) == []
    assert invented_values({"date": "2026-03-06", "time": "16:00"}, in_words) == [("date", "2026-03-06"),
                                                                                  ("time", "16:00")]
    assert invented_values({"party_size": 6}, Sources(caller=["a table for four"])) == [("party_size", 6)]


# -- facts, parroting, asking -----------------------------------------------------------------------


def test_answerable_facts_need_the_keywords_and_no_contradiction() -> None:
    fact = {"answerable": True, "keywords": [["8", "eight"]], "wrong": ["open at 9"]}
    prompt = "Monday 8:00 to 17:00."
    assert judge_fact(fact, "We open at 8 am on Monday.", prompt).right
    assert judge_fact(fact, "We open at eight.", prompt).right
    wrong = judge_fact(fact, "We open at 9 on Monday.", prompt)
    assert not wrong.right and wrong.invented
    made_up = judge_fact({"answerable": True, "keywords": [["95"]]}, "A cleaning is $95, whitening $99.", "$95")
    assert not made_up.right and made_up.invented


def test_unanswerable_facts_need_an_admission_and_no_made_up_detail() -> None:
    fact = {"answerable": False}
    prompt = "The terrace opens in May. Tuesday 17:00 to 22:00."
    assert judge_fact(fact, "I'm sorry, I don't have that information. I can take a message.", prompt).right
    invented = judge_fact(fact, "Yes, dogs are welcome on the terrace.", prompt)
    assert not invented.right and invented.invented
    detail = judge_fact(fact, "I'm not sure, but whitening usually takes 90 minutes.", prompt)
    assert not detail.right and detail.invented
    evasive = judge_fact(fact, "Let me help you with a reservation.", prompt)
    assert not evasive.right and not evasive.invented


def test_specifics_ignore_one_as_a_pronoun() -> None:
    assert specifics("No one is here, one moment.") == set()
    assert specifics("It is ninety-five dollars on Friday at 3 pm") == {"95", "friday", "3"}


def test_greeting_parroting_and_asking() -> None:
    greeting = "Maple Grove Dental, this is Jenny. How can I help you today?"
    assert repeats_greeting("Maple Grove Dental, this is Jenny. How can I help you today?", greeting)
    assert repeats_greeting("Hi! Maple Grove Dental, this is Jenny, how can I help you today?", greeting)
    assert not repeats_greeting("Sure, what day works for you?", greeting)
    assert asks_for("May I have your name, please?", ["name"])
    assert not asks_for("Thank you.", ["name"])


# -- summaries --------------------------------------------------------------------------------------


def test_summary_claims_skip_wishes_and_failures() -> None:
    assert claims("Ana Lopez booked a cleaning for Thursday.", "booked")
    assert not claims("The caller wanted to book but gave no name.", "booked")
    assert not claims("The appointment could not be booked.", "booked")
    assert claims("A ticket was created for the VPN problem.", "ticket_created")


def test_summary_judgement() -> None:
    outcome = [{"event": "booked", "values": {"date": "2026-03-05", "time": "15:00", "name": "Ana Lopez"}}]
    known = "Caller: Thursday at 3. Assistant: booked for Thursday March 5 at 15:00, Ana Lopez"
    good = judge_summary("Ana Lopez booked a check-up for Thursday, March 5 at 3 pm.", outcome, {"booked"},
                         ["booked", "checked"], known, date(2026, 3, 4))
    assert good.violations == [] and good.outcome_mentioned
    false_event = judge_summary("Booked Ana for Friday at 4 pm.", [], set(), ["booked"], "Thursday at 3",
                                date(2026, 3, 4))
    assert "claims booked but it did not happen" in false_event.violations
    assert any("'4'" in v for v in false_event.violations) and any("friday" in v for v in false_event.violations)
    assert not false_event.outcome_mentioned
    vague = judge_summary("The caller called about teeth.", outcome, {"booked"}, ["booked"], known)
    assert not vague.outcome_mentioned and vague.violations == []


def test_percentile_is_nearest_rank() -> None:
    assert percentile([], 50) is None
    assert percentile([5.0, 1.0, 3.0], 50) == 3.0
    assert percentile(list(map(float, range(1, 101))), 95) == 95.0


# -- the runner, end to end on fake engines ---------------------------------------------------------


def test_a_fake_engine_run_goes_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "grounding.json"
    run = subprocess.run(
        [sys.executable, "-m", "voicedock_bench.grounding", "--engines", "fake", "--facts", "none", "--split", "dev",
         "--limit", "3", "--out", str(out)],
        capture_output=True, text=True, timeout=120, cwd=REPO)
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(out.read_text())
    assert json.loads(run.stdout) == report
    assert report["engines"] == "fake" and report["split"] == "dev" and report["machine"]["cpu_count"]
    assert report["overall"]["dialogues"] == 3 == len(report["dialogues"])
    assert len(report["turns"]) == report["counts"]["turns"] == report["overall"]["turns"]
    for key in ("turn_accuracy", "no_tool_accuracy", "tool_turn_accuracy", "fact_accuracy"):
        assert report["overall"][key]["n"] >= 1, key
    assert report["overall"]["turn_latency_ms"]["p50"] is not None
    assert set(report["per_domain"]) == {d["domain"] for d in report["dialogues"]}
    assert all(t["status"] in ("ran", "error", "skipped", "not_run") for t in report["turns"])
    assert all(isinstance(d["summary"], str) and d["summary"] for d in report["dialogues"])
