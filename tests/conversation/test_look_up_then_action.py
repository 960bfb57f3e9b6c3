"""After a look-up, the caller takes up its action without naming it: "Okay, three then." picks an
offered time, and a name and number given next book it. Nothing is booked on a value nobody gave."""

from __future__ import annotations

from typing import Any

from tests.conversation.harness import run_call
from tests.conversation.test_slot_filling import BOOK, turns
from tests.conversation.test_tools import ScriptedRunner
from voicedock.engines.fakes import FakeLLM, FakeSTT
from voicedock.engines.loader import fake_engines

CHECK = {
    "type": "function", "name": "check_availability", "description": "Check free appointment times on a day.",
    "parameters": {"type": "object", "required": ["date"], "properties": {
        "date": {"type": "string", "format": "date"}, "time": {"type": "string", "format": "time"}}},
}
CANCEL = {
    "type": "function", "name": "cancel_appointment", "description": "Cancel an appointment.",
    "parameters": {"type": "object", "required": ["date", "name"], "properties": {
        "date": {"type": "string", "format": "date"}, "name": {"type": "string"}}},
}
ASSISTANT = {"system_prompt": "You are the receptionist of Bright Smile Dental.", "first_message": None,
             "llm_config": {"tools": [CHECK, BOOK, CANCEL, {"type": "end_call"}]}}


def converse(said: list[str], checked: dict[str, Any] | None = None) -> Any:
    runner = ScriptedRunner(check_availability=checked or {"available": False, "slots": ["15:00", "16:00"]},
                            book_appointment={"booked": True, "reference": "BK-7"},
                            cancel_appointment={"cancelled": True})
    llm = FakeLLM(["Two thirty is taken; three or four o'clock are free."])  # never asked for a value
    result = run_call(turns(len(said)), assistant=ASSISTANT, engines=fake_engines(llm=llm, stt=FakeSTT(said)),
                      tool_runner=runner, max_seconds=8.0 * len(said) + 5)
    return result, runner


def test_an_offered_time_picked_by_its_hour_is_booked_once_name_and_number_are_given() -> None:
    result, runner = converse([
        "Is there an opening on Friday around two thirty?",
        "Okay, three then.",
        "Lena Fischer. And my number's five five five, four four one, double seven, zero nine.",
    ])
    assert runner.calls == [
        ("check_availability", {"date": "2025-06-06", "time": "14:30"}),
        ("book_appointment", {"date": "2025-06-06", "time": "15:00", "name": "Lena Fischer", "phone": "5554417709"}),
    ]
    assert result.recorder.messages("assistant")[1] == "May I have your name, please?"
    booked = result.recorder.of("tool_call")[-1]
    assert booked["sources"]["time"] == {"from": "tool_result", "turn": 2, "said": "Okay, three then."}
    assert booked["sources"]["date"]["turn"] == 1


def test_the_time_asked_stays_when_the_look_up_found_it_free_and_listed_others_too() -> None:
    result, runner = converse(["Is there an opening on Friday at two thirty?",
                               "Lena Fischer, five five five, four four one, double seven, zero nine."],
                              checked={"available": True, "slots": ["15:00", "16:00"]})  # other free times too
    assert runner.calls[-1] == ("book_appointment", {"date": "2025-06-06", "time": "14:30", "name": "Lena Fischer",
                                                     "phone": "5554417709"})


def test_an_hour_that_was_not_offered_is_not_taken_and_the_time_is_asked_for() -> None:
    result, runner = converse(["Is there an opening on Friday around two thirty?", "Hmm, five maybe.",
                               "My name is Lena Fischer, 555 441 7709."])
    assert [name for name, _ in runner.calls] == ["check_availability"]  # not the 2:30 that was taken
    asked = result.recorder.of("tool_call")[-1]
    assert asked["name"] == "book_appointment" and asked["status"] == "needs_arguments"
    assert asked["missing"] == ["time"] and result.recorder.messages("assistant")[-1] == "At what time?"


def test_a_question_after_the_look_up_is_not_an_order() -> None:
    _, runner = converse(["Is there an opening on Friday around two thirty?", "Is three better than four?",
                          "Thanks, I'll think about it."])
    assert [name for name, _ in runner.calls] == ["check_availability"]


def test_a_longer_question_right_after_a_look_up_with_new_values_looks_up_again() -> None:
    _, runner = converse(["Is there an opening on Friday around two thirty?",
                          "Hmm, that's a bit early for me, sorry. What about Monday, three in the afternoon?"])
    assert runner.calls == [("check_availability", {"date": "2025-06-06", "time": "14:30"}),
                            ("check_availability", {"date": "2025-06-09", "time": "15:00"})]


def test_paying_by_check_runs_no_availability_check() -> None:
    _, runner = converse(["Is there an opening on Friday around two thirty?", "Can I pay that with a check?"])
    assert [name for name, _ in runner.calls] == ["check_availability"]


def test_a_statement_that_names_a_business_word_can_still_ask_for_an_action() -> None:
    """ "I put the wrong address on my order" mentions an address, as questions about the business
    do, but asks for the address to be changed; the new address given next changes it."""
    change = {"type": "function", "name": "change_address", "description": "Send a parcel to a different address.",
              "parameters": {"type": "object", "required": ["tracking_number", "address"], "properties": {
                  "tracking_number": {"type": "string"}, "address": {"type": "string"}}}}
    runner = ScriptedRunner(change_address={"changed": True})
    said = ["Hi, I think I put the wrong address on my order. The tracking number is SD 3159 0826.",
            "It should go to 48 Willow Creek Drive, unit 2B."]
    run_call(turns(len(said)), assistant={"system_prompt": "You are the assistant of SwiftDrop.", "first_message": None,
                                          "llm_config": {"tools": [change]}},
             engines=fake_engines(llm=FakeLLM(["Done."]), stt=FakeSTT(said)), tool_runner=runner, max_seconds=25)
    assert runner.calls == [("change_address", {"tracking_number": "SD31590826",
                                                "address": "48 Willow Creek Drive, unit 2B"})]


CHECK_TABLE = {"type": "function", "name": "check_table", "description": "Check for a free table.",
               "parameters": {"type": "object", "required": ["date", "time", "party_size"], "properties": {
                   "date": {"type": "string", "format": "date"}, "time": {"type": "string", "format": "time"},
                   "party_size": {"type": "integer"}}}}
RESERVE = {"type": "function", "name": "reserve_table", "description": "Reserve a table.",
           "parameters": {"type": "object", "required": ["date", "time", "party_size", "name", "phone"],
                          "properties": {**CHECK_TABLE["parameters"]["properties"], "name": {"type": "string"},
                                         "phone": {"type": "string"}}}}


def test_a_table_asked_for_before_a_name_is_checked_first_then_reserved_on_the_name() -> None:
    runner = ScriptedRunner(check_table={"available": True}, reserve_table={"reserved": True})
    said = ["Hi, table for two tonight at eight thirty?", "Perfect, put it under Ingrid Larsen.",
            "Five five five, oh one three four."]
    run_call(turns(len(said)), assistant={"system_prompt": "You are the host of Osteria Lucia.", "first_message": None,
                                          "llm_config": {"tools": [CHECK_TABLE, RESERVE]}},
             engines=fake_engines(llm=FakeLLM(["We have a table."]), stt=FakeSTT(said)), tool_runner=runner,
             max_seconds=30)
    assert runner.calls == [
        ("check_table", {"date": "2025-06-03", "time": "20:30", "party_size": 2}),
        ("reserve_table", {"date": "2025-06-03", "time": "20:30", "party_size": 2, "name": "Ingrid Larsen",
                           "phone": "5550134"}),
    ]


def test_asking_to_book_after_the_check_asks_for_the_name_not_for_the_check_again() -> None:
    runner = ScriptedRunner(check_table={"available": True}, reserve_table={"reserved": True})
    said = ["Hi, table for two tonight at eight thirty?", "Great, book it please.", "Ingrid Larsen.",
            "Five five five, oh one three four."]
    result = run_call(turns(len(said)), assistant={"system_prompt": "You are the host of Osteria Lucia.",
                                                   "first_message": None,
                                                   "llm_config": {"tools": [CHECK_TABLE, RESERVE]}},
                      engines=fake_engines(llm=FakeLLM(["We have a table."]), stt=FakeSTT(said)), tool_runner=runner,
                      max_seconds=40)
    assert [name for name, _ in runner.calls] == ["check_table", "reserve_table"]
    assert "May I have your name, please?" in result.recorder.messages("assistant")


def test_a_name_said_before_the_look_up_goes_to_the_action_taken_up_after_it() -> None:
    result, runner = converse([
        "Is there an opening on Friday around three? It's for Lena Fischer.",
        "Okay, three then.",
        "My number's five five five, four four one, double seven, zero nine.",
    ])
    assert runner.calls == [
        ("check_availability", {"date": "2025-06-06", "time": "15:00"}),
        ("book_appointment", {"date": "2025-06-06", "time": "15:00", "name": "Lena Fischer", "phone": "5554417709"}),
    ]
    booked = result.recorder.of("tool_call")[-1]
    assert booked["sources"]["name"]["turn"] == 1
    assert result.recorder.messages("assistant")[1] == "What phone number can we reach you on?"


def test_a_new_day_and_time_after_a_cancellation_is_no_correction_of_the_day_cancelled() -> None:
    _, runner = converse(["Hi, this is Walter Nguyen. I need to cancel my appointment on Monday.",
                          "Could I do Wednesday instead, at ten?"])
    assert [name for name, _ in runner.calls].count("cancel_appointment") == 1  # Wednesday is not cancelled
    assert runner.calls[0] == ("cancel_appointment", {"date": "2025-06-09", "name": "Walter Nguyen"})


def test_a_correction_of_the_day_alone_cancels_the_day_meant() -> None:
    _, runner = converse(["Hi, this is Walter Nguyen. I need to cancel my appointment on Monday.",
                          "Oh no wait, I meant Tuesday."])
    assert [args["date"] for name, args in runner.calls if name == "cancel_appointment"] == ["2025-06-09", "2025-06-10"]


def test_a_time_name_and_number_after_a_look_up_book_though_a_name_could_cancel_too() -> None:
    _, runner = converse([
        "Can you get me in on Friday, as early as you can?",
        "Three o'clock. Name's Abdi Warsame, and you can reach me at, hang on, five five five, two oh seven, "
        "four four one nine.",
    ])
    assert runner.calls == [
        ("check_availability", {"date": "2025-06-06"}),
        ("book_appointment", {"date": "2025-06-06", "time": "15:00", "name": "Abdi Warsame", "phone": "5552074419"}),
    ]


def test_another_day_said_with_instead_after_a_cancellation_cancels_nothing_more() -> None:
    _, runner = converse([
        "I need to cancel the appointment on Friday under Tom Ferreira.",
        "He'll probably just walk in on Saturday instead.",
    ])
    assert runner.calls == [("cancel_appointment", {"date": "2025-06-06", "name": "Tom Ferreira"})]


class FullThenBooked(ScriptedRunner):
    """The first booking finds the time taken and offers others; the next is booked."""

    async def __call__(self, info: Any, tool: Any, call_id: str, arguments: Any, sources: Any = None) -> Any:
        await super().__call__(info, tool, call_id, arguments, sources)
        booked = sum(name == "book_appointment" for name, _ in self.calls)
        return {"booked": False, "alternatives": ["18:45", "21:00"]} if booked == 1 else {"booked": True}


def test_one_of_the_times_a_refused_booking_offered_is_booked_when_picked() -> None:
    runner = FullThenBooked()
    said = ["Hi, it's Priyanka Rao, five five five, eight eight oh, one two three four. I'd like to book Friday "
            "at 8 pm.",
            "Ugh, of course. The earlier one, then.", "And would the later one have worked too?"]
    run_call(turns(len(said)), assistant=ASSISTANT, engines=fake_engines(llm=FakeLLM(["Sure."]), stt=FakeSTT(said)),
             tool_runner=runner, max_seconds=8.0 * len(said) + 5)
    assert [args["time"] for name, args in runner.calls if name == "book_appointment"] == ["20:00", "18:45"]


def test_no_time_is_looked_for_on_a_day_the_instructions_say_is_closed() -> None:
    runner = ScriptedRunner(check_availability={"available": True, "slots": ["10:00"]})
    closed_sunday = {**ASSISTANT, "system_prompt": ASSISTANT["system_prompt"]
                     + "\n- Opening hours: Monday to Saturday 8:00 to 17:00; closed on Sunday."}
    said = ["Hi, is there anything free this Sunday?", "Okay, what about Monday?"]
    result = run_call(turns(2), assistant=closed_sunday, engines=fake_engines(llm=FakeLLM(["Monday works."]),
                      stt=FakeSTT(said)), tool_runner=runner, max_seconds=21.0)
    assert runner.calls == [("check_availability", {"date": "2025-06-09"})]  # Monday only
    closed = result.recorder.of("tool_call")[0]
    assert closed["status"] == "closed" and closed["arguments"] == {"date": "2025-06-08"}
    assert result.recorder.messages("assistant")[0] == "I'm sorry, we're closed on Sunday."


def test_a_booking_on_a_closed_day_hears_so_before_any_value_is_asked_for() -> None:
    runner = ScriptedRunner(book_appointment={"booked": True})
    closed_sunday = {**ASSISTANT, "system_prompt": ASSISTANT["system_prompt"]
                     + "\n- Opening hours: Monday to Saturday 8:00 to 17:00; closed on Sunday.",
                     "llm_config": {"tools": [BOOK, {"type": "end_call"}]}}  # no look-up to run first
    result = run_call(turns(1), assistant=closed_sunday,
                      engines=fake_engines(llm=FakeLLM(["Sure."]), stt=FakeSTT(["I'd like to book an appointment "
                                                                                "this Sunday, please."])),
                      tool_runner=runner, max_seconds=13.0)
    assert runner.calls == []
    assert result.recorder.messages("assistant") == ["I'm sorry, we're closed on Sunday."]  # not "At what time?"
