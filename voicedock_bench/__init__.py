"""Benchmarks and test tooling, kept apart from the product packages.

The SIP test caller, the SIPp driver, the turn and engine benchmarks, one free-port helper and one
machine description live here, so that `voicedock`, `api`, `voicedock_ari` and `voicedock_cli`
carry only what a deployment runs.
"""
