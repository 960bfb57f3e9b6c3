"""A tool's values arrive over several turns: the session asks one question at a time, takes
corrections, runs the tool once everything is known, and never runs it on a value nobody gave."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conversation.harness import run_call
from tests.conversation.test_tools import ScriptedRunner
from voicedock.engines.fakes import FakeLLM, FakeSTT
from voicedock.engines.loader import fake_engines

BOOK = {
    "type": "function", "name": "book_appointment", "description": "Book a dental appointment.",
    "parameters": {"type": "object", "required": ["date", "time", "name", "phone"], "properties": {
        "date": {"type": "string", "format": "date"}, "time": {"type": "string", "format": "time"},
        "name": {"type": "string"}, "phone": {"type": "string"}}},
}
ASSISTANT = {"system_prompt": "You book appointments for Bright Smile Dental. We are at 12 Main Street.",
             "first_message": None,
             "llm_config": {"tools": [BOOK, {"type": "end_call"}]}}


def turns(n: int) -> list[tuple[Any, ...]]:
    script: list[tuple[Any, ...]] = [("silence", 1.0)]
    for _ in range(n):
        script += [("speak", 1.0), ("silence", 6.0)]
    return script


def converse(said: list[str], json_replies: list[dict[str, Any]], replies: list[str] | None = None,
             agent_phone: str | None = None) -> Any:
    runner = ScriptedRunner(book_appointment={"booked": True, "reference": "BK-7"})
    llm = FakeLLM(replies or ["You're all booked."], json_replies=json_replies)
    result = run_call(turns(len(said)), assistant=ASSISTANT, engines=fake_engines(llm=llm, stt=FakeSTT(said)),
                      tool_runner=runner, max_seconds=8.0 * len(said) + 5, agent_phone=agent_phone)
    return result, runner


def test_values_arrive_over_three_turns_and_the_tool_runs_once_they_are_all_known() -> None:
    result, runner = converse(
        ["I'd like to book an appointment for Friday at 3", "Ana Lopez", "five five five, oh one three four"],
        [{"intent": "book appointment"}, {"date": "Friday", "time": "3", "name": "John Doe"}, {}, {}],
    )
    assert runner.calls == [("book_appointment", {"date": "2025-06-06", "time": "15:00", "name": "Ana Lopez",
                                                  "phone": "5550134"})]
    assert result.recorder.messages("assistant") == [
        "May I have your name, please?", "What phone number can we reach you on?",
        "That's booked: Friday, June 6th at 3 PM, under Ana Lopez. Your reference is BK-7."]
    asked, asked_again, done = result.recorder.of("tool_call")
    assert asked["status"] == asked_again["status"] == "needs_arguments"
    assert done["status"] == "ok"
    assert done["sources"]["name"] == {"from": "caller", "turn": 2, "said": "Ana Lopez"}
    assert done["sources"]["date"]["from"] == "resolver" and done["sources"]["date"]["turn"] == 1


def test_a_caller_who_never_gives_a_name_is_never_booked() -> None:
    result, runner = converse(
        ["Book me in for Friday at 3 please", "Just put it down, please", "Yes, whatever, book it",
         "I said book it"],
        [{"intent": "book appointment"}, {"date": "Friday", "time": "3", "name": "Caller", "phone": "123-456-7890"},
         {"name": "Customer"}, {"name": "John Doe", "phone": "1234567890"}, {"name": "Unknown"}],
        replies=["I need your name to book."],
    )
    assert runner.calls == []
    assert all(c["status"] == "needs_arguments" for c in result.recorder.of("tool_call"))
    assert "May I have your name, please?" in result.recorder.messages("assistant")


def test_a_name_heard_wrong_is_asked_again_never_booked() -> None:
    # "Name's Ana Lopez." as a phone line's speech recognition may write it
    result, runner = converse(
        ["I'd like to book an appointment for Friday at 3", "Man's ana lopez.", "Ana Lopez",
         "five five five, oh one three four"],
        [{"intent": "book appointment"}, {}, {}, {}, {}],
    )
    assert runner.calls == [("book_appointment", {"date": "2025-06-06", "time": "15:00", "name": "Ana Lopez",
                                                  "phone": "5550134"})]
    assert result.recorder.messages("assistant")[:3] == [
        "May I have your name, please?", "Sorry, I didn't catch your name. May I have your name, please?",
        "What phone number can we reach you on?"]


def test_a_correction_replaces_the_value_before_the_tool_runs() -> None:
    result, runner = converse(
        ["Can I book Friday at 3, it's Ana Lopez", "Oh no, sorry, make it Thursday", "555 0134"],
        [{"intent": "book appointment"}, {"date": "Friday", "time": "3", "name": "Ana Lopez"}, {"date": "Thursday"},
         {"phone": "5550134"}],
    )
    assert runner.calls == [("book_appointment", {"date": "2025-06-05", "time": "15:00", "name": "Ana Lopez",
                                                  "phone": "5550134"})]
    assert result.recorder.messages("assistant")[:2] == [
        "What phone number can we reach you on?", "What phone number can we reach you on?"]


def test_a_question_in_the_middle_is_answered_and_the_booking_goes_on() -> None:
    result, runner = converse(
        ["I want to book Friday at 3", "Wait, where are you located?", "It's Ana Lopez, 555 0134"],
        [{"intent": "book appointment"}, {"date": "Friday", "time": "3"}, {}, {"intent": "something else"},
         {"name": "Ana Lopez", "phone": "555 0134"}],
        replies=["Booked."],  # the question is answered from the instructions' own line
    )
    assert result.recorder.messages("assistant") == [
        "May I have your name, please?", "We are at 12 Main Street.",
        "That's booked: Friday, June 6th at 3 PM, under Ana Lopez. Your reference is BK-7."]
    assert runner.calls == [("book_appointment", {"date": "2025-06-06", "time": "15:00", "name": "Ana Lopez",
                                                  "phone": "5550134"})]


def test_greetings_and_thanks_never_reach_the_tool_decision() -> None:
    result, runner = converse(["Hello?", "Thanks!"], [{"intent": "book appointment"}], replies=["Hi!", "Welcome!"])
    assert runner.calls == [] and result.recorder.of("tool_call") == []


def test_dates_are_read_in_the_assistants_time_zone() -> None:
    from tests.conversation.harness import FakeAudioPort, Recorder
    from voicedock.assistant import CallAssistant
    from voicedock.conversation.base import CallInfo
    from voicedock.conversation.voice import VoiceSession

    info = CallInfo("call_tz", "inbound", CallAssistant.parse({**ASSISTANT, "timezone": "Pacific/Auckland"}))
    recorder = Recorder()
    session = VoiceSession(info, FakeAudioPort([]), recorder, recorder, engines=fake_engines())  # type: ignore[arg-type]
    assert str(session.now.tzinfo) == "Pacific/Auckland"
    assert "Now it is" in session.system["content"]


RESCHEDULE = {
    "type": "function", "name": "reschedule_delivery", "description": "Move a delivery to another day.",
    "parameters": {"type": "object", "required": ["tracking_number", "date"], "properties": {
        "tracking_number": {"type": "string"}, "date": {"type": "string", "format": "date"}}},
}
TRACK = {"type": "function", "name": "track_parcel", "parameters": {"type": "object", "required": ["tracking_number"],
                                                                   "properties": {"tracking_number": {"type": "string"}}}}


def parcel_call(said: list[str], replies: list[str]) -> Any:
    runner = ScriptedRunner(reschedule_delivery={"rescheduled": True}, track_parcel={"status": "in transit"})
    llm = FakeLLM(replies, json_replies=[])
    assistant = {"system_prompt": "You help SwiftDrop customers.", "first_message": None,
                 "llm_config": {"tools": [TRACK, RESCHEDULE]}}
    result = run_call(turns(len(said)), assistant=assistant, engines=fake_engines(llm=llm, stt=FakeSTT(said)),
                      tool_runner=runner, max_seconds=8.0 * len(said) + 5)
    return result, runner


def test_an_action_asked_for_wins_over_a_look_up_and_a_correction_runs_it_again() -> None:
    _, runner = parcel_call(
        ["I'd like to reschedule my delivery to Friday, tracking SD 6060 7171.", "Oh no wait, I meant Thursday, sorry!"],
        ["Done.", "Changed."])
    assert runner.calls == [("reschedule_delivery", {"tracking_number": "SD60607171", "date": "2025-06-06"}),
                            ("reschedule_delivery", {"tracking_number": "SD60607171", "date": "2025-06-05"})]


def test_a_value_given_after_the_assistant_offered_the_action_runs_it() -> None:
    result, runner = parcel_call(
        ["Hi, I won't be home on Monday. My number is SD 7100 3344.", "Thursday, please."],
        ["Would you like to reschedule the delivery?", "Done."])
    assert runner.calls == [("reschedule_delivery", {"tracking_number": "SD71003344", "date": "2025-06-05"})]
    assert result.recorder.messages("assistant")[0] == "Would you like to reschedule the delivery?"


def test_a_question_while_a_tool_waits_is_answered_not_met_with_the_question_again() -> None:
    result, runner = parcel_call(
        ["I want to reschedule my delivery.", "Will that cost anything?", "It's SD 1234 5678 for Friday."],
        ["Rescheduling is free.", "Done."])
    said = result.recorder.messages("assistant")
    assert said[0] == "What is the tracking number, please?"
    assert said[1] != said[0]
    assert runner.calls == [("reschedule_delivery", {"tracking_number": "SD12345678", "date": "2025-06-06"})]


TICKET = {
    "type": "function", "name": "create_ticket", "description": "Open a support ticket.",
    "parameters": {"type": "object", "required": ["name", "summary", "priority"], "properties": {
        "name": {"type": "string"}, "summary": {"type": "string"},
        "priority": {"type": "string", "enum": ["low", "normal", "urgent"]}}},
}


def test_a_question_asked_while_a_ticket_waits_is_not_taken_for_its_summary() -> None:
    runner = ScriptedRunner(create_ticket={"ticket": "INC-4"})
    assistant = {"system_prompt": "You open tickets for the service desk.\n- Response times: urgent within 1 hour.",
                 "first_message": None, "llm_config": {"tools": [TICKET]}}
    said = ["Please log a ticket, my printer keeps jamming. I'm Ben Ortiz.", "How soon will someone look at it?",
            "Low priority is fine."]
    llm = FakeLLM(["Done."], json_replies=[{}, {}, {}, {}])
    result = run_call(turns(len(said)), assistant=assistant, engines=fake_engines(llm=llm, stt=FakeSTT(said)),
                      tool_runner=runner, max_seconds=8.0 * len(said) + 5)
    assert len(runner.calls) == 1
    name, args = runner.calls[0]
    assert "printer" in args["summary"] and args["priority"] == "low"
    replies = result.recorder.messages("assistant")
    assert replies[0] == "Which would it be: low, normal or urgent?"
    assert replies[1] != replies[0]  # the question is answered, not met with the tool's question again


def test_a_question_about_the_business_while_a_value_is_asked_for_is_answered_and_takes_no_value() -> None:
    """Asked for a name, the caller asks whether the clinic is open on Saturday: the instructions
    answer it, "Saturday" does not become the booking's date, and the booking waits on."""
    assistant = {**ASSISTANT, "system_prompt": ASSISTANT["system_prompt"] + " We are open on Saturday from 9 am to 1 pm."}
    runner = ScriptedRunner(book_appointment={"booked": True})
    said = ["I'd like to book an appointment for Friday at 3", "Are you open on Saturday?", "Ana Lopez",
            "five five five, oh one three four"]
    llm = FakeLLM(["You're all booked."], json_replies=[{}, {}, {}, {}])
    result = run_call(turns(len(said)), assistant=assistant, engines=fake_engines(llm=llm, stt=FakeSTT(said)),
                      tool_runner=runner, max_seconds=8.0 * len(said) + 5)
    assert result.recorder.messages("assistant")[1] == "Yes, on Saturday we're open from 9 am to 1 pm."
    assert runner.calls == [("book_appointment", {"date": "2025-06-06", "time": "15:00", "name": "Ana Lopez",
                                                  "phone": "5550134"})]


def test_the_turn_that_gives_the_name_is_not_the_problem_the_ticket_is_about() -> None:
    """A model reading "Name's Callum Reid." for every missing value gives it as the summary too:
    words that only give another value describe no problem, and the summary is asked for."""
    runner = ScriptedRunner(create_ticket={"ticket": "INC-4"})
    assistant = {"system_prompt": "You open tickets for the service desk.", "first_message": None,
                 "llm_config": {"tools": [TICKET]}}
    said = ["Hi, please open a ticket for me, it's urgent.", "Name's Callum Reid."]
    llm = FakeLLM(["Done."], json_replies=[{"summary": "Name's Callum Reid", "name": "Callum Reid"}] * 4)
    result = run_call(turns(len(said)), assistant=assistant, engines=fake_engines(llm=llm, stt=FakeSTT(said)),
                      tool_runner=runner, max_seconds=8.0 * len(said) + 5)
    assert runner.calls == []
    asked = result.recorder.of("tool_call")[-1]
    assert asked["status"] == "needs_arguments" and asked["missing"] == ["summary"]


def test_a_number_heard_with_a_digit_missing_is_asked_for_again_not_booked() -> None:
    """A US number the ear heard as nine digits ("555-303-981") is no number there: the caller is
    told and asked again, and the booking runs under the number said again in full."""
    result, runner = converse(
        ["Book me in for Friday at 3, it's Ana Lopez", "Sure, 555-303-981.", "Five five five, three oh three, "
         "nine eight eight one."],
        [{"intent": "book appointment"}, {"date": "Friday", "time": "3", "name": "Ana Lopez"},
         {"phone": "555303981"}, {"phone": "5553039881"}],
        agent_phone="+15550100200",
    )
    assert runner.calls == [("book_appointment", {"date": "2025-06-06", "time": "15:00", "name": "Ana Lopez",
                                                  "phone": "5553039881"})]
    assert result.recorder.messages("assistant")[:2] == [
        "What phone number can we reach you on?",
        "Sorry, I didn't catch the whole number. What phone number can we reach you on?"]


def test_a_new_number_not_heard_whole_is_not_replaced_by_the_one_given_before() -> None:
    result, runner = converse(
        ["Book me Friday at 3, my number is 555-303-9881", "Ana Lopez, and actually use 555-404-221.",
         "555-404-2219"],
        [{"intent": "book appointment"}, {"date": "Friday", "time": "3", "phone": "5553039881"},
         {"name": "Ana Lopez", "phone": "555404221"}, {"phone": "5554042219"}],
        agent_phone="+15550100200",
    )
    assert runner.calls == [("book_appointment", {"date": "2025-06-06", "time": "15:00", "name": "Ana Lopez",
                                                  "phone": "5554042219"})]
    assert result.recorder.messages("assistant")[:2] == [
        "May I have your name, please?",
        "Sorry, I didn't catch the whole number. What phone number can we reach you on?"]


def test_a_refusal_in_the_middle_of_a_booking_is_not_spoken() -> None:
    """Words the ear got wrong mid-booking ("Okay, breathe in.") are no reason to tell the caller
    the assistant cannot help with what they are doing: they are asked to say it again."""
    result, runner = converse(
        ["Book me in for Friday at 3, it's Ana Lopez", "Okay, breathe in."],
        [{"intent": "book appointment"}, {"date": "Friday", "time": "3", "name": "Ana Lopez"}, {}],
        replies=["I'm sorry, but I can't assist with that."],
    )
    assert runner.calls == []
    assert result.recorder.messages("assistant") == [
        "What phone number can we reach you on?", "I'm sorry, I didn't catch that. Could you say it again?"]


def test_a_question_asked_again_is_said_whole_not_its_last_word() -> None:
    """The model asks for the number again in words the call already heard: its first piece is
    skipped as said before, and "please?" alone would be left. The question is asked whole."""
    result, runner = converse(
        ["Book me in for Friday at 3, it's Ana Lopez", "Hmm, good question."],
        [{"intent": "book appointment"}, {"date": "Friday", "time": "3", "name": "Ana Lopez"}, {}],
        replies=["What phone number can we reach you on, please?"],
    )
    assert runner.calls == []
    assert result.recorder.messages("assistant") == [
        "What phone number can we reach you on?", "What phone number can we reach you on?"]


def test_values_code_reads_by_shape_are_not_asked_of_the_model() -> None:
    """A missing name or number is asked for at once: the model's reading of it took seconds of
    silence and must be found in the caller's words by code anyway."""
    llm = FakeLLM(["You're all booked."], json_replies=[{"name": "Dana Kim", "phone": "5550134"}])
    runner = ScriptedRunner(book_appointment={"booked": True})
    result = run_call(turns(1), assistant=ASSISTANT,
                      engines=fake_engines(llm=llm, stt=FakeSTT(["I'd like to book an appointment for Friday at 3"])),
                      tool_runner=runner, max_seconds=13)
    assert runner.calls == []
    assert result.recorder.messages("assistant") == ["May I have your name, please?"]
    assert not [r for r in llm.requests if "schema" in r]


VISIT = {
    "type": "function", "name": "schedule_visit", "description": "Schedule a vet visit.",
    "parameters": {"type": "object", "required": ["date", "time", "owner_name", "pet_name"], "properties": {
        "date": {"type": "string", "format": "date"}, "time": {"type": "string", "format": "time"},
        "owner_name": {"type": "string"}, "pet_name": {"type": "string"}}},
}


def test_a_pets_name_is_asked_for_as_the_pets_not_the_callers() -> None:
    runner = ScriptedRunner(schedule_visit={"booked": True})
    assistant = {**ASSISTANT, "system_prompt": "You book visits for Oak Vet.",
                 "llm_config": {"tools": [VISIT, {"type": "end_call"}]}}
    said = ["I'd like to bring my dog in on Friday at 3. I'm Ana Lopez.", "biscuit.", "It's Biscuit."]
    llm = FakeLLM(["Done."], json_replies=[{"intent": "schedule visit"}, {}, {}, {}])
    result = run_call(turns(len(said)), assistant=assistant, engines=fake_engines(llm=llm, stt=FakeSTT(said)),
                      tool_runner=runner, max_seconds=8.0 * len(said) + 5)
    assert result.recorder.messages("assistant")[:2] == [
        "What is your pet's name?", "Sorry, I didn't catch that name. What is your pet's name?"]
    assert runner.calls == [("schedule_visit", {"date": "2025-06-06", "time": "15:00", "owner_name": "Ana Lopez",
                                                "pet_name": "Biscuit"})]


def test_a_caller_who_lets_go_of_a_booking_is_not_asked_for_it_again() -> None:
    result, runner = converse(
        ["I'd like to book an appointment for Friday at 3", "Actually never mind, I'll call back later.",
         "Where are you located?"],
        [{"intent": "book appointment"}, {}, {}, {}],
    )
    assert runner.calls == []
    assert result.recorder.messages("assistant")[:3] == [
        "May I have your name, please?", "No problem. Is there anything else I can help you with?",
        "We are at 12 Main Street."]


def test_never_mind_with_a_new_value_is_a_correction() -> None:
    result, runner = converse(
        ["I'd like to book an appointment for Friday at 3", "Never mind Friday, make it Thursday.",
         "Ana Lopez, 555 0134"],
        [{"intent": "book appointment"}, {}, {}, {}],
    )
    assert runner.calls == [("book_appointment", {"date": "2025-06-05", "time": "15:00", "name": "Ana Lopez",
                                                  "phone": "5550134"})]


def test_a_question_asked_while_letting_go_of_a_booking_is_answered() -> None:
    result, runner = converse(
        ["I'd like to book an appointment for Friday at 3", "Forget it. Where are you located?", "Thanks, bye."],
        [{"intent": "book appointment"}, {}, {}, {}],
    )
    assert runner.calls == []
    assert result.recorder.messages("assistant")[:2] == ["May I have your name, please?", "We are at 12 Main Street."]


def test_an_answer_to_another_question_is_no_name_heard_wrong() -> None:
    result, runner = converse(
        ["Book me in for Friday please", "eight thirty.", "Ana Lopez", "555 0134"],
        [{"intent": "book appointment"}, {}, {}, {}, {}],
    )
    assert result.recorder.messages("assistant")[:3] == [
        "At what time?", "May I have your name, please?", "What phone number can we reach you on?"]
    assert runner.calls == [("book_appointment", {"date": "2025-06-06", "time": "08:30", "name": "Ana Lopez",
                                                  "phone": "5550134"})]


@pytest.mark.parametrize(("answer", "at"), [("Nine.", "09:00"), ("Ten would be great.", "10:00"),
                                            ("Let's say two.", "14:00"), ("Uh, maybe seven in the evening?", "19:00")])
def test_an_hour_said_alone_answers_at_what_time(answer: str, at: str) -> None:
    result, runner = converse(["Book me in for Friday please", answer, "Ana Lopez", "555 0134"],
                              [{"intent": "book appointment"}, {}, {}, {}, {}])
    assert result.recorder.messages("assistant")[:2] == ["At what time?", "May I have your name, please?"]
    assert runner.calls == [("book_appointment", {"date": "2025-06-06", "time": at, "name": "Ana Lopez",
                                                  "phone": "5550134"})]


def test_a_count_is_no_answer_to_at_what_time() -> None:
    result, runner = converse(["Book me in for Friday please", "We're 4 people."], [{"intent": "book appointment"},
                                                                                   {}, {}])
    assert runner.calls == []
    assert all("time" not in c["arguments"] for c in result.recorder.of("tool_call"))


CHECK = {"type": "function", "name": "check_availability", "description": "Check free slots on a day.",
         "parameters": {"type": "object", "required": ["date"], "properties": {
             "date": {"type": "string", "format": "date"}, "time": {"type": "string", "format": "time"}}}}


def test_what_about_a_day_at_a_time_is_looked_up_however_it_opens() -> None:
    runner = ScriptedRunner(check_availability={"available": True})
    assistant = {**ASSISTANT, "system_prompt": "You book visits for Oak Dental.",
                 "llm_config": {"tools": [CHECK, BOOK, {"type": "end_call"}]}}
    said = ["Okay then, so what about Friday at nine?"]
    llm = FakeLLM(["No idea."], json_replies=[{}])
    run_call(turns(len(said)), assistant=assistant, engines=fake_engines(llm=llm, stt=FakeSTT(said)),
             tool_runner=runner, max_seconds=8.0 * len(said) + 5)
    assert runner.calls == [("check_availability", {"date": "2025-06-06", "time": "09:00"})]


@pytest.mark.parametrize("again", ["Sorry, could you repeat that?", "Pardon?", "Sorry?", "What was that?"])
def test_a_caller_who_did_not_hear_the_question_hears_it_again(again: str) -> None:
    result, runner = converse(["I'd like to book an appointment for Friday at 3", again, "Ana Lopez", "555 0134"],
                              [{"intent": "book appointment"}, {}, {}, {}, {}])
    assert result.recorder.messages("assistant")[:3] == [
        "May I have your name, please?", "May I have your name, please?", "What phone number can we reach you on?"]
    assert runner.calls == [("book_appointment", {"date": "2025-06-06", "time": "15:00", "name": "Ana Lopez",
                                                  "phone": "5550134"})]


@pytest.mark.parametrize("ack", ["Cool.", "Perfect.", "Great!"])
def test_an_acknowledgement_is_no_name(ack: str) -> None:
    result, runner = converse(["I'd like to book an appointment for Friday at 3", ack], [{"intent": "book appointment"},
                                                                                          {}, {}])
    assert runner.calls == []
    assert all("name" not in c["arguments"] for c in result.recorder.of("tool_call"))


def test_a_time_outside_the_days_hours_is_asked_again_with_the_hours() -> None:
    runner = ScriptedRunner(check_availability={"available": True}, book_appointment={"booked": True})
    assistant = {**ASSISTANT, "system_prompt": "You book visits for Oak Dental. Hours: Monday to Friday 8 am to 5 pm, "
                                               "Saturday 9 am to 12 pm.",
                 "llm_config": {"tools": [CHECK, BOOK, {"type": "end_call"}]}}
    said = ["Book me for Saturday at 2.", "Ten.", "Jane Austen, 555 123 4567."]
    llm = FakeLLM(["No idea."], json_replies=[{}] * 5)
    result = run_call(turns(len(said)), assistant=assistant, engines=fake_engines(llm=llm, stt=FakeSTT(said)),
                      tool_runner=runner, max_seconds=8.0 * len(said) + 5)
    assert result.recorder.messages("assistant")[0] == (
        "I'm sorry, that's outside our hours. On Saturday we're open from 9 am to 12 pm. What time would suit you?")
    assert runner.calls == [("check_availability", {"date": "2025-06-07", "time": "10:00"}),
                            ("book_appointment", {"date": "2025-06-07", "time": "10:00", "name": "Jane Austen",
                                                  "phone": "5551234567"})]


def test_a_part_of_the_day_or_an_okay_in_answer_to_a_question_gets_a_question() -> None:
    result, runner = converse(["Book me in for Friday please", "The morning.", "Nine.", "Ana Lopez", "Uh-huh.",
                               "555 0134"], [{"intent": "book appointment"}] + [{}] * 6)
    assert result.recorder.messages("assistant")[:5] == [
        "At what time?", "What time in the morning?", "May I have your name, please?",
        "What phone number can we reach you on?", "What phone number can we reach you on?"]
    assert runner.calls == [("book_appointment", {"date": "2025-06-06", "time": "09:00", "name": "Ana Lopez",
                                                  "phone": "5550134"})]


def test_a_number_begun_in_one_turn_and_finished_in_the_next_is_one_number() -> None:
    # the caller paused after the first group, and the pause ended the turn
    result, runner = converse(["Book me in for Friday at 3, it's Ana Lopez", "Sure, 555.", "2 9 1 4 4 0 8"],
                              [{"intent": "book appointment"}] + [{}] * 4, agent_phone="+15550100")
    assert runner.calls == [("book_appointment", {"date": "2025-06-06", "time": "15:00", "name": "Ana Lopez",
                                                  "phone": "5552914408"})]


def test_a_time_the_turn_before_ended_on_is_no_part_of_the_phone_number() -> None:
    result, runner = converse(["Book me in for Friday, it's Ana Lopez", "Around 930.", "555 0134"],
                              [{"intent": "book appointment"}] + [{}] * 4, agent_phone="+15550100")
    assert runner.calls == [("book_appointment", {"date": "2025-06-06", "time": "09:30", "name": "Ana Lopez",
                                                  "phone": "5550134"})]
