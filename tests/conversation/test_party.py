"""A party is counted from the people a caller lists with themselves, and only then."""

from __future__ import annotations

import pytest

from tests.conversation.harness import FIXED_NOW
from voicedock.conversation.extract import code_proposals
from voicedock.conversation.grounding import Said, answer_for, ground_value
from voicedock.conversation.party import party_size


@pytest.mark.parametrize(("text", "size"), [
    ("it'd be me, my wife and the two kids, maybe around one?", 4),
    ("Just me and my parents.", 3),
    ("My wife and I would like a table on Friday.", 2),
    ("me, my husband, and three friends", 5),
    ("Me and two colleagues.", 3),
    ("me and the kids", None),  # how many kids is not said
    ("Can I book a table for Friday?", None),
])
def test_the_people_listed_with_the_caller_are_counted(text: str, size: int | None) -> None:
    assert party_size(text) == size


def test_a_listed_party_is_a_grounded_party_size_but_no_other_number() -> None:
    said = [Said("So it'd be me, my wife and the two kids, around one.", "caller", 1)]
    party = ground_value("party_size", {"type": "integer"}, 4, said, FIXED_NOW)
    assert party is not None and party.value == 4
    assert ground_value("nights", {"type": "integer"}, 4, said, FIXED_NOW) is None
    assert code_proposals({"properties": {"party_size": {"type": "integer"}}}, said[0].text) == {"party_size": 4}


def test_the_article_of_an_answer_is_no_count() -> None:
    menu = Said("Great. Do you have a kids' menu? My youngest is super picky.", "caller", 2)
    assert answer_for("party_size", {"type": "integer"}, menu) is None
    assert answer_for("party_size", {"type": "integer"}, Said("Six.", "caller", 2)).value == 6  # type: ignore[union-attr]
