"""A question about one day's hours gets that day's hours, in the instructions' own times."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from tests.conversation.harness import FIXED_NOW, run_call
from voicedock.conversation.hours import hours_answer, opening_week, parse_week, within_opening_hours
from voicedock.engines.fakes import FakeSTT
from voicedock.engines.loader import fake_engines

CLINIC = ("Opening hours: Monday, Tuesday and Thursday 8:00 to 17:00; Wednesday 10:00 to 19:00; "
          "Friday 8:00 to 14:00; closed on Saturday and Sunday.")
RESTAURANT = ("Opening hours: closed on Monday; Tuesday to Thursday 17:00 to 22:00 (dinner only); "
              "Friday and Saturday 12:00 to 23:00; Sunday 12:00 to 21:00.")
DEPOT = "Depot pickup: Monday to Saturday 10:00 to 18:00; bring a photo ID and the tracking number."
MONDAY = datetime(2026, 11, 30, 11, 0)


def _week(line: str) -> dict[int, list[tuple[str, str]]]:
    return {day: [(a.said, b.said) for a, b in spans] for day, spans in parse_week(line).items()}


def test_lists_ranges_and_closed_days_are_read() -> None:
    assert _week(CLINIC) == {0: [("8:00", "17:00")], 1: [("8:00", "17:00")], 2: [("10:00", "19:00")],
                             3: [("8:00", "17:00")], 4: [("8:00", "14:00")], 5: [], 6: []}
    assert _week(RESTAURANT)[0] == [] and _week(RESTAURANT)[2] == [("17:00", "22:00")]
    assert _week("Hours: Mon-Fri 9 am to 5 pm, Sat 10 am - noon.")[5] == [("10 am", "noon")]
    assert _week("Sunday 12:00 to 15:00 and 18:00 to 22:00.") == {6: [("12:00", "15:00"), ("18:00", "22:00")]}
    assert _week("Weekdays between 8:00 and 18:00; closed at weekends.") == {
        **{d: [("8:00", "18:00")] for d in range(5)}, 5: [], 6: []}


def test_hours_written_as_prose_are_read() -> None:
    """A part of the day marks the hour ("11:00 at night" is 23:00) and lends its half of the day to
    the opening of its span; days may come after their times."""
    week = parse_week("On Friday and Saturday we open at 11:30 in the morning and stay open until 11:00 at night.")
    assert [(a.minutes, b.minutes) for a, b in week[4]] == [(11 * 60 + 30, 23 * 60)]
    assert week[4][0][1].said == "11:00 at night"
    evening = parse_week("On Monday and Wednesday we only serve dinner, from 5:00 to 10:00 in the evening.")
    assert [(a.said, a.minutes, b.minutes) for a, b in evening[0]] == [("5:00", 17 * 60, 22 * 60)]
    assert [(a.minutes, b.minutes) for a, b in parse_week("Monday to Friday 9 to 5 pm")[0]] == [(9 * 60, 17 * 60)]
    desk = parse_week("The desk answers the phone from 7:30 in the morning to 6 in the evening, Monday to Friday, "
                      "and is closed at weekends and on bank holidays.")
    assert {d: [(a.minutes, b.minutes) for a, b in spans] for d, spans in desk.items()} == {
        **{d: [(7 * 60 + 30, 18 * 60)] for d in range(5)}, 5: [], 6: []}


def test_each_span_said_before_its_days_goes_to_the_days_after_it() -> None:
    week = parse_week("We're open 7:30am-4pm Monday through Thursday and 7:30am-noon on Fridays.")
    assert {d: [(a.said, b.said) for a, b in spans] for d, spans in week.items()} == {
        **{d: [("7:30am", "4pm")] for d in range(4)}, 4: [("7:30am", "noon")]}  # not Monday "and 7:30am to noon"
    week = parse_week("9am-5pm weekdays, 10am-2pm Saturdays")
    assert [(a.said, b.said) for a, b in week[0]] == [("9am", "5pm")]
    assert [(a.said, b.said) for a, b in week[5]] == [("10am", "2pm")]
    # a second span said after its day's first is still that day's
    sunday = parse_week("Sunday 12:00 to 15:00 and 18:00 to 22:00")[6]
    assert [(a.said, b.said) for a, b in sunday] == [("12:00", "15:00"), ("18:00", "22:00")]


def test_the_opening_week_takes_the_sentences_of_the_hours_together() -> None:
    prompt = ("You are the host at Little Fig.\n\nYou'll find us at 412 Orchard Avenue. We're closed all day on "
              "Tuesday. On Monday, Wednesday and Thursday we only serve dinner, from 5:00 to 10:00 in the evening. "
              "On Friday and Saturday we open at 11:30 in the morning and stay open until 11:00 at night. The "
              "kitchen takes its last orders half an hour before we close. Deliveries arrive Monday to Saturday "
              "from 7 to 9 am.")
    week = opening_week(prompt)
    assert sorted(week) == [0, 1, 2, 3, 4, 5] and week[1] == ()
    assert week[3][0][0].minutes == 17 * 60 and week[5][0][1].minutes == 23 * 60
    # "at eight" on a Thursday is in the evening there
    assert within_opening_hours(time(8, 0), date(2026, 12, 3), week, "at eight") == time(20, 0)


@pytest.mark.parametrize("label", ["Facts", "Key facts", "Info", "Details", "About us"])
def test_a_label_that_names_the_kind_of_line_is_not_what_the_hours_are_of(label: str) -> None:
    """ "Facts: open Monday to Saturday ..." gives the business's own hours, not "Facts on Saturday"."""
    line = f"{label}: open Monday to Saturday from 7 am to 6 pm, closed on Sunday; 12 Harbour Street."
    assert hours_answer("What time do you open on Saturday?", [line], MONDAY) == (
        "On Saturday we're open from 7 am to 6 pm.")
    assert hours_answer("Are you open on Sunday?", [line], MONDAY) == "No, we're closed on Sunday."
    assert hours_answer("Is the depot open on Saturday?", [DEPOT], MONDAY) == (
        "Yes. Depot pickup on Saturday: from 10:00 to 18:00.")


def test_lines_that_state_no_hours_give_no_week() -> None:
    assert parse_week("Emergencies: we keep same-day emergency slots; call before 10 am.") == {}
    assert parse_week("Walk-in desk: Building B, room 214.") == {}
    assert parse_week("Cancellations: cancel at least 24 hours ahead; no-shows cost a $40 fee.") == {}


@pytest.mark.parametrize("offset", range(7))
def test_today_is_the_calls_own_weekday_on_every_day_of_the_week(offset: int) -> None:
    now = MONDAY + timedelta(days=offset)
    answer = hours_answer("Are you open today?", [CLINIC], now)
    if offset >= 5:
        assert answer == "No, we're closed today."
    else:
        opens, closes = _week(CLINIC)[offset][0]
        assert answer == f"Yes, today we're open from {opens} to {closes}."


@pytest.mark.parametrize(("question", "answer"), [
    ("Are you open on Saturday?", "No, we're closed on Saturday."),
    ("What time do you close on Wednesday?", "On Wednesday we're open from 10:00 to 19:00."),
    ("Are you open tomorrow?", "Yes, tomorrow we're open from 8:00 to 17:00."),
    ("Are you closed on Sunday?", "Yes, we're closed on Sunday."),
    ("Are you open late any day?", "We're open until 19:00 on Wednesday."),
    ("Are you open at the weekend?", "No, we're closed at the weekend."),
    ("Are you open right now?", "Yes, we're open right now. Today we're open from 8:00 to 17:00."),
])
def test_the_day_asked_about_gets_its_own_hours(question: str, answer: str) -> None:
    assert hours_answer(question, [CLINIC], MONDAY) == answer


def test_hours_of_a_named_service_are_said_as_its_hours() -> None:
    assert hours_answer("Can I pick it up on Saturday?", [DEPOT], MONDAY) == (
        "Yes. Depot pickup on Saturday: from 10:00 to 18:00.")
    assert hours_answer("Is the depot open now?", [DEPOT], MONDAY + timedelta(hours=8)) == (
        "No, not right now. Depot pickup today: from 10:00 to 18:00.")
    assert hours_answer("Do you deliver on Sunday?", ["Deliveries: Monday to Saturday between 8:00 and 18:00; "
                                                      "none on Sunday."], MONDAY) == "No. Deliveries: not on Sunday."


def test_a_question_about_opening_reads_the_hours_line_even_when_another_line_matched() -> None:
    emergencies = "Emergencies: we keep same-day emergency slots; call before 10 am."
    assert hours_answer("Are you open late any day?", [emergencies], MONDAY, [emergencies, CLINIC]) == (
        "We're open until 19:00 on Wednesday.")
    assert hours_answer("Is Dr. Nair in on Friday?", ["Dentists: Dr. Priya Nair."], MONDAY, [CLINIC]) is None


def test_yes_or_no_is_read_from_the_last_question_and_early_only_about_opening() -> None:
    deliveries = "Deliveries: Monday to Saturday between 8:00 and 18:00."
    assert hours_answer("Tomorrow's Saturday, right? Do you deliver Saturdays?", [deliveries], MONDAY) == (
        "Yes. Deliveries on Saturday: from 8:00 to 18:00.")
    assert hours_answer("Do I need to come early?", [CLINIC], MONDAY) is None
    assert hours_answer("Do you open early?", [CLINIC], MONDAY) == (
        "We're open from 8:00 on Monday, Tuesday, Thursday and Friday.")


def test_a_day_the_line_does_not_state_or_no_day_leaves_the_whole_line() -> None:
    assert hours_answer("Can I pick it up on Sunday?", [DEPOT], MONDAY) is None
    assert hours_answer("What are your opening hours?", [CLINIC], MONDAY) is None
    assert hours_answer("Are you open on Saturday?", ["There are no deliveries on Sunday."], MONDAY) is None


def test_a_caller_asking_about_today_hears_todays_hours_on_the_call() -> None:
    assistant = {"system_prompt": f"You are the receptionist of a clinic.\n- {CLINIC}", "first_message": None}
    result = run_call([("silence", 1.0), ("speak", 1.0), ("silence", 6.0)], assistant=assistant,
                      engines=fake_engines(stt=FakeSTT(["Hi, are you open today?"])), max_seconds=12)
    assert FIXED_NOW.weekday() == 1  # a Tuesday
    assert result.recorder.messages("assistant") == ["Yes, today we're open from 8:00 to 17:00."]


def test_and_tomorrow_after_a_question_about_hours_gets_tomorrows_hours() -> None:
    assistant = {"system_prompt": f"You are the receptionist of a clinic.\n- {CLINIC}\n- Parking: behind the building.",
                 "first_message": None}
    said = ["Hi, are you open today?", "And tomorrow?", "Do you have parking?", "And tomorrow?"]
    script = [("silence", 1.0)] + [step for _ in said for step in (("speak", 1.0), ("silence", 6.0))]
    result = run_call(script, assistant=assistant, engines=fake_engines(stt=FakeSTT(said)), max_seconds=40)
    heard = result.recorder.messages("assistant")
    assert heard[:3] == ["Yes, today we're open from 8:00 to 17:00.", "Tomorrow we're open from 10:00 to 19:00.",
                         "Behind the building."]
    assert "open" not in heard[3]  # the parking line states no days: no hours for tomorrow from it


RESTAURANT = ("You are the host of Osteria Lucia.\n- Address: 88 Canal Street.\n- Opening hours: closed on Monday; "
              "Tuesday to Thursday 17:00 to 22:00; Friday and Saturday 12:00 to 23:00; Sunday 12:00 to 21:00.")
SATURDAY = date(2026, 3, 28)


@pytest.mark.parametrize(("said", "read", "taken"), [
    ("a quarter to nine", time(8, 45), time(20, 45)),  # 8:45 is closed, 20:45 open
    ("around eight", time(8, 0), time(20, 0)),
    ("at one", time(13, 0), time(13, 0)),  # open at 13:00 already
    ("eight in the morning", time(8, 0), time(8, 0)),  # said: the caller's own half of the day
    ("8 am", time(8, 0), time(8, 0)),
    ("at 08:45", time(8, 45), time(8, 45)),
    ("at twelve", time(12, 0), time(12, 0)),
])
def test_an_hour_said_without_am_or_pm_is_read_when_the_business_is_open(said: str, read: time, taken: time) -> None:
    week = opening_week(RESTAURANT)
    assert week[5] and week[0] == ()
    assert within_opening_hours(read, SATURDAY, week, said) == taken


def test_a_day_the_business_is_closed_or_instructions_without_hours_change_nothing() -> None:
    week = opening_week(RESTAURANT)
    assert within_opening_hours(time(8, 0), date(2026, 3, 30), week, "at eight") == time(8, 0)  # Monday: closed
    assert opening_week("You are the host of Osteria Lucia. Address: 88 Canal Street.") == {}


def test_open_yet_and_still_open_are_about_now() -> None:
    line = "Opening hours: Monday to Friday 8:00 to 17:00; closed on Saturday and Sunday."
    early = datetime(2026, 7, 16, 7, 40)  # a Thursday, before opening
    assert hours_answer("Are you guys open yet?", [line], early) == \
        "No, we're closed right now. Today we're open from 8:00 to 17:00."
    assert hours_answer("Are you still open?", [line], early.replace(hour=16)).startswith("Yes, we're open right now")


def test_the_next_opening_from_now() -> None:
    phone = "Phone line hours: Monday to Friday 8:00 to 20:00, Saturday 9:00 to 15:00, closed on Sunday."
    walk_in = "Walk-in desk: Building B, room 214, Monday to Friday 9:00 to 12:00."
    sunday_evening, friday_afternoon = datetime(2026, 5, 17, 19, 0), datetime(2026, 5, 15, 13, 30)
    assert hours_answer("When's the soonest I could reach somebody there?", [phone], sunday_evening) == \
        "We're next open tomorrow from 8:00 to 20:00."
    assert hours_answer("So when's the next time I could go over there?", [walk_in], friday_afternoon) == \
        "Walk-in desk: open on Monday from 9:00 to 12:00."
    assert hours_answer("When are you open next?", [phone], friday_afternoon) == "We're open right now, until 20:00."


def test_will_it_still_come_today_is_no_question_about_being_open_now() -> None:
    line = "Deliveries: Monday to Saturday between 8:00 and 18:00."
    answer = hours_answer("And it'll still come today?", [line], datetime(2026, 7, 16, 10, 0))
    assert answer is None or not answer.startswith("Yes, right now")


def test_after_hours_asks_for_no_days_hours() -> None:
    emergency = "For emergencies after hours, patients should call 555-0142."
    hours = "We're open 7:30am-4pm Monday through Thursday and 7:30am-noon on Fridays."
    question = "I've got a really bad toothache and it's after hours tomorrow, who do I call?"
    assert hours_answer(question, [emergency], datetime(2026, 12, 7, 15, 40), [hours]) is None
    assert hours_answer("What time do you close tomorrow?", [emergency], datetime(2026, 12, 7, 15, 40),
                        [hours]) == "Tomorrow we're open from 7:30am to 4pm."


@pytest.mark.parametrize(("question", "yes"), [("Are you open Friday afternoon?", False),
                                               ("Are you open Friday morning?", True),
                                               ("Are you open Thursday evening?", False),
                                               ("Are you open tomorrow afternoon?", True)])
def test_a_yes_or_no_about_part_of_a_day_is_about_that_part(question: str, yes: bool) -> None:
    line = "We're open 7:30am-4pm Monday through Thursday and 7:30am-noon on Fridays."
    answer = hours_answer(question, [line], datetime(2026, 12, 7, 15, 40))  # a Monday
    assert answer is not None and answer.startswith("Yes" if yes else "No")


def test_hours_written_short_are_read() -> None:
    week = parse_week("Hours: M-F 9-6, Sat 10-2, Sun closed")
    assert {d: [(a.minutes // 60, b.minutes // 60) for a, b in spans] for d, spans in week.items()} == {
        **{d: [(9, 18)] for d in range(5)}, 5: [(10, 14)], 6: []}
    assert [(a.minutes // 60, b.minutes // 60) for a, b in parse_week("Dinner 5-10 daily")[2]] == [(17, 22)]
    assert parse_week("We have 2-3 dentists") == {}
    answer = hours_answer("What are your hours on Saturday?", ["Hours: M-F 9-6, Sat 10-2, Sun closed"],
                          datetime(2026, 12, 7, 15, 40))
    assert answer == "On Saturday we're open from 10 to 2."  # not "closed": its hours were there


def test_days_whose_hours_cannot_be_read_are_not_closed() -> None:
    week = parse_week("Saturday 10 am to half two, Sunday closed")
    assert 5 not in week and week[6] == ()
