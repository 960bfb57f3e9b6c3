"""A tool's result is said in code: its own values and the values the tool ran with, nothing else."""

import pytest

from voicedock.conversation.results import result_words

DATE, TIME = {"type": "string", "format": "date"}, {"type": "string", "format": "time"}
BOOK = {"properties": {"date": DATE, "time": TIME, "name": {"type": "string"}, "phone": {"type": "string"}}}
TABLE = {"properties": {"date": DATE, "time": TIME, "party_size": {"type": "integer"}, "name": {"type": "string"}}}
PARCEL = {"properties": {"tracking_number": {"type": "string"}, "date": DATE}}
VISIT = {"properties": {"date": DATE, "owner_name": {"type": "string"}, "pet_name": {"type": "string"}}}


@pytest.mark.parametrize(
    ("parameters", "args", "result", "said"),
    [
        (BOOK, {"date": "2026-03-28", "time": "15:00", "name": "Jonah Whitfield", "phone": "5556029119"},
         {"booked": True, "confirmation": "MG-4877"},
         "That's booked: Saturday, March 28th at 3 PM, under Jonah Whitfield. Your confirmation is MG-4877."),
        (TABLE, {"date": "2026-03-07", "time": "19:30", "party_size": 4, "name": "Garcia"},
         {"reserved": True, "reference": "OL-5521"},
         "That's reserved: 4 people, Saturday, March 7th at 7:30 PM, under Garcia. Your reference is OL-5521."),
        (BOOK, {"date": "2026-03-28"}, {"available": True, "slots": ["09:00", "11:30", "15:00"]},
         "On Saturday, March 28th we have 9 AM, 11:30 AM and 3 PM free."),
        (BOOK, {"date": "2026-03-28", "time": "15:00"}, {"available": True},
         "Yes, Saturday, March 28th at 3 PM is free."),
        (BOOK, {"date": "2026-03-28", "time": "15:00"}, {"available": True, "slots": ["09:00", "15:00"]},
         "Yes, Saturday, March 28th at 3 PM is free. We also have 9 AM."),
        (TABLE, {"date": "2026-03-07", "time": "20:00", "party_size": 2}, {"available": False,
                                                                         "alternatives": ["17:30", "21:30"]},
         "Sorry, Saturday, March 7th at 8 PM isn't free. We could do 5:30 PM or 9:30 PM instead."),
        (PARCEL, {"tracking_number": "SD77229041"}, {"status": "out for delivery", "expected": "2026-01-12"},
         "Status: out for delivery. Expected: Monday, January 12th."),
        # the day the result gives for what was done is said once
        (PARCEL, {"tracking_number": "SD77229041"}, {"rescheduled": True, "date": "2026-10-21"},
         "That's rescheduled: Wednesday, October 21st."),
        (PARCEL, {"tracking_number": "SD77229041"}, {"changed": False, "reason": "parcel is already out for delivery"},
         "I'm sorry, that couldn't be changed: parcel is already out for delivery."),
        ({"properties": {"name": {"type": "string"}, "summary": {"type": "string"}}},
         {"name": "Kofi Mensah", "summary": "Teams crashes"}, {"created": True, "ticket_number": "INC41290"},
         "Done, that's created, under Kofi Mensah. Your ticket number is INC41290."),
        # a pet's name is no name to book under
        (VISIT, {"date": "2026-03-28", "owner_name": "Dana Kim", "pet_name": "Biscuit"}, {"cancelled": True},
         "That's cancelled: Saturday, March 28th, under Dana Kim."),
        (BOOK, {}, "Booked for 3 pm, see you then.", "Booked for 3 pm, see you then."),
        # what the server wrote for the caller is said as written; a bare success flag is "Done."
        (BOOK, {}, {"success": True, "message": "See you at 3 pm on Friday"}, "Done. See you at 3 pm on Friday."),
        (BOOK, {}, {"ok": False, "error": "no such customer"}, "I'm sorry, that didn't go through: no such customer."),
    ],
)
def test_a_result_is_said_from_its_values_and_the_tools(parameters, args, result, said):
    assert result_words(parameters, args, result) == said


@pytest.mark.parametrize("result", [{"data": {"x": 1}}, {"items": [{"a": 1}]}, {}, None, 42, "word " * 80])
def test_a_result_code_cannot_say_is_left_to_the_model(result):
    assert result_words(BOOK, {}, result) == ""
