"""Values read from the caller's turn in code, by the shape callers say them in."""

from __future__ import annotations

import pytest

from tests.conversation.harness import run_call
from tests.conversation.test_tools import BOOKING, ONE_TURN, ScriptedRunner
from voicedock.conversation.extract import code_proposals
from voicedock.engines.fakes import FakeLLM, FakeSTT
from voicedock.engines.loader import fake_engines

PARAMS = {"properties": {"name": {"type": "string"}, "phone": {"type": "string"}, "party_size": {"type": "integer"},
                         "tracking_number": {"type": "string"}, "email": {"type": "string"},
                         "summary": {"type": "string"}, "date": {"type": "string", "format": "date"}}}


@pytest.mark.parametrize(("text", "expected"), [
    ("Hi, my name is Ana Lopez", {"name": "Ana Lopez"}),
    ("It's Tom Berg.", {"name": "Tom Berg"}),
    ("five five five, oh one three four", {"phone": "5550134", "tracking_number": "5550134"}),
    ("A table for four please", {"party_size": 4}),
    ("Great, book it. Actually make it six people, my parents are coming.", {"party_size": 6}),
    ("For two. No wait, three guests.", {"party_size": 3}),
    ("it's Z X four nine one two", {"tracking_number": "ZX4912"}),
    ("Where's my package? It's S D, seven seven, double two, nine, oh four one.",
     {"tracking_number": "SD77229041", "phone": "77229041"}),
    ("just the two of us", {"party_size": 2}),
    ("It's five five five, six oh two, nine nine one... no wait, nine one one nine, sorry.",
     {"phone": "5556029119", "tracking_number": "9119"}),
    ("Where is parcel ZX-4912?", {"tracking_number": "ZX-4912"}),
    ("john dot smith at example dot com", {"email": "john.smith@example.com"}),
    ("Oh and my email, in case you need it, is t kowalski at northwind dot example.",
     {"email": "tkowalski@northwind.example"}),
    ("I want to open a ticket, my laptop will not start", {"summary": "my laptop will not start"}),
    ("Book me for Friday", {}),
    # a first and last name said on their own, without words that introduce them
    ("Okay, then log a ticket: my docking station's dead. Emma Clarke. It's normal priority.", {"name": "Emma Clarke"}),
    ("Sure, Ben Ortiz, ben dot ortiz at northwind dot example.",
     {"name": "Ben Ortiz", "email": "ben.ortiz@northwind.example"}),
    # names with a hyphen or an apostrophe inside, whole
    ("Name's Sioned Harris-Bell.", {"name": "Sioned Harris-Bell"}),
    ("Megan O'Brien, and that's all.", {"name": "Megan O'Brien"}),
    ("I'm Jean-Luc McDonald", {"name": "Jean-Luc McDonald"}),
    ("Name would be Hollis, H-O-L-L-I-S.", {"name": "Hollis"}),
    ("Yeah, Olu, O L U, Adeyemi.", {"name": "Olu Adeyemi"}),
    # ... but not a place's or a business's, nor a capitalised sentence start
    ("It's on Linden Street.", {}),
    ("Delta Dental.", {}),
    ("Good Morning.", {}),
])
def test_values_by_shape(text: str, expected: dict) -> None:
    got = {k: v for k, v in code_proposals(PARAMS, text).items() if k != "summary" or "summary" in expected}
    assert got == expected


def test_a_turn_that_asks_for_no_tool_costs_no_model_decision() -> None:
    llm = FakeLLM(["We open at 8."], json_replies=[{"intent": "check availability"}])
    result = run_call(ONE_TURN, assistant={**BOOKING, "first_message": None},
                      engines=fake_engines(llm=llm, stt=FakeSTT(["What are your opening hours on Saturday?"])),
                      tool_runner=ScriptedRunner(), max_seconds=10)
    assert [r for r in llm.requests if "schema" in r] == []
    # answered from the instructions' own words, not the model's "We open at 8."
    assert result.recorder.messages("assistant") == ["The clinic is open Monday to Friday, 9:00 to 17:00, at Main Street 12."]


def test_a_number_of_a_described_format_gets_the_prefix_the_caller_said() -> None:
    params = {"properties": {"ticket_number": {"type": "string", "description": "INC followed by five digits"}}}
    said = "It's INC four one, one oh... no wait, sorry, four one one zero six."
    assert code_proposals(params, said) == {"ticket_number": "INC41106"}
    assert code_proposals(params, "It's four one one zero six.") == {"ticket_number": "41106"}  # no prefix said


def test_an_address_is_a_house_number_and_a_street_not_the_sentence_around_it() -> None:
    params = {"properties": {"address": {"type": "string"}}}
    assert code_proposals(params, "It should go to 48 Willow Creek Drive, unit 2B. That's in Fort Collins.") == \
        {"address": "48 Willow Creek Drive, unit 2B"}
    assert code_proposals(params, "Hi, I think I put the wrong address on my order.") == {}


OWNER = {"properties": {"owner_name": {"type": "string"}, "pet_name": {"type": "string"}}}


@pytest.mark.parametrize(("text", "expected"), [
    ("Ten fifteen is good. Her name's Clover.", {"pet_name": "Clover"}),
    ("The dog's name is Biscuit, and I'm Dana Whitfield.", {"owner_name": "Dana Whitfield", "pet_name": "Biscuit"}),
    ("It's for Sergeant Whiskers, and I'm Hannah Lindqvist.",
     {"owner_name": "Hannah Lindqvist", "pet_name": "Sergeant Whiskers"}),
    ("It's for my beagle, Waffles, and I'm Priya Raman.", {"owner_name": "Priya Raman", "pet_name": "Waffles"}),
    ("I need to get my cat Mr. Pickles in for his rabies shot.", {"pet_name": "Mr. Pickles"}),
    ("I'm Ruth Nakamura and the cat is Pumpkin Spice.", {"owner_name": "Ruth Nakamura", "pet_name": "Pumpkin Spice"}),
    ("My name is Dana Whitfield.", {"owner_name": "Dana Whitfield"}),
    ("It's for Tuesday.", {}),
])
def test_a_name_given_to_someone_else_is_not_the_callers_own(text: str, expected: dict) -> None:
    assert code_proposals(OWNER, text) == expected


@pytest.mark.parametrize(("text", "phone"), [
    ("Oh, right. Five five five, seven oh seven, three three six two.", "5557073362"),
    ("Eh, quarter past eleven then. Number's nine two eight, five five five, oh one six oh.", "9285550160"),
    ("Hi, five five five, eight eight oh, one two three four. I'd like a table this Saturday at eight, for two.",
     "5558801234"),
    ("five five five. Two oh seven. Four four one nine.", "5552074419"),
    # as speech recognition writes a number corrected in the middle of its last group
    ("It's 555-602-991. No wait, 9-119. Sorry.", "5556029119"),
    ("It's 555 602 991, no wait, 9119.", "5556029119"),
    ("Oh, 608 555 0199.", "6085550199"),  # the caller's "Oh," is no zero
])
def test_a_phone_number_is_its_runs_of_number_words_not_an_oh_or_a_time_around_them(text: str, phone: str) -> None:
    assert code_proposals({"properties": {"phone": {"type": "string"}}}, text) == {"phone": phone}


def test_a_time_said_apart_from_a_whole_number_is_none_of_it() -> None:
    text = ("Nine thirty. Name's Abdi Warsame, and you can reach me at, it's a new number, hang on, five five five, "
            "two oh seven, four four one nine.")
    assert code_proposals({"properties": {"phone": {"type": "string"}}}, text) == {"phone": "5552074419"}
    split = "my number is five five five and then two oh seven four four one nine"
    assert code_proposals({"properties": {"phone": {"type": "string"}}}, split) == {"phone": "5552074419"}


@pytest.mark.parametrize(("key", "others"), [("pet_name", True), ("petName", True), ("child_name", True),
                                             ("person_name", False), ("category_name", False), ("name", False)])
def test_which_name_keys_are_for_someone_else(key: str, others: bool) -> None:
    from voicedock.conversation.names import OTHERS_NAME_KEYS

    assert bool(OTHERS_NAME_KEYS.search(key)) is others


@pytest.mark.parametrize(("heard", "name"), [
    ("Mains Priya Shah.", "Priya Shah"),
    ("Sure. Nains Tyler Brooks, and my number is 555-0101.", "Tyler Brooks"),
])
def test_name_s_as_the_phone_line_s_speech_recognition_writes_it_is_no_part_of_the_name(heard: str, name: str) -> None:
    assert code_proposals({"properties": {"name": {"type": "string"}}}, heard) == {"name": name}


@pytest.mark.parametrize(("heard", "number"), [
    ("Sure, it's SD-5,512-0934.", "SD-5512-0934"),  # Whisper's thousands separator
    ("SD 7,7881200", "SD77881200"),
    ("Yeah, hi, where's my package? It's SD-7722 9-041", "SD77229041"),
    ("Wait, sorry, that's 3159, not 3155. So SD3159, 0826.", "SD31590826"),
    ("It's SD 7100 3344, 2 parcels", "SD71003344"),
    ("It's SD 7100 3344, two parcels", "SD71003344"),
    # the rest said in words after the sentence Whisper ended ("Sure. S D, oh four, double seven, ...")
    ("Sure SD 04. Double seven one nine oh eight", "SD04771908"),
])
def test_a_number_in_groups_as_speech_recognition_writes_it_is_one_number(heard: str, number: str) -> None:
    tracking = {"properties": {"tracking_number": {"type": "string", "description": "SD followed by eight digits"}}}
    assert code_proposals(tracking, heard) == {"tracking_number": number}


@pytest.mark.parametrize(("heard", "phone"), [
    ("Okay, 15th bottle. That's fine. Name would be Hollis, and I'm on five five five, three seven seven, oh two "
     "nine one.", "5553770291"),
    ("If M. Haff9 is late, okay, it's Chibong Kelly, 555-826-0173", "5558260173"),
])
def test_figures_run_into_letters_are_no_digits_of_a_phone_number(heard: str, phone: str) -> None:
    assert code_proposals({"properties": {"phone": {"type": "string"}}}, heard) == {"phone": phone}


def test_a_corrected_number_read_out_digit_by_digit_gets_its_prefix() -> None:
    """Through a real call: "INC four one, one oh... no wait, sorry, four one one zero six" heard
    "It's INC-4110. No wait, sorry, 4-1-1-0-6." reached the tool as "4-1-1-0-6"."""
    ticket = {"properties": {"ticket_number": {"type": "string", "description": "INC followed by five digits"}}}
    assert code_proposals(ticket, "It's INC-4110. No wait, sorry, 4-1-1-0-6.") == {"ticket_number": "INC41106"}
    # the prefix run into the first digits: "INC4110 wait, sorry, 41106" reached the tool as "41106"
    assert code_proposals(ticket, "It's INC4110 wait, sorry, 41106") == {"ticket_number": "INC41106"}


@pytest.mark.parametrize("heard", ["Hi, I'm calling about my ticket. I NC40388", "It's I N C 40388.",
                                   "It's INC 40388."])
def test_a_described_prefix_spaced_out_by_speech_recognition_is_the_prefix(heard: str) -> None:
    """Through a real call: "INC 40388" heard "I NC40388" reached the tool as "NC40388"."""
    ticket = {"properties": {"ticket_number": {"type": "string", "description": "INC followed by five digits"}}}
    assert code_proposals(ticket, heard) == {"ticket_number": "INC40388"}
