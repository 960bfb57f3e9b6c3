"""Tool values come from the call: the caller's words, the resolver, tool results; never the model alone."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.conversation.harness import FIXED_NOW
from voicedock.conversation.cues import asks_for, builtin_cue, is_chatter
from voicedock.conversation.digits import spoken_digits
from voicedock.conversation.grounding import (
    Said,
    answer_for,
    ground_arguments,
    ground_value,
    name_not_caught,
    question_for,
)
from voicedock.conversation.tools import ToolSpec, normalise_tools

NOW = datetime(2026, 3, 4, 10, 15, tzinfo=ZoneInfo("America/New_York"))  # a Wednesday
BOOK = {
    "type": "object",
    "properties": {"date": {"type": "string", "format": "date"}, "time": {"type": "string", "format": "time"},
                   "name": {"type": "string"}, "phone": {"type": "string"}, "party_size": {"type": "integer"},
                   "priority": {"enum": ["low", "normal", "urgent"]}},
    "required": ["date", "time", "name", "phone"],
}
TOOLS = normalise_tools([
    {"type": "function", "name": "book_appointment", "parameters": BOOK},
    {"type": "function", "name": "check_availability", "parameters": {"type": "object", "properties": {
        "date": {"type": "string", "format": "date"}}}},
    {"type": "function", "name": "track_parcel", "parameters": {"type": "object", "properties": {
        "tracking_number": {"type": "string"}}}},
    {"type": "end_call"},
    {"type": "transfer_call", "destinations": [
        {"type": "number", "number": "+15550199", "description": "the manager"},
        {"type": "number", "number": "+15550100", "description": "billing questions"}]},
])
BOOK_SPEC, CHECK_SPEC, TRACK_SPEC = TOOLS[0], TOOLS[1], TOOLS[2]


def caller(*turns: str) -> list[Said]:
    """Caller turns, oldest first, as the session keeps them; returned newest first."""
    return list(reversed([Said(t, "caller", i) for i, t in enumerate(turns, 1)]))


def test_the_models_invented_name_and_phone_are_dropped() -> None:
    got = ground_arguments(BOOK, {"name": "John Doe", "phone": "123-456-7890", "date": "2026-03-05"},
                           caller("Hello?"), NOW)
    assert got == {}


def test_values_the_caller_said_are_kept_with_where_they_came_from() -> None:
    sources = caller("I'd like to book for this Friday at half past two",
                     "It's Ana Lopez, five five five, oh one three four")
    got = ground_arguments(BOOK, {"name": "Ana Lopez", "phone": "555-0134", "date": "2026-03-05", "time": "2pm"},
                           sources, NOW)
    assert {k: v.value for k, v in got.items()} == {
        "date": "2026-03-06", "time": "14:30", "name": "Ana Lopez", "phone": "5550134"}
    assert got["date"].source == "resolver" and got["date"].turn == 1
    assert got["name"].source == "caller" and got["name"].turn == 2


def test_a_day_the_caller_rules_out_is_never_the_value() -> None:
    got = ground_arguments(BOOK, {}, caller("I won't be home Thursday, can you come another day?"), NOW)
    assert "date" not in got  # so the session asks for the day
    got = ground_arguments(BOOK, {}, caller("Not Thursday, Friday at ten"), NOW)
    assert got["date"].value == "2026-03-06" and got["time"].value == "10:00"
    got = ground_arguments(BOOK, {}, caller("Isn't there anything on Friday?"), NOW)
    assert got["date"].value == "2026-03-06"


def test_a_correction_replaces_the_older_value() -> None:
    got = ground_arguments(BOOK, {}, caller("Book me Friday at 3", "No, Thursday"), NOW)
    assert got["date"].value == "2026-03-05" and got["time"].value == "15:00"


def test_numbers_and_enums_must_be_said() -> None:
    got = ground_arguments(BOOK, {"party_size": 4, "priority": "urgent"}, caller("A table for four please"), NOW)
    assert got["party_size"].value == 4 and "priority" not in got
    got = ground_arguments(BOOK, {"party_size": 6, "priority": "low"}, caller("It's really urgent, for two"), NOW)
    assert "party_size" not in got and got["priority"].value == "urgent"


def test_a_tool_result_is_a_source_too() -> None:
    spec_params = TRACK_SPEC.parameters
    sources = [Said("tracking_number ZX49K2 status shipped", "tool_result"), *caller("Where is my parcel?")]
    got = ground_arguments(spec_params, {"tracking_number": "ZX49K2"}, sources, NOW)
    assert got["tracking_number"].source == "tool_result"
    assert ground_arguments(spec_params, {"tracking_number": "AB1234"}, caller("Where is my parcel?"), NOW) == {}


def test_identifiers_said_in_words_match() -> None:
    got = ground_arguments(TRACK_SPEC.parameters, {"tracking_number": "ZX4912"},
                           caller("it's Z X four nine one two"), NOW)
    assert got["tracking_number"].value == "ZX4912"


def test_a_prefix_and_its_digits_said_apart_ground_the_number_but_not_digits_nobody_said() -> None:
    # Whisper wrote "no wait, sorry," as "Sorry," through a real call: the digits after it are the number
    said = caller("It's INC-4110. Sorry, 4-1-1-0-6.")
    got = ground_arguments(TRACK_SPEC.parameters, {"tracking_number": "INC41106"}, said, NOW)
    assert got["tracking_number"].value == "INC41106"
    assert "tracking_number" not in ground_arguments(TRACK_SPEC.parameters, {"tracking_number": "INC41107"}, said, NOW)


@pytest.mark.parametrize(("text", "digits"), [
    ("five five five, oh one three four", "5550134"), ("555 0134", "5550134"),
    ("double four seven one", "4471"), ("twenty one", "21")])
def test_spoken_digits(text: str, digits: str) -> None:
    assert spoken_digits(text) == digits


def test_a_short_answer_to_the_question_is_the_value() -> None:
    said = Said("It's Ana Lopez.", "caller", 3)
    assert answer_for("name", {"type": "string"}, said).value == "Ana Lopez"  # type: ignore[union-attr]
    assert answer_for("name", {"type": "string"}, Said("Yes please", "caller", 3)) is None
    assert answer_for("phone", {"type": "string"}, Said("five five five oh one three four", "caller", 2)).value \
        == "5550134"  # type: ignore[union-attr]


@pytest.mark.parametrize("heard", ["Man's Priya shop.", "it's ana lopez"])
def test_an_answer_not_written_as_a_name_is_no_name_and_is_said_not_caught(heard: str) -> None:
    # "Name's Priya Shah." heard through a phone line: booked under "Man's Priya shop" before
    assert answer_for("name", {"type": "string"}, Said(heard, "caller", 3)) is None
    assert name_not_caught(heard)
    assert not name_not_caught("Ana Lopez.") and not name_not_caught("Ludwig van Beethoven")
    assert not name_not_caught("What do you need it for?")  # no answer in a name's shape at all


def test_questions_are_fixed_words() -> None:
    assert question_for("name", {"type": "string"}) == "May I have your name, please?"
    assert question_for("date", {"type": "string", "format": "date"}) == "For which day?"
    assert question_for("priority", {"enum": ["low", "normal", "urgent"]}) == "Which would it be: low, normal or urgent?"


@pytest.mark.parametrize("text", ["Hello?", "hi there", "Okay.", "uh-huh", "Thank you so much!", "Yes.",
                                  "Are you there?", "Hi, is anybody there?", "How are you doing today?"])
def test_chatter_needs_no_tool(text: str) -> None:
    assert is_chatter(text)


@pytest.mark.parametrize("text", ["Is Friday free?", "Book me Friday", "What are your hours?"])
def test_requests_are_not_chatter(text: str) -> None:
    assert not is_chatter(text)


def test_the_callers_words_end_or_transfer_the_call() -> None:
    cue = builtin_cue("I want to speak to the manager", TOOLS)
    assert cue is not None and cue.spec.kind == "transfer_call" and cue.destination == "+15550199"
    cue = builtin_cue("Can I talk to someone about billing?", TOOLS)
    assert cue is not None and cue.destination == "+15550100"
    end = builtin_cue("No, that's all, thanks. Bye!", TOOLS)
    assert end is not None and end.spec.kind == "end_call"
    assert builtin_cue("Bye, oh wait, can I book for Friday?", TOOLS) is None
    assert builtin_cue("I don't want to talk to a person", TOOLS) is None
    assert builtin_cue("I'd like a table for Friday night.", TOOLS) is None  # a night, no goodbye
    cue = builtin_cue("My plan changed. Is there someone I can talk to about that?", TOOLS)
    assert cue is not None and cue.spec.kind == "transfer_call"
    cue = builtin_cue("Okay, can you connect me to whoever handles that?", TOOLS)
    assert cue is not None and cue.spec.kind == "transfer_call"


NURSE = normalise_tools([{"type": "transfer_call", "destinations": [
    {"type": "number", "number": "+19705550142", "description": "the vet nurse on duty"}]}])


@pytest.mark.parametrize(("text", "transfers"), [
    ("My cat keeps throwing the pills up. Is there a nurse I could talk to?", True),
    ("Should I give him Benadryl? Actually, can I just talk to the nurse real quick?", True),
    ("Can you put me onto someone who can take it off the books?", True),
    ("The nurse said I should call back.", False),
    ("I don't want to talk to the nurse.", False),
    ("Yeah, um, can I speak with Dr. Rivera?", True),  # one of the staff by name: the only destination
    ("Could I talk to the dentist, please?", True),
    ("Will I be speaking with the dentist during the visit?", False),
])
def test_asking_for_whom_a_destination_names_transfers(text: str, transfers: bool) -> None:
    cue = builtin_cue(text, NURSE)
    assert (cue is not None and cue.destination == "+19705550142") is transfers


@pytest.mark.parametrize("text", ["Perfect, see you Saturday!", "Great, see you then!", "Thanks, take care!",
                                  "No worries. Night!", "Thanks, goodnight!"])
def test_a_farewell_that_ends_on_punctuation_ends_the_call(text: str) -> None:
    end = builtin_cue(text, TOOLS)
    assert end is not None and end.spec.kind == "end_call"


def test_an_action_runs_only_when_asked_for_but_a_look_up_on_a_value() -> None:
    assert asks_for(BOOK_SPEC, "I'd like to book a cleaning")
    ticket = ToolSpec("create_ticket", "function", "Open a support ticket.")
    assert asks_for(ticket, "My Outlook keeps asking for my password. Can you log that?")
    assert not asks_for(ticket, "Can you tell me the status of my ticket?")
    assert asks_for(BOOK_SPEC, "Can I make an appointment for Friday?")
    assert not asks_for(BOOK_SPEC, "Is Friday morning free?")
    assert not asks_for(BOOK_SPEC, "Do you accept new patients?")
    assert asks_for(CHECK_SPEC, "Is Friday morning free?")
    assert not asks_for(CHECK_SPEC, "What are your opening hours on Saturday?")
    assert asks_for(CHECK_SPEC, "Do you have anything tomorrow around noon?")


@pytest.mark.parametrize("text", ["Can I pay that with a check?", "Do you take checks?", "Can I pay by check?",
                                  "I gotta check with my boss first, I'll call you back.",
                                  "Let me check my calendar and call you back."])
def test_a_cheque_or_checking_with_someone_else_is_no_availability_check(text: str) -> None:
    assert not asks_for(CHECK_SPEC, text)


def test_a_number_read_out_is_no_count_and_a_corrected_one_is_taken_as_corrected() -> None:
    from voicedock.conversation.digits import corrected_digits
    from voicedock.conversation.grounding import ground_value

    said = [Said("Phone is five five five, four oh four, two two one nine.", "caller", 2)]
    # the model's "1" for the party size is nowhere in the call: the 1 of a phone number is not a count
    assert ground_value("party_size", {"type": "integer"}, 1, said, FIXED_NOW) is None
    assert ground_value("party_size", {"type": "integer"}, 4, [Said("A table for four.", "caller", 1)],
                        FIXED_NOW).value == 4  # type: ignore[union-attr]
    fixed = "It's five five five, six oh two, nine nine one... no wait, nine one one nine, sorry."
    assert corrected_digits(fixed) == "5556029119"
    assert corrected_digits("INC four one, one oh... no wait, sorry, four one one zero six") == "41106"
    assert ground_value("phone", {"type": "string"}, "5556029119", [Said(fixed, "caller", 3)],
                        FIXED_NOW) is not None


def test_a_look_up_is_asked_for_in_the_words_of_its_description() -> None:
    order = ToolSpec("check_order", "function", "Look up the status of an order.")
    assert asks_for(order, "What is the status of order 4 7 1 1?")
    assert not asks_for(order, "I'd like to order a pizza")


def test_a_look_up_named_for_free_slots_is_asked_for_as_a_check_but_not_by_a_check_up() -> None:
    slots = ToolSpec("find_free_slots", "function", "Look up the open visit times on a given day.")
    assert asks_for(slots, "I'd like to get my dog in. Do you have anything on Thursday?")
    assert not asks_for(slots, "How much is a regular checkup, by the way?")
    assert not asks_for(CHECK_SPEC, "How much is a check-up?")


def test_the_model_cannot_give_the_callers_name_from_a_pets_or_a_phones_time_digits() -> None:
    owner = {"type": "string"}
    pet = [Said("Ten fifteen is good. Her name's Clover.", "caller", 2)]
    assert ground_value("owner_name", owner, "Clover", pet, FIXED_NOW) is None
    assert ground_value("pet_name", owner, "Clover", pet, FIXED_NOW) is not None
    me = [Said("My name is Dana Whitfield.", "caller", 1)]
    assert ground_value("pet_name", owner, "Dana Whitfield", me, FIXED_NOW) is None
    # "at eight, for two" after the number: 555880123482 is no number the caller gave
    said = [Said("Five five five, eight eight oh, one two three four. A table at eight, for two.", "caller", 1)]
    assert ground_value("phone", owner, "555880123482", said, FIXED_NOW) is None
    assert ground_value("phone", owner, "5558801234", said, FIXED_NOW).value == "5558801234"  # type: ignore[union-attr]


def test_a_question_the_instructions_never_mention_gets_the_honest_answer() -> None:
    from voicedock.conversation.facts import look_up

    prompt = ("You are the assistant of Osteria Lucia. Address: 88 Canal Street. Parking: the Elm Street garage "
              "is a two-minute walk. The terrace opens in May. Gift cards are sold at the bar.")
    assert not look_up("Do you have live music on weekends?", prompt).answerable
    assert not look_up("Do you allow dogs?", prompt).answerable
    found = look_up("Where can I park?", prompt)
    assert found.answerable and found.lines[0].startswith("Parking")
    assert look_up("What's your address?", prompt).lines[0] == "Address: 88 Canal Street."


def test_a_question_the_instructions_answer_gets_their_own_words() -> None:
    from voicedock.conversation.facts import look_up, spoken_answer

    prompt = ("You are the receptionist of Elm Vet Clinic. You book visits.\n"
              "- Payment: cards and cash; we do not accept checks.\n- Parking: two free spaces at the back.\n"
              "To book you need the pet's name and a date.")
    found = look_up("Can I pay by check?", prompt)
    assert found.answerable and spoken_answer(found.lines) == "Cards and cash; we do not accept checks."
    assert spoken_answer(look_up("Where do I park?", prompt).lines) == "Two free spaces at the back."
    assert not any("you need" in line for line in look_up("What do you need to book?", prompt).lines)


def test_of_a_line_that_lists_several_things_only_what_was_asked_is_said() -> None:
    from voicedock.conversation.facts import look_up, spoken_answer

    prompt = ("You are the host of Osteria Lucia.\n- Menu: the set lunch costs $24; there are vegan dishes; "
              "gluten-free pasta is available for $3 extra; the kids' menu costs $12.\n"
              "- Hours: Tuesday to Sunday 17:00 to 22:00; closed on Monday.")
    question = "Do you have gluten-free pasta?"
    assert spoken_answer(look_up(question, prompt).lines, question) == "Gluten-free pasta is available for $3 extra."
    # a line of two parts is said whole, and so is a list the question names none of the parts of
    question = "Are you open on Monday?"
    assert spoken_answer(look_up(question, prompt).lines, question) == "Tuesday to Sunday 17:00 to 22:00; closed on Monday."
    question = "What's on the menu?"
    assert spoken_answer(look_up(question, prompt).lines, question).startswith("The set lunch costs $24; there are")


def test_the_check_of_a_check_up_is_not_a_way_to_pay() -> None:
    from voicedock.conversation.facts import look_up

    prompt = ("You are the receptionist of Maple Dental.\n- Prices: a check-up costs $95.\n"
              "- Payment: credit cards and cash; we do not accept checks.\n- Guest Wi-Fi: ask at the desk.")
    assert look_up("Can I pay by check?", prompt).lines[0].startswith("Payment")
    assert look_up("How much is a check-up?", prompt).lines[0].startswith("Prices")
    assert look_up("Do you have wifi?", prompt).lines[0].startswith("Guest Wi-Fi")


def test_a_question_in_other_forms_of_the_instructions_words_finds_their_line() -> None:
    from voicedock.conversation.facts import look_up

    prompt = ("You are the receptionist of Elm Vet Clinic.\n- Cancellations: please cancel a day ahead; "
              "late cancellations cost a $20 fee.\n- Parking: two free spaces at the back.")
    found = look_up("Will I be charged for cancelling?", prompt)
    assert found.answerable and found.lines[0].startswith("Cancellations")


def test_a_question_that_refers_back_is_looked_up_with_what_it_refers_to() -> None:
    from voicedock.conversation.facts import look_up

    prompt = ("You are the assistant of SwiftDrop Parcels.\n- Rescheduling: a delivery can be moved to any day "
              "within the next 7 days.\n- Missed deliveries: the parcel goes to our depot at 5 Foundry Lane and "
              "waits there for 10 days.\n- Phone line hours: Monday to Friday 8:00 to 20:00.")
    before = ("I missed a delivery, where do I pick it up?",
              "The parcel goes to our depot at 5 Foundry Lane and waits there for 10 days.")
    assert look_up("How long will they keep it?", prompt).lines[0].startswith("Rescheduling")
    found = look_up("How long will they keep it?", prompt, before)
    assert found.answerable and found.lines[0].startswith("Missed deliveries")
    assert not look_up("Do you sell stamps?", prompt, before).answerable  # no reference: its own topic only


def test_any_where_is_not_a_request_to_track() -> None:
    track = ToolSpec("track_parcel", "function", "Look up where a parcel is.")
    assert asks_for(track, "Where's my parcel?")
    assert asks_for(track, "Can you tell me the whereabouts of my parcel?")
    assert asks_for(track, "Hi, can you tell me where my parcel is? S D nine nine zero one.")
    assert not asks_for(track, "I missed a delivery, where do I pick it up?")


PRIORITY = {"type": "string", "enum": ["low", "normal", "urgent"]}


@pytest.mark.parametrize(("said", "level"), [
    ("Well, it's my only computer, so right now I can't do any work at all.", "urgent"),
    ("The entire third floor just lost the network, nobody's got internet.", "urgent"),
    ("The whole team can't get into the finance system.", "urgent"),
    ("Small thing, I'd like Visio installed whenever someone has a moment. No hurry at all.", "low"),
    ("It's annoying but I can still work on my other screen.", "normal"),
    ("It's normal priority, not urgent.", "normal"),  # named: the name wins
    ("I mean, all my files are on there, so I can't really do anything today.", "urgent"),
    ("So I can't get into anything at all.", "urgent"),
    ("I can still join the meetings, I just can't share, so I've been emailing the slides.", "normal"),
])
def test_a_priority_said_in_other_words_is_the_scales_level(said: str, level: str) -> None:
    found = ground_value("priority", PRIORITY, None, [Said(said, "caller", 2)], FIXED_NOW)
    assert found is not None and found.value == level and found.source == "caller"


def test_no_priority_is_read_from_words_that_say_none_or_from_other_enums() -> None:
    assert ground_value("priority", PRIORITY, "urgent", [Said("My printer is jammed.", "caller", 1)], FIXED_NOW) is None
    colour = {"type": "string", "enum": ["red", "blue"]}
    assert ground_value("colour", colour, None, [Said("I can't do any work at all.", "caller", 1)], FIXED_NOW) is None
    assert ground_value("priority", PRIORITY, None, [Said("No hurry at all.", "tool_result")], FIXED_NOW) is None


def test_cancelling_is_asked_for_even_where_booking_words_are_said_too() -> None:
    from voicedock.conversation.cues import undoes

    cancel = ToolSpec("cancel_appointment", "function", "Cancel an appointment.")
    said = "Hi, this is Ruth Adeyemi. I have to call off my appointment for tomorrow morning."
    assert asks_for(cancel, said) and asks_for(BOOK_SPEC, said) and undoes(cancel) and not undoes(BOOK_SPEC)


@pytest.mark.parametrize("text", ["Is it free?", "Is that open on Sundays?",
                                  "Okay, I have an appointment at nine. Where do I leave the car?"])
def test_words_about_what_was_said_or_an_appointment_one_has_ask_no_look_up(text: str) -> None:
    assert not asks_for(CHECK_SPEC, text)


def test_an_address_without_a_number_is_not_grounded_however_much_of_it_was_said() -> None:
    said = [Said("I want to change the delivery address for a parcel, please.", "caller", 1)]
    prop = {"type": "string"}
    assert ground_value("address", prop, "change the delivery address for a parcel", said, FIXED_NOW) is None
    said = [Said("Send it to 12 Oak Street instead.", "caller", 2)]
    assert ground_value("address", prop, "12 Oak Street", said, FIXED_NOW) is not None


def test_the_day_after_is_the_day_after_the_one_last_talked_about() -> None:
    date = {"type": "string", "format": "date"}
    sources = [Said("Hmm. What about the day after?", "caller", 2), Said("Anything tomorrow around noon?", "caller", 1)]
    found = ground_value("date", date, None, sources, FIXED_NOW)
    assert found is not None and found.value == (FIXED_NOW.date() + timedelta(days=2)).isoformat()
    assert found.turn == 2 and found.source == "resolver"
    after_tomorrow = ground_value("date", date, None, [Said("The day after tomorrow.", "caller", 1)], FIXED_NOW)
    assert after_tomorrow is not None and after_tomorrow.value == (FIXED_NOW.date() + timedelta(days=2)).isoformat()
    assert ground_value("date", date, None, [Said("What about the day after?", "caller", 1)], FIXED_NOW) is None


def test_instructions_written_as_prose_are_read_sentence_by_sentence() -> None:
    """A prompt in sentences rather than "Label:" lines: a title's full stop does not end a
    sentence, a time that ends one is said with one full stop, and what the assistant is told to
    do is not a fact about the business."""
    from voicedock.conversation.facts import instruction_lines, look_up, spoken_answer
    from voicedock.conversation.hours import hours_answer

    prompt = ("You are the friendly receptionist at Bright Smile Dental. Help callers book, check and cancel "
              "appointments, and answer their questions. If a caller asks for a refund, transfer them.\n\n"
              "We are open Monday to Friday from 9 am to 6 pm, and on Saturdays from 9 am to 1 pm. "
              "Our dentists are Dr. Alvarez and Dr. Kim.")
    lines = instruction_lines(prompt)
    assert "Our dentists are Dr. Alvarez and Dr. Kim." in lines
    assert not any(line.startswith(("Help", "If a caller")) for line in lines)
    assert spoken_answer(look_up("Who are the dentists?", prompt).lines) == "Our dentists are Dr. Alvarez and Dr. Kim."
    saturday = datetime(2026, 3, 7, 10, 0, tzinfo=NOW.tzinfo)
    assert hours_answer("Are you open on Saturday?", lines, NOW) == "Yes, on Saturday we're open from 9 am to 1 pm."
    assert hours_answer("Are you open today?", lines, saturday) == "Yes, today we're open from 9 am to 1 pm."


@pytest.mark.parametrize("text", ["Hi, I was wondering if you're open on Sunday.", "I'd like to know what a cleaning costs.",
                                  "I wanted to ask whether you take Aetna.", "I'm calling to see if you have parking."])
def test_a_question_asked_as_a_statement_is_a_question(text: str) -> None:
    from voicedock.conversation.cues import is_question

    assert is_question(text) and not is_chatter(text)


@pytest.mark.parametrize("text", ["Could you help me?", "Hi, can I ask you something?", "I was wondering if you could help me.",
                                  "Hello, I have a quick question for you."])
def test_asking_for_help_before_saying_what_about_is_no_question_for_the_instructions(text: str) -> None:
    """Looked up, "Could you help me?" found no topic in the instructions and got "I don't have
    that information"; it is chatter, which the model answers and which runs no tool."""
    assert is_chatter(text)


@pytest.mark.parametrize("text", ["Can you help me book an appointment?", "Could you help me with my booking?",
                                  "I need help with my order."])
def test_asking_for_help_with_something_named_is_not_chatter(text: str) -> None:
    assert not is_chatter(text)


def test_a_part_of_the_day_is_a_question_about_the_hours() -> None:
    from voicedock.conversation.facts import instruction_lines, look_up
    from voicedock.conversation.hours import hours_answer

    prompt = ("We are open Monday to Friday from 9 am to 6 pm, and on Saturdays from 9 am to 1 pm. "
              "We are closed on Sundays.\nWe are at 48 Elm Street. There is free parking in front.\n"
              "A first visit costs $120. A cleaning costs $85. If you need to cancel, please let us know 24 hours "
              "in advance.")
    found = look_up("Are you open in the evening?", prompt)
    assert found.answerable and found.lines[0].startswith("We are open")
    assert hours_answer("Are you open in the evening?", found.lines, NOW, instruction_lines(prompt)) == \
        "We're open until 6 pm from Monday to Friday."


def test_free_that_costs_nothing_or_lacks_something_is_no_availability_check() -> None:
    table = ToolSpec("check_table", "function", "Check whether a table is free for a party at a date and time.")
    for text in ("Do you have gluten free pasta?", "Do kids eat free?", "Is parking free of charge?",
                 "Can I get a dessert for free?"):
        assert not asks_for(table, text), text
    for text in ("Is Friday at seven free?", "Have you got anything free tomorrow night?"):
        assert asks_for(table, text), text


def test_a_prose_restaurant_prompt_gives_its_address_and_times_and_not_its_instructions() -> None:
    from voicedock.conversation.facts import LABEL, instruction_lines, look_up, spoken_answer

    prompt = ("You are Marco, who answers the phone for Trattoria Sole. You take table reservations.\n"
              "We serve lunch from noon to 2:30 pm and dinner from 6 pm to 10 pm.\n"
              "You can find us at 12 Harbour Lane, across from the marina.\n"
              "Please ask callers for their name, the date, the time and the number of guests.")
    assert instruction_lines(prompt) == ("We serve lunch from noon to 2:30 pm and dinner from 6 pm to 10 pm.",
                                         "You can find us at 12 Harbour Lane, across from the marina.")
    assert LABEL.match("We serve lunch from noon to 2:30 pm") is None  # the hour of a time is no label
    assert spoken_answer(look_up("Where are you exactly?", prompt).lines) == \
        "You can find us at 12 Harbour Lane, across from the marina."


@pytest.mark.parametrize(("text", "books"), [
    ("Okay and can I get a cleaning next Tuesday morning?", True),
    ("I would like a check-up tomorrow.", True),
    ("We need an appointment for Friday.", True),
    ("I need a receipt for my visit on Tuesday.", False),
    ("I need a prescription refill by Friday.", False),
    ("Can I get a cleaning?", False),  # no when: the thing alone may be a question about it
])
def test_asking_for_a_thing_with_its_when_asks_to_book(text: str, books: bool) -> None:
    assert asks_for(BOOK_SPEC, text) is books


def test_a_kind_of_thing_the_instructions_never_state_is_not_answered_with_another() -> None:
    """"How long does a cleaning take?" mentions the cleaning, whose price the instructions give;
    they give no duration, so the price is no answer. A word also used in other senses ("send the
    bill") asks for no kind of its own."""
    from voicedock.conversation.facts import look_up

    prompt = ("A cleaning costs $85. A first visit costs $120.\n"
              "We accept Delta Dental and Cigna and bill them directly.")
    assert not look_up("How long does a cleaning take?", prompt).answerable
    assert look_up("How much does a cleaning cost?", prompt).answerable
    assert look_up("I have Cigna. Do you send the bill to them?", prompt).answerable


def test_what_is_done_on_a_day_of_every_week_is_a_question_about_the_business() -> None:
    from voicedock.conversation.cues import asks_about_business

    assert asks_about_business("Do you deliver on Sundays?")
    assert not asks_about_business("Can you deliver it on Sunday?")


@pytest.mark.parametrize(("text", "about"), [
    ("Hi! Are you guys open tomorrow?", True), ("Is the clinic still open?", True),
    ("Do you have any open slots tomorrow?", False), ("Is the appointment still open?", False)])
def test_whether_the_place_is_open_is_a_question_about_the_business(text: str, about: bool) -> None:
    from voicedock.conversation.cues import asks_about_business

    assert asks_about_business(text) is about


def test_an_offered_time_is_picked_by_its_place_among_them() -> None:
    offered = Said('{"available": false, "alternatives": ["18:45", "21:30"]}', "tool_result")
    turn = Said("Half nine is late, but the earlier one's way too early for this lot. Okay, the later one.", "caller", 2)
    got = ground_value("time", {"type": "string", "format": "time"}, None, [turn, offered], FIXED_NOW)
    assert got is not None and got.value == "21:30" and got.source == "tool_result"
    first = Said("The earlier one, then.", "caller", 2)
    assert ground_value("time", {"type": "string", "format": "time"}, None, [first, offered],
                        FIXED_NOW).value == "18:45"  # type: ignore[union-attr]


def test_an_offered_time_is_picked_in_the_first_sentence_of_a_longer_turn() -> None:
    offered = Said('{"available": true, "slots": ["08:00", "10:30", "14:00"]}', "tool_result")
    turn = Said("Eight works. Name's Nick Fury, 555 616 1616.", "caller", 2)
    got = ground_value("time", {"type": "string", "format": "time"}, None, [turn, offered], FIXED_NOW)
    assert got is not None and got.value == "08:00"


def test_an_hour_said_alone_to_change_the_time_is_the_new_time_unless_the_tool_takes_a_count() -> None:
    said = caller("I want to book an appointment for the day after tomorrow at ten thirty.", "Actually make it eleven.")
    visit = {"type": "object", "properties": {"date": {"type": "string", "format": "date"},
                                              "time": {"type": "string", "format": "time"}}}
    got = ground_arguments(visit, {}, said, NOW)
    assert got["time"].value == "11:00" and got["time"].turn == 2
    table = {"type": "object", "properties": {"time": {"type": "string", "format": "time"},
                                              "party_size": {"type": "integer"}}}
    said = caller("A table tomorrow at seven thirty please.", "Actually make it four.")  # four people, maybe
    assert ground_arguments(table, {}, said, NOW)["time"].value == "19:30"


def test_an_enum_value_of_one_word_is_named_by_its_last_part_in_the_newest_turn() -> None:
    service = {"type": "string", "enum": ["haircut", "colour", "blow-dry", "beard trim"]}
    said = caller("How much is a men's cut, and can you add a beard trim to that?",
                  "Does Marco have anything today around noon for a cut?")
    got = ground_value("service", service, None, said, NOW)
    assert got is not None and got.value == "haircut" and got.turn == 2
    assert ground_value("service", service, None, caller("I'd like a perm on Friday."), NOW) is None


def test_bringing_a_delivery_on_another_day_asks_to_reschedule_it() -> None:
    move = ToolSpec("reschedule_delivery", "function", "Move a delivery to another day.")
    assert asks_for(move, "I won't be home. Could you bring it the day after tomorrow instead?")
    assert not asks_for(move, "Can you bring it to my office instead?")


@pytest.mark.parametrize(("text", "day"), [
    ("I need to move a delivery, I'm out of town this weekend and Monday.", None),
    ("I'm away on Friday, so Saturday please.", "2026-03-07"),
    ("Can you do it right away on Friday?", "2026-03-06"),
])
def test_a_day_the_caller_is_away_is_ruled_out(text: str, day: str | None) -> None:
    got = ground_value("date", {"type": "string", "format": "date"}, None, caller(text), NOW)
    assert (got.value if got else None) == day


def test_the_more_specific_words_tell_two_actions_apart() -> None:
    from voicedock.conversation.cues import cue_length

    move = ToolSpec("reschedule_delivery", "function", "Move a delivery to another day.")
    address = ToolSpec("change_address", "function", "Send a parcel to another address.")
    said = "Hey, so I need to move a delivery. The tracking number is SD 7720 0541."
    assert cue_length(move, said) > cue_length(address, said) > 0
    assert cue_length(move, "Can I move it?") == cue_length(address, "Can I move it?")  # the model chooses


def test_a_corrected_ending_replaces_the_end_of_the_number_given_before() -> None:
    said = caller("My number's five five five, six one four, two two one four.",
                  "Oh wait, sorry, it ends in two two four one, not two two one four. I'm Marcus Bell.")
    got = ground_value("phone", {"type": "string"}, "5556142214", said, NOW)
    assert got is not None and got.value == "5556142241" and got.turn == 2
    # digits said after "not" are the ones ruled out, never part of the number
    assert ground_value("phone", {"type": "string"}, "22412214", said, NOW).value == "5556142241"  # type: ignore[union-attr]


def test_bringing_someone_in_asks_for_a_booking() -> None:
    visit = ToolSpec("schedule_visit", "function", "Put a pet's visit in the calendar.")
    assert asks_for(visit, "Cool. Can I bring my dog in at nine for his nails?")
    assert asks_for(BOOK_SPEC, "Could we get him in this week?")
    assert not asks_for(visit, "Do I need to bring anything in?")


def test_coming_at_a_time_asks_for_a_booking() -> None:
    assert asks_for(BOOK_SPEC, "Great, can I come this Saturday at ten?")
    assert asks_for(BOOK_SPEC, "Could we come tomorrow at 3?")
    assert asks_for(BOOK_SPEC, "Can I get in tomorrow at 3 pm?")
    assert not asks_for(BOOK_SPEC, "Can I come by?")  # whether the place is open, asked of its hours


@pytest.mark.parametrize("question", ["How much is that gonna run me, the nail thing?", "How much is a nail trim?",
                                      "What would a nail trim set me back?"])
def test_how_much_asks_a_price(question: str) -> None:
    from voicedock.conversation.facts import look_up, spoken_answer

    prompt = ("- Opening hours: Monday to Friday 8:00 to 18:00.\n- Grooming: we trim nails but do no baths.\n"
              "- Prices: a wellness exam costs $68; the rabies vaccine costs $28; a nail trim costs $18.")
    assert spoken_answer(look_up(question, prompt).lines, question) == "A nail trim costs $18."


def test_a_name_with_its_spelling_said_inside_it_is_the_name() -> None:
    said = caller("Yeah, Olu, O L U, Adeyemi.")
    assert ground_value("name", {"type": "string"}, "Olu Adeyemi", said, NOW).value == "Olu Adeyemi"  # type: ignore[union-attr]


def test_a_number_that_does_not_fit_its_described_format_is_asked_for_again() -> None:
    tracking = {"type": "string", "description": "SD followed by eight digits"}
    misheard = caller("Yeah, it's SD-3-0-07-7-15.")  # "S D, three oh, oh seven, double seven, one five"
    assert ground_value("tracking_number", tracking, "SD-3-0-07-7-15", misheard, NOW) is None
    heard = caller("Yeah, it's SD 3007 7715.")
    assert ground_value("tracking_number", tracking, "SD30077715", heard, NOW) is not None
    assert ground_value("tracking_number", {"type": "string"}, "SD-3-0-07-7-15", misheard, NOW) is not None
