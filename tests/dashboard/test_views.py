"""The call page's pure parts: transcript timeline, latency chart geometry, formats."""

from __future__ import annotations

from api.dashboard import views


def test_tool_calls_follow_the_caller_turn_that_asked_for_them() -> None:
    messages = [{"role": "assistant", "content": "Hi", "time": "2026-11-20T09:30:00Z"},
                {"role": "user", "content": "Book it", "time": "2026-11-20T09:30:05Z"},
                {"role": "assistant", "content": "Done", "time": "2026-11-20T09:31:07Z", "interrupted": True}]
    tools = [{"name": "late", "turn": 9}, {"name": "book", "turn": 1, "arguments": {"n": 2}}, {"name": "loose"}]
    lines = views.timeline(messages, tools, "2026-11-20T09:30:00Z")
    assert [(line.kind, line.text or line.tool.get("name")) for line in lines] == [
        ("message", "Hi"), ("message", "Book it"), ("tool", "book"), ("message", "Done"),
        ("tool", "loose"), ("tool", "late")]
    assert [line.at for line in lines if line.kind == "message"] == ["0:00", "0:05", "1:07"]
    assert lines[1].speaker == "Caller" and lines[3].interrupted and lines[2].arguments == '{"n": 2}'


def test_bars_stack_the_stages_in_proportion_on_a_round_axis() -> None:
    chart = views.latency_chart([{"endpointing_ms": 300, "stt_ms": 100, "llm_ttft_ms": 400, "tts_ttfb_ms": 100},
                                 {"endpointing_ms": 200}])
    assert chart.ticks[-1].label == "1000 ms"  # 900 ms rounds up to 1000
    first = [s for s in chart.segments if s.title.startswith("Turn 1")]
    assert [s.css for s in first] == ["seg-endpointing", "seg-stt", "seg-llm", "seg-tts"]
    plot = chart.plot_bottom - chart.ticks[-1].y
    assert [round(s.height / plot, 2) for s in first] == [0.3, 0.1, 0.4, 0.1]
    assert all(a.y == round(b.y - a.height, 1) for b, a in zip(first, first[1:], strict=False))
    assert len(chart.segments) == 5 and chart.turns == 2


def test_no_turns_draw_no_bars() -> None:
    assert views.latency_chart([]).segments == []


def test_times_and_money() -> None:
    assert [views.clock(s) for s in (None, 5, 65.9, 3725)] == ["", "0:05", "1:05", "1:02:05"]
    assert views.money(0.04) == "0.0400" and views.money(None) == ""
