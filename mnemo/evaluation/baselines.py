"""Baselines: answerers that do not reason, scored beside the real one on the same questions of a run.

EVAL.md: an answerer's figure is worth what it beats. Each baseline is called as the suite calls the
built-in answerer, ``(memory, question) -> answer``, and graded by ``sim.score``. It reads only the
question's words, the time it is asked, and what the memory stored before that time (sightings,
lines heard: ingest's utterances with words, as the world reads them; the map's areas, events by the
memory's search); never the truth, nor the question's type or answer. The kind of answer a question wants is read from its question word
(``answer_kind``), as any answerer must.

- ``last_room``: where-questions get the room of the latest sighting of the thing named (label, and
  colour when one is named), placed in the map by its stored position; the rest "I don't know".
- ``unknown``: always "I don't know".
- ``retrieval``: the memory's nearest event before the question; its start time, length or text when
  the question wants a time, a duration or a text, else the first room, person or number named in its
  text, else "I don't know".
- ``uniform``: a seeded uniform guess among answers of the right kind (the map's rooms, the speakers
  heard, yes/no, counts 0-5, times and durations in [0, t], the lines heard). ``expected`` gives its
  exact expected score, which the suite reports instead of one draw's.
"""

from __future__ import annotations

import logging
from bisect import bisect_left
import re
import weakref
import zlib
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

import numpy as np

from memory import perceived
from memory.spoken import spoken
from sim import Question, score

logger = logging.getLogger(__name__)

UNKNOWN = None  # what a baseline answers when it has nothing: sim.score counts None as "I don't know"
MAX_COUNT = 5  # the uniform guess of a count is one of 0..MAX_COUNT
SEARCH_K = 20  # events the retrieval baseline asks the memory's search for (the nearest one wholly before t wins)
# basic colour terms of English (Berlin & Kay, and the common extras): a word before a thing's label names its
# colour when it is one of these or a colour perception stored
BASIC_COLOURS = frozenset({"black", "white", "red", "green", "yellow", "blue", "brown", "purple", "pink", "orange",
                           "grey", "gray", "teal", "beige", "silver", "gold", "navy", "cyan", "magenta"})
_NUMBERS = {w: i for i, w in enumerate(("zero", "one", "two", "three", "four", "five", "six", "seven", "eight",
                                        "nine", "ten"))}
_YES_NO = re.compile(r"^\W*(did|do|does|is|was|were|are|has|have|had|can|could|will|would|should)\b", re.I)
_COUNT = re.compile(r"^\W*count\b", re.I)  # an imperative asking for a number
# a question asked inside a yes/no one, after a verb of knowing, seeing or telling
_INDIRECT = re.compile(r"\b(?:know|seen|see|saw|tell me|remember|recall|notice|noticed)\s+"
                       r"((?:where|when|who|whom|whose|which|what|how)\b)", re.I)
_KINDS = (  # (pattern, answer kind); the earliest match in the question decides, ties in this order
    (re.compile(r"\bhow (many|often)\b", re.I), "count"),
    (re.compile(r"\bhow (long|much time)\b", re.I), "duration"),
    (re.compile(r"\b(where|(which|what) (room|place|area))\b", re.I), "room"),
    (re.compile(r"\b(who|whom|whose)\b", re.I), "person"),
    (re.compile(r"\b(when|what time)\b", re.I), "time"),
    (re.compile(r"\bwhat\b", re.I), "text"),
)


class Baseline(Protocol):
    name: str

    def __call__(self, memory: Any, question: Question) -> Any: ...


def answer_kind(text: str) -> str:
    """The kind of answer a question wants, from its question word: room, person, time, duration,
    count, yes_no, text, or unknown when it has none ("Did ...?" is yes/no unless a question word in
    it asks indirectly, as in "Do you know where ...?"; "how long" a duration)."""
    text = re.sub(r'"[^"]*"', '""', text)  # what a question quotes is not what it asks
    if _COUNT.match(text):  # "Count the times ..."
        return "count"
    indirect = _INDIRECT.search(text)  # "Do you know where ...?", "Have you seen who ...?": the question word decides
    if _YES_NO.match(text) and not indirect:
        return "yes_no"
    rest = text[indirect.start(1):] if indirect else text
    found = [(m.start(), rank, kind) for rank, (pattern, kind) in enumerate(_KINDS) if (m := pattern.search(rest))]
    return min(found)[2] if found else "unknown"


# ---------------------------------------------------------------------------- what memory stored

@dataclass
class _Stored:
    """A memory's sightings, lines heard and map, read once and extended as new rows arrive. Lines heard
    are those the world reads: ingest's utterances with words (``memory.spoken``) and a perception
    log's heard lines."""

    sightings: list[tuple] = field(default_factory=list)  # (time, kind, label, colour, x, y), by time
    heard: list[tuple] = field(default_factory=list)  # (start, end, text, speaker), by start
    areas: list[perceived.Area] = field(default_factory=list)
    last_sighting: int = 0  # highest row id read
    last_heard: int = 0
    logged: list[tuple] = field(default_factory=list)  # the perception log's heard lines, by start

    def refresh(self, store) -> "_Stored":
        new = perceived.sightings(store, after_id=self.last_sighting)
        if new:
            self.sightings = sorted(self.sightings + [(r[2], r[4], r[5], r[6], r[8], r[9]) for r in new],
                                    key=lambda r: r[0])
            self.last_sighting = max(r[0] for r in new)
        lines = perceived.heard(store, after_id=self.last_heard)
        if lines:
            self.logged = sorted(self.logged + [(r[2], r[3], r[4], r[5]) for r in lines], key=lambda r: r[0])
            self.last_heard = max(r[0] for r in lines)
        said = [(float(a), float(b), text, speaker) for _, a, b, text, speaker in spoken(store)]  # few: read whole
        self.heard = sorted(self.logged + said, key=lambda r: r[0])
        self.areas = perceived.areas(store)
        return self

    def labels(self) -> set[str]:
        return {r[2] for r in self.sightings if r[1] != "person" and r[2]}

    def colours(self) -> set[str]:
        return {r[3] for r in self.sightings if r[3]} | BASIC_COLOURS

    def speakers(self, before: float) -> list[str]:
        """The names diarisation gave the lines heard before ``before``, first heard first."""
        return list(dict.fromkeys(r[3] for r in self.heard if r[1] <= before and r[3]))

    def lines(self, before: float) -> list[str]:
        return [r[2] for r in self.heard if r[1] <= before and r[2]]

    def last(self, label: str, colour: str, before: float) -> tuple | None:
        """The latest sighting of a thing of ``label`` (and ``colour`` if given) before ``before``."""
        return last_sighting(self.sightings, label, colour, before)

    def room_at(self, x: float, y: float) -> str | None:
        """The map area holding (x, y), else the nearest one; None without a map."""
        if not self.areas:
            return None
        inside = [a for a in self.areas if a.contains(x, y)]
        return inside[0].name if inside else min(self.areas, key=lambda a: a.distance(x, y)).name


_CACHE: "weakref.WeakKeyDictionary[Any, _Stored]" = weakref.WeakKeyDictionary()


def stored(memory: Any) -> _Stored:
    """What ``memory`` (a mnemo Memory) stored, read through memory/perceived.py and kept per memory."""
    return _CACHE.setdefault(memory, _Stored()).refresh(memory.store)


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def _find(words: list[str], phrase: list[str]) -> int:
    """Where ``phrase`` starts in ``words`` as whole words, -1 if it does not."""
    n = len(phrase)
    return next((i for i in range(len(words) - n + 1) if words[i:i + n] == phrase), -1) if n else -1


def named_thing(text: str, labels: set[str], colours: set[str]) -> tuple[str, str] | None:
    """(label, colour or '') of the thing a question names: the longest stored label among its words (the
    earliest of equals), with the colour word just before it; None when it names no stored label."""
    words = _words(text)
    found = [(-len(label.split()), at, label) for label in labels if (at := _find(words, _words(label))) >= 0]
    if not found:
        return None
    _, at, label = min(found)
    colour = words[at - 1] if at > 0 and words[at - 1] in colours else ""
    return label, colour


def first_named(text: str, names: list[str]) -> str | None:
    """The name among ``names`` that ``text`` mentions first (whole words), or None."""
    words = _words(text)
    hits = [(at, name) for name in names if (at := _find(words, _words(name))) >= 0]
    return min(hits)[1] if hits else None


def first_number(text: str) -> int | None:
    for word in _words(text):
        if word.isdigit():
            return int(word)
        if word in _NUMBERS:
            return _NUMBERS[word]
    return None


# -------------------------------------------------------------------------------------- baselines

class LastRoom:
    """Where-questions: the room of the latest sighting (before t) of the thing named; else unknown."""

    name = "last_room"

    def __call__(self, memory: Any, question: Question) -> str | None:
        if answer_kind(question.text) != "room":
            return UNKNOWN
        seen = stored(memory)
        thing = named_thing(question.text, seen.labels(), seen.colours())
        if thing is None:
            return UNKNOWN
        last = seen.last(*thing, before=question.asked_at)
        return seen.room_at(last[4], last[5]) if last is not None else UNKNOWN


def last_sighting(sightings: list[tuple], label: str, colour: str, before: float) -> tuple | None:
    """The latest (time, kind, label, colour, x, y) of a non-person thing of ``label`` (and ``colour`` if
    one is given) strictly before ``before``; None when there is none."""
    end = bisect_left(sightings, before, key=lambda r: r[0])
    for i in range(end - 1, -1, -1):
        row = sightings[i]
        if row[1] != "person" and row[2] == label and (not colour or row[3] == colour):
            return row
    return None


class Unknown:
    """Always "I don't know"."""

    name = "unknown"

    def __call__(self, memory: Any, question: Question) -> None:
        return UNKNOWN


class Retrieval:
    """The memory's nearest event wholly before the question, read for an answer of the right kind."""

    name = "retrieval"

    def __call__(self, memory: Any, question: Question) -> Any:
        hit = self.nearest(memory, question)
        if hit is None:
            return UNKNOWN
        start, end, text = hit
        kind = answer_kind(question.text)
        if kind == "time":
            return start
        if kind == "duration":
            return end - start
        if kind == "text":
            return text or UNKNOWN
        if kind == "room":
            return first_named(text, [a.name for a in stored(memory).areas])
        if kind == "person":
            return first_named(text, stored(memory).speakers(question.asked_at))
        if kind == "count":
            return first_number(text)
        return UNKNOWN

    @staticmethod
    def nearest(memory: Any, question: Question) -> tuple[float, float, str] | None:
        """(start, end, text) of the best event of the memory's search (planners/retrieval.py, no expansion)
        among those that ended before the question was asked; None when none did."""
        from mnemo.models import torch_threads  # torch loads with the encoders, not with this module

        t = question.asked_at
        with torch_threads(1):  # one short query, as Memory.search embeds it
            hits = memory.reasoner.retriever.search(question.text, k=SEARCH_K, end=t, expand=False)
        for hit in hits:
            event = memory.store.event(hit.event)
            if event.end <= t:
                return float(event.start), float(event.end), event.text or ""
        return None


class Uniform:
    """A seeded uniform guess among answers of the kind the question wants; ``expected`` is its mean score."""

    name = "uniform"

    def __init__(self, seed: int = 0) -> None:
        self.seed = int(seed)

    def __call__(self, memory: Any, question: Question) -> Any:
        rng = np.random.default_rng([self.seed, zlib.crc32(_key(question).encode())])
        kind, choices = self.choices(memory, question)
        if kind in ("time", "duration"):
            return float(rng.uniform(0.0, question.asked_at)) if question.asked_at > 0 else 0.0
        return choices[int(rng.integers(len(choices)))] if choices else UNKNOWN

    def expected(self, memory: Any, question: Question) -> float:
        """The exact expected score of a draw: the mean score over the choices, or for times and durations
        (uniform on [0, t]) the share of [0, t] within the question's tolerance of the answer."""
        kind, choices = self.choices(memory, question)
        if kind in ("time", "duration"):
            return _interval_share(question, question.asked_at)
        if not choices:
            return float(score(question, UNKNOWN))
        return float(np.mean([score(question, c) for c in choices]))

    @staticmethod
    def choices(memory: Any, question: Question) -> tuple[str, list]:
        """(answer kind, the answers it is drawn from); times and durations are drawn from [0, t] instead."""
        kind = answer_kind(question.text)
        t = question.asked_at
        if kind == "room":
            return kind, [a.name for a in stored(memory).areas]
        if kind == "person":
            return kind, stored(memory).speakers(t)
        if kind == "yes_no":
            return kind, [True, False]
        if kind == "count":
            return kind, list(range(MAX_COUNT + 1))
        if kind == "text":
            return kind, stored(memory).lines(t)
        return kind, []


def _key(question: Question) -> str:
    return f"{question.id}|{question.asked_at!r}|{question.text}"


def _interval_share(question: Question, t: float) -> float:
    """P(|U - answer| <= tolerance) for U uniform on [0, t] (a point mass at 0 when t <= 0), as sim.score grades."""
    if t <= 0:
        return float(score(question, 0.0))
    if question.answer is None or question.answer_type not in ("time", "duration", "count"):
        return 0.0  # a number is never a right room, person, yes/no, text or "I don't know"
    if question.answer_type == "count":  # sim.score rounds a number to the nearest count
        lo, hi = float(question.answer) - 0.5, float(question.answer) + 0.5
    else:
        lo, hi = float(question.answer) - question.tolerance - 1e-9, float(question.answer) + question.tolerance + 1e-9
    return max(0.0, min(t, hi) - max(0.0, lo)) / t


BASELINES: dict[str, Callable[[], Baseline]] = {
    "last_room": LastRoom, "unknown": Unknown, "retrieval": Retrieval, "uniform": Uniform,
}


def make_baselines(names: str | list[str] | tuple[str, ...] | None = None) -> list[Baseline]:
    """The named baselines (default: all), fresh; an unknown name fails listing the known ones."""
    names = list(BASELINES) if names is None else [names] if isinstance(names, str) else list(names)
    unknown = [n for n in names if n not in BASELINES]
    if unknown:
        raise ValueError(f"unknown baseline(s) {unknown}; known: {', '.join(BASELINES)}")
    return [BASELINES[n]() for n in names]


def baseline_score(baseline: Baseline, memory: Any, question: Question) -> float:
    """The baseline's score on the question: its expected score when it guesses (``expected``), else
    ``sim.score`` of its answer."""
    expected = getattr(baseline, "expected", None)
    if expected is not None:
        return float(expected(memory, question))
    return float(score(question, baseline(memory, question)))
