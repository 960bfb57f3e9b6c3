"""Counting a JSON text's objects and arrays, and their depth, from its bytes."""

from __future__ import annotations

import json

from api.json_shape import Shape, shape


def test_brackets_inside_strings_do_not_count() -> None:
    raw = json.dumps({"prompt": 'say "[[[{" and \\ then }', "tools": [{"a": []}]}).encode()
    assert shape(raw, 100, 32) == Shape(containers=4, depth=4)


def test_a_scalar_has_no_containers() -> None:
    assert shape(b'"[x]"', 100, 32) == Shape(0, 0)


def test_the_depth_scan_stops_past_the_limit() -> None:
    assert shape(b"[" * 100_000, 10_000, 32).depth == 33
