"""Judging a post-call summary: nothing claimed that did not happen, and the known outcome stated.

A summary feeds CRMs and end-of-call webhooks, so the costly error is a false event ("appointment
booked" when nothing was booked) or a detail the call never had (a time, a number). Claims are
read with plain patterns per event, skipping negated or wished-for ones ("wanted to book",
"could not be booked"); details are the numbers and day or month names a summary states.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .judge import known_specifics, specifics
from .normalise import as_date, as_time, fold, mentions_date, mentions_time, number_tokens, squash

ACTION_CLAIMS = {
    "booked": r"\b(?:booked|scheduled|made an appointment|appointment (?:is|was|has been) (?:set|made|confirmed)|"
              r"confirmed (?:the|an|a|their|his|her) appointment)",
    "reserved": r"\b(?:reserved|booked|made a reservation|reservation (?:is|was|has been) (?:made|confirmed)|"
                r"table (?:is|was|has been) (?:booked|reserved|held))",
    "cancelled": r"\bcancell?ed\b",
    "ticket_created": r"\b(?:ticket (?:was|has been|is) (?:created|opened|logged|raised|submitted|filed)|"
                      r"(?:created|opened|logged|raised|submitted|filed) (?:a |an |the )?(?:\w+ )?(?:support )?ticket)",
    "rescheduled": r"\b(?:rescheduled|moved (?:the |his |her |their )?delivery|delivery (?:was|has been|is) "
                   r"(?:moved|changed))",
    "address_changed": r"\b(?:address (?:was|has been|is) (?:changed|updated)|(?:changed|updated) (?:the |his |her |"
                       r"their )?(?:delivery )?address)",
    "transferred": r"\b(?:transferred|put through|connected (?:to|with) (?:the|a|an))\b",
}
INFO_CLAIMS = {
    "checked": r"availab|\bfree\b|opening|\bslots?\b|\bcheck",
    "tracked": r"track|status|out for delivery|in transit|on its way|delivered|depot|location",
    "ticket_checked": r"status|progress|resolved|waiting|\bticket\b",
}
_NOT_DONE = re.compile(
    r"\b(?:not|no|never|without|unable|couldn't|could not|didn't|did not|wasn't|was not|wanted|wants|would like|"
    r"asked|tried|requested|hoping|hoped|attempted|failed|refused|declined|if|whether)\b|n't\b")


@dataclass(frozen=True)
class SummaryVerdict:
    violations: list[str] = field(default_factory=list)
    outcome_mentioned: bool = False
    missing: list[str] = field(default_factory=list)


def claims(summary: str, event: str) -> bool:
    """The summary states the event happened (not merely that it was wanted, or that it failed)."""
    pattern = ACTION_CLAIMS.get(event) or INFO_CLAIMS.get(event)
    if pattern is None:
        return False
    text = fold(summary)
    for match in re.finditer(pattern, text):
        sentence_start = max(text.rfind(".", 0, match.start()), text.rfind(";", 0, match.start())) + 1
        before = text[max(sentence_start, match.start() - 45):match.start()]
        if event in ACTION_CLAIMS and _NOT_DONE.search(before):
            continue
        return True
    return False


def mentions_value(summary: str, value: Any, today: date | None = None) -> bool:
    """The summary names the value in some spoken or written form."""
    if isinstance(value, bool):
        return True
    if isinstance(value, int | float):
        return str(int(value)) in number_tokens(summary)
    text = str(value)
    if (d := as_date(text)) is not None:
        return mentions_date(summary, d, today)
    if (t := as_time(text)) is not None:
        return mentions_time(summary, t)
    if any(c.isdigit() for c in text):
        return squash(text) in squash(summary)
    words = fold(summary)
    return any(re.search(rf"\b{re.escape(part)}\b", words) for part in fold(text).split() if len(part) >= 3)


def value_renderings(values: Iterable[Any]) -> str:
    """Ways a summary may correctly restate run values: a date's weekday and month, a time in 12-hour form."""
    out = []
    for value in values:
        text = str(value)
        if (d := as_date(text)) is not None:
            out.append(f"{d:%A %B} {d.day} {d.year} {d.month}")
        elif (t := as_time(text)) is not None:
            out.append(f"{t.hour} {t.hour % 12 or 12} {t.minute}")
        else:
            out.append(text)
    return " ".join(out)


def judge_summary(
    summary: str,
    expected: Sequence[Mapping[str, Any]],
    happened: set[str],
    domain_events: Iterable[str],
    known: str,
    today: date | None = None,
) -> SummaryVerdict:
    """`expected`: the dialogue's outcome events; `happened`: events the run really made (tools that
    ran ok); `known`: all the call's text (transcript, tool calls and results, calendar, renderings).

    A violation is an action event claimed that did not happen, or a detail not in `known`. The
    outcome is mentioned when each expected event is claimed with each of its values; with no
    expected event, when no action is claimed."""
    violations = []
    actions = [e for e in dict.fromkeys(domain_events) if e in ACTION_CLAIMS]
    claimed = {e for e in actions if claims(summary, e)}
    for event in sorted(claimed - happened):
        violations.append(f"claims {event} but it did not happen")
    unsupported = sorted(specifics(summary) - known_specifics(known))
    violations += [f"mentions {x!r}, which is not in the call" for x in unsupported]
    missing = []
    for item in expected:
        if not claims(summary, item["event"]):
            missing.append(item["event"])
        missing += [f"{item['event']}.{k}" for k, v in (item.get("values") or {}).items()
                    if not mentions_value(summary, v, today)]
    if not expected and claimed:
        missing.append("nothing happened, yet it claims " + ", ".join(sorted(claimed)))
    return SummaryVerdict(violations, not missing, missing)
