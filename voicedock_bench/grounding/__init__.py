"""The grounding evaluation: does an assistant act only on what the caller said and answer only
from what it was told?

A multi-domain set of phone dialogues (data/, four businesses, each with its own assistant,
facts and tools) is played turn by turn through the session's real turn code on text (driver.py),
against a local LLM, with canned tool results. Each turn is judged (judge.py) on the tool it ran
and its arguments, values invented out of nothing, answers to questions about the business
(answerable from the prompt or not), and parroting of the greeting; each call's post-call summary
is judged (summary.py) for events that did not happen and for the outcome stated.

The set was written before anyone tuned the decision code against it, independently of the code:
cases are as callers talk. `dev.json` is for looking at; `test.json` is for reporting. The file
format, with the rules the loader enforces, is in schema.md; the judge's rules and how to run it
are in docs/grounding-eval.md.

    python -m voicedock_bench.grounding --profile cpu --split dev [--models-dir D] [--limit N] [--out FILE]
"""
