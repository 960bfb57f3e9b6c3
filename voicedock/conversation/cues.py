"""What the caller's own words say about tools, read in code before (and over) the model.

A small model picks a tool for "Hello?" and books when asked whether Friday is free. The
caller's words decide instead where plain patterns suffice: greetings, thanks and backchannels
never run a tool; "bye" ends the call and "can I speak to the manager" transfers, whatever the
model thinks; a tool that changes something (book, cancel, create) runs only when the caller
asked for that action, while a look-up (check, track, status) may run on a value the caller gave.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from voicedock.engines.datetime_words import WEEKDAY_RE

from .tools import END_CALL, TRANSFER_CALL, ToolSpec

_LINE_CHECK_PHRASES = r"is any(?:one|body) there|are you there|can you hear me|any(?:one|body) there"
"""Asking whether anyone is on the line: chatter (`is_chatter`), answered in fixed words (`is_line_check`)."""
_CHATTER = re.compile(
    r"^(?:(?:(?:hi|hello|hey|hiya|good (?:morning|afternoon|evening))(?: there| again)?|yes|yeah|yep|no|nope|ok|okay|alright|all right|"
    r"right|sure|great|perfect|cool|fine|good|nice|thanks|thank you(?: (?:so|very) much)?|(?:thanks|thank you) (?:anyway|anyways|all the same)|cheers|uh[- ]?huh|"
    r"mm[- ]?hmm|hmm|uh|um|er|oh|ah|i see|got it|sounds good|that's (?:great|fine|good|perfect)|"
    rf"{_LINE_CHECK_PHRASES}|hello there|"
    r"how are you(?: doing)?(?: today)?|"
    # asking for help or leave to ask, before saying what about
    r"(?:(?:can|could|would) you|i (?:was )?wonder(?:ing)? if you (?:can|could)) (?:please )?help(?: me)?(?: out)?"
    r"(?: (?:with something|please|for a (?:second|moment)))?|(?:can|could|may) i ask (?:you )?(?:something|a (?:quick )?question)|"
    r"i (?:have|had|'ve got|got) a (?:quick )?question(?: for you)?|i need (?:some )?help|"
    r"i'm (?:good|fine|well)(?: thanks)?|not bad)[\s,.!?]*)+$",
    re.I,
)
_GOODBYE = re.compile(
    r"\b(?:good ?bye|bye(?: bye)?|that'?s (?:all|it|everything)(?: (?:i need|for (?:now|today)))?|"
    r"nothing else|i'?m (?:all )?(?:done|set|good)(?: now| then)?|hang up|end (?:the|this) call|"
    r"have a (?:good|nice|great) (?:day|one|evening|night|weekend)|"
    r"see (?:you|ya)(?: then| soon| later| there| tonight| tomorrow| in a (?:bit|while|minute)| on \w+| \w+day)?[.!]*$|"
    r"talk (?:to you )?(?:soon|later)|take care|(?:(?<=^)|(?<=[.,!?] ))(?:good ?)?night[.!]*$)(?!\w)",  # not \b: "see you Saturday!" ends on a "!"
    re.I,
)
_NOT_GOODBYE = re.compile(r"\b(?:book|reserve|cancel|schedule|and (?:also|can)|but|before you go|one more)\b", re.I)
_PERSON = re.compile(
    r"\b(?:speak|talk|put me through|connect me|transfer me|get me|put me (?:onto|on to)|pass me (?:on )?to)\b"
    r".{0,30}?\b(?:person|human|someone|somebody|"
    r"manager|agent|operator|representative|receptionist|staff|doctor|owner|supervisor|reception|a real|whoever)\b|"
    r"\b(?:real person|human being|operator|transfer me|put me through)\b|"
    r"\b(?:someone|somebody|anyone|anybody|a person)(?: (?:there|else))? (?:i|we) (?:can|could) (?:talk|speak) (?:to|with)\b|"
    r"^\W*(?:can i have |could i get |i want |i'd like )?(?:a|an|the) (?:person|human|manager|agent|representative|"
    r"receptionist|supervisor)(?: please)?\W*$",
    re.I,
)
_NEGATED = re.compile(r"\b(?:don'?t|do not|no need to|not|never)\s+(?:want to\s+|need to\s+|wanna\s+|have to\s+)?$",
                      re.I)

# The verbs a tool's name starts with, and how callers say them (stems match word beginnings).
_ACTIONS: dict[str, tuple[str, ...]] = {
    "book": ("book", "reserv", "schedul", "make an appointment", "make a reservation", "set up an appointment",
             "get an appointment", "need an appointment", "want an appointment", "like an appointment",
             "come in", "appointment for", "get me in", "fit me in", "grab a table", "table for",
             "i'll take", "i will take", "we'll take", "put me down", "sign me up", "pencil me in"),
    "reserve": ("reserv", "book", "table for", "get a table", "grab a table", "make a reservation"),
    "schedule": ("schedul", "book", "set up", "arrange"),
    "cancel": ("cancel", "call off", "can't make it", "cannot make it", "won't make it", "drop my"),
    "create": ("create", "open a ticket", "open a case", "log a", "log it", "log this", "log that", "log one",
               "logged", "log something", "raise a", "raise it", "raise that", "raise something", "file it",
               "file that", "put that in", "put it in", "take a look at", "have a look at", "look into it",
               "send someone", "send somebody",
               "report", "submit", "file a", "new ticket", "ticket for", "make a ticket", "put in a", "put a ticket"),
    "open": ("open", "create", "log a", "raise a", "report"),
    "reschedule": ("reschedul", "change the date", "change the day", "move", "another day", "different day",
                   "move a delivery", "move the delivery", "move my delivery", "move the delivery date",
                   "deliver on", "deliver it on", "redeliver", "push", "different date", "come on", "bring it on",
                   "bring it the day", "bring it tomorrow", "bring it next", "bring it another", "bring it a day",
                   "deliver it the day", "deliver it tomorrow", "deliver it next", "deliver it another"),
    "change": ("change", "update", "move", "switch", "correct", "different address", "new address", "wrong address",
               "address is wrong", "incorrect address", "deliver it to",
               "send it to", "redirect", "deliver to my", "instead of"),
    "update": ("update", "change", "correct"),
    "send": ("send", "text me", "email me", "mail me"),
    "transfer": ("transfer",),
}
_READ_VERBS = {"check", "get", "find", "list", "lookup", "look", "search", "track", "status", "query", "show",
               "verify", "is", "has", "can", "availability", "ticket", "order", "where"}
_READ_HINTS: dict[str, tuple[str, ...]] = {
    "check": ("check", "available", "availab", "free", "open slot", "any slots", "any room", "any tables",
              "fit me in", "have a table", "you have an appointment", "have a slot", "anything open", "an opening",
              "any openings", "see if", "room for", "have room", "is there room", "a table for", "can you fit",
              "is there space", "got space", "have anything", "got anything", "is there anything",
              "anything left", "anything free"),
    "availability": ("available", "availab", "free", "an opening", "any openings", "see if", "any slots"),
    "track": ("track", "where is", "where's", "where my", "whereabouts", "when will it arrive", "when will my", "hasn't arrived",
              "has not arrived", "still not", "not arrived", "not here yet", "any update on my", "any news",
              "supposed to be here", "supposed to arrive", "supposed to come", "still waiting", "hasn't come",
              "never came", "never arrived"),
    "status": ("status", "update on", "what's happening", "progress", "any news", "where are we", "calling about my",
               "about my ticket", "follow up", "following up", "checking on", "check on"),
}
# A look-up named for what it finds ("find_free_slots", "list_openings") is asked for as a check is.
_READ_HINTS |= dict.fromkeys(("free", "slot", "slots", "opening", "openings", "vacancies"), _READ_HINTS["check"])


@dataclass(frozen=True)
class Cue:
    spec: ToolSpec
    destination: str | None = None
    source: str = "caller"
    said: str | None = None


_YES = re.compile(r"^\W*(?:yes|yeah|yep|yup|sure|ok|okay|alright|please do|go ahead|do it|sounds good|"
                  r"that works|perfect|great)\b", re.I)


def confirms(spec: ToolSpec, text: str, offered: str) -> bool:
    """A "yes" to the assistant's own offer of this tool's action ("Shall I book Friday at 2?")."""
    return bool(_YES.match(text)) and offered.rstrip().endswith("?") and asks_for(spec, offered)


_BUSINESS_QUESTION = re.compile(
    r"\b(?:hours|opening hours|open late|open on|open today|are (?:you|y'all|ya)(?: guys| folks| all)? (?:still )?open|"
    r"is (?:the|your) (?:office|clinic|practice|surgery|shop|store|salon|studio|restaurant|kitchen|bar|desk|depot|"
    r"branch|counter|line|terrace|place) (?:still )?open|close|closing|closed|address|located|"
    r"location|where are you|parking|park|price|prices|cost|costs|how much|fee|fees|charged?|charges|insurance|"
    r"accept|menu|policy|wheelchair|directions|pay by|payment|refund|how long|deliver to|ship to|"
    # what is done on a day of every week: "do you deliver on Sundays"
    r"on (?:mondays|tuesdays|wednesdays|thursdays|fridays|saturdays|sundays|weekends|public holidays))\b", re.I)


def asks_about_business(text: str) -> bool:
    """A question about the business itself (hours, address, prices), which the prompt answers."""
    return bool(_BUSINESS_QUESTION.search(text))


_SMALL_TALK = re.compile(r"\b(?:how are you|how's it going|how is it going|how have you been|nice day|the weather|"
                         r"how's your day|how is your day)\b", re.I)


def is_small_talk(text: str) -> bool:
    return bool(_SMALL_TALK.search(text))


def is_chatter(text: str) -> bool:
    """Greetings, thanks, yes/no and backchannels: no tool, and no need to ask the model."""
    return bool(_CHATTER.match(text.strip()))


_THANKS = re.compile(r"\b(?:thanks|thank you|cheers)\b", re.I)
_ACCEPTS = re.compile(r"\b(?:yes|yeah|yep|sure)\b", re.I)


def is_thanks(text: str) -> bool:
    """Only thanks, with at most an acknowledgement ("Great, thanks.", "Perfect, thank you!", "No,
    thanks."): answered in fixed words. Not a yes to what the assistant offered ("Yes, thanks."),
    whose answer depends on the offer."""
    return is_chatter(text) and bool(_THANKS.search(text)) and not _ACCEPTS.search(text)


_LINE_CHECK = re.compile(rf"\b(?:{_LINE_CHECK_PHRASES})\b", re.I)
HERE = "Yes, I'm here. How can I help you?"


_DROPS = re.compile(r"\b(?:never ?mind|forget (?:it|about it|that)|don't worry about it|"
                    r"i(?:'?ll| will) (?:just )?(?:call|ring) (?:you )?(?:back|again)|(?:call|ring) (?:you )?back (?:later|tomorrow)|"
                    r"i(?:'?ll| will) think about it|(?:let me|i'll|i will|i need to|i have to) check (?:my|with|the)\b)", re.I)


def drops_request(text: str) -> bool:
    """The caller lets go of what they asked for ("Actually never mind, I'll call back.", "Forget
    it."): a tool waiting for values stops waiting, rather than asking again for them."""
    return bool(_DROPS.search(text))


_AGAIN = re.compile(
    r"^\W*(?:(?:sorry|pardon|excuse me|um|uh|oh|what)\W+)*(?:(?:can|could|would) you (?:please )?(?:repeat|say) "
    r"(?:that|it|this|what you said)(?: (?:again|one more time))?(?: please)?|(?:please )?(?:repeat|say) (?:that|it) "
    r"(?:again|one more time)(?: please)?|come again|pardon(?: me)?|sorry(?=\s*\?)|what was that|what did you (?:just )?say|"
    r"i didn'?t (?:catch|get|hear) (?:that|it|you|what you said)|say again)\W*$", re.I)


_FIRST_MOMENT = (r"(?:let me (?:think|see|check|look|find|grab|get)(?: (?:my|the|a|it|that|for it)(?: \w+)?)?|hold on|"
                 r"hang on|one (?:sec|second|moment|minute)|just a (?:sec|second|moment|minute)|"
                 r"give me a (?:sec|second|moment|minute))")
_A_MOMENT = re.compile(rf"^\W*(?:(?:hmm+|um+|uh+|okay|ok|so|well|oh|sure|yeah)\W+)*{_FIRST_MOMENT}"
                       rf"(?:\W+(?:{_FIRST_MOMENT}|please|a (?:sec|second|moment)|wait))*\W*$", re.I)


def asks_for_a_moment(text: str) -> bool:
    """The caller needs a moment ("Hmm, let me think.", "Hang on, let me grab my calendar."): told
    to take their time; a tool waiting on their answer keeps waiting."""
    return bool(_A_MOMENT.match(text.strip()))


def asks_to_repeat(text: str) -> bool:
    """The caller did not hear the last reply ("Sorry, could you repeat that?", "Pardon?",
    "Sorry?"): it is said again as it was, not answered anew by a model that may say otherwise."""
    return bool(_AGAIN.match(text.strip()))


def is_line_check(text: str) -> bool:
    """Only whether anyone is on the line ("Hi, is anybody there?"): answered with `HERE`, not by a
    model that finds something to say about the business in it ("Yes, there are two dentists...",
    heard through a real call)."""
    return is_chatter(text) and bool(_LINE_CHECK.search(text))


_ASKS_FOR_STAFF = re.compile(
    r"\b(?:(?:can|could|may) (?:i|we) (?:please |just )?(?:speak|talk)|(?:i|we)(?:'d| would) like to (?:speak|talk)|"
    r"(?:i|we) (?:want|need) to (?:speak|talk)) (?:to|with) (?:the |a |my |our )?"
    r"(?:dr\b|doctor|dentist|nurse|hygienist|vet\b|physician|(?:mr|mrs|ms|miss)\b)", re.I)
"""Asking to speak to one of the staff, by trade or by name: "Can I speak with Dr. Rivera?"."""


def builtin_cue(text: str, specs: Sequence[ToolSpec]) -> Cue | None:
    """End the call or transfer when the caller's words plainly ask for it (and the tool exists)."""
    by_kind = {s.kind: s for s in specs}
    transfer = by_kind.get(TRANSFER_CALL)
    person = _PERSON.search(text) or _ASKS_FOR_STAFF.search(text) or (
        _asks_for_destination(transfer, text) if transfer is not None else None)
    if transfer is not None and person is not None and not _NEGATED.search(text[: person.start()]):
        destination, source = _destination(transfer, text)
        return Cue(transfer, destination, source, text)
    end = by_kind.get(END_CALL)
    if end is not None and _GOODBYE.search(text) and not _NOT_GOODBYE.search(text):
        return Cue(end, said=text)
    return None


_NOT_WHO = frozenset("the that this with line duty call calls questions question about other their there "
                     "office team desk from".split())


def _asks_for_destination(spec: ToolSpec, text: str) -> re.Match[str] | None:
    """Asking to talk to whom a destination's description names ("the vet nurse on duty"): "Is
    there a nurse I could talk to?", "can I just talk to the nurse?"."""
    who = {w for dest in spec.destinations for w in re.findall(r"[a-z]{4,}", str(dest.get("description") or "").lower())
           if w not in _NOT_WHO}
    if not who:
        return None
    named = "|".join(sorted(who))
    return re.search(rf"\b(?:(?:speak|talk) (?:to|with)|put me through|connect me|transfer me|get me|pass me)\b.{{0,30}}?\b(?:{named})s?\b|"
                     rf"\b(?:{named})s?\b(?: (?:there|on duty|around|available))? (?:i|we) (?:can|could|might) "
                     r"(?:talk|speak) (?:to|with)\b", text, re.I)


def _destination(spec: ToolSpec, text: str) -> tuple[str, str]:
    """The destination the caller described ("the manager"), else the first one configured."""
    words = set(re.findall(r"[a-z]+", text.lower()))
    for dest in spec.destinations:
        described = set(re.findall(r"[a-z]{4,}", str(dest.get("description") or "").lower()))
        if described & words:
            return _address(dest), "caller"
    return _address(spec.destinations[0]), "configuration"


def _address(dest: object) -> str:
    get = getattr(dest, "get", None)
    if get is None:
        return ""
    return str(get("number") or get("sip_uri") or get("sipUri") or "")


def _verb(spec: ToolSpec) -> str:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", spec.name)
    words = [w.lower() for w in re.split(r"[\W_]+", spaced) if w]
    return words[0] if words else ""


_UNDO_VERBS = {"cancel", "delete", "remove", "drop", "withdraw", "revoke"}


def undoes(spec: ToolSpec) -> bool:
    """A tool that takes something back (cancel, delete). A caller cancelling names what they
    booked ("call off my appointment for tomorrow"), so booking's cues are said too; the undoing
    is what they ask for."""
    return _verb(spec) in _UNDO_VERBS


def books(spec: ToolSpec) -> bool:
    """A tool that books a time (book, reserve, schedule)."""
    return _verb(spec) in _BOOKING_VERBS


def reads_only(spec: ToolSpec) -> bool:
    """A look-up (check, track, get status): running it changes nothing in the customer's systems."""
    return _verb(spec) in _READ_VERBS


# "check" the caller does not ask the assistant for: a cheque ("pay with a check"), asking someone
# else ("I'll check with my boss", "let me check my calendar"), or a check-up.
_OTHER_CHECKS = re.compile(
    r"\b(?:(?:a|by|with|personal|cash|the) checks?|checks|(?:i'?ll|i will|i'?ve got to|i have to|i need to|i gotta|"
    r"i must|let me|gotta) (?:double )?check\b(?: \w+)?|check (?:with|in with) (?:my|the|our|his|her|their)\b|"
    r"check my (?:calendar|diary|schedule)|check-?ups?\b|check-?outs?\b)", re.I)  # a service, not a look-up
# "free" that costs nothing or lacks something, not a free slot: "do kids eat free", "gluten free
# pasta", "is parking free of charge" ("gluten-free" goes with the other hyphenated words in `asks_for`).
_OTHER_FREE = re.compile(
    r"\b(?:(?:gluten|sugar|dairy|nut|peanut|egg|meat|lactose|alcohol|fat|caffeine|smoke|tax|toll|duty|hands|fee|"
    r"interest|stress|hassle|scent|fragrance|cruelty) free|for free|free of (?:charge|cost)|"
    r"(?:eat|eats|park|parking|drink|drinks|delivery|deliver|shipping|entry|admission|cancel|cancellation|returns?|"
    r"refills?|wifi|it's) free|free (?:parking|delivery|shipping|wifi|wi-fi|returns?|refills?|entry|admission|"
    r"consultation|estimate|quote|trial|cancellation|dessert|meal|drink|gift))\b", re.I)


# "Is it free?" after the parking answer asks about the parking: an adjective about what was just
# said, not a request to look anything up.
_ABOUT_IT = re.compile(r"\b(?:is|are|was|were) (?:it|that|this|they|those|these) (?:free|open|available)\b", re.I)


# Asking for a thing at a time: "can I get a cleaning next Tuesday morning", "I'd like a table on
# Friday", "we need an appointment for tomorrow". A thing of a word or two said with its when is a
# booking, whatever the thing; "a receipt for my visit on Tuesday" is not.
_WHEN = (rf"(?:(?:next |this |on |coming )?(?:{WEEKDAY_RE})|today|tonight|tomorrow|next week|this week|"
         r"(?:in the |this )?(?:morning|afternoon|evening)|noon|\d{1,2}(?::\d\d)? ?(?:am|pm|a\.m\.|p\.m\.)|"
         r"(?:at )?(?:\d|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\b|the \d{1,2}(?:st|nd|rd|th))")
_WANT_A_WHEN = re.compile(
    r"\b(?:(?:can|could|may) (?:i|we) (?:get|have|grab|come in for)|(?:i|we)'?d like|(?:i|we) would like|"
    rf"(?:i|we) (?:want|need)(?: to (?:get|have))?) (?:a|an|another) (?:[\w-]+ ){{1,2}}(?:for |on |at )?{_WHEN}", re.I)
_BOOKING_VERBS = {"book", "reserve", "schedule"}
# Bringing someone in: "Can I bring my dog in at nine?", "could we get him in this week".
_BRING_IN = re.compile(r"\b(?:can|could|may|i'?d like to|i want to|i need to) (?:i |we )?(?:bring|get) "
                       r"(?:my |our |the )?(?!(?:anything|something|it|that|this|stuff|them)\b)(?:him|her|[a-z]+) in\b",
                       re.I)


# Coming or being seen at a time: "Can I come this Saturday at ten?", "Can I get in tomorrow at 3 pm?"
_COME_WHEN = re.compile(rf"\b(?:can|could|may) (?:i|we) (?:come|get in|get seen|be seen) (?:over |by |round |along )?"
                        rf"{_WHEN}", re.I)


def asks_for(spec: ToolSpec, text: str) -> bool:
    """Whether the caller's words ask for what this tool does ("gluten-free" is not "free", a
    cheque is no availability check)."""
    return cue_length(spec, text) > 0


def cue_length(spec: ToolSpec, text: str) -> int:
    """How long the longest of this tool's cue phrases the caller said is (0: none): where two
    actions are asked for, the more specific words tell them apart ("move the delivery" against
    "move")."""
    verb = _verb(spec)
    if verb in _BOOKING_VERBS and (want := _WANT_A_WHEN.search(text) or _BRING_IN.search(text) or _COME_WHEN.search(text)):
        return len(want.group(0))
    said = " " + re.sub(r"[^a-z' ]+", " ", re.sub(r"\w+-\w+", " ",
                                                _OTHER_FREE.sub(" ", _OTHER_CHECKS.sub(" ", text.lower())))) + " "
    if reads_only(spec):
        if _ABOUT_IT.search(text):
            return 0
        stems = tuple(h for w in _look_up_words(spec) for h in _READ_HINTS.get(w, ())) or (verb,)
    else:
        stems = _ACTIONS.get(verb, (verb,))
    return max((len(stem) for stem in stems if re.search(r"(?<![a-z])" + re.escape(_prefix(stem)), said)), default=0)


def _prefix(stem: str) -> str:
    """How much of a one-word stem must be said: its beginning, so "reserv" meets "reservation";
    never less than a word's first eight letters of a long word ("whereabouts" is not any "where")
    and the whole of a phrase or a contraction ("where's")."""
    if " " in stem or "'" in stem:
        return stem
    return stem[: max(5, len(stem) - 3)]


_QUESTION = re.compile(r"\?\s*$|^\W*(?:(?:so|and|but|okay|ok|oh|hi|hey|hello|um|uh)\W+)*(?:what|when|where|why|how|who|"
                       r"which|is|are|do|does|did|can|could|will|would|should|may|any|anything)\b", re.I)
# A question asked as a statement: "I was wondering if you're open on Sunday", "I'd like to know
# what a cleaning costs".
_INDIRECT = re.compile(r"\b(?:wondering|wonder|curious|(?:want|wanted|like|need|needed) to (?:know|ask|check|find out)|"
                       r"find out|calling to (?:ask|check|see)) (?:if|whether|what|when|where|why|how|who|which|about)\b",
                       re.I)


def is_question(text: str) -> bool:
    return bool(_QUESTION.search(text.strip()) or _INDIRECT.search(text))


def asks_something(text: str) -> bool:
    """A question (`is_question`), or a turn with one of three words or more inside it ("Are you
    open right now? I could just swing by."), though not one asked only to be heard ("Hello?").
    For the facts look-up: the tool step keeps `is_question`, where "Do you really need that?
    Just write three people at eight." gives a value, not a question."""
    if is_question(text):
        return True
    return any(len(_WORDS.findall(part)) >= 3 and not is_chatter(part) for part in _ASKED.findall(text))


_ASKED = re.compile(r"[^.!?]*\?(?=\s|$)")
_WORDS = re.compile(r"[A-Za-z0-9']+")


def _look_up_words(spec: ToolSpec) -> list[str]:
    """What a look-up is about, from its name and its description ("check_order: Look up the
    status of an order" is asked for by "what's the status of my order")."""
    return [*_name_words(spec), *re.findall(r"[a-z]+", spec.description.lower())]


def _name_words(spec: ToolSpec) -> list[str]:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", spec.name)
    return [w.lower() for w in re.split(r"[\W_]+", spaced) if w]
