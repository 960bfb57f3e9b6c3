"""What the turn benchmark's caller says, and in which voices: plain data, so the command line
can offer the choices without loading the benchmark."""

from __future__ import annotations

QUESTIONS = (
    "Hello, what time do you open on Saturday?",
    "Where can I find your shop?",
    "Do you make birthday cakes to order?",
)
LONG_QUESTION = "Could you tell me about everything you sell, please?"
INTERRUPTION = "Sorry, actually I just need a loaf of bread."
# Said over the long answer before the interruption; the assistant should pause and go on. Piper's
# "Uh-huh." is heard by tiny.en as "Oh." or "Wow."; "Okay." is heard right every time.
BACKCHANNEL = "Okay."
VOICES = ("piper", "espeak-ng")
