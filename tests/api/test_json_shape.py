"""Measuring a JSON text's values, objects, arrays and depth from its bytes, without parsing it."""

from __future__ import annotations

import json
import time

from api.json_shape import Shape, shape, values


def test_brackets_inside_strings_do_not_count() -> None:
    raw = json.dumps({"prompt": 'say "[[[{" and \\ then }', "tools": [{"a": []}]}).encode()
    assert shape(raw, 100, 32) == Shape(containers=4, depth=4, big_numbers=False)


def test_a_scalar_has_no_containers() -> None:
    assert shape(b'"[x]"', 100, 32) == Shape(0, 0, False)


def test_the_depth_scan_stops_past_the_limit() -> None:
    assert shape(b"[" * 100_000, 10_000, 32).depth == 33


def test_values_count_keys_and_elements() -> None:
    assert values(json.dumps({"a": 1, "b": [1.5, 2.5, 3.5]}).encode()) == 5
    assert values(json.dumps(["x"] * 1000, separators=("", "")).encode()) == 1000  # strings without separators


def test_only_numbers_that_can_overflow_need_the_float_check() -> None:
    assert not shape(json.dumps({"t": True, "f": False, "x": 1.5, "s": "1e999 true"}).encode(), 100, 32).big_numbers
    assert shape(b'{"x": 1e999}', 100, 32).big_numbers
    assert shape(b'{"x": ' + b"9" * 400 + b".5}", 100, 32).big_numbers


def test_a_string_left_open_after_many_escaped_quotes_is_measured_at_once() -> None:
    raw = b'["' + b'\\"' * 50_000  # the string scan this replaced retried from each quote: 15 s for 40 KB
    started = time.monotonic()
    assert shape(raw, 10_000, 32).containers == 1
    assert time.monotonic() - started < 5  # a hang, not a benchmark: quadratic would take hours
