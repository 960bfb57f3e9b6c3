"""Answers from what the assistant was told: the prompt's facts a caller's question is about.

A small model answers "Do you allow dogs?" with "Yes, we allow dogs" when its instructions say
nothing of dogs. So before the model answers a question, the question's words are looked up in
the assistant's instructions: a question whose topic the instructions never mention gets an
honest fixed answer and an offer to take a message; otherwise the answer is the matching line
of the instructions itself, spoken as written. A small model given the right line still answers
"Yes, you can pay by check" next to "we do not accept checks"; the line cannot say what it does
not say.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

import snowballstemmer

HONEST = "I'm sorry, I don't have that information. Would you like me to take a message?"
THRESHOLD = 0.25  # weighted share of the question's topic words the instructions must mention

_STOP = set(
    "a an the and or but if so of to in on at by for with from about into over under up down out off as is are "
    "was were be been being am do does did doing have has had having can could will would shall should may might "
    "must i me my mine we us our you your yours he him his she her it its they them their this that these those "
    "there here what when where why how who whom which whose any anything some something all each every no not "
    "yes yeah okay ok please thanks thank hi hello hey guys just also too very really quite maybe still again "
    "then than now today tonight tomorrow like want need know tell let get got go going come one two way "
    "hmm uh um well oh ah sure right also lot much many more most other else ever "
    "someone somebody anyone anybody everyone everybody actually roughly basically honestly probably "
    "guys gonna wanna gotta kind sort yet next shoot exactly somewhere anywhere near nearby".split())
# Words callers and instructions use for the same thing: each maps to one topic word.
_SAME = {
    **dict.fromkeys("open opens opening hours hour close closes closing closed late early earliest soonest time "
                    "times morning mornings afternoon afternoons evening evenings night nights weekend "
                    "weekends".split(), "hours"),
    **dict.fromkeys("price prices cost costs fee fees charge charged charges pay paying payment "
                    "card cards cash check cheque cheques checks expensive cheap".split(), "payment"),
    **dict.fromkeys("address located location where street find directions".split(), "address"),
    **dict.fromkeys("park parking garage car".split(), "parking"),
    **dict.fromkeys("child children kid kids son daughter baby".split(), "child"),
    **dict.fromkeys("dog dogs pet pets animal animals".split(), "pet"),
    **dict.fromkeys("deliver delivery deliveries ship shipping send sent".split(), "delivery"),
    **dict.fromkeys("insurance insurer insured insurers".split(), "insurance"),
    **dict.fromkeys("long soon quick quickly fast wait take takes within days week weeks minutes".split(),
                    "duration"),
    **dict.fromkeys("cinema cinemas movie movies theater theatre".split(), "cinema"),
    **dict.fromkeys("giftcard giftcards voucher vouchers".split(), "giftcard"),
    **dict.fromkeys("stairs stair steps step elevator lift wheelchair wheelchairs accessible accessibility "
                    "disabled ramp".split(), "access"),
    **dict.fromkeys("respond responds response responses reply replies".split(), "response"),
    **dict.fromkeys("doctor doctors dentist dentists physician physicians".split(), "doctor"),
}
# A question's word for a kind of thing (hours, a price, a duration) asks for one: instructions that
# never say one cannot answer it, whatever else of the question they mention. Not the words used
# in other senses too ("send the bill", "take the car", "find", "where").
_LOOSE = frozenset("send sent take takes wait time times find where car check checks late early soon quick "
                   "quickly fast long open card cards step steps".split())
_HOW_LONG = re.compile(r"(?i)\bhow long\b")
VISIT = re.compile(r"\b(?:(?:come|swing|pop|drop|stop|go|head) (?:by|over|round|around|in|down)|"
                   r"reach (?:somebody|someone|anyone|anybody|you)|(?:anybody|someone|somebody|anyone) "
                   r"(?:be )?there)\b", re.I)
"""Coming over, or getting someone on the phone: a question about when the place is open."""
# Phrases said for one thing, read as one word before the words are split.
_PHRASES = (
    (re.compile(r"\bgift (?:cards?|certificates?)\b"), "giftcard"),
    (re.compile(r"\b(?:walk[- ]?up|walk[- ]?in|drop[- ]?in)\b"), "walkin"),
    (re.compile(r"\b(?:get|gets|getting|hear|hears) back to\b|\bhear back\b"), "response"),
    (re.compile(r"\bgood (?:morning|afternoon|evening|day)\b"), " "),  # a greeting, not the part of a day
    (re.compile(r"\bstreet parking\b"), "parking"),  # parking on the street, no address
    (re.compile(r"\bdr\b\.?"), " doctor "),  # "Dr. Okoye (kids)": one of the doctors
    (re.compile(r"\b(?:after|out of|outside(?: of)?(?: our| your| the)?(?: opening| office| business)?) hours\b"),
     "afterhours"),  # when the place is closed: not a question about its hours
    (re.compile(r"\b(?:a |one )?(?:quick|short|small|little) question\b"), " "),  # no question about speed
    (VISIT, "opening"),  # coming over or getting someone on the phone asks when the place is open
    (re.compile(r"\bwhere(?: are|'re| r) (?:you|y'all)(?: guys)?\b"), "address"),  # "where" alone says nothing
    # asking a price: "how much is a checkup", "what's that gonna run me", "set me back"
    (re.compile(r"\bhow much\b(?! (?:time|longer|notice))|\b(?:run|set) (?:me|us|you) back\b|\brun (?:me|us)\b"),
     " price "),
)


CLOSE_WEIGHT = 1.0  # how much a line's closeness in meaning counts beside its share of the topic words
TIE_CLOSENESS = 0.05  # lines the words tie on, this close in meaning too, are both said
FAR = 0.2  # closeness in meaning below which a line the words found through a family alone answers nothing
CLOSE_ENOUGH = 0.5  # closeness in meaning that makes a line the answer when the words do not meet


@dataclass(frozen=True)
class Lookup:
    score: float  # share of the question's topic words the instructions mention
    lines: tuple[str, ...]  # the instruction lines (at most two) that mention them most, best first
    closeness: float = 0.0  # of the question to the first line in meaning (cosine), where it was measured

    @property
    def answerable(self) -> bool:
        return self.score >= THRESHOLD or self.closeness >= CLOSE_ENOUGH


def _words(text: str) -> list[str]:
    """The words of `text`; a compound of short parts ("Wi-Fi") is one word, a longer one ("check-up")
    its whole and those of its parts that are not a topic's synonym: the "check" of "check-up" is
    no way to pay, the "minute" of "two-minute walk" no waiting time."""
    out = []
    text = text.lower().replace("'s", "")
    for phrase, word in _PHRASES:
        text = phrase.sub(word, text)
    for token in re.findall(r"[a-z]+(?:-[a-z]+)*", text):
        parts = token.split("-")
        if len(parts) == 1 or all(len(p) < 3 for p in parts):
            out.append("".join(parts))
        else:
            out.extend(["".join(parts), *(p for p in parts if p not in _SAME)])
    return [w for w in out if w not in _STOP and len(w) >= 3]


def _topic(text: str) -> set[str]:
    return {_SAME.get(word) or _stem(word) for word in _words(text)}


def _stems(text: str) -> set[str]:
    """The words as said, synonyms apart: "check" stays "check" where the topic says "payment"."""
    return {_stem(word) for word in _words(text)}


_STEMMER = snowballstemmer.stemmer("english")


@lru_cache(maxsize=4096)
def _stem(word: str) -> str:
    """Snowball's English stemmer: "cancelling" and "cancellations" meet at "cancel", which a
    suffix list does not manage."""
    return str(_STEMMER.stemWord(word))


# A sentence ends at its mark and the space after it, but not after a title or an abbreviation:
# "Our dentists are Dr. Alvarez and Dr. Kim." is one fact, not "Our dentists are Dr.".
_ABBREVIATIONS = ("Dr", "Mr", "Mrs", "Ms", "Prof", "St", "Jr", "Sr", "Mt", "No", "vs", "approx", "e.g", "i.e",
                  "a.m", "p.m")
_SENTENCE_END = "(?<=[.!?])" + "".join(rf"(?<!\b{re.escape(a)}\.)" for a in _ABBREVIATIONS) + r"\s+"


@lru_cache(maxsize=64)
def instruction_lines(prompt: str) -> tuple[str, ...]:
    """The instructions as lines and sentences, each a candidate fact. Lines about the assistant's
    own role ("You are the phone assistant of...", "You book appointments") and what a tool needs
    ("To book you need the date...") state no fact about the business.

    Cached: every question of every call to an assistant reads the same instructions."""
    parts = re.split(rf"{_SENTENCE_END}(?=[A-Z])|\n+", prompt)
    lines = [p.strip(" -•*\t") for p in parts if len(p.strip()) > 3]
    return tuple(line for line in lines if _is_fact(line))


def _is_fact(line: str) -> bool:
    """Not a line telling the assistant who it is or what to do. A line to "you" is a fact when it
    speaks of the business as "us" or "our", as one addressed to the caller does ("You can find us
    at 12 Harbour Lane"), but never "You are ..."."""
    if not _NOT_A_FACT.match(line):
        return True
    return bool(_TO_THE_CALLER.match(line) and _OF_US.search(line))


_TO_THE_CALLER = re.compile(r"(?i)you (?!are\b|'re\b)")
_OF_US = re.compile(r"(?i)\b(?:us|our|we)\b")


_TIME_RANGE = re.compile(r"\b\d{1,2}(?::\d{2})?\s*(?:[ap]\.?m\.?)?\s*(?:to|-|–|until|till)\s*\d{1,2}(?::\d{2})?\b")


@lru_cache(maxsize=64)
def _line_topics(prompt: str) -> tuple[frozenset[str], ...]:
    """The topic words of each of `instruction_lines(prompt)`, in the same order; a line that gives
    times from and to ("Walk-in desk: ... Monday to Friday 9:00 to 12:00") is about hours too."""
    return tuple(frozenset(_topic(line) | ({"hours"} if _TIME_RANGE.search(line) else set())
                           | ({"address"} if _STREET_ADDRESS.search(line) else set()))
                 for line in instruction_lines(prompt))


_STREET_ADDRESS = re.compile(r"\b\d{1,5}[A-Za-z]? (?:[A-Z][\w'.-]* ){1,3}(?:St|Street|Ave|Avenue|Rd|Road|Blvd|Boulevard|"
                             r"Ln|Lane|Dr|Drive|Way|Pl|Place|Ct|Court|Hwy|Highway|Pkwy|Parkway|Sq|Square)\b\.?")
"""A street address ("1200 Main St", "88 Elm Street"): the line says where the place is."""


@lru_cache(maxsize=64)
def _line_stems(prompt: str) -> tuple[frozenset[str], ...]:
    return tuple(frozenset(_stems(line)) for line in instruction_lines(prompt))


_NOT_A_FACT = re.compile(
    r"(?i)(?:you|your|always|never|be|keep|answer|do not|don't|to (?:\w+ ){1,4}you need"
    # what a tool needs, said as an order: "To make a reservation, get the date, the time, ..."
    r"|to (?:\w+ ){1,4}\w+,? (?:get|ask for|collect|take|note|confirm|you'll need|we need)"
    # what the assistant is told to do ("Help callers book...", "If a caller asks for a refund, ...")
    r"|help|assist|greet|ask|offer|collect|confirm|use|speak|respond|reply|introduce|handle|make sure|try to"
    r"|remember|avoid|act as|(?:if|when|whenever) (?:a|the) (?:caller|customer|patient|guest|client|user)s?"
    r"|please (?:ask|collect|confirm|get|note|use|make sure|be|always|never|try))\b")


LABEL = re.compile(r"^\s*([A-Z][\w' -]{0,30}(?<!\d)):(?!\d)\s*")
"""A fact line's "Label:" ("Payment:", "Depot pickup:"), which names what the line is about; not
the hour of a time ("We serve lunch from noon to 2:30 pm")."""


LIST_PARTS = 3  # parts (";") from which a line is a list whose parts stand alone


def spoken_answer(lines: tuple[str, ...], question: str = "") -> str:
    """The matching lines as the answer, without their "Label:" ("Payment: cards and cash; we do not
    accept checks." -> "Cards and cash; we do not accept checks.").

    Of a line that lists several things ("a check-up costs $95; whitening costs $350; ..."), only
    the parts the `question` names are said, when it names some but not all: a caller who asks
    about whitening hears the price of whitening, not the whole list. A line of two parts is said
    whole: its second part often hangs on the first ("cancel 24 hours ahead; later cancellations
    cost a $40 fee")."""
    out = []
    for line in lines:
        label = LABEL.match(line)
        # the label's words name every part ("What's on the menu?" of "Menu: ...")
        asked = _topic(question) - (_topic(label.group(1)) if label else set())
        text = LABEL.sub("", line).strip().rstrip(".")
        clauses = [c.strip() for c in text.split(";") if c.strip()]
        priced = [c.strip() for c in text.split(",") if c.strip()]
        if len(clauses) == 1 and len(priced) >= LIST_PARTS and all(_MONEY.search(c) for c in priced):
            clauses = priced  # "Cleaning $110, exam $75, whitening $299": a price list by commas
        named = [c for c in clauses if _topic(c) & asked]
        if len(clauses) >= LIST_PARTS and 0 < len(named) < len(clauses):
            text = "; ".join(named)
        if text:
            out.append(text[0].upper() + text[1:] + ".")
    return " ".join(out)


_REFERS = re.compile(r"\b(?:it|that|they|them|this|those|these)\b", re.I)
CONTEXT_WEIGHT = 0.5  # a word the question only refers to counts half as much as one it says


_SENTENCES = re.compile(_SENTENCE_END)


def look_up(question: str, prompt: str, before: Sequence[str] = (),
            closeness: Sequence[float] | None = None) -> Lookup:
    """How much of the question's topic the instructions mention, weighting words that many lines
    share (the business's own trade: "parcel", "appointment") less than specific ones ("dogs").

    `closeness`: the question's closeness in meaning (cosine of sentence vectors) to each of
    `instruction_lines(prompt)`, where a sentence encoder measured it. Words meet a question only
    in the words someone listed ("voucher" for "gift card"); meaning meets its paraphrases. A line
    ranks by both, and a line close enough in meaning answers a question whose words it does not
    share ("Can I send it to my office in Denver instead?": "Address changes: ... the new address
    must be in the same city").

    `before`: the caller's previous turn and the assistant's last reply. A question that refers
    back ("How long will they keep it?", "Is there a charge for that?") is about their topic too,
    so their words join the question's at half weight.

    A turn that tells something around what it asks ("I have an appointment at nine and I've never
    been there. Where do I leave the car?") is also looked up by its one question alone, whose
    topic the story around it would otherwise drown.
    """
    close = tuple(closeness) if closeness is not None and len(closeness) == len(instruction_lines(prompt)) else None
    found = _look_up(question, prompt, before, close)
    sentences = _SENTENCES.split(question.strip())
    asked = [s for s in sentences if s.endswith("?")]
    if not found.answerable and len(sentences) >= 2 and len(asked) == 1:
        alone = _look_up(asked[0], prompt, before, close)
        found = alone if alone.answerable else found
    if found.answerable and _PRESENCE.search(question) and not any(_DAYS.search(line) for line in found.lines):
        return Lookup(0.0, ())  # "Is Dr. Becker in on Wednesdays?" of "Dentists: Dr. Nair and Dr. Becker."
    if found.answerable and any(_TIME_RANGE.search(line) for line in found.lines):
        return found
    return _hours_asked(question, prompt, before, close) or found


_WEEKDAYS = r"(?:mon|tues|wednes|thurs|fri|satur|sun)days?"
_PRESENCE = re.compile(rf"\b(?:is|are|will) (?:[\w.]+ ){{1,3}}(?:be )?(?:in|there|working|around|available|on duty|on call)\b"
                       rf"(?: on)? (?:today|tomorrow|tonight|"
                       rf"this (?:morning|afternoon|evening|week)|{_WEEKDAYS})\b", re.I)
"""Whether someone is in on a day: a line that names them with no day says nothing of it."""
_DAYS = re.compile(rf"\b(?:{_WEEKDAYS}|daily|every day|weekends?|weekdays?|today|tomorrow)\b|\d:\d\d", re.I)


_OPEN_ASKED = re.compile(r"\b(?:open|opens|close|closes|closed|(?<!after )(?<!of )hours)\b", re.I)
_WHEN_ASKED = re.compile(r"\b(?:now|today|tonight|tomorrow|later|soonest|next time|this (?:morning|afternoon|evening|"
                         rf"weekend)|weekends?|{_WEEKDAYS})\b", re.I)
_GENERAL_HOURS = re.compile(r"(?i)^\s*(?:(?:opening|business|office) )?hours\b|\bwe(?:'re| are)? (?:open|closed)\b")


def _hours_asked(question: str, prompt: str, before: Sequence[str], closeness: tuple[float, ...] | None) -> Lookup | None:
    """Whether the place is open on a day or now ("Can I come by now?", "Could I pop by today to
    pick one up?", "Are you open on Memorial Day? The Monday?") is asked of the lines that give
    hours, whatever else the question says: the line of the place the turn before asked about
    ("Where's the walk-in desk?"), else the business's own hours, else the closest in meaning."""
    if not ((_OPEN_ASKED.search(question) or VISIT.search(question)) and _WHEN_ASKED.search(question)):
        return None
    lines, topics = instruction_lines(prompt), _line_topics(prompt)
    hours = [i for i, topic in enumerate(topics) if "hours" in topic and _TIME_RANGE.search(lines[i])]
    if not hours:
        return None
    told = _stems(before[0]) if before else set()
    best = max(hours, key=lambda i: (len(told & _line_stems(prompt)[i]), bool(_GENERAL_HOURS.search(lines[i])),
                                     closeness[i] if closeness else 0.0, -i))
    return Lookup(THRESHOLD, (lines[best],), closeness[best] if closeness else 0.0)


_MONEY = re.compile(r"[$€£]\s?\d|\b\d+(?:\.\d\d)? ?(?:dollars|bucks|euros?|pounds)\b", re.I)


@lru_cache(maxsize=64)
def _priced(prompt: str) -> frozenset[str]:
    """{"payment"} where the instructions state an amount of money ("A cleaning is $120."), in no
    word for a price: a question about prices is one they may answer, by the thing it names."""
    return frozenset({"payment"}) if any(_MONEY.search(line) for line in instruction_lines(prompt)) else frozenset()


def _look_up(question: str, prompt: str, before: Sequence[str], closeness: tuple[float, ...] | None) -> Lookup:
    lines, topics = instruction_lines(prompt), _line_topics(prompt)
    # Lines that share the question's topic rank by the words it said as said: "Can I pay by
    # check?" is about payment, as are the prices, but it names the checks of the payment line.
    stems = _stems(question)
    same_words = [len(stems & line) for line in _line_stems(prompt)]
    said = dict.fromkeys(_topic(question), 1.0)
    kinds = {_SAME[w] for w in _words(question) if w in _SAME and w not in _LOOSE}
    kinds |= {"duration"} if _HOW_LONG.search(question) else set()
    if any(not any(kind in t for t in topics) for kind in kinds - _priced(prompt)):
        return Lookup(0.0, ())  # "How long does a cleaning take?" with no durations anywhere: not the price
    own = _score(said, lines, topics, same_words, closeness)
    if not (_REFERS.search(question) or VISIT.search(question)):  # coming over: to the place just asked about
        return _in_context(_unless_far(own, lines, same_words) if closeness else own, lines)
    if not before:
        return _in_context(own, lines)
    asked = dict(said)
    for text in before:
        for word in _topic(text):
            asked.setdefault(word, CONTEXT_WEIGHT)
    referred = _score(asked, lines, topics, same_words, closeness)  # its words pick the line; they never make a question less answerable
    # ... among the lines the question's own words pick, when they pick any: "And which room was it
    # again?" after an answer about response times is still about the room
    picked = [line for line in referred.lines if line in own.lines] or list(own.lines or referred.lines)
    return _in_context(Lookup(max(own.score, referred.score), tuple(picked), _closeness_of(picked, lines, closeness)),
                       lines)


def _unless_far(found: Lookup, lines: Sequence[str], same_words: Sequence[int]) -> Lookup:
    """A line found only through a word of the same family as the question's, far from it in
    meaning, does not answer it: "Do you take Apple Pay?" is about paying, and so, by its family,
    is "The city lot costs $2 an hour". Not a question that refers back ("Did that cost
    anything?"), whose meaning is in the turns before it."""
    if not found.lines or found.closeness >= FAR or same_words[lines.index(found.lines[0])]:
        return found
    return Lookup(0.0, ())


_REFERS_BACK = re.compile(r"(?i)^\W*(?:it|its|they|their|this|that|these|those)\b|^(?:\W*\w+\W+){1,3}?(?:them|it)\b")


def _in_context(found: Lookup, lines: Sequence[str]) -> Lookup:
    """Instructions written as prose carry a fact over two sentences, the second referring back to
    the first: "New laptops and monitors are not ordered through the service desk. Staff request
    them in the IT Shop on the intranet." A single line found is said with its neighbour where one
    of the two refers back to the other."""
    if len(found.lines) != 1:
        return found
    i = lines.index(found.lines[0])
    if i + 1 < len(lines) and _REFERS_BACK.match(lines[i + 1]) and not LABEL.match(lines[i + 1]):
        return replace(found, lines=(lines[i], lines[i + 1]))
    if i > 0 and _REFERS_BACK.match(lines[i]) and not LABEL.match(lines[i]):
        return replace(found, lines=(lines[i - 1], lines[i]))
    return found


def _closeness_of(picked: Sequence[str], lines: Sequence[str], closeness: tuple[float, ...] | None) -> float:
    return closeness[lines.index(picked[0])] if picked and closeness else 0.0


def _score(asked: dict[str, float], lines: Sequence[str], topics: Sequence[frozenset[str]],
           same_words: Sequence[int], closeness: tuple[float, ...] | None) -> Lookup:
    if not asked:
        return Lookup(1.0, ())
    lines_with = {word: sum(word in t for t in topics) for word in asked}
    weight = {word: w / (1.0 + lines_with[word]) if lines_with[word] else w for word, w in asked.items()}
    known = {word for word in asked if lines_with[word]}
    # fsum: exactly rounded, so the score does not depend on the order a set of words comes in
    # (a plain sum gave 0.25 or 0.2499… for the same question, by the interpreter's hash seed)
    score = math.fsum(weight[w] for w in known) / math.fsum(weight.values())
    scores = [math.fsum(weight[w] for w in asked.keys() & topic) for topic in topics]
    if closeness is not None:
        return _by_meaning(score, scores, math.fsum(weight.values()), lines, same_words, closeness)
    ranked = sorted(range(len(lines)), key=lambda i: (scores[i], same_words[i]), reverse=True)
    top = ranked[0] if ranked else 0
    best = tuple(lines[i] for i in ranked[:2]
                 if scores[i] > 0 and scores[i] >= scores[top] - 1e-9 and same_words[i] == same_words[top])
    return Lookup(score, best)


def _by_meaning(score: float, scores: Sequence[float], total: float, lines: Sequence[str],
                same_words: Sequence[int], closeness: tuple[float, ...]) -> Lookup:
    """Lines ranked by their share of the question's topic words plus their closeness in meaning.
    A line that shares no topic word answers only when it is close enough in meaning by itself;
    the second line joins the first where the words cannot tell them apart and their meaning
    hardly can, or where it is the next or previous sentence ("We don't have a parking lot of our
    own. The city lot on Birch Street ... costs $2 an hour")."""
    share = [x / total if total else 0.0 for x in scores]
    rank = [share[i] + CLOSE_WEIGHT * closeness[i] for i in range(len(lines))]
    ranked = sorted((i for i in range(len(lines)) if scores[i] > 0 or closeness[i] >= CLOSE_ENOUGH),
                    key=lambda i: (rank[i], same_words[i]), reverse=True)
    if not ranked:
        return Lookup(score, ())
    top = ranked[0]
    tied = [i for i in ranked[1:2] if scores[top] > 0 and abs(scores[i] - scores[top]) < 1e-9
            and same_words[i] == same_words[top] and (rank[top] - rank[i] < TIE_CLOSENESS or abs(i - top) == 1)]
    # neighbours the words tie on are one fact told in two sentences: said in their order
    best = sorted([top, *tied]) if tied and abs(tied[0] - top) == 1 else [top, *tied]
    return Lookup(score, tuple(lines[i] for i in best), closeness[top])


_IS_THIS = re.compile(r"(?i)(?:^|[.!?,]\s*)(?:(?:hi|hello|hey|sorry|um|uh)\W+)*(?:is this|is that|am i (?:speaking|talking) "
                      r"(?:to|with)|have i (?:reached|got)|did i reach)\b(?P<rest>[^?]*)\?\s*$")


_A_PLACE = re.compile(r"(?:(?:the|a|an)\s+\w|[A-Z])")  # "the pizza place on Canal", "Little Fig"
_NOT_A_PLACE = re.compile(r"(?i)(?:the |a |an )?(?:right|correct|true|open|closed|ok|okay|available|free|possible|"
                          r"it|all|one|same|case|number|line|correct one)\b")


_WHO_IS_IT = re.compile(r"(?i)(?:^|[.!?,]\s*)(?:(?:hi|hello|hey|sorry|um|uh|yes|yeah)\W+)*(?:who(?: am i|'m i) "
                        r"(?:talking|speaking) (?:to|with)|who(?:'s| is) (?:this|that|speaking)|who did i (?:reach|call)|"
                        r"(?:what|which) (?:place|business|company|office) is this)\W*\??\s*$")


def identity_answer(question: str, business_name: str | None) -> str | None:
    """Who answered, to "Is this Little Fig, on Orchard Avenue?" ("Yes, this is Little Fig.") or
    "Is this the pizza place on Canal?" ("This is Osteria Lucia."): the business's name, with a yes
    only where the caller said a word of it. None when the turn asks something else."""
    if business_name and _WHO_IS_IT.search(question.strip()):
        return f"This is {business_name}."
    found = _IS_THIS.search(question.strip())
    rest = found.group("rest").strip(" ,") if found else ""
    if not business_name or not _A_PLACE.match(rest) or _NOT_A_PLACE.match(rest):
        return None
    said = {_stem(w) for w in _words(rest)}
    named = {_stem(w) for w in _words(business_name)}
    return f"Yes, this is {business_name}." if said & named else f"This is {business_name}."

