import pytest
from hypothesis import given
from hypothesis import strategies as st

from voicedock.engines.endpointing import Endpointer, EndpointEvent, looks_unfinished, transcription_wait_seconds

FRAME = 0.02


def feed(ep: Endpointer, pattern: list[tuple[bool, float]]) -> list[tuple[float, EndpointEvent]]:
    """Feed (is_speech, seconds) runs in 20 ms frames; return (time, event) for every event."""
    events, clock = [], 0.0
    for speech, seconds in pattern:
        for _ in range(round(seconds / FRAME)):
            clock += FRAME
            event = ep.process(FRAME, speech)
            if event is not EndpointEvent.NONE:
                events.append((round(clock, 3), event))
    return events


def test_turn_ends_after_wait_seconds_of_silence():
    ep = Endpointer(wait_seconds=0.4, min_speech_seconds=0.1)
    events = feed(ep, [(False, 0.5), (True, 1.0), (False, 1.0)])
    assert [e for _, e in events] == [EndpointEvent.SPEECH_STARTED, EndpointEvent.SPEECH_ENDED]
    assert events[0][0] == 0.6
    assert events[1][0] == 1.9


def test_short_pause_does_not_end_the_turn():
    ep = Endpointer(wait_seconds=0.4)
    events = feed(ep, [(True, 0.5), (False, 0.3), (True, 0.5), (False, 0.5)])
    assert [e for _, e in events] == [EndpointEvent.SPEECH_STARTED, EndpointEvent.SPEECH_ENDED]


def test_a_click_shorter_than_min_speech_is_ignored():
    ep = Endpointer(min_speech_seconds=0.2, timeout_seconds=0)
    assert feed(ep, [(True, 0.1), (False, 1.0)]) == []


def test_silence_times_out_and_keeps_counting():
    ep = Endpointer(timeout_seconds=2.0)
    events = feed(ep, [(False, 4.0)])
    assert events == [(2.0, EndpointEvent.TIMEOUT), (4.0, EndpointEvent.TIMEOUT)]


def test_endless_speech_is_cut_at_max_speech_seconds():
    ep = Endpointer(max_speech_seconds=3.0, min_speech_seconds=0.1)
    events = feed(ep, [(True, 5.0)])
    assert events[1] == (3.0, EndpointEvent.SPEECH_ENDED)


def test_plan_accepts_camel_case_and_overrides_defaults():
    ep = Endpointer.from_start_speaking_plan({"waitSeconds": 0.8, "timeout_seconds": 5})
    assert (ep.wait_seconds, ep.timeout_seconds, ep.min_speech_seconds) == (0.8, 5.0, 0.15)
    assert Endpointer.from_start_speaking_plan(None).wait_seconds == 0.4


def test_transcription_wait_depends_on_how_the_text_ends():
    plan = {
        "transcriptionEndpointingPlan": {
            "onPunctuationSeconds": 0.1,
            "onNoPunctuationSeconds": 1.5,
            "onNumberSeconds": 0.7,
        }
    }
    assert transcription_wait_seconds("Book me in.", plan) == 0.1
    assert transcription_wait_seconds("my number is 06 12", plan) == 0.7
    assert transcription_wait_seconds("I would like to", plan) == 1.5


@given(st.lists(st.tuples(st.booleans(), st.floats(min_value=0.005, max_value=0.1)), max_size=300))
def test_events_alternate_start_then_end(frames):
    ep = Endpointer(wait_seconds=0.3, min_speech_seconds=0.05, timeout_seconds=0)
    seen = [ev for speech, secs in frames if (ev := ep.process(secs, speech)) is not EndpointEvent.NONE]
    expected = [EndpointEvent.SPEECH_STARTED, EndpointEvent.SPEECH_ENDED] * len(seen)
    assert seen == expected[: len(seen)]


@pytest.mark.parametrize("text", [
    "My phone number is", "The reason I'm calling is", "I'm calling on behalf of", "Could you check if",
    "I've been trying to...", "I'd like to book,", "I need it for the", "Can I speak with", "So, um",
    "Tuesday and", "My name is", "My number is 555, 441", "Sure, SD 04.", "It's SD04.", "Zero 4, 7 7."])
def test_words_that_cannot_end_a_sentence_look_unfinished(text: str) -> None:
    assert looks_unfinished(text)


@pytest.mark.parametrize("text", [
    "", "Hello?", "Thank you.", "Yes, it is.", "That's what it is", "Can you book it?", "Book it.",
    "I think so.", "Yes, I can.", "My number is 555 0192.", "What are you open for?", "Okay.",
    "I need to log in", "Is there parking?", "It's 555-0166.", "555, 441, 77, 09.", "Tuesday at 3.",
    "A party of 4.", "At 10:30.", "On the 12th.", "Room 214.", "It ends in 2241, not 2214.", "MG-4877."])
def test_finished_sentences_do_not_look_unfinished(text: str) -> None:
    assert not looks_unfinished(text)


def test_what_the_words_say_of_the_end_of_the_turn() -> None:
    from voicedock.engines.endpointing import WordsRule, words_verdict

    rule = WordsRule(0.02, 0.5)  # unfinished below, finished from
    question = WordsRule(0.02, 0.5, question_finished_from=0.3)
    assert words_verdict("My phone number is", None, rule) is False  # open ending, no model needed
    assert words_verdict("I need to cancel.", None, rule) is None  # no model: the voice decides
    assert words_verdict("I need to cancel.", 0.0001, rule) is False
    assert words_verdict("Tuesday.", 0.008, rule) is None  # too short to judge
    assert words_verdict("Sorry, I just need a loaf of bread.", 0.6, rule) is True
    assert words_verdict("Where can I find your shop?", 0.2, rule) is None
    # a question the STT ended with "?" has its own bar; a statement does not
    assert words_verdict("Where can I find your shop?", 0.49, question) is True
    assert words_verdict("Could you check it?", 0.09, question) is None
    assert words_verdict("I'd like to book a cleaning.", 0.49, question) is None
    assert words_verdict("Can you tell me?", 0.0001, question) is False


def test_the_voice_must_be_surer_where_the_words_model_cannot_tell() -> None:
    from voicedock.engines.endpointing import WordsRule, end_verdict

    rule = WordsRule(0.02, 0.5, 0.7)  # unfinished below, finished from, the voice's threshold when unsure
    # Whisper made "I'm looking for" a whole phrase; the words model cannot tell (0.13)
    assert end_verdict(0.64, 0.5, "I'm looking for it.", 0.13, rule) == (False, False)
    assert end_verdict(0.9, 0.5, "I'm looking for it.", 0.13, rule) == (True, False)
    # the words decide where they can: mid-phrase (held open), or finished
    assert end_verdict(0.9, 0.5, "I need to cancel.", 0.0001, rule) == (False, True)
    assert end_verdict(0.1, 0.5, "Sorry, I just need a loaf of bread.", 0.6, rule) == (True, False)
    # one or two words, no words model, or no transcript: the voice's own threshold
    assert end_verdict(0.6, 0.5, "Tuesday.", 0.01, rule) == (True, False)
    assert end_verdict(0.6, 0.5, "I'm looking for it.", None, rule) == (True, False)
    assert end_verdict(0.6, 0.5, None, None) == (True, False)
    assert end_verdict(0.6, 0.5, "My phone number is", None) == (False, True)


@pytest.mark.parametrize("text", ["Hello.", "Hi there,", "Good morning!", "Oh, hello.", "Hey"])
def test_a_bare_greeting_waits_for_the_reason_of_the_call(text: str) -> None:
    from voicedock.engines.endpointing import WordsRule, end_verdict

    rule = WordsRule(0.02, 0.5, 0.7)
    # both models find "Hello" finished; the longest wait ends the turn unless the caller goes on
    assert end_verdict(0.95, 0.5, text, 0.9, rule) == (False, False)


@pytest.mark.parametrize("text", ["Hello?", "Hello, I'd like to book a table.", "Hi, is anybody there?"])
def test_a_greeting_asked_or_with_more_is_judged_as_any_words(text: str) -> None:
    from voicedock.engines.endpointing import WordsRule, end_verdict

    assert end_verdict(0.95, 0.5, text, 0.9, WordsRule(0.02, 0.5, 0.7)) == (True, False)
