"""Answering-machine detection for outbound calls: who answered, and when a message may start."""
