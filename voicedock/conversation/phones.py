"""Whether a phone number the caller gave can be one: the length rules of the call's country.

Whisper drops a digit now and then ("five five five, three oh three, nine eight eight one" heard
as "555-303-981"), and nine digits are no phone number in North America. A tool that books
under such a number books under a number nobody gave. So a number read from the caller's words
must have a length that the country of the call's own numbers allows (libphonenumber's
metadata, through `phonenumberslite`); one that cannot be a number there is no value, and the
caller is asked for it again. A number the caller gives with an international prefix ("double
oh, four four, ...") is judged by the rules of the country it names.
"""

from __future__ import annotations

import re

import phonenumbers

from .digits import phone_digits

PHONE_DIGITS = range(7, 16)
"""Digits of any phone number, anywhere (E.164 allows 15; a local number has 7 or more)."""
_INTERNATIONAL = re.compile(r"^(?:00|011)(?=[1-9])")


def phone_region(*numbers: str | None) -> str | None:
    """The main region of the country of the first E.164 number among `numbers` ("+1..." is US):
    the call's own number first, then the other party's. None when no number names a country."""
    for number in numbers:
        if not number or not number.startswith("+"):
            continue
        try:
            code = phonenumbers.parse(number, None).country_code
        except phonenumbers.NumberParseException:
            continue
        if code is None:
            continue
        region = phonenumbers.region_code_for_country_code(code)
        if region != phonenumbers.UNKNOWN_REGION:
            return region
    return None


def possible_phone(digits: str, region: str | None) -> bool:
    """Whether `digits` can be a phone number dialled from `region` (any region when None)."""
    if not digits.isdigit() or len(digits) not in PHONE_DIGITS:
        return False
    if region is None:
        return True
    international = _INTERNATIONAL.sub("+", digits)
    try:
        number = phonenumbers.parse(international, None if international.startswith("+") else region)
    except phonenumbers.NumberParseException:
        return False
    return bool(phonenumbers.is_possible_number(number))


def number_not_caught(text: str, region: str | None) -> bool:
    """The caller's words hold a run of digits that is no phone number here: say so when asking
    again, rather than ask as if no number had been given."""
    digits = phone_digits(text)
    return len(digits) >= 5 and not possible_phone(digits, region)


_TAIL_DIGITS = re.compile(r"(?i)(?<!\d)(?<!:)(?<!\b(?:at|by) )(?<!around )(?<!about )((?:\d[\s.,-]*){3,6})\W*$")
"""The first group or two of a phone number a turn ends on; not a time ("around 930.")."""
_LEADS_WITH_DIGITS = re.compile(r"^\W*(?:[A-Za-z']+\W+)?\d")


def begun_before(before: str, digits: str, text: str, region: str | None) -> str | None:
    """A phone number the caller began in the turn `before` and finished in this one (`text`, read
    as `digits`): "Sure, 555." and then "2 9 1 4 4 0 8" after a pause that ended the turn
    (through a real call, booked as 2914408). The first group joins the rest where together they
    make a number of the call's country; None where they do not."""
    tail = _TAIL_DIGITS.search(before)
    if tail is None or not _LEADS_WITH_DIGITS.match(text):
        return None
    joined = re.sub(r"\D", "", tail[1]) + digits
    return joined if possible_phone(joined, region) else None
