"""A phone number the caller gave must have a length the call's country allows."""

from __future__ import annotations

import pytest

from voicedock.conversation.phones import number_not_caught, phone_region, possible_phone


@pytest.mark.parametrize(("digits", "possible"), [
    ("5553039881", True),     # national
    ("5550134", True),        # local, seven digits
    ("15553039881", True),    # with the national prefix
    ("555303981", False),     # a digit lost
    ("55530398811", False),   # one too many
    ("011442079460018", True),  # dialled abroad with the US exit code
    ("5553O39881", False),
])
def test_a_north_american_call_takes_only_numbers_of_north_american_lengths(digits: str, possible: bool) -> None:
    assert possible_phone(digits, "US") is possible


def test_each_country_has_its_own_lengths() -> None:
    assert possible_phone("02079460018", "GB")
    assert not possible_phone("555303981", "US")
    assert possible_phone("00442079460018", "NL")  # the European exit code


def test_without_a_country_any_length_of_a_phone_number_is_taken() -> None:
    assert possible_phone("555303981", None)
    assert not possible_phone("555303", None)
    assert not possible_phone("1" * 16, None)


def test_the_country_is_the_dialled_numbers_then_the_callers() -> None:
    assert phone_region("+15550100200", "+442079460018") == "US"
    assert phone_region(None, "+442079460018") == "GB"
    assert phone_region("bench0", "sip:alice@example.com") is None
    assert phone_region(None, None) is None


def test_a_number_not_caught_is_a_run_of_digits_that_cannot_be_one() -> None:
    assert number_not_caught("Sure, 555-303-981.", "US")
    assert not number_not_caught("Sure, 555-303-9881.", "US")
    assert not number_not_caught("Friday at 3 for two people", "US")
