"""Time phrases in questions turned into media-time windows.

"at 00:03:20" / "at 10:32" (a clock time, with the stream's clock at media time 0 as ``anchor``),
"2 minutes ago", "this morning", "before lunch", "between 10:00 and 10:05", "the first time",
"the last time". Times are media seconds; ``now`` is when the question is asked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_UNITS = {"second": 1.0, "sec": 1.0, "minute": 60.0, "min": 60.0, "hour": 3600.0}
_PARTS = {"this morning": (6 * 3600, 12 * 3600), "before lunch": (0, 12 * 3600), "after lunch": (13 * 3600, 24 * 3600),
          "this afternoon": (12 * 3600, 18 * 3600), "this evening": (18 * 3600, 24 * 3600),
          "tonight": (18 * 3600, 24 * 3600), "today": (0, 24 * 3600)}
_CLOCK = r"(\d{1,2}):(\d{2})(?::(\d{2}(?:\.\d+)?))?\s*(am|pm)?"


@dataclass(frozen=True)
class TimeWindow:
    start: float | None = None  # media seconds; None: open
    end: float | None = None
    point: float | None = None  # a named instant ("at 10:32")
    order: str | None = None  # "first" or "last" when the question asks for one


def clock_seconds(text: str) -> float | None:
    """Seconds of "hh:mm[:ss][am|pm]"; None when the text is not one."""
    m = re.fullmatch(_CLOCK, text.strip().lower())
    if not m:
        return None
    h, mnt, sec, half = int(m.group(1)), int(m.group(2)), float(m.group(3) or 0), m.group(4)
    if half == "pm" and h < 12:
        h += 12
    if half == "am" and h == 12:
        h = 0
    return h * 3600 + mnt * 60 + sec


def _media(text: str, anchor: float | None) -> float:
    """Media seconds of a clock phrase. With a wall-clock anchor it is a time of day. Without one it
    is media time: "hh:mm:ss", or "m:ss" as mnemo prints event times ("0:20" is 20 s in)."""
    clock = clock_seconds(text)
    if anchor is not None:
        return clock - anchor
    m = re.fullmatch(_CLOCK, text.strip().lower())
    if m.group(3) is None and m.group(4) is None:
        return int(m.group(1)) * 60.0 + int(m.group(2))
    return clock


def parse_time(text: str, now: float, anchor: float | None = None) -> TimeWindow:
    """The time window a question names (all of [0, now] when it names none)."""
    q = text.lower()
    order = "first" if re.search(r"\bfirst\b", q) else "last" if re.search(r"\blast\b", q) else None
    m = re.search(r"between\s+(" + _CLOCK + r")\s+and\s+(" + _CLOCK + ")", q)
    if m:
        return TimeWindow(_media(m.group(1), anchor), min(_media(m.group(6), anchor), now), None, order)
    m = re.search(r"(\d+(?:\.\d+)?)\s*(second|sec|minute|min|hour)s?\s+ago", q)
    if m:
        t = now - float(m.group(1)) * _UNITS[m.group(2)]
        return TimeWindow(None, now, t, order)
    m = re.search(r"\bat\s+(" + _CLOCK + ")", q)
    if m:
        t = _media(m.group(1), anchor)
        return TimeWindow(None, now, t, order)
    for phrase, (a, b) in _PARTS.items():
        if phrase in q:
            base = 0.0 if anchor is None else anchor
            return TimeWindow(max(a - base, 0.0), min(b - base, now), None, order)
    return TimeWindow(0.0, now, None, order)
