"""Time phrases, table-driven."""

from __future__ import annotations

import pytest

from planners.time_phrases import TimeWindow, clock_seconds, media_clock, parse_time, said_times, spoken_clocks

NOW = 4000.0
TABLE = [  # (phrase, anchor, expected window)
    ("where was it at 00:03:20?", None, TimeWindow(None, NOW, 200.0, None)),
    ("what did I see at 10:32?", 36000.0, TimeWindow(None, NOW, 1920.0, None)),
    ("what did I see at 10:32 am?", 36000.0, TimeWindow(None, NOW, 1920.0, None)),
    ("what happened 2 minutes ago?", None, TimeWindow(None, NOW, NOW - 120.0, None)),
    ("what happened 30 seconds ago?", None, TimeWindow(None, NOW, NOW - 30.0, None)),
    ("what happened between 10:00 and 10:05?", 36000.0, TimeWindow(0.0, 300.0, None, None)),
    ("what happened between 00:01:00 and 00:02:00?", None, TimeWindow(60.0, 120.0, None, None)),
    ("what happened between 0:20 and 0:30?", None, TimeWindow(20.0, 30.0, None, None)),  # m:ss, as events print
    ("what did I see at 10:32?", None, TimeWindow(None, NOW, 632.0, None)),
    ("where did I put it this morning?", 0.0, TimeWindow(6 * 3600.0, NOW, None, None)),
    ("what did she say before lunch?", 28800.0, TimeWindow(0.0, NOW, None, None)),
    ("when did I see it the first time?", None, TimeWindow(0.0, NOW, None, "first")),
    ("when did I see it the last time?", None, TimeWindow(0.0, NOW, None, "last")),
    ("where is the mug?", None, TimeWindow(0.0, NOW, None, None)),
    # clock times in words, with the stream's clock at 2:00 pm
    ("where was it at half past two in the afternoon?", 14 * 3600.0, TimeWindow(None, NOW, 1800.0, None)),
    ("what happened between ten past two pm and a quarter to three pm?", 14 * 3600.0,
     TimeWindow(600.0, 2700.0, None, None)),
]


@pytest.mark.parametrize("phrase, anchor, expected", TABLE, ids=[t[0] for t in TABLE])
def test_parse_time(phrase, anchor, expected):
    assert parse_time(phrase, NOW, anchor) == expected


@pytest.mark.parametrize("text, seconds", [("10:32", 37920.0), ("00:03:20", 200.0), ("1:05 pm", 47100.0),
                                           ("12:00 am", 0.0), ("3:07:09.5", 11229.5), ("soon", None)])
def test_clock_seconds(text, seconds):
    assert clock_seconds(text) == seconds


@pytest.mark.parametrize("text, clocks", [
    ("Where was it at half past two?", ["2:30"]),
    ("at ten to three", ["2:50"]),
    ("a quarter past four pm", ["16:15"]),
    ("twenty-five minutes to twelve", ["11:35"]),
    ("at two thirty in the morning", ["2:30"]),
    ("at nine oh five", ["9:05"]),
    ("five past 3", ["3:05"]),
    ("at half two", ["2:30"]),  # British: half past two
    ("three o'clock in the afternoon", ["15:00"]),
    ("quarter to one", ["12:45"]),
    ("at noon", ["12:00"]),
    ("five to midnight", ["23:55"]),
    ("between half past two and three o'clock", ["2:30", "3:00"]),
    # numbers that are no clock: counts, people, "one of them"
    ("after one of them left", []),
    ("ten to three people came in", []),
    ("how many times did two people enter", []),
    ("at 10:15", []),  # in digits: clock_seconds reads those
])
def test_clock_times_in_words(text, clocks):
    assert [c for _, _, c in spoken_clocks(text)] == clocks


@pytest.mark.parametrize("text, said", [
    ("Where was it two minutes ago?", ["00:02:00 ago"]),
    ("A minute and a half in, where was it?", ["00:01:30"]),
    ("What room was it in 90 seconds into the video?", ["00:01:30"]),
    ("Ninety seconds into the recording, where was it?", ["00:01:30"]),
    ("Where was it at the 3-minute mark?", ["00:03:00"]),
    ("At the one-minute mark, who was there?", ["00:01:00"]),
    ("Where was it at about 2 minutes 30 seconds?", ["00:02:30"]),
    ("Where was it at 2m 5s?", ["00:02:05"]), ("Where was it at 1m30s?", ["00:01:30"]),
    ("Where was it half a minute ago?", ["00:00:30 ago"]), ("one and a half minutes in, where?", ["00:01:30"]),
    ("What happened at minute three?", ["00:03:00"]),
    ("What room had it a couple of minutes ago?", ["00:02:00 ago"]),
    # durations that are no time: how long, a clock in words, "2 am", a count of minutes spent somewhere
    ("Did she stay for two minutes in the kitchen?", []), ("How long did she stay, 2 minutes?", []),
    ("Where was it at 10 minutes past two?", []), ("Where was it at 2 am?", []), ("Was it there at a m?", []),
])
def test_times_said_as_durations(text, said):
    """A time said as a duration: elapsed media time ("90 seconds in", "at the 3-minute mark") or counted back from
    the question's time ("two minutes ago"); a duration with no word making it a time is none."""
    assert [clock for _, _, clock in said_times(text)] == said


@pytest.mark.parametrize("clock, now, media", [
    ("00:02:00 ago", 250.0, "00:02:10"), ("00:05:00 ago", 250.0, "00:00:00"),
    ("2:10", 250.0, "00:02:10"), ("0:04", 600.0, "00:00:04"),  # a video player's m:ss, as mnemo prints times
    ("10:15", 40000.0, "00:10:15"),
    ("10:15", 250.0, "10:15"),  # m:ss would be after the question: as said
    ("00:01:05", 250.0, "00:01:05"), ("soon", 250.0, "soon"),
])
def test_media_clock_reads_a_clock_at_the_question_time(clock, now, media):
    assert media_clock(clock, now) == media


def test_parse_time_reads_times_said_as_durations():
    assert parse_time("what happened two minutes ago?", NOW) == TimeWindow(None, NOW, NOW - 120.0, None)
    assert parse_time("what did I see 90 seconds in?", NOW) == TimeWindow(None, NOW, 90.0, None)
