"""Questions with exact answers, written from an episode's truth, and how to score answers to them.

Every question is asked at a media time t about the past only, and only about what the camera
could have seen or the microphone heard before t (an action counts when its actor was in view; a
location when the object was seen there). Answers are typed (a room, a person, a time, a duration,
a count, yes/no, a text, or "unknown" for what was never seen) and carry the evidence spans that
support them and a machine-readable ``query`` from which they can be recomputed from truth.json.
Hard cases are sought on purpose: objects moved many times, look-alike objects, things said long
ago, and things never seen. ``score(question, predicted)`` grades an answer by the rules of its type.
"""

from __future__ import annotations

import logging
import re
import zlib
from bisect import bisect_left, bisect_right
from collections import Counter
from dataclasses import dataclass, field, replace

import numpy as np

from sim.catalogue import COLOURS, LOOKALIKES, OBJECTS
from sim.truth import Event, Truth
from sim.wording import Wording, wording

logger = logging.getLogger(__name__)

QUESTION_TYPES = ("where_now", "where_at", "when", "who", "what_said", "how_many", "order", "how_long",
                  "multi_hop", "unanswerable")
ANSWER_TYPES = ("room", "person", "time", "duration", "count", "yes_no", "text", "unknown")
TIME_TOLERANCE = 10.0  # seconds either way for "when" answers
DURATION_TOLERANCE = (5.0, 0.2)  # seconds, or this share of the true duration, whichever is larger
LONG_AGO = 900.0  # seconds: things older than this at question time count as "long ago"
UNKNOWN_WORDS = {"unknown", "never", "never seen", "not seen", "i don't know", "i do not know", "don't know",
                 "no idea", "none", "nothing", "n/a", "cannot tell", "can't tell", "not known"}


@dataclass(frozen=True)
class Evidence:
    start: float
    end: float
    modality: str  # "video" or "audio"
    entities: tuple[str, ...]
    note: str  # what the span shows: "the red mug on the counter", "Alice: 'I put ...'"


@dataclass(frozen=True)
class Question:
    id: str  # "question:<type>:<k>"
    type: str  # one of QUESTION_TYPES
    asked_at: float  # media time the question is asked at; it is about [0, asked_at) only
    text: str
    answer: str | float | int | bool | None  # typed by answer_type; None when unknown
    answer_type: str  # one of ANSWER_TYPES
    evidence: tuple[Evidence, ...]
    query: dict = field(compare=False)  # how to recompute the answer from truth.json (see tests/sim)
    tolerance: float = 0.0  # seconds allowed either way, for time and duration answers
    keywords: tuple[str, ...] = ()  # text answers: the words a right answer contains
    detail: str = ""  # more of the answer: the furniture, for where questions
    hard: tuple[str, ...] = ()  # hard cases: moved_many, lookalike, similar_people, long_ago, never_seen, absent

    def to_json(self) -> dict:
        return {"id": self.id, "type": self.type, "asked_at": self.asked_at, "text": self.text,
                "answer": self.answer, "answer_type": self.answer_type, "tolerance": self.tolerance,
                "keywords": list(self.keywords), "detail": self.detail, "hard": list(self.hard),
                "query": self.query,
                "evidence": [{"start": e.start, "end": e.end, "modality": e.modality, "entities": list(e.entities),
                              "note": e.note} for e in self.evidence]}

    @classmethod
    def from_json(cls, data: dict) -> "Question":
        evidence = tuple(Evidence(e["start"], e["end"], e["modality"], tuple(e["entities"]), e["note"])
                         for e in data["evidence"])
        return cls(data["id"], data["type"], data["asked_at"], data["text"], data["answer"], data["answer_type"],
                   evidence, data["query"], data["tolerance"], tuple(data["keywords"]), data["detail"],
                   tuple(data["hard"]))


# ------------------------------------------------------------------------------------------ scoring

def score(question: Question, predicted) -> float:
    """1.0 for a right answer, 0.0 for a wrong one; text answers score the share of key words found.
    ``predicted`` may be a name or id (rooms, people), seconds or "hh:mm:ss" (times), a number, a bool or
    "yes"/"no", free text, or None / "unknown" for what was never seen."""
    kind = question.answer_type
    if kind == "unknown":
        return 1.0 if _is_unknown(predicted) else 0.0
    if _is_unknown(predicted):
        return 0.0
    if kind in ("room", "person"):
        return 1.0 if _norm_name(predicted) == _norm_name(question.answer) else 0.0
    if kind in ("time", "duration"):
        value = parse_time(predicted)
        return 1.0 if value is not None and abs(value - float(question.answer)) <= question.tolerance + 1e-9 else 0.0
    if kind == "count":
        try:
            return 1.0 if int(round(float(predicted))) == int(question.answer) else 0.0
        except (TypeError, ValueError):
            return 0.0
    if kind == "yes_no":
        value = _yes_no(predicted)
        return 1.0 if value is not None and value == bool(question.answer) else 0.0
    if kind == "text":
        said = _norm_text(str(predicted))
        if not question.keywords:
            return 1.0 if said == _norm_text(str(question.answer)) else 0.0
        return sum(_norm_text(k) in said for k in question.keywords) / len(question.keywords)
    raise ValueError(f"question {question.id}: unknown answer type {kind!r}; known: {ANSWER_TYPES}")


def parse_time(value) -> float | None:
    """Seconds from a number or an "[hh:]mm:ss[.f]" string; None when it is neither."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float, np.floating, np.integer)):
        return float(value)
    text = str(value).strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    m = re.fullmatch(r"(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:\.\d+)?)", text)
    if not m:
        return None
    return int(m.group(1) or 0) * 3600 + int(m.group(2)) * 60 + float(m.group(3))


def stamp(seconds: float) -> str:
    """Media time as hh:mm:ss."""
    s = int(round(seconds))
    return f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}"


def _is_unknown(value) -> bool:
    return value is None or (isinstance(value, str) and value.strip().lower().rstrip(".") in UNKNOWN_WORDS)


def _norm_name(value) -> str:
    text = str(value).strip().lower()
    text = re.sub(r"^(the|in the|at the)\s+", "", text)
    return text.rstrip(".")


def _norm_text(text: str) -> str:
    return " ".join(re.sub(r"[^\w:]+", " ", text.lower()).split())


def _yes_no(value) -> bool | None:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    text = str(value).strip().lower().rstrip(".!")
    if text in ("yes", "y", "true"):
        return True
    if text in ("no", "n", "false"):
        return False
    return None


# --------------------------------------------------------------------------------------- generation

def generate_questions(truth: Truth, seed: int = 0, per_type: int = 30, wording: str = "dev") -> list[Question]:
    """Up to ``per_type`` questions of every type (fewer, with a warning, when the episode is too short to
    hold that many facts), asked at times spread over the episode, in the phrasings of ``wording``
    ("dev" or "heldout": sim/wording.py); the same questions in either. Deterministic by (truth, seed)."""
    if per_type < 1:
        raise ValueError(f"per_type={per_type!r}: expected a positive number of questions per type")
    index = _Index(truth, _wording(wording))
    rng = np.random.default_rng([truth.seed, int(seed), 31])
    makers = {
        "where_now": _where_now, "where_at": _where_at, "when": _when, "who": _who, "what_said": _what_said,
        "how_many": _how_many, "order": _order, "how_long": _how_long, "multi_hop": _multi_hop,
        "unanswerable": _unanswerable,
    }
    questions: list[Question] = []
    for kind in QUESTION_TYPES:
        candidates = makers[kind](index, rng)
        chosen = _choose(candidates, per_type, rng)
        if len(chosen) < per_type:
            logger.warning("only %d %s questions could be asked of this %.0f-minute episode (asked for %d); "
                           "longer episodes hold more", len(chosen), kind, truth.duration / 60, per_type)
        # ties in time are ordered by what is asked, not by its words: the same ids in either wording
        for k, q in enumerate(sorted(chosen, key=lambda q: (q.asked_at, repr(q.query), q.text))):
            questions.append(_finish(q, f"question:{kind}:{k}"))
    return questions


def _finish(q: Question, qid: str) -> Question:
    """Give the question its id and keep its evidence in the past of the moment it is asked."""
    evidence = tuple(replace(e, start=min(e.start, q.asked_at), end=min(e.end, q.asked_at)) for e in q.evidence)
    return replace(q, id=qid, evidence=evidence)


def _choose(candidates: list[Question], n: int, rng: np.random.Generator) -> list[Question]:
    """n distinct questions, at least a third of them hard cases when there are enough, spread in time."""
    unique: dict[tuple, Question] = {}
    for q in candidates:
        unique.setdefault((q.text, round(q.asked_at, 3)), q)
    pool = list(unique.values())
    if len(pool) <= n:
        return pool
    hard = [q for q in pool if q.hard]
    easy = [q for q in pool if not q.hard]
    n_hard = min(len(hard), max(n // 3, n - len(easy)))
    picked = _spread(hard, n_hard, rng) + _spread(easy, n - n_hard, rng)
    return picked


def _spread(pool: list[Question], n: int, rng: np.random.Generator) -> list[Question]:
    """n questions picked at random but spread over asked-at time (one per time stratum first)."""
    if n <= 0 or not pool:
        return []
    order = sorted(range(len(pool)), key=lambda i: pool[i].asked_at)
    strata = np.array_split(np.array(order), min(n, len(pool)))
    picked = [int(s[rng.integers(len(s))]) for s in strata if len(s)]
    rest = [i for i in order if i not in set(picked)]
    extra = rng.permutation(rest)[: n - len(picked)].tolist() if len(picked) < n else []
    return [pool[i] for i in picked + extra]


def _wording(name: str) -> Wording:
    return wording(name)


class _Index:
    """Look-ups over the truth that the question makers share."""

    def __init__(self, truth: Truth, words: Wording | None = None) -> None:
        self.truth = truth
        self.words = words if words is not None else wording("dev")  # the phrasings of questions
        self.names = {e.id: e.name for group in (truth.rooms, truth.furniture, truth.objects, truth.people) for e in group}
        # a thing whose name a twin shares (sim.world.World.ambiguous) is never asked about: "the red mug" of
        # a home with two red mugs names neither
        names = Counter(o.name for o in truth.objects)
        self.objects = {o.id: o for o in truth.objects if names[o.name] == 1}
        self.furniture = {f.id: f for f in truth.furniture}
        self.seen: dict[str, list[float]] = {}
        for obs in truth.observations:
            for s in obs.entities:
                self.seen.setdefault(s.entity, []).append(obs.time)
        self.spans: dict[str, list] = {}
        for span in (s for s in truth.object_locations if s.object in self.objects):
            self.spans.setdefault(span.object, []).append(span)
        self.events = list(truth.events)
        self.observed = [e for e in truth.events if e.observed]
        self.utterances = {u.id: u for u in truth.utterances}
        self.heard = [u for u in truth.utterances if u.heard]
        self.duration = truth.duration
        self.moves: dict[str, list[float]] = {}
        for e in truth.events:
            if e.kind == "put":
                self.moves.setdefault(e.target, []).append(e.time)

    def name(self, entity: str) -> str:
        return self.names.get(entity, entity)

    def span_at(self, obj: str, t: float):
        spans = self.spans[obj]
        i = bisect_right([s.start for s in spans], t) - 1
        return spans[max(i, 0)]

    def sightings(self, entity: str, lo: float, hi: float) -> list[float]:
        times = self.seen.get(entity, [])
        return times[bisect_left(times, lo):bisect_right(times, hi)]

    def last_seen_in_span(self, obj: str, t: float) -> float | None:
        """When the object was last seen in the place it is at t, before t; None if not since it got there."""
        span = self.span_at(obj, t)
        if span.holder:
            return None
        times = self.sightings(obj, span.start, t)
        return times[-1] if times else None

    def hard_tags(self, obj: str, t: float, since: float | None = None) -> tuple[str, ...]:
        tags = []
        if len([m for m in self.moves.get(obj, []) if m < t]) >= 3:
            tags.append("moved_many")
        o = self.objects[obj]
        group = next((g for g in LOOKALIKES if o.category in g), (o.category,))
        if any(p.id != obj and (p.category in group) for p in self.truth.objects):
            tags.append("lookalike")
        if since is not None and t - since > LONG_AGO:
            tags.append("long_ago")
        return tuple(tags)

    def lookalike_person(self, person: str) -> tuple[str, ...]:
        """("similar_people",) when someone else in the home dresses like this person."""
        me = next(p for p in self.truth.people if p.id == person)
        alike = any(p.id != person and max(abs(a - b) for a, b in zip(p.shirt, me.shirt)) <= 30
                    for p in self.truth.people)
        return ("similar_people",) if alike else ()

    def ask_times(self, rng: np.random.Generator, lo: float, hi: float, n: int = 3) -> list[float]:
        """Up to n question times in [lo, hi] (clipped to the episode), rounded to 0.1 s."""
        hi = min(hi, self.duration)
        lo = max(lo, 0.0)
        if hi <= lo:
            return []
        return sorted({round(float(t), 1) for t in rng.uniform(lo, hi, n)})


def _place(index: _Index, span) -> str:
    f = index.furniture[span.furniture]
    return f"{f.preposition} the {f.name}"


def _sighting(index: _Index, entity: str, t: float, note: str) -> Evidence:
    return Evidence(round(t - 0.5, 3), round(t + 0.5, 3), "video", (entity,), note)


def _event_evidence(index: _Index, e: Event) -> Evidence:
    if e.kind == "say":
        u = index.utterances[e.target]
        return Evidence(u.start, u.end, "audio", (u.speaker,), f"{index.name(u.speaker)}: '{u.text}'")
    return Evidence(round(e.time - 1.0, 3), round(e.time + 1.0, 3), "video",
                    tuple(x for x in (e.actor, e.target) if x.split(":")[0] in ("person", "object", "furniture")),
                    _describe(index, e))


_VERBS = {"put": ("put", "put"), "pick": ("took", "take"), "open": ("opened", "open"), "close": ("closed", "close"),
          "enter": ("entered", "enter"), "leave": ("left", "leave"), "say": ("said", "say")}


def _describe(index: _Index, e: Event, past: bool = True, words: Wording | None = None) -> str:
    """The event in words: "Alice put the red mug on the counter" (or, not past, "Alice put ..." after "Did");
    with ``words``, in one of its verbs for the deed."""
    who = index.name(e.actor)
    verbs = _VERBS.get(e.kind, (e.kind, e.kind))
    if words is not None and e.kind in words.deeds:
        verbs = words.deed(e.kind, (e.id,))
    verb = verbs[0 if past else 1]
    if e.kind == "put":
        return f"{who} {verb} the {index.name(e.target)} {index.furniture[e.furniture].preposition} the {index.name(e.furniture)}"
    if e.kind == "pick":
        return f"{who} {verb} the {index.name(e.target)} from the {index.name(e.furniture)}"
    if e.kind == "say":
        return f"{who} {verb} '{index.utterances[e.target].text}'"
    return f"{who} {verb} the {index.name(e.target)}"


# ---------------------------------------------------------------------------------------- makers

def _where_now(index: _Index, rng) -> list[Question]:
    out = []
    for obj, spans in index.spans.items():
        for span in spans:
            if span.holder:
                continue
            times = index.sightings(obj, span.start, span.end)
            if not times:
                continue
            for t in index.ask_times(rng, times[0] + 1.0, span.end - 0.1):
                seen = index.last_seen_in_span(obj, t)
                if seen is None:
                    continue
                out.append(Question(
                    "", "where_now", t, index.words.question("where_now", (obj, t), thing=index.name(obj)), index.name(span.room), "room",
                    (_sighting(index, obj, seen, f"the {index.name(obj)} {_place(index, span)}"),),
                    {"kind": "object_room_at", "object": obj, "time": t}, detail=index.name(span.furniture),
                    hard=index.hard_tags(obj, t, since=seen)))
    return out


def _where_at(index: _Index, rng) -> list[Question]:
    out = []
    for obj, spans in index.spans.items():
        for span in spans:
            if span.holder:
                continue
            times = index.sightings(obj, span.start, span.end)
            if not times:
                continue
            for when in index.ask_times(rng, times[0], span.end - 1.0, n=2):
                when = float(round(when))  # the question names whole seconds
                if index.span_at(obj, when) is not span:
                    continue
                seen = index.sightings(obj, span.start, when)
                if not seen:
                    continue
                for t in index.ask_times(rng, when + 60.0, index.duration, n=2):
                    out.append(Question(
                        "", "where_at", t, index.words.question("where_at", (obj, when, t), thing=index.name(obj),
                                                                 clock=stamp(when)), index.name(span.room),
                        "room", (_sighting(index, obj, seen[-1], f"the {index.name(obj)} {_place(index, span)}"),),
                        {"kind": "object_room_at", "object": obj, "time": when}, detail=index.name(span.furniture),
                        hard=index.hard_tags(obj, t, since=when)))
    return out


def _when(index: _Index, rng) -> list[Question]:
    out = []
    groups: dict[tuple, list[Event]] = {}
    for e in index.observed:
        if e.kind in ("enter", "open", "put"):
            key = (e.kind, e.actor if e.kind == "enter" else "", e.target)
            groups.setdefault(key, []).append(e)
    for (kind, actor, target), events in groups.items():
        for which in ("first", "last"):
            for t in index.ask_times(rng, events[0].time + 5.0, index.duration, n=3):
                before = [e for e in events if e.time < t]
                if not before:
                    continue
                e = before[0] if which == "first" else before[-1]
                key = (actor, target, which, t)
                if kind == "enter":
                    text = index.words.question("when_enter", key, which=which, person=index.name(actor),
                                                room=index.name(target))
                elif kind == "open":
                    text = index.words.question("when_open", key, which=which, furniture=index.name(target))
                else:
                    text = index.words.question("when_put", key, which=which, thing=index.name(target))
                query = {"kind": f"{which}_event_time", "event_kind": kind, "actor": actor or None, "target": target,
                         "before": t, "observed": True}
                hard = ("long_ago",) if t - e.time > LONG_AGO else ()
                out.append(Question("", "when", t, text, e.time, "time", (_event_evidence(index, e),), query,
                                    tolerance=TIME_TOLERANCE, hard=hard))
    for obj in index.objects:
        times = index.seen.get(obj)
        if not times:
            continue
        for t in index.ask_times(rng, times[0] + 5.0, index.duration, n=2):
            out.append(Question("", "when", t, index.words.question("first_seen", (obj, t), thing=index.name(obj)),
                                times[0], "time",
                                (_sighting(index, obj, times[0], f"the {index.name(obj)} in view"),),
                                {"kind": "first_seen", "entity": obj, "before": t}, tolerance=TIME_TOLERANCE,
                                hard=("long_ago",) if t - times[0] > LONG_AGO else ()))
    return out


def _who(index: _Index, rng) -> list[Question]:
    out = []
    for e in index.observed:
        if e.kind in ("put", "open"):
            same = [x for x in index.events if x.kind == e.kind and x.target == e.target
                    and (e.kind == "open" or x.furniture == e.furniture)]
            later = [x for x in same if x.time > e.time]
            end = later[0].time if later else index.duration
            for t in index.ask_times(rng, e.time + 2.0, end, n=2):
                if e.kind == "put":
                    text = index.words.question("who_put", (e.id, t), thing=index.name(e.target),
                                                prep=index.furniture[e.furniture].preposition,
                                                furniture=index.name(e.furniture))
                else:
                    text = index.words.question("who_opened", (e.id, t), furniture=index.name(e.target))
                query = {"kind": "last_event_actor", "event_kind": e.kind, "target": e.target,
                         "furniture": e.furniture if e.kind == "put" else None, "before": t}
                hard = index.hard_tags(e.target, t, since=e.time) if e.kind == "put" else (
                    ("long_ago",) if t - e.time > LONG_AGO else ())
                out.append(Question("", "who", t, text, index.name(e.actor), "person", (_event_evidence(index, e),),
                                    query, hard=hard + index.lookalike_person(e.actor)))
    texts = {}
    for u in index.truth.utterances:
        texts.setdefault(u.text, []).append(u)
    for u in index.heard:
        if u.kind in ("reply", "greeting") or len(texts[u.text]) > 1:
            continue
        for t in index.ask_times(rng, u.end + 1.0, index.duration, n=2):
            text = index.words.question("who_said", (u.id, t), quote=u.text)
            out.append(Question("", "who", t, text, index.name(u.speaker), "person",
                                (_event_evidence(index, _say_event(index, u.id)),),
                                {"kind": "utterance_speaker", "utterance": u.id},
                                hard=(("long_ago",) if t - u.start > LONG_AGO else ()) + index.lookalike_person(u.speaker)))
    return out


def _say_event(index: _Index, utterance: str) -> Event:
    return next(e for e in index.events if e.kind == "say" and e.target == utterance)


def _what_said(index: _Index, rng) -> list[Question]:
    out = []
    for u in index.heard:
        if not u.keywords or u.kind == "reply":
            continue
        topics = [("object", o) for o in u.objects] + [("room", r) for r in u.rooms]
        for kind, topic in topics:
            about = [x for x in index.heard if x.speaker == u.speaker and topic in (x.objects + x.rooms)
                     and x.keywords and x.kind != "reply"]
            later = [x for x in about if x.start > u.start]
            end = later[0].start if later else index.duration
            for t in index.ask_times(rng, u.end + 1.0, end, n=2):
                text = index.words.question("what_said", (u.speaker, topic, t), person=index.name(u.speaker),
                                            topic=index.name(topic))
                out.append(Question("", "what_said", t, text, u.text, "text",
                                    (_event_evidence(index, _say_event(index, u.id)),),
                                    {"kind": "last_utterance_about", "speaker": u.speaker, "topic": topic, "before": t,
                                     "heard": True},
                                    keywords=u.keywords, hard=("long_ago",) if t - u.start > LONG_AGO else ()))
    return out


def _how_many(index: _Index, rng) -> list[Question]:
    out = []
    keys: dict[tuple, list[Event]] = {}
    for e in index.observed:
        if e.kind == "open":
            keys.setdefault(("open", None, e.target), []).append(e)
        elif e.kind == "enter":
            keys.setdefault(("enter", e.actor, e.target), []).append(e)
        elif e.kind == "pick":
            keys.setdefault(("pick", None, e.target), []).append(e)
        elif e.kind == "say":
            keys.setdefault(("say", e.actor, None), []).append(e)
    for (kind, actor, target), events in keys.items():
        for t in index.ask_times(rng, events[0].time + 2.0, index.duration, n=3):
            before = [e for e in events if e.time < t]
            key = (actor, target, t)
            if kind == "open":
                text = index.words.question("count_open", key, furniture=index.name(target))
            elif kind == "enter":
                text = index.words.question("count_enter", key, person=index.name(actor), room=index.name(target))
            elif kind == "pick":
                text = index.words.question("count_pick", key, thing=index.name(target))
            else:
                text = index.words.question("count_speak", key, person=index.name(actor))
            query = {"kind": "count_events", "event_kind": kind, "actor": actor, "target": target, "before": t,
                     "observed": True}
            hard = ("moved_many",) if kind == "pick" and len(before) >= 3 else ()
            out.append(Question("", "how_many", t, text, len(before), "count",
                                tuple(_event_evidence(index, e) for e in before[-5:]), query, hard=hard))
    return out


def _order(index: _Index, rng) -> list[Question]:
    described: dict[str, list[Event]] = {}
    for e in index.events:
        if e.kind in ("put", "pick", "open", "enter"):
            described.setdefault(_describe(index, e), []).append(e)
    unique = [events[0] for events in described.values() if len(events) == 1 and events[0].observed]
    unique.sort(key=lambda e: e.time)
    out = []
    if len(unique) < 2:
        return out
    for _ in range(12 * len(unique)):
        i, j = sorted(rng.choice(len(unique), 2, replace=False).tolist())
        a, b = unique[i], unique[j]
        if b.time - a.time < 5.0:
            continue
        first, second = (a, b) if rng.random() < 0.5 else (b, a)
        for t in index.ask_times(rng, b.time + 2.0, index.duration, n=1):
            relation = ("before", "after")[_zlib_pick(2, (first.id, second.id, t))]
            text = index.words.question(f"order_{relation}", (first.id, second.id, t),
                                        first_base=_describe(index, first, past=False, words=index.words),
                                        first_past=_describe(index, first, words=index.words),
                                        second=_describe(index, second, words=index.words))
            hard = ("long_ago",) if t - a.time > LONG_AGO else ()
            earlier = bool(first.time < second.time)
            out.append(Question("", "order", t, text, earlier if relation == "before" else not earlier, "yes_no",
                                (_event_evidence(index, first), _event_evidence(index, second)),
                                {"kind": "event_order", "first": first.id, "second": second.id, "relation": relation},
                                hard=hard))
    return out


def _how_long(index: _Index, rng) -> list[Question]:
    out = []
    observed = {(e.kind, e.time, e.target) for e in index.observed}
    for span in index.truth.open_spans:
        if ("open", span.start, span.furniture) not in observed or ("close", span.end, span.furniture) not in observed:
            continue
        later = [s for s in index.truth.open_spans if s.furniture == span.furniture and s.start > span.start]
        end = later[0].start if later else index.duration
        for t in index.ask_times(rng, span.end + 1.0, end, n=2):
            text = index.words.question("open_duration", (span.furniture, span.start, t),
                                        furniture=index.name(span.furniture))
            out.append(Question("", "how_long", t, text, round(span.end - span.start, 3), "duration",
                                (Evidence(span.start, span.end, "video", (span.person, span.furniture),
                                          f"{index.name(span.person)} opens and closes the {index.name(span.furniture)}"),),
                                {"kind": "open_duration", "furniture": span.furniture, "start": span.start},
                                tolerance=_duration_tolerance(span.end - span.start)))
    moves = {(e.actor, e.time): e.observed for e in index.events if e.kind in ("enter", "leave")}
    for rs in index.truth.person_rooms:
        if rs.start <= 0 or rs.end >= index.duration or not (moves.get((rs.entity, rs.start)) and moves.get((rs.entity, rs.end))):
            continue
        for t in index.ask_times(rng, rs.end + 1.0, index.duration, n=2):
            text = index.words.question("person_stay", (rs.entity, rs.start, t), person=index.name(rs.entity),
                                        room=index.name(rs.room), clock=stamp(rs.start))
            out.append(Question("", "how_long", t, text, round(rs.end - rs.start, 3), "duration",
                                (_sighting(index, rs.entity, rs.start, f"{index.name(rs.entity)} enters"),
                                 _sighting(index, rs.entity, rs.end, f"{index.name(rs.entity)} leaves")),
                                {"kind": "room_stay", "entity": rs.entity, "room": rs.room, "start": rs.start},
                                tolerance=_duration_tolerance(rs.end - rs.start),
                                hard=("long_ago",) if t - rs.start > LONG_AGO else ()))
    for rs in index.truth.agent_rooms[1:-1]:
        for t in index.ask_times(rng, rs.end + 1.0, index.duration, n=1):
            text = index.words.question("agent_stay", (rs.start, t), room=index.name(rs.room), clock=stamp(rs.start))
            out.append(Question("", "how_long", t, text, round(rs.end - rs.start, 3), "duration",
                                (Evidence(rs.start, rs.end, "video", (), f"the camera in the {index.name(rs.room)}"),),
                                {"kind": "room_stay", "entity": "agent", "room": rs.room, "start": rs.start},
                                tolerance=_duration_tolerance(rs.end - rs.start)))
    return out


def _zlib_pick(n: int, key: tuple) -> int:
    """A choice among n from a key: the same question gets the same choice in every wording."""
    return zlib.crc32("|".join(str(k) for k in key).encode()) % n


def _duration_tolerance(seconds: float) -> float:
    return round(max(DURATION_TOLERANCE[0], DURATION_TOLERANCE[1] * seconds), 3)


def _multi_hop(index: _Index, rng) -> list[Question]:
    out = []
    # where is the thing P asked for?
    for u in index.heard:
        if u.kind != "request" or not u.objects:
            continue
        obj = u.objects[0]
        for t in index.ask_times(rng, u.end + 1.0, index.duration, n=4):
            seen = index.last_seen_in_span(obj, t)
            if seen is None:
                continue
            span = index.span_at(obj, t)
            text = index.words.question("requested", (u.id, t), speaker=index.name(u.speaker),
                                        addressee=index.name(u.addressee))
            out.append(Question("", "multi_hop", t, text, index.name(span.room), "room",
                                (_event_evidence(index, _say_event(index, u.id)),
                                 _sighting(index, obj, seen, f"the {index.name(obj)} {_place(index, span)}")),
                                {"kind": "requested_object_room", "utterance": u.id, "time": t},
                                detail=index.name(span.furniture), hard=index.hard_tags(obj, t, since=u.start)))
    # where is the object P last put down?
    for e in index.observed:
        if e.kind != "put":
            continue
        nxt = [x for x in index.observed if x.kind == "put" and x.actor == e.actor and x.time > e.time]
        end = nxt[0].time if nxt else index.duration
        for t in index.ask_times(rng, e.time + 2.0, end, n=2):
            seen = index.last_seen_in_span(e.target, t)
            if seen is None or [x for x in index.events if x.kind == "put" and x.actor == e.actor and e.time < x.time < t]:
                continue
            span = index.span_at(e.target, t)
            text = index.words.question("last_put_object", (e.id, t), person=index.name(e.actor))
            out.append(Question("", "multi_hop", t, text, index.name(span.room), "room",
                                (_event_evidence(index, e), _sighting(index, e.target, seen,
                                                                       f"the {index.name(e.target)} {_place(index, span)}")),
                                {"kind": "last_put_object_room", "actor": e.actor, "before": t, "time": t},
                                detail=index.name(span.furniture), hard=index.hard_tags(e.target, t)))
    # where is the thing P talked about?
    for u in index.heard:
        if not u.objects or u.kind not in ("question", "opinion"):
            continue
        obj = u.objects[0]
        for t in index.ask_times(rng, u.end + 1.0, index.duration, n=3):
            seen = index.last_seen_in_span(obj, t)
            if seen is None:
                continue
            span = index.span_at(obj, t)
            topic = "asked about" if u.kind == "question" else "talked about"
            text = index.words.question("mentioned_where", (u.id, t), speaker=index.name(u.speaker), topic_verb=topic,
                                        clock=stamp(u.start))
            out.append(Question("", "multi_hop", t, text, index.name(span.room), "room",
                                (_event_evidence(index, _say_event(index, u.id)),
                                 _sighting(index, obj, seen, f"the {index.name(obj)} {_place(index, span)}")),
                                {"kind": "mentioned_object_room", "utterance": u.id, "time": t},
                                detail=index.name(span.furniture), hard=index.hard_tags(obj, t, since=u.start)))
    # who last moved the thing P asked about? / where was it when P talked about it?
    for u in index.heard:
        if not u.objects or u.kind not in ("question", "opinion"):
            continue
        obj = u.objects[0]
        puts = [e for e in index.events if e.kind == "put" and e.target == obj]
        for t in index.ask_times(rng, u.end + 1.0, index.duration, n=2):
            before = [e for e in puts if e.time < t]
            if before and before[-1].observed:
                topic = "asked about" if u.kind == "question" else "talked about"
                text = index.words.question("mentioned_mover", (u.id, t), speaker=index.name(u.speaker),
                                            topic_verb=topic, clock=stamp(u.start))
                out.append(Question("", "multi_hop", t, text, index.name(before[-1].actor), "person",
                                    (_event_evidence(index, _say_event(index, u.id)), _event_evidence(index, before[-1])),
                                    {"kind": "last_mover_of_mentioned", "utterance": u.id, "before": t},
                                    hard=index.hard_tags(obj, t)))
        span = index.span_at(obj, u.start)
        seen = index.sightings(obj, span.start, min(span.end, index.duration)) if not span.holder else []
        if seen:
            for t in index.ask_times(rng, max(u.end, seen[0]) + 1.0, index.duration, n=2):
                text = index.words.question("mentioned_room", (u.id, t), thing=index.name(obj),
                                            speaker=index.name(u.speaker), clock=stamp(u.start))
                out.append(Question("", "multi_hop", t, text, index.name(span.room), "room",
                                    (_event_evidence(index, _say_event(index, u.id)),
                                     _sighting(index, obj, seen[0], f"the {index.name(obj)} {_place(index, span)}")),
                                    {"kind": "object_room_when_said", "utterance": u.id}, detail=index.name(span.furniture),
                                    hard=("long_ago",) if t - u.start > LONG_AGO else ()))
    return out


def _unanswerable(index: _Index, rng) -> list[Question]:
    out = []
    existing = {o.name for o in index.truth.objects}
    # objects of this home never seen before t
    for obj in index.objects:
        first = index.seen.get(obj, [index.duration + 1])[0]
        for t in index.ask_times(rng, index.duration * 0.1, min(first - 1.0, index.duration), n=3):
            text = index.words.question("where_now", (obj, t), thing=index.name(obj))
            out.append(Question("", "unanswerable", t, text, None, "unknown", (),
                                {"kind": "never_seen", "object": obj, "name": index.name(obj), "before": t},
                                hard=("never_seen",) + index.hard_tags(obj, t)[1:2]))
    # things that are not in this home: look-alikes of what is
    absent = []
    for o in index.truth.objects:
        group = next((g for g in LOOKALIKES if o.category in g), (o.category,))
        for category in group:
            if category in OBJECTS and f"{o.colour} {category}" not in existing:
                absent.append(f"{o.colour} {category}")
        for colour in COLOURS:
            if f"{colour} {o.category}" not in existing:
                absent.append(f"{colour} {o.category}")
    absent = sorted(set(absent))
    for name in [absent[i] for i in rng.permutation(len(absent))[: 4 * len(QUESTION_TYPES)]]:
        for t in index.ask_times(rng, index.duration * 0.1, index.duration, n=1):
            text = index.words.question("where_now", (name, t), thing=name)
            out.append(Question("", "unanswerable", t, text, None, "unknown", (),
                                {"kind": "never_seen", "object": None, "name": name, "before": t},
                                hard=("absent",)))
    # what did P say about a thing they never mentioned (in earshot)?
    for person in index.truth.people:
        for obj in index.objects:
            said = [u for u in index.heard if u.speaker == person.id and obj in u.objects]
            first = said[0].start if said else index.duration + 1
            for t in index.ask_times(rng, index.duration * 0.2, min(first, index.duration), n=1):
                text = index.words.question("what_said", (person.id, obj, t), person=person.name,
                                            topic=index.name(obj))
                out.append(Question("", "unanswerable", t, text, None, "unknown", (),
                                    {"kind": "never_said", "speaker": person.id, "topic": obj, "before": t},
                                    hard=("never_seen",)))
    return out
