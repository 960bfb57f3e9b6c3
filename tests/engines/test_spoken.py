import pytest

from voicedock.engines.sentences import clean_for_speech
from voicedock.engines.spoken import spoken_forms


@pytest.mark.parametrize(
    ("written", "said"),
    [
        # what the call writes (tool values, instructions on a 24-hour clock) as a caller hears it
        ("Booked under Garcia, at 2026-03-07, 19:30, for four people.",
         "Booked under Garcia, at Saturday, March 7th, 7:30 PM, for four people."),
        ("Tonight we're open from 17:00 to 22:00.", "Tonight we're open from 5 PM to 10 PM."),
        ("Monday 8:00 to 17:00; Wednesday 10:00 to 19:00.", "Monday 8 AM to 5 PM; Wednesday 10 AM to 7 PM."),
        ("Free slots: 09:00, 11:30 and 14:00.", "Free slots: 9 AM, 11:30 AM and 2 PM."),
        ("Open 12:00-14:30 and 00:00-01:15.", "Open noon to 2:30 PM and midnight to 1:15 AM."),
        ("On 2026-12-01 and 2026-12-22.", "On Tuesday, December 1st and Tuesday, December 22nd."),
        # no 24-hour time in the piece: only the full hour changes ("eight zero zero" otherwise)
        ("We close at 8:00, or 9:15 on Fridays.", "We close at 8 o'clock, or 9:15 on Fridays."),
        # left as written: a time already said with its half of the day, no date, no clock
        ("See you at 7:30 pm.", "See you at 7:30 pm."),
        ("Ticket 2026-02-30, ratio 3:1, call 555-0166 at 17:00.", "Ticket 2026-02-30, ratio 3:1, call 555-0166 at 5 PM."),
        ("Your case is INC-2026-03-07-1.", "Your case is INC-2026-03-07-1."),
        # references character by character, not "four thousand eight hundred seventy-seven"
        ("Your confirmation is MG-4877.", "Your confirmation is M G 4 8 7 7."),
        ("Tracking SD77229041, ticket INC 40388.", "Tracking S D 7 7 2 2 9 0 4 1, ticket I N C 4 0 3 8 8."),
        ("It costs $350, or 1,000,000 in all, or 12345.50.", "It costs $350, or 1,000,000 in all, or 12345.50."),
    ],
)
def test_times_and_dates_are_written_as_said(written, said):
    assert spoken_forms(written) == said


def test_the_voice_gets_spoken_forms():
    assert clean_for_speech("**Open** 17:00 to 22:00 on 2026-03-07.") == "Open 5 PM to 10 PM on Saturday, March 7th."


def test_a_voice_of_another_language_gets_the_written_forms():
    assert clean_for_speech("**Offen** 17:00 bis 22:00.", english=False) == "Offen 17:00 bis 22:00."
