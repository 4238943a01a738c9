"""Time phrases in questions turned into media-time windows.

"at 00:03:20" / "at 10:32" (a clock time, with the stream's clock at media time 0 as ``anchor``), a clock time
in words ("at half past two", "ten to three", "a quarter past four", "three o'clock", "at two thirty pm", "noon"),
"2 minutes ago", "this morning", "before lunch", "between 10:00 and 10:05", "the first time",
"the last time". Times are media seconds; ``now`` is when the question is asked.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

_PARTS = {"this morning": (6 * 3600, 12 * 3600), "before lunch": (0, 12 * 3600), "after lunch": (13 * 3600, 24 * 3600),
          "this afternoon": (12 * 3600, 18 * 3600), "this evening": (18 * 3600, 24 * 3600),
          "tonight": (18 * 3600, 24 * 3600), "today": (0, 24 * 3600)}
_CLOCK = r"(\d{1,2}):(\d{2})(?::(\d{2}(?:\.\d+)?))?\s*(am|pm)?"

# clock times in words (English): the numbers one to fifty-nine, the hours, the parts of an hour said before one
_ONES = "one two three four five six seven eight nine".split()
_TEENS = "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50}
NUMBER_WORDS: dict[str, int] = {w: i + 1 for i, w in enumerate(_ONES)} | {w: i + 10 for i, w in enumerate(_TEENS)}
for _word, _tens in _TENS.items():
    NUMBER_WORDS[_word] = _tens
    for _i, _one in enumerate(_ONES):
        NUMBER_WORDS[f"{_word}-{_one}"] = NUMBER_WORDS[f"{_word} {_one}"] = _tens + _i + 1
_NUMBER = "|".join(sorted(map(re.escape, NUMBER_WORDS), key=len, reverse=True))
_HOUR = rf"(?P<hour>{_NUMBER}|\d{{1,2}}|noon|midday|midnight)(?![:.]?\d)"
_NOT_A_COUNT = r"(?!\s*(?:-|of\b)|\s+(?:people|persons|times|minutes|hours|seconds|days|things|items|ones)\b)"
_HALF = r"(?:\s*(?P<half>a\.?m\.?|p\.?m\.?|in the morning|in the afternoon|in the evening|at night)(?![a-z]))?"
_BEFORE_TIME = r"(?P<lead>\b(?:at|by|around|about|from|until|till|since|before|after|near|towards?)\s+)"
_SPOKEN = (  # (pattern, how its minutes are read)
    (rf"\b(?P<part>(?:a\s+)?quarter|half|{_NUMBER}|\d{{1,2}})(?:\s+minutes?)?\s+(?P<way>past|after|to|till)\s+"
     rf"{_HOUR}{_NOT_A_COUNT}{_HALF}", "part"),  # "half past two", "ten to three", "a quarter after four"
    (rf"{_BEFORE_TIME}half\s+{_HOUR}{_NOT_A_COUNT}{_HALF}", "half"),  # "at half two": 2:30
    (rf"\b{_HOUR}\s+o'?\s?clock{_HALF}", "hour"),  # "three o'clock"
    (rf"{_BEFORE_TIME}{_HOUR}\s+(?P<minute>oh\s+(?:{'|'.join(_ONES)})|{_NUMBER}){_NOT_A_COUNT}{_HALF}",
     "minute"),  # "at two thirty", "at nine oh five"
    (rf"\b(?P<noon>noon|midday|midnight)\b", "noon"),
)


def spoken_clocks(text: str) -> list[tuple[int, int, str]]:
    """Clock times said in words, as (start, end, "h:mm") in the order said: "half past two" -> "2:30",
    "ten to three" -> "2:50", "a quarter past four pm" -> "16:15", "at two thirty" -> "2:30", "noon" -> "12:00".
    A time with no morning or afternoon said keeps its hour as said (1 to 12)."""
    found: list[tuple[int, int, str]] = []
    low = text.lower()
    for pattern, how in _SPOKEN:
        for m in re.finditer(pattern, low):
            start = m.end("lead") if "lead" in m.groupdict() else m.start()  # the word before a time is no part of it
            if any(a < m.end() and start < b for a, b, _ in found):
                continue
            value = _spoken_value(m, how)
            if value is not None:
                found.append((start, m.end(), value))
    return sorted(found)


def _number(word: str) -> int:
    word = " ".join(word.split())
    return int(word) if word.isdigit() else NUMBER_WORDS[word]


def _spoken_value(m: re.Match, how: str) -> str | None:
    """"h:mm" of a clock time in words; None when it is no time of day ("twenty past fifteen")."""
    named = m.group("noon") if how == "noon" else m.group("hour")
    if named in ("noon", "midday", "midnight"):  # a time of day as it stands: no morning or afternoon to add
        hour, half = (0 if named == "midnight" else 12), None
    else:
        hour, half = _number(named), (m.group("half") or "").replace(".", "")
        if not 1 <= hour <= 12:
            return None
        if half in ("pm", "in the afternoon", "in the evening", "at night") and hour < 12:
            hour += 12
        elif half in ("am", "in the morning") and hour == 12:
            hour = 0
    if how == "part":
        part = m.group("part").replace("a ", "").strip()
        minutes = 15 if part == "quarter" else 30 if part == "half" else _number(part)
        if not 0 < minutes < 60:
            return None
        minutes = -minutes if m.group("way") in ("to", "till") else minutes
    else:
        minutes = {"half": 30, "hour": 0, "noon": 0}.get(how)
        minutes = _number(m.group("minute").replace("oh", "")) if minutes is None else minutes
        if minutes >= 60:
            return None
    total = (hour * 60 + minutes) % (24 * 60)
    if half is not None and not half and how == "part" and total < 60 and hour != 0:
        total += 12 * 60  # "ten to one" said without a half of the day: 12:50, as the clock face reads
    return f"{total // 60}:{total % 60:02d}"


# durations said as people say them: "90 seconds", "two minutes", "a minute and a half", "2 min 30 s", "2m 5s",
# "one and a half minutes", "half a minute"; each part a number (digits or words, "a", "an") and a unit
_UNIT = r"(?:seconds?|secs?|minutes?|mins?|hours?|hrs?)\b"
COUNT_WORDS: dict[str, int] = dict(NUMBER_WORDS)  # a duration's numbers go past a clock's fifty-nine
for _word, _tens in {"sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}.items():
    COUNT_WORDS[_word] = _tens
    for _i, _one in enumerate(_ONES):
        COUNT_WORDS[f"{_word}-{_one}"] = COUNT_WORDS[f"{_word} {_one}"] = _tens + _i + 1
_COUNT = "|".join(sorted(map(re.escape, COUNT_WORDS), key=len, reverse=True))
_AMOUNT = rf"(?:\d+(?:\.\d+)?|(?:a couple of|a couple|a pair of|{_COUNT}|an?|one)\b)"
# "2m", "two minutes", "one and a half minutes", "a minute and a half", "half a minute"
_PART = (rf"(?:\d+(?:\.\d+)?\s?[smh](?=\b|\d)|{_AMOUNT}(?:\s+and\s+a\s+half)?[\s-]*{_UNIT}(?:\s+and\s+a\s+half)?|"
         rf"half\s+an?\s+{_UNIT})")
_DURATION = rf"(?P<duration>{_PART}(?:,?\s*(?:and\s+)?{_PART}){{0,2}})"
_MEDIA_WORDS = r"(?:video|recording|clip|footage|tape|episode|stream|session|film|it|this|day)"
_ELAPSED = (  # (pattern, whether the time is counted back from the question's): a time said as a duration
    (rf"\b{_DURATION}\s+ago\b", True),  # "two minutes ago", "a minute and a half ago"
    (rf"\b{_DURATION}\s+(?:in\b(?=\s*(?:[,.;:?!]|$))|into\s+(?:the\s+|this\s+)?{_MEDIA_WORDS}\b)", False),
    (rf"\b(?:the\s+)?{_DURATION}\s+mark\b", False),  # "at the 3-minute mark", "the one-minute mark"
    (rf"\bminute\s+(?P<minute>\d+|{_COUNT})\b(?!:)", False),  # "at minute three"
    (rf"(?P<lead>\b(?:at|around|about|by|near|roughly|approximately)\s+(?:about\s+|around\s+)?){_DURATION}"
     r"(?!\s*(?:ago|in|into|mark|later|earlier|before|after|long|of|past|to|till)\b)", False),  # "at about 2 min 30 s"
)
_UNIT_SECONDS = {"s": 1.0, "m": 60.0, "h": 3600.0}
MAX_SAID = 100 * 3600.0  # a time said as a duration is shorter than this (it is written "hh:mm:ss")


def _duration_seconds(said: str) -> float | None:
    """Seconds of a duration said in words or digits ("a minute and a half", "2 min 30 s"); None when not one."""
    total, found = 0.0, False
    for m in re.finditer(_PART, said):
        part = m.group(0)
        unit = re.search(r"([smh])[a-z]*(?:\s+and\s+a\s+half)?$", part).group(1)
        scale = _UNIT_SECONDS[unit]
        amount = re.match(rf"{_AMOUNT}", part).group(0) if not part.startswith("half") else "half"
        value = 0.5 if amount == "half" else 1.0 if amount in ("a", "an", "one") else 2.0 if amount.startswith(
            ("a couple", "a pair")) else (
            float(amount) if amount[0].isdigit() else float(COUNT_WORDS[" ".join(amount.split())]))
        total += (value + (0.5 if "and a half" in part else 0.0)) * scale
        found = True
    return total if found else None


def said_times(text: str) -> list[tuple[int, int, str]]:
    """Times said as a duration, as (start, end, clock) in the order said: elapsed media time written "hh:mm:ss"
    ("90 seconds in", "at the 3-minute mark", "a minute and a half into the video"), or counted back from the
    question's time, written "hh:mm:ss ago" ("two minutes ago"); ``media_clock`` reads both at a time."""
    low = text.lower()
    found: list[tuple[int, int, str]] = []
    for pattern, back in _ELAPSED:
        for m in re.finditer(pattern, low):
            start = m.end("lead") if m.groupdict().get("lead") else m.start()
            if any(a < m.end() and start < b for a, b, _ in found):
                continue
            if m.groupdict().get("minute"):
                minute = m.group("minute")
                seconds = 60.0 * (int(minute) if minute.isdigit() else COUNT_WORDS[" ".join(minute.split())])
            else:
                seconds = _duration_seconds(m.group("duration"))
            if seconds is None or not 0 < seconds < MAX_SAID:  # no duration, or none "hh:mm:ss" writes
                continue
            found.append((start, m.end(), hms(seconds) + (" ago" if back else "")))
    return sorted(found)


def hms(seconds: float) -> str:
    """Media seconds written as a clock of the recording, "hh:mm:ss" (rounded to the second)."""
    s = int(round(seconds))
    return f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}"


def media_clock(clock: str, now: float) -> str:
    """A question's clock time as media time "hh:mm:ss", read at the question's time ``now``: "hh:mm:ss" as it
    stands; "00:02:00 ago" counted back from now; a two-part "a:bb" as minutes and seconds, the way a video player
    and mnemo's own event times show it ("2:10" two minutes ten seconds in; ``_media`` reads it so too), where that
    is no later than now, else as said (hours and minutes: "10:15" asked 40 s in). Anything else is returned as it
    is."""
    text = clock.strip().lower()
    if text.endswith(" ago"):
        seconds = clock_seconds(text[:-4])
        back = now - seconds if seconds is not None else math.nan
        return hms(max(back, 0.0)) if back < MAX_SAID else clock  # now unknown (inf) or past 99 h: as said
    m = re.fullmatch(r"(\d{1,2}):(\d{2})", text)
    if not m:
        return clock
    a, b = int(m.group(1)), int(m.group(2))
    if a * 60 + b <= now:
        return hms(a * 60 + b)
    return clock


def with_digits(text: str) -> str:
    """The text with its clock times in words written as a clock reads ("at half past two" -> "at 2:30")."""
    for start, end, value in reversed(spoken_clocks(text)):
        text = text[:start] + value + text[end:]
    return text


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
    q = with_digits(text.lower())
    order = "first" if re.search(r"\bfirst\b", q) else "last" if re.search(r"\blast\b", q) else None
    m = re.search(r"between\s+(" + _CLOCK + r")\s+and\s+(" + _CLOCK + ")", q)
    if m:
        return TimeWindow(_media(m.group(1), anchor), min(_media(m.group(6), anchor), now), None, order)
    said = said_times(q)  # "two minutes ago", "90 seconds in", "at the 3-minute mark"
    if said:
        clock = said[0][2]
        seconds = clock_seconds(clock.removesuffix(" ago"))
        return TimeWindow(None, now, now - seconds if clock.endswith(" ago") else seconds, order)
    m = re.search(r"\bat\s+(" + _CLOCK + ")", q)
    if m:
        t = _media(m.group(1), anchor)
        return TimeWindow(None, now, t, order)
    for phrase, (a, b) in _PARTS.items():
        if phrase in q:
            base = 0.0 if anchor is None else anchor
            return TimeWindow(max(a - base, 0.0), min(b - base, now), None, order)
    return TimeWindow(0.0, now, None, order)
