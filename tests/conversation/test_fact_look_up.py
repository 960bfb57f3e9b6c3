"""The fact look-up finds the line a caller's question is about, in the caller's own words."""

from __future__ import annotations

from voicedock.conversation.facts import look_up

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
