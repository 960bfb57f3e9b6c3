import pytest
from hypothesis import given
from hypothesis import strategies as st

from voicedock.engines.sentences import SentenceSplitter, clean_for_speech, first_clause_then_rest, split_sentences


def tokens_of(text: str, size: int = 3) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello! How can I help?", ["Hello!", "How can I help?"]),
        ("The price is 3.5 euros. Anything else?", ["The price is 3.5 euros.", "Anything else?"]),
        ("Dr. Smith sees you at 3 p.m. tomorrow.", ["Dr. Smith sees you at 3 p.m. tomorrow."]),
        ("See Mr. J. Jansen, e.g. on Monday. Bye.", ["See Mr. J. Jansen, e.g. on Monday.", "Bye."]),
        ('He said "yes." Then left', ['He said "yes."', "Then left"]),
        ("Wait... what?! Really", ["Wait...", "what?!", "Really"]),
        ("Options:\n1. Cleaning\n2. Check-up", ["Options:", "1. Cleaning", "2. Check-up"]),
    ],
)
def test_splits_sentences_but_not_numbers_or_abbreviations(text, expected):
    assert list(split_sentences(tokens_of(text))) == expected


def test_first_sentence_is_released_as_soon_as_the_next_token_starts():
    splitter = SentenceSplitter()
    assert splitter.feed("Sure") == []
    assert splitter.feed(".") == []
    assert splitter.feed(" Let") == ["Sure."]
    assert splitter.flush() == "Let"


def test_overlong_run_is_cut_at_a_comma():
    text = "one, " * 80
    parts = list(split_sentences([text], max_chars=100))
    assert all(len(p) <= 100 for p in parts)
    assert " ".join(parts).split() == text.split()


def test_markdown_is_removed_for_speech():
    assert clean_for_speech("**Yes**, use `book`:\n- Monday") == "Yes, use book:\nMonday"


words = st.sampled_from(["Hi", "Dr.", "3.5", "ok", "e.g.", "yes.", "no!", "why?", "A.", "x", "\n", "2.", "so,"])


@given(st.lists(words, max_size=40), st.integers(min_value=1, max_value=7))
def test_token_boundaries_do_not_change_the_sentences(parts, size):
    text = " ".join(parts)
    whole = list(split_sentences([text]))
    assert list(split_sentences(tokens_of(text, size))) == whole
    assert " ".join(whole).split() == text.split()


def _pieces(text: str, size: int = 3, **options) -> list[str]:
    splitter = SentenceSplitter(**options)
    out = [piece for token in tokens_of(text, size) for piece in splitter.feed(token)]
    return out + ([tail] if (tail := splitter.flush()) else [])


def test_first_clause_starts_speech_at_the_first_comma_only():
    text = "Yes, we make birthday cakes, and cupcakes. Anything else?"
    assert _pieces(text, first_clause=True) == ["Yes,", "we make birthday cakes, and cupcakes.", "Anything else?"]
    assert _pieces(text) == ["Yes, we make birthday cakes, and cupcakes.", "Anything else?"]


def test_an_apology_is_not_a_first_clause_of_its_own():
    """What follows "I'm sorry," may be dropped (a refusal after a tool ran, a number nobody gave):
    the apology must not already have been spoken alone."""
    assert _pieces("I'm sorry, but I can't assist with that. Bye.", first_clause=True) == [
        "I'm sorry, but I can't assist with that.", "Bye."]
    assert _pieces("Sorry, we're closed on Sunday.", first_clause=True) == ["Sorry, we're closed on Sunday."]
    assert _pieces("Unfortunately, no.", first_clause=True) == ["Unfortunately, no."]
    assert _pieces("Sorry to hear that, how can I help?", first_clause=True) == ["Sorry to hear that,", "how can I help?"]


def test_first_clause_leaves_numbers_and_sentences_without_a_clause_whole():
    assert _pieces("We baked 7,000 loaves. Bye.", first_clause=True) == ["We baked 7,000 loaves.", "Bye."]
    assert _pieces("Open at 7: come early.", first_clause=True) == ["Open at 7:", "come early."]


@given(st.lists(words, max_size=40), st.integers(min_value=1, max_value=7))
def test_first_clause_keeps_every_word_in_order(parts, size):
    text = " ".join(parts)
    assert " ".join(_pieces(text, size, first_clause=True)).split() == text.split()


def test_fixed_text_is_spoken_as_its_first_clause_then_the_rest():
    answer = "Monday to Saturday 10:00 to 18:00; bring a photo ID. See you soon."
    assert first_clause_then_rest(answer) == ["Monday to Saturday 10:00 to 18:00;", "bring a photo ID. See you soon."]
    assert first_clause_then_rest("We open at nine.") == ["We open at nine."]
    assert first_clause_then_rest("") == []


@given(st.lists(words, max_size=40))
def test_first_clause_then_rest_keeps_every_word_in_order(parts):
    text = " ".join(parts)
    assert " ".join(first_clause_then_rest(text)).split() == text.split()
