"""The fact look-up finds the line a caller's question is about, in the caller's own words."""

from __future__ import annotations

import pytest

from voicedock.conversation.cues import asks_something, is_question
from voicedock.conversation.facts import identity_answer, instruction_lines, look_up

HELPDESK = ("Facts about the service desk:\n"
            "- Hours: Monday to Friday 7:00 to 19:00, Saturday 9:00 to 13:00.\n"
            "- Walk-in desk: Building B, second floor, room 214, Monday to Friday 9:00 to 12:00.\n"
            "- Ticket priorities: urgent means the caller cannot work at all; low means a question or a small request.\n"
            "- Response times: urgent within 1 hour, normal within 1 business day, low within 3 business days.\n"
            "- Parking: free parking lot behind the building.")


def test_a_greeting_or_a_quick_question_says_nothing_of_the_topic() -> None:
    found = look_up("Hi there. Quick question, is the walk-up counter open right now?", HELPDESK)
    assert found.answerable and found.lines[0].startswith("Walk-in desk")


def test_a_question_after_a_story_is_looked_up_by_itself() -> None:
    found = look_up("Okay, I have an appointment at nine and I've never been there. Where do I leave the car?",
                    HELPDESK)
    assert found.answerable and found.lines[0].startswith("Parking")
    # two questions: the second alone does not stand for the turn, whose first is unanswerable
    assert not look_up("Do you allow dogs? In the parking lot maybe?", HELPDESK).answerable


def test_a_question_that_refers_back_keeps_its_own_topic() -> None:
    before = ("So when can I go over there?", "Urgent within 1 hour, normal within 1 business day.")
    assert look_up("And which room was it again?", HELPDESK, before).lines[0].startswith("Walk-in desk")
    assert look_up("When should I expect somebody to get back to me?", HELPDESK).lines[0].startswith("Response")


def test_coming_over_or_reaching_someone_asks_about_opening_hours() -> None:
    found = look_up("When's the soonest I could actually reach somebody there?", HELPDESK)
    assert found.answerable and found.lines[0].startswith("Hours")
    # a wait of an hour is no opening hours
    assert look_up("How soon will someone get back to me?", HELPDESK).lines[0].startswith("Response")


# -- closeness in meaning (the profile's sentence encoder) -------------------------------------------

RESTAURANT = ("You are the host of Osteria Lucia.\n"
              "- Address: 88 Canal Street, next to the Riverside cinema.\n"
              "- Gift cards are sold at the bar, for $50 or $100.\n"
              "- Parking: we have no parking of our own; the public Elm Street garage is two minutes away.\n"
              "- Payment: credit cards and cash; we do not accept checks.")


def closeness(prompt: str, close: dict[str, float]) -> list[float]:
    """Closeness of a question to each instruction line: `close` by the line's first words, else 0.1."""
    return [next((c for start, c in close.items() if line.startswith(start)), 0.1) for line in instruction_lines(prompt)]


def test_a_line_close_in_meaning_answers_a_question_that_shares_no_word_with_it() -> None:
    question = "Do you sell anything I could give my sister for her birthday?"
    assert not look_up(question, RESTAURANT).answerable  # by words alone
    found = look_up(question, RESTAURANT, closeness=closeness(RESTAURANT, {"Gift cards": 0.6}))
    assert found.answerable and found.lines == ("Gift cards are sold at the bar, for $50 or $100.",)
    assert found.closeness == 0.6
    # not close enough, and no word of it in the instructions: still not answered
    assert not look_up("Do you allow dogs?", RESTAURANT, closeness=closeness(RESTAURANT, {"Gift cards": 0.3})).answerable


def test_meaning_ranks_the_lines_the_words_find() -> None:
    question = "Where can I leave the car when I pay you a visit?"
    by_words = look_up(question, RESTAURANT)
    by_both = look_up(question, RESTAURANT, closeness=closeness(RESTAURANT, {"Parking": 0.55, "Payment": 0.2}))
    assert by_both.lines[0].startswith("Parking")
    assert by_words.answerable == by_both.answerable


def test_closeness_that_does_not_fit_the_lines_is_ignored() -> None:
    question = "Can I pay by check?"
    assert look_up(question, RESTAURANT, closeness=[0.9]) == look_up(question, RESTAURANT)


def test_a_question_inside_a_turn_is_asked_and_looked_up_by_itself() -> None:
    turn = "Mm-hm. Okay. Is there parking near you? I could just drive over."
    assert asks_something(turn) and not is_question(turn)
    found = look_up(turn, HELPDESK)
    assert found.answerable and found.lines[0].startswith("Parking")
    # asked only to be heard, or two words: no question about the business
    assert not asks_something("Hello? Hi, this is Mark Ellis.")
    assert not asks_something("Okay. Really? That's great.")
    # the tool step keeps its own reading: a value given after a question is a value
    assert not is_question("Ugh, do you really need that? Just write three people at eight.")


PROSE = ("You are the phone assistant of the service desk at Calder & Wren.\n\n"
         "New laptops, monitors and headsets are not ordered through the service desk. Staff request them in the "
         "IT Shop on the intranet. Print jobs are released by tapping a badge.\n\n"
         "We don't have a parking lot of our own. The city parking on Birch Street costs $2 an hour. "
         "Our office is at 412 Orchard Avenue.\n\n"
         "To make a reservation, get the date, the time and a name.")


def test_a_fact_told_over_two_sentences_is_said_whole() -> None:
    # the next sentence refers back to the one found ("them")
    found = look_up("Can I order a second monitor through you?", PROSE)
    assert found.lines == ("New laptops, monitors and headsets are not ordered through the service desk.",
                           "Staff request them in the IT Shop on the intranet.")
    # neighbours the question's words find alike, in their order
    found = look_up("And parking?", PROSE, closeness=closeness(PROSE, {"We don't": 0.5, "The city": 0.3}))
    assert found.lines == ("We don't have a parking lot of our own.", "The city parking on Birch Street costs $2 an hour.")


def test_what_a_tool_needs_said_as_an_order_is_no_fact() -> None:
    assert not any(line.startswith("To make a reservation") for line in instruction_lines(PROSE))


def test_a_line_found_through_a_word_family_alone_and_far_in_meaning_answers_nothing() -> None:
    prompt = "You are the host.\n- Parking: the city lot costs $2 an hour.\n- Address: 412 Orchard Avenue."
    far = closeness(prompt, {"Parking": 0.15})
    assert look_up("Can I pay by card?", prompt).answerable  # "pay", "card" and "costs" are one family
    assert not look_up("Can I pay by card?", prompt, closeness=far).answerable
    # said in the question's own words, or close in meaning: still the answer
    assert look_up("Does the lot cost much?", prompt, closeness=far).answerable
    assert look_up("Can I pay by card?", prompt, closeness=closeness(prompt, {"Parking": 0.3})).answerable
    # a question that refers back means what came before it
    before = ("Where can I park?", "The city lot costs $2 an hour.")
    assert look_up("And can I pay for that by card?", prompt, before, closeness=far).answerable


def test_whether_the_place_is_open_on_a_day_is_asked_of_the_lines_that_give_hours() -> None:
    # words the instructions never mention ("pick one up", "Memorial Day") do not drown the question
    found = look_up("Could I pop by today to pick one up?", HELPDESK + "\n- Gift cards: sold at the reception.")
    assert found.answerable and found.lines[0].startswith("Hours")
    assert look_up("Hiya. Quick one first, are you open on Memorial Day? The Monday?", HELPDESK).lines[0].startswith(
        "Hours")
    # ... and of the place the caller asked about just before
    after = look_up("Can I come by now?", HELPDESK, ("Where's the walk-in desk?", "Building B, room 214."))
    assert after.answerable and after.lines[0].startswith("Walk-in desk")
    # a question with no day or time in it is not one of them
    assert not look_up("Is the gym open to visitors?", HELPDESK).answerable


def test_whether_someone_is_in_on_a_day_is_not_answered_by_a_line_with_no_days() -> None:
    prompt = "- Dentists: Dr. Priya Nair and Dr. Tom Becker.\n- Hygienist: Tamara works Mondays and Thursdays."
    assert not look_up("Is Dr. Becker in on Wednesdays?", prompt).answerable
    assert look_up("Is Tamara working on Thursdays?", prompt).lines[0].startswith("Hygienist")
    assert look_up("Who are your dentists?", prompt).answerable
    assert look_up("I can't get over there this week. Who are the dentists?", prompt).answerable


@pytest.mark.parametrize(("question", "answer"), [
    ("Hi, is this the pizza place on Canal?", "This is Osteria Lucia."),
    ("Hello? Is this Osteria Lucia, on Canal Street?", "Yes, this is Osteria Lucia."),
    ("Is this right?", None), ("Is that open today?", None), ("Is that the one on Friday?", None),
    ("Is this Osteria Lucia? I'd like to book a table.", None),  # the turn asks more: the look-up and tools answer
    ("Hello, who am I talking to?", "This is Osteria Lucia."), ("Sorry, who's this?", "This is Osteria Lucia."),
    ("Who is this for?", None), ("Who am I talking to about my booking? I want to move it.", None),
])
def test_whom_the_caller_reached(question: str, answer: str | None) -> None:
    assert identity_answer(question, "Osteria Lucia") == answer


PRICED = ("You are Sam, the receptionist of Bright Smile Dental.\n"
          "Office hours: Monday to Friday, 8 am to 5 pm.\n"
          "A cleaning is $120. Same-day emergency visits are available.")


def test_a_price_given_as_an_amount_answers_a_price_question_about_that_thing_only() -> None:
    # no word for a price in the line, only the amount
    assert look_up("How much is a cleaning?", PRICED).lines == ("A cleaning is $120.",)
    assert look_up("What does a cleaning cost?", PRICED).lines == ("A cleaning is $120.",)
    for other in ("How much for a filling?", "Is there a fee for cancelling?"):
        assert not look_up(other, PRICED).answerable


COMPACT = ("We're open 7:30am-4pm Monday through Thursday and 7:30am-noon on Fridays.\n"
           "Our office is at 1200 Main St, Suite 210 (second floor, elevator in the lobby). Street parking is "
           "metered; the garage on 12th St validates for 2 hours.\n"
           "For emergencies after hours, patients should call 555-0142.")


def test_a_street_address_is_where_the_place_is_and_street_parking_is_parking() -> None:
    office = "Our office is at 1200 Main St, Suite 210 (second floor, elevator in the lobby)."
    assert look_up("What's the address?", COMPACT).lines == (office,)
    assert look_up("Where are you?", COMPACT).lines == (office,)
    assert look_up("Is there somewhere to park near you?", COMPACT).lines[0].startswith("Street parking")


def test_after_hours_is_no_question_about_the_hours() -> None:
    found = look_up("I've got a really bad toothache and it's after hours tomorrow, who do I call?", COMPACT)
    assert found.lines == ("For emergencies after hours, patients should call 555-0142.",)


def test_a_price_list_by_commas_says_the_price_asked_about() -> None:
    from voicedock.conversation.facts import spoken_answer

    prices = ("Cleaning $110, exam $75, whitening $299",)
    assert spoken_answer(prices, "And whitening?") == "Whitening $299."
    assert spoken_answer(prices, "What are your prices?") == "Cleaning $110, exam $75, whitening $299."
    insurers = ("We accept Delta Dental, Cigna, Aetna and Guardian.",)  # no prices: said whole
    assert spoken_answer(insurers, "Do you take Cigna?") == "We accept Delta Dental, Cigna, Aetna and Guardian."


def test_a_dentist_asked_about_is_one_of_the_doctors_named_dr() -> None:
    prompt = "Role: phone assistant for Lakeside Smiles.\n- Dr. Rivera (general), Dr. Okoye (kids)\n- Cleaning $110"
    assert look_up("Which dentist sees kids?", prompt).lines == ("Dr. Rivera (general), Dr. Okoye (kids)",)
