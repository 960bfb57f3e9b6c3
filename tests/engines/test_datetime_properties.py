"""Round trips: a date and a time rendered the ways callers say them resolve back to exactly themselves.

The renderers here are written independently of the resolver (plain string formatting), and
each form is only used where the resolver's conventions make it mean that one day: a bare
weekday for the next six days, "the 3rd" for a day of this month still ahead, a month and day
without a year for the next occurrence.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from voicedock.engines.datetime_resolve import Resolved, resolve, resolve_time

UNITS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen"
).split()
TENS = {2: "twenty", 3: "thirty", 4: "forty", 5: "fifty"}
ORDINALS = (
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth "
    "fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth"
).split()
MONTHS = "January February March April May June July August September October November December".split()
WEEKDAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
ZONES = [UTC, ZoneInfo("Europe/Amsterdam"), ZoneInfo("America/New_York"), ZoneInfo("Asia/Tokyo")]


def words(n: int) -> str:
    if n < 20:
        return UNITS[n]
    return TENS[n // 10] + ("" if n % 10 == 0 else "-" + UNITS[n % 10])


def ordinal_words(n: int) -> str:
    if n <= 20:
        return ORDINALS[n - 1]
    if n == 30:
        return "thirtieth"
    return f"{TENS[n // 10]} {ORDINALS[n % 10 - 1]}"


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def year_words(year: int) -> str:
    return f"twenty {words(year % 100)}"


def next_occurrence(month: int, day: int, today: date) -> date | None:
    for year in range(today.year, today.year + 9):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate >= today:
            return candidate
    return None


def day_of_month(day: int, today: date) -> date | None:
    for i in range(3):
        month0 = today.month - 1 + i
        try:
            candidate = date(today.year + month0 // 12, month0 % 12 + 1, day)
        except ValueError:
            continue
        if candidate >= today:
            return candidate
    return None


def date_forms(d: date, today: date) -> list[str]:
    """Every way of saying `d` that means exactly `d` when said on `today`."""
    month, day = MONTHS[d.month - 1], d.day
    forms = [
        f"{day} {month} {d.year}",
        f"{month} {ordinal(day)}, {d.year}",
        f"the {ordinal_words(day)} of {month} {d.year}",
        f"{month} the {ordinal(day)} {year_words(d.year)}",
        f"{d.isoformat()}",
    ]
    if next_occurrence(d.month, d.day, today) == d:
        forms += [f"{month} the {ordinal(day)}", f"the {ordinal_words(day)} of {month}", f"{day} {month}"]
        forms += [f"{month} {day}", f"{month[:3]} {ordinal(day)}"]
    if day_of_month(day, today) == d:
        forms += [f"the {ordinal(day)}", f"on the {ordinal_words(day)}"]
    ahead = (d - today).days
    weekday = WEEKDAYS[d.weekday()]
    forms.append(f"{weekday} {day} {month} {d.year}")
    if day_of_month(day, today) == d:
        forms.append(f"{weekday} the {ordinal(day)}")
    if next_occurrence(d.month, d.day, today) == d:
        forms.append(f"{weekday}, {month} {ordinal_words(day)}")
    if 1 <= ahead <= 7:
        forms.append(weekday)
    if 0 <= ahead <= 6:  # this week's when still ahead, else next week's: always within 6 days
        forms.append(f"this {weekday}")
    monday = today - timedelta(days=today.weekday())
    if monday + timedelta(days=7) <= d < monday + timedelta(days=14):
        forms += [f"next {weekday}", f"{weekday} next week", f"next week {weekday}"]
    named = {0: "today", 1: "tomorrow", 2: "the day after tomorrow"}
    if ahead in named:
        forms.append(named[ahead])
    if ahead > 1:
        forms.append(f"in {words(ahead) if ahead < 60 else ahead} days")
    if ahead > 0 and ahead % 7 == 0:
        weeks = ahead // 7
        forms.append("in a week" if weeks == 1 else f"in {words(weeks) if weeks < 60 else weeks} weeks")
    return forms


def part_of_day(hour: int) -> str:
    if 5 <= hour < 12:
        return "in the morning"
    if 12 <= hour < 18:
        return "in the afternoon"
    if 18 <= hour < 22:
        return "in the evening"
    return "at night"


def time_forms(t: time) -> list[str]:
    """Ways of saying `t`, each with what fixes am or pm: a meridiem, a part of the day, 24 hours."""
    hour12 = t.hour % 12 or 12
    mer = "am" if t.hour < 12 else "pm"
    minute = t.minute
    spoken_minute = f"oh {words(minute)}" if 0 < minute < 10 else words(minute)
    forms = [
        f"{hour12}:{minute:02d} {mer}",
        f"{hour12}.{minute:02d}{mer}",
        f"{hour12}:{minute:02d} {mer[0]}.m.",
        f"{t.hour:02d}:{minute:02d}",
        f"{hour12}:{minute:02d} {part_of_day(t.hour)}",
    ]
    if minute == 0:
        forms += [f"{words(hour12)} {mer}", f"{hour12} {mer[0]}.m.", f"{words(hour12)} o'clock {part_of_day(t.hour)}"]
        if t.hour == 12:
            forms += ["noon", "midday", "twelve noon"]
        if t.hour == 0:
            forms.append("midnight")
    else:
        forms.append(f"{words(hour12)} {spoken_minute} {mer}")
        forms.append(f"{words(hour12)} {spoken_minute} {part_of_day(t.hour)}")
    part = part_of_day(t.hour)
    after = words(hour12 % 12 + 1)
    past = {15: "quarter past", 30: "half past", 45: "quarter to"}.get(minute)
    if minute in (5, 10, 20, 25):
        past = f"{words(minute)} past"
    if minute in (35, 40, 50, 55):
        past = f"{words(60 - minute)} to"
    if past:
        said_hour = after if past.endswith(" to") else words(hour12)
        forms += [f"{past} {said_hour} {part}", f"{past} {said_hour} {mer}"]
    return forms


def decorate(text: str, style: int) -> str:
    """What speech recognition does to a sentence: case, trailing punctuation, fillers."""
    return [text, text.upper(), text.capitalize() + ".", f"uh, {text}?", f"um {text}, please", text + ","][style]


moments = st.builds(
    lambda day, minutes, zone: datetime.combine(day, time(0, 0), tzinfo=zone) + timedelta(minutes=minutes),
    st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)),
    st.integers(0, 24 * 60 - 1),
    st.sampled_from(ZONES),
)
grid_times = st.builds(lambda m: time(m // 60, m % 60), st.integers(0, 24 * 12 - 1).map(lambda i: i * 5))


@settings(max_examples=300, deadline=None)
@given(moments, st.integers(-400, 400), st.data())
def test_dates_round_trip(now, offset, data):
    day = now.date() + timedelta(days=offset)
    form = data.draw(st.sampled_from(date_forms(day, now.date())))
    said = decorate(form, data.draw(st.integers(0, 5)))
    assert resolve(said, now) == Resolved(day, None), said


@settings(max_examples=300, deadline=None)
@given(grid_times, st.data())
def test_times_round_trip(t, data):
    form = data.draw(st.sampled_from(time_forms(t)))
    said = decorate(form, data.draw(st.integers(0, 5)))
    assert resolve_time(said) == t, said


@settings(max_examples=400, deadline=None)
@given(moments, st.integers(-400, 400), grid_times, st.data())
def test_a_date_and_a_time_round_trip_in_either_order(now, offset, t, data):
    day = now.date() + timedelta(days=offset)
    date_form = data.draw(st.sampled_from(date_forms(day, now.date())))
    time_form = data.draw(st.sampled_from(time_forms(t)))
    order = data.draw(st.sampled_from(["{d} at {t}", "at {t} {d}", "{t} on {d}", "{d}, {t}", "{t}, {d}"]))
    said = decorate(order.format(d=date_form, t=time_form), data.draw(st.integers(0, 5)))
    assert resolve(said, now) == Resolved(day, t), said


@settings(max_examples=200, deadline=None)
@given(moments, st.integers(1, 59), st.sampled_from(["in {} minutes", "in {} hours"]))
def test_in_so_many_minutes_or_hours_counts_from_now(now, n, form):
    minutes = n * (60 if "hours" in form else 1)
    expected = (now + timedelta(minutes=minutes)).replace(second=0, microsecond=0)
    found = resolve(form.format(words(n)), now)
    assert (found.date, found.time) == (expected.date(), expected.time().replace(tzinfo=None))


@settings(max_examples=200, deadline=None)
@given(moments, st.integers(0, 9999), st.sampled_from(["order number {}", "room {}", "I have {} kids", "{} people"]))
def test_counts_and_numbers_are_never_dates_or_times(now, n, form):
    assert resolve(form.format(n), now) == Resolved(None, None)
