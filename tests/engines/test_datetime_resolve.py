from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from voicedock.engines.datetime_resolve import Resolved, resolve, resolve_arguments, resolve_date, resolve_time

NOW = datetime(2025, 6, 2, 10, 0, tzinfo=UTC)  # a Monday


@pytest.mark.parametrize(
    ("text", "expected_date", "expected_time"),
    [
        ("tomorrow at 3 pm", date(2025, 6, 3), time(15, 0)),
        ("the day after tomorrow at 10 a.m.", date(2025, 6, 4), time(10, 0)),
        ("Monday", date(2025, 6, 9), None),
        ("this Monday", date(2025, 6, 2), None),
        ("next Monday", date(2025, 6, 9), None),
        ("on Thursday", date(2025, 6, 5), None),
        ("next Thursday at half past four", date(2025, 6, 12), time(16, 30)),
        ("friday at noon", date(2025, 6, 6), time(12, 0)),
        ("June 3rd at 9", date(2025, 6, 3), time(9, 0)),
        ("the third of July", date(2025, 7, 3), None),
        ("June 1", date(2026, 6, 1), None),
        ("the 5th", date(2025, 6, 5), None),
        ("the 1st", date(2025, 7, 1), None),
        ("in two weeks", date(2025, 6, 16), None),
        ("2025-07-01 at 14:30", date(2025, 7, 1), time(14, 30)),
        ("tonight at 8", date(2025, 6, 2), time(20, 0)),
        ("seven tomorrow morning", date(2025, 6, 3), time(7, 0)),
        ("in an hour", date(2025, 6, 2), time(11, 0)),
        ("I have 3 kids", None, None),
        # someone's birthday or anniversary is no day of the month
        ("eight people tonight, it's my friend's thirtieth.", date(2025, 6, 2), None),
        ("it's our 25th, so something nice", None, None),
        ("the twenty-fifth.", date(2025, 6, 25), None),
    ],
)
def test_resolves_spoken_dates_and_times(text, expected_date, expected_time):
    resolved = resolve(text, NOW)
    assert (resolved.date, resolved.time) == (expected_date, expected_time)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("half past four", time(16, 30)),
        ("quarter to five", time(16, 45)),
        ("quarter past nine in the morning", time(9, 15)),
        ("twenty past seven pm", time(19, 20)),
        ("four thirty in the afternoon", time(16, 30)),
        ("3pm", time(15, 0)),
        ("12 am", time(0, 0)),
        ("at 9", time(9, 0)),
        ("at 4", time(16, 0)),
        ("11 o'clock", time(11, 0)),
        ("midnight", time(0, 0)),
        ("we have 2 dogs", None),
    ],
)
def test_resolves_clock_times(text, expected):
    assert resolve_time(text) == expected


def test_tool_arguments_with_date_formats_are_made_iso():
    schema = {
        "properties": {
            "day": {"type": "string", "format": "date"},
            "at": {"type": "string", "format": "time"},
            "when": {"type": "string", "format": "date-time"},
            "name": {"type": "string"},
        }
    }
    args = {"day": "next Monday", "at": "half past four", "when": "tomorrow at 9 am", "name": "tomorrow"}
    assert resolve_arguments(args, schema, NOW) == {
        "day": "2025-06-09",
        "at": "16:30",
        "when": "2025-06-03T09:00:00+00:00",
        "name": "tomorrow",
    }


def test_iso_and_unresolvable_arguments_are_left_alone():
    schema = {"properties": {"day": {"type": "string", "format": "date"}}}
    assert resolve_arguments({"day": "2025-01-02"}, schema, NOW) == {"day": "2025-01-02"}
    assert resolve_arguments({"day": "whenever"}, schema, NOW) == {"day": "whenever"}


# --- Weekdays, for every weekday as today ------------------------------------------------------
# The week of Monday 2 June 2025; the next week is 9-15 June. One row per "today": the day of June
# each of "Monday".."Sunday" means, bare, with "this" and with "next" (see the module docstring).
WEEK = {
    "monday": ("9 3 4 5 6 7 8", "2 3 4 5 6 7 8", "9 10 11 12 13 14 15"),
    "tuesday": ("9 10 4 5 6 7 8", "9 3 4 5 6 7 8", "9 10 11 12 13 14 15"),
    "wednesday": ("9 10 11 5 6 7 8", "9 10 4 5 6 7 8", "9 10 11 12 13 14 15"),
    "thursday": ("9 10 11 12 6 7 8", "9 10 11 5 6 7 8", "9 10 11 12 13 14 15"),
    "friday": ("9 10 11 12 13 7 8", "9 10 11 12 6 7 8", "9 10 11 12 13 14 15"),
    "saturday": ("9 10 11 12 13 14 8", "9 10 11 12 13 7 8", "9 10 11 12 13 14 15"),
    "sunday": ("9 10 11 12 13 14 15", "9 10 11 12 13 14 8", "9 10 11 12 13 14 15"),
}
DAY_NAMES = list(WEEK)
WEEKDAY_CASES = [
    (today, form.format(name), date(2025, 6, int(row[kind].split()[i])))
    for today, row in enumerate(WEEK.values())
    for kind, form in enumerate(("{}", "this {}", "next {}"))
    for i, name in enumerate(DAY_NAMES)
]


def _today(index: int) -> datetime:
    return datetime(2025, 6, 2 + index, 9, 30, tzinfo=ZoneInfo("Europe/Amsterdam"))


@pytest.mark.parametrize(("today", "text", "expected"), WEEKDAY_CASES)
def test_weekdays_for_every_weekday_as_today(today, text, expected):
    now = _today(today)
    assert now.strftime("%A").lower() == DAY_NAMES[today]
    assert resolve(text, now) == Resolved(expected, None)
    assert resolve(text.capitalize() + ".", now).date == expected
    assert resolve(f"uh, {text}?", now).date == expected


@pytest.mark.parametrize("today", range(7))
@pytest.mark.parametrize(
    ("text", "days"),
    [("today", 0), ("tomorrow", 1), ("the day after tomorrow", 2), ("Tomorrow!", 1), ("day after tomorrow", 2)],
)
def test_named_days_for_every_weekday_as_today(today, text, days):
    now = _today(today)
    assert resolve(text, now) == Resolved(now.date() + timedelta(days=days), None)


@pytest.mark.parametrize("today", range(7))
@pytest.mark.parametrize("name", DAY_NAMES)
def test_a_weekday_next_week_in_every_order(today, name):
    expected = date(2025, 6, 9 + DAY_NAMES.index(name))
    for text in (f"{name} next week", f"next week {name}", f"next week on {name}", f"{name} of next week"):
        assert resolve_date(text, _today(today)) == expected, text


# --- Dates ---------------------------------------------------------------------------------------
TUESDAY = datetime(2025, 6, 3, 10, 0, tzinfo=UTC)
NEW_YEARS_EVE = datetime(2025, 12, 31, 16, 0, tzinfo=ZoneInfo("America/New_York"))  # a Wednesday


@pytest.mark.parametrize(
    ("text", "now", "expected"),
    [
        ("in two weeks", TUESDAY, date(2025, 6, 17)),
        ("in 3 days", TUESDAY, date(2025, 6, 6)),
        ("in a week", TUESDAY, date(2025, 6, 10)),
        ("a week from today", TUESDAY, date(2025, 6, 10)),
        ("a week from tomorrow", TUESDAY, date(2025, 6, 11)),
        ("two weeks from Friday", TUESDAY, date(2025, 6, 20)),
        ("in a fortnight", TUESDAY, date(2025, 6, 17)),
        ("in two weeks' time", TUESDAY, date(2025, 6, 17)),
        # a weekday of the week two weeks ahead, not the next one
        ("in two weeks on Thursday", TUESDAY, date(2025, 6, 19)),
        ("Monday in two weeks", TUESDAY, date(2025, 6, 16)),
        ("in a fortnight, Friday", TUESDAY, date(2025, 6, 20)),
        ("the 3rd", TUESDAY, date(2025, 6, 3)),
        ("the third", TUESDAY, date(2025, 6, 3)),
        ("the 2nd", TUESDAY, date(2025, 7, 2)),
        ("on the 21st", TUESDAY, date(2025, 6, 21)),
        ("on the twenty first", TUESDAY, date(2025, 6, 21)),
        ("an opening on the 21st round 230", TUESDAY, date(2025, 6, 21)),
        ("the twenty-first, please", TUESDAY, date(2025, 6, 21)),
        ("twenty first", TUESDAY, date(2025, 6, 21)),
        ("the 31st", TUESDAY, date(2025, 7, 31)),
        ("the 15th of next month", TUESDAY, date(2025, 7, 15)),
        ("March 3", TUESDAY, date(2026, 3, 3)),
        ("3 March", TUESDAY, date(2026, 3, 3)),
        ("the third of March", TUESDAY, date(2026, 3, 3)),
        ("March the third", TUESDAY, date(2026, 3, 3)),
        ("March 3rd, 2027", TUESDAY, date(2027, 3, 3)),
        ("3 March 2027", TUESDAY, date(2027, 3, 3)),
        ("the third of March twenty twenty-seven", TUESDAY, date(2027, 3, 3)),
        ("June 3", TUESDAY, date(2025, 6, 3)),
        ("July the fourth", TUESDAY, date(2025, 7, 4)),
        ("Sept 9", TUESDAY, date(2025, 9, 9)),
        ("February 29", TUESDAY, date(2028, 2, 29)),
        ("Monday the 9th", TUESDAY, date(2025, 6, 9)),
        ("Friday the 13th", TUESDAY, date(2025, 6, 13)),
        ("Friday, June 13", TUESDAY, date(2025, 6, 13)),
        ("Friday after next", TUESDAY, date(2025, 6, 13)),
        ("this coming Friday", TUESDAY, date(2025, 6, 6)),
        ("last Friday", TUESDAY, date(2025, 5, 30)),
        ("Thursday this week", TUESDAY, date(2025, 6, 5)),
        ("tonight", TUESDAY, date(2025, 6, 3)),
        ("this morning", TUESDAY, date(2025, 6, 3)),
        ("this afternoon", TUESDAY, date(2025, 6, 3)),
        ("this evening", TUESDAY, date(2025, 6, 3)),
        ("I can't do today, how about Friday?", TUESDAY, date(2025, 6, 6)),
        ("tomorrow", NEW_YEARS_EVE, date(2026, 1, 1)),
        ("Friday", NEW_YEARS_EVE, date(2026, 1, 2)),
        ("next Monday", NEW_YEARS_EVE, date(2026, 1, 5)),
        ("the 3rd", NEW_YEARS_EVE, date(2026, 1, 3)),
        ("March 3", NEW_YEARS_EVE, date(2026, 3, 3)),
        ("December 31", NEW_YEARS_EVE, date(2025, 12, 31)),
        ("in a fortnight", NEW_YEARS_EVE, date(2026, 1, 14)),
    ],
)
def test_resolves_dates(text, now, expected):
    assert resolve_date(text, now) == expected


@pytest.mark.parametrize(
    "text",
    [
        "next week",
        "this weekend",
        "next month",
        "Tuesday the 9th",  # the 9th is a Monday: which did the caller mean? The assistant asks.
        "February 30",
        "Are you open on Saturdays?",
        "the second floor",
        "for the fourth time",
        "just a second",
        "the first appointment",
        "the first may be fine",
    ],
)
def test_no_single_day_gives_no_date(text):
    assert resolve_date(text, TUESDAY) is None


# --- Times ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("noon", time(12, 0)),
        ("12 noon", time(12, 0)),
        ("midday", time(12, 0)),
        ("midnight", time(0, 0)),
        ("half past three", time(15, 30)),
        ("quarter past two", time(14, 15)),
        ("a quarter past two", time(14, 15)),
        ("quarter to five", time(16, 45)),
        ("quarter to twelve in the morning", time(11, 45)),
        ("quarter to one", time(12, 45)),
        ("ten past nine", time(9, 10)),
        ("twenty to five", time(16, 40)),
        ("ten to eight in the evening", time(19, 50)),
        ("twenty five past eleven", time(11, 25)),
        ("half past seven in the evening", time(19, 30)),
        ("three in the afternoon", time(15, 0)),
        ("ten thirty in the morning", time(10, 30)),
        ("seven in the evening", time(19, 0)),
        ("eleven at night", time(23, 0)),
        ("two at night", time(2, 0)),
        ("eight tonight", time(20, 0)),
        ("1.30pm", time(13, 30)),
        ("1:30 pm", time(13, 30)),
        ("1:30 P.M.", time(13, 30)),
        ("13:30", time(13, 30)),
        ("07:30", time(7, 30)),
        ("7:30", time(19, 30)),
        ("one thirty pm", time(13, 30)),
        ("130 p.m.", time(13, 30)),
        ("1030am", time(10, 30)),
        ("around 230", time(14, 30)),
        ("the 12th round 230", time(14, 30)),
        ("round 3", time(15, 0)),
        ("two thirty", time(14, 30)),
        ("How about three-thirty?", time(15, 30)),
        ("twelve fifteen", time(12, 15)),
        ("nine forty-five", time(9, 45)),
        ("ten oh five am", time(10, 5)),
        ("four pm", time(16, 0)),
        ("4 p.m.", time(16, 0)),
        ("4pm", time(16, 0)),
        ("at 4", time(16, 0)),
        ("at four", time(16, 0)),
        ("at 8", time(8, 0)),
        ("at 12", time(12, 0)),
        ("around 3", time(15, 0)),
        ("four o'clock", time(16, 0)),
        ("nine o'clock", time(9, 0)),
        ("9 am", time(9, 0)),
        ("nine a m", time(9, 0)),
        ("nine a.m.", time(9, 0)),
        ("12 am", time(0, 0)),
        ("12 pm", time(12, 0)),
        ("Four PM.", time(16, 0)),
        ("at three?", time(15, 0)),
        ("uh, at, um, three", time(15, 0)),
        ("Thursday? At like nine?", time(9, 0)),  # a hedge between the cue and the time
        ("around maybe three thirty", time(15, 30)),
        ("at say half past two", time(14, 30)),
        ("nine-ish", time(9, 0)),
        ("Can I come in Monday morning, like nine?", time(9, 0)),  # a hedge after the day's part
        ("from 3 to 5", time(15, 0)),
        ("at 3, no, at 4", time(16, 0)),
        ("Seven o'clock, four people.", time(19, 0)),
        ("8 pm, 2 people", time(20, 0)),
        ("Good morning, can I come at 3?", time(15, 0)),
    ],
)
def test_resolves_time_phrases(text, expected):
    assert resolve_time(text) == expected
    assert resolve(text, TUESDAY).time == expected


@pytest.mark.parametrize(
    ("text", "expected_date", "expected_time"),
    [
        ("tomorrow at three", date(2025, 6, 4), time(15, 0)),
        ("at 3 tomorrow", date(2025, 6, 4), time(15, 0)),
        ("four pm today", date(2025, 6, 3), time(16, 0)),
        ("today at four pm", date(2025, 6, 3), time(16, 0)),
        ("uh, friday, um, at three", date(2025, 6, 6), time(15, 0)),
        ("Friday, at three.", date(2025, 6, 6), time(15, 0)),
        ("tomorrow morning at 10", date(2025, 6, 4), time(10, 0)),
        ("seven tomorrow morning", date(2025, 6, 4), time(7, 0)),
        ("tomorrow evening at seven", date(2025, 6, 4), time(19, 0)),
        ("friday afternoon at 3", date(2025, 6, 6), time(15, 0)),
        ("at half past four on March the 3rd", date(2026, 3, 3), time(16, 30)),
        ("the 3rd of July at 9", date(2025, 7, 3), time(9, 0)),
        ("on the 21st at 4.30 pm", date(2025, 6, 21), time(16, 30)),
        ("4 pm March 3rd", date(2026, 3, 3), time(16, 0)),
        ("3 March 2027 at 16:30", date(2027, 3, 3), time(16, 30)),
        ("Monday the 9th at 9 am", date(2025, 6, 9), time(9, 0)),
        ("this afternoon at 3", date(2025, 6, 3), time(15, 0)),
        ("tonight at eight", date(2025, 6, 3), time(20, 0)),
        ("in 2 hours", date(2025, 6, 3), time(12, 0)),
        ("in half an hour", date(2025, 6, 3), time(10, 30)),
    ],
)
def test_a_date_and_a_time_in_one_sentence(text, expected_date, expected_time):
    assert resolve(text, TUESDAY) == Resolved(expected_date, expected_time)


@pytest.mark.parametrize(
    "text",
    [
        "I have three kids",
        "order number 4711",
        "room 12",
        "a table for four",
        "a table for four, please",
        "we are 5 to 6 people",
        "my number is 06 1234 5678",
        "call me at 06 12 34 56 78",
        "five five five, oh one two three",
        "Sure, it's five five five, four one nine, oh six oh two.",
        "one moment please",
        "second floor",
        "it costs 4.50",
        "it costs two fifty",
        "two 30-minute slots",
        "room 2 30",
        "five five five, two thirty one",
        "about 3 hours",
        "at 4 people",
        "at maybe 4 people",
        "I like 3 of them",
        "What time do you close in the evening?",
        "Who am I speaking with?",
        "Hang on a second, let me grab a pen.",
        "",
    ],
)
def test_things_that_are_not_dates_or_times_give_nothing(text):
    assert resolve(text, TUESDAY) == Resolved(None, None)


def test_the_old_assume_pm_before_setting_is_kept():
    assert resolve_time("at 8", assume_pm_before=9) == time(20, 0)
    assert resolve_time("at 8") == time(8, 0)


def test_time_arguments_in_speech_forms_are_made_iso():
    schema = {"properties": {"at": {"type": "string", "format": "time"}, "day": {"type": "string", "format": "date"}}}
    for spoken in ("one thirty pm", "1.30pm", "1:30 pm", "half past one"):
        assert resolve_arguments({"at": spoken}, schema, TUESDAY) == {"at": "13:30"}, spoken
    assert resolve_arguments({"day": "Friday."}, schema, TUESDAY) == {"day": "2025-06-06"}


def test_a_part_of_today_already_over_names_no_day() -> None:
    evening = datetime(2026, 3, 18, 19, 15, tzinfo=UTC)
    assert resolve("Can you make it this afternoon?", evening).date is None  # misheard "the afternoon"
    assert resolve("this morning at 11", evening) == Resolved(None, time(11, 0))
    assert resolve("this evening", evening).date == date(2026, 3, 18)
    assert resolve("this afternoon", datetime(2026, 3, 18, 14, 0, tzinfo=UTC)).date == date(2026, 3, 18)
