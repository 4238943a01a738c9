"""The tools the LLM answerer may call (planners/llm.py): retrieval over events, and structured look-ups over
the world the built-in answerer perceived, each cut at the question's time (nothing after it is told).

Every tool's result is JSON-able; a tool given bad arguments raises one of TOOL_ERRORS, which the loop turns
into ``{"error": ...}`` for the model to read. Structured results name the event ids that support them under
``evidence``, so the model can cite them.
"""

from __future__ import annotations

import json
import math
from typing import Any, Callable

from planners.answer import Evidence

SQLITE_MIN, SQLITE_MAX = -(2**63), 2**63 - 1  # the integers an event id (a SQLite INTEGER) can be
TOOL_ERRORS = (ValueError, TypeError, LookupError, ArithmeticError, AttributeError, RecursionError)
COUNTABLE = ("open", "enter", "pick", "speak")  # what the count tool counts


def _tool(name: str, description: str, properties: dict, required: list[str]) -> dict:
    return {"type": "function", "function": {"name": name, "description": description, "parameters": {
        "type": "object", "properties": properties, "required": required}}}


TOOLS = [
    _tool("search_memory", "Events best matching a text query, optionally in a time window.",
          {"query": {"type": "string"}, "start": {"type": "number"}, "end": {"type": "number"},
           "k": {"type": "integer"}}, ["query"]),
    _tool("get_event", "One event: its span, text, keyframe.", {"id": {"type": "integer"}}, ["id"]),
    _tool("entity_timeline", "Where a thing rested, or what a person did, over time.",
          {"name": {"type": "string"}}, ["name"]),
    _tool("place_history", "What happened in a room: things resting there and people entering.",
          {"place": {"type": "string"}}, ["place"]),
    _tool("graph_at", "Where every thing and person was at media time T.", {"time": {"type": "number"}}, ["time"]),
    _tool("builtin_answer", "The rule-based answerer's answer to a question.", {"question": {"type": "string"}},
          ["question"]),
    _tool("where_was", "The room a thing rested in at media time T (default: the question's time), since when.",
          {"thing": {"type": "string"}, "time": {"type": "number"}}, ["thing"]),
    _tool("sightings", "Sightings of a label ('mug', 'person', 'fridge') in a time span: how many, first, last, "
          "how many tracks.", {"label": {"type": "string"}, "start": {"type": "number"}, "end": {"type": "number"}},
          ["label"]),
    _tool("said_about", "What a voice or person said about a topic: the latest matching line and every line.",
          {"person": {"type": "string"}, "topic": {"type": "string"}}, ["person", "topic"]),
    _tool("entries", "When a person was seen entering a room.", {"person": {"type": "string"},
          "room": {"type": "string"}}, ["person", "room"]),
    _tool("count", "How many times: 'open' (furniture), 'enter' (person and room), 'pick' (a thing picked up), "
          "'speak' (a person's lines).", {"what": {"type": "string", "enum": list(COUNTABLE)},
          "name": {"type": "string"}, "room": {"type": "string"}}, ["what", "name"]),
]



class Tools:
    """The tools the model may call, over the built-in answerer's world and the retriever."""

    def __init__(self, builtin, retriever, at: float | None) -> None:
        self.at = float("inf") if at is None else float(at)
        builtin = builtin.cut(self.at)  # the world as perceived up to the question's time
        self.builtin, self.retriever, self.world = builtin, retriever, builtin.world
        self._until = None if self.at == float("inf") else self.at
        self.shown: set[int] = set()  # events whose keyframe the model was sent
        self.table: dict[str, Callable[..., Any]] = {
            "search_memory": self.search_memory, "get_event": self.get_event, "entity_timeline": self.entity_timeline,
            "place_history": self.place_history, "graph_at": self.graph_at, "builtin_answer": self.builtin_answer,
            "where_was": self.where_was, "sightings": self.sightings, "said_about": self.said_about,
            "entries": self.entries, "count": self.count}

    def run(self, call: dict) -> Any:
        """The tool's result, or {"error": what was wrong} for the model to read: never an exception."""
        fn = call.get("function") or {}
        name = fn.get("name")
        if name not in self.table:
            return {"error": f"unknown tool {name!r}; tools: {sorted(self.table)}"}
        try:
            return self.table[name](**_arguments(fn.get("arguments")))
        except TOOL_ERRORS as exc:
            return {"error": f"{name}: {why(exc)}"}

    def search_memory(self, query: str, start: float | None = None, end: float | None = None, k: int = 5) -> list:
        start = None if start is None else _number(start, "start")
        end = self.at if end is None else min(_number(end, "end"), self.at)
        hits = self.retriever.search(str(query), k=max(1, min(_integer(k, "k"), 20)), start=start,
                                     end=None if end == float("inf") else end)
        return [{"event": e.event, "start": e.start, "end": e.end, "score": round(e.score, 4), "text": e.text}
                for e in self.retriever.evidence(hits, until=self._until)]

    def get_event(self, id: int) -> dict:  # noqa: A002 - the tool's argument name
        e = self.retriever.store.event(_integer(id, "id"))
        if e.start > self.at:
            raise KeyError(f"no event {e.id} by media time {self.at:g}")  # not yet happened
        running = e.end > self.at  # cut at the question's time: its words were not all heard yet
        return {"event": e.id, "stream": e.stream, "start": e.start, "end": min(e.end, self.at),
                "text": "" if running else e.text}

    def entity_timeline(self, name: str) -> dict:
        name = str(name)
        thing = self.builtin._thing(name, self.at)
        if thing is not None:
            return {"thing": thing.name, "stays": [{"start": s.start, "end": s.end, "room": s.room}
                                                   for s in thing.stays if s.start < self.at]}
        person = self.builtin._person(name)
        acts = [_deed(a) for a in self.world.actions if a.actor == person and a.time < self.at and a.known < self.at]
        said = [{"start": h[0], "text": h[2]} for h in self.world.heard if h[3] == person and h[0] < self.at]
        return {"person": person, "actions": acts, "said": said}

    def place_history(self, place: str) -> dict:
        room = self.builtin._room(str(place))
        acts = [_deed(a) for a in self.world.actions if a.target == room and a.time < self.at and a.known < self.at]
        things = [{"thing": t.name, "start": s.start, "end": s.end} for t in self.world.things.values()
                  for s in t.stays if s.room == room and s.start < self.at]
        return {"place": room, "entries": acts, "things": things}

    def graph_at(self, time: float) -> dict:  # noqa: A002
        t = min(_number(time, "time"), self.at)
        things = {name: s.room for name, thing in self.world.things.items()
                  if (s := self.world.stay_at(thing, t)) is not None}
        people = {}
        for name, p in self.world.people.items():
            seen = p.times < t
            if seen.any():
                i = int(seen.nonzero()[0][-1])
                people[name] = {"room": self.world.room_at(float(p.xs[i]), float(p.ys[i])), "seen": float(p.times[i])}
        return {"time": t, "things": things, "people": people}

    def builtin_answer(self, question: str) -> dict:
        a = self.builtin.answer(str(question), None if self.at == float("inf") else self.at)
        return {"answer": a.text, "value": a.value, "kind": a.kind}

    # ------------------------------------------------------------------ structured look-ups
    def where_was(self, thing: str, time: float | None = None) -> dict:
        t = self.at if time is None else min(_number(time, "time"), self.at)
        found = self.builtin._thing(str(thing), t)
        stay = self.world.stay_at(found, t) if found is not None else None
        if stay is None:
            return {"thing": str(thing), "time": _json_time(t), "room": None, "note": "not seen by then"}
        return {"thing": found.name, "time": _json_time(t), "room": stay.room, "since": stay.start,
                "evidence": self._ids(self.builtin.evidence(stay.start, f"the {found.name} in the {stay.room}"))}

    def sightings(self, label: str, start: float | None = None, end: float | None = None) -> dict:
        from memory.perceived import seen

        start = float("-inf") if start is None else _number(start, "start")
        end = self.at if end is None else min(_number(end, "end"), self.at)
        rows = [s for s in seen(self.builtin.store, labels=[str(label)], until=None if end == math.inf else end)
                if s.time >= start]
        if not rows:
            return {"label": str(label), "count": 0}
        return {"label": str(label), "count": len(rows), "first": rows[0].time, "last": rows[-1].time,
                "tracks": len({(s.stream, s.track) for s in rows}),
                "colours": sorted({s.colour for s in rows if s.colour})}

    def said_about(self, person: str, topic: str) -> dict:
        value, _, evidence, _ = self.builtin._what_said(self.at, str(person), str(topic))
        lines = [{"start": h[0], "text": h[2]} for h in self.builtin._heard_from(str(person), self.at)]
        return {"person": str(person), "topic": str(topic), "latest": value, "lines": lines[-20:],
                "evidence": self._ids(evidence)}

    def entries(self, person: str, room: str) -> dict:
        who, where = self.builtin._person(str(person)), self.builtin._room(str(room))
        acts = self.builtin._actions("enter", self.at, lambda a: a.actor == who and a.target == where)
        return {"person": who, "room": where, "times": [a.time for a in acts],
                "evidence": self._ids([e for a in acts[-5:] for e in self.builtin.evidence(a.time, "entry")])}

    def count(self, what: str, name: str, room: str | None = None) -> dict:
        if what not in COUNTABLE:
            raise ValueError(f"what={what!r}: expected one of {', '.join(COUNTABLE)}")
        if what == "enter" and not room:
            raise ValueError("counting entries needs the room")
        rule = getattr(self.builtin, f"_count_{what}")
        value, _, evidence, _ = rule(self.at, str(name), str(room)) if what == "enter" else rule(self.at, str(name))
        return {"what": what, "name": str(name), "room": room, "count": value, "evidence": self._ids(evidence)}

    @staticmethod
    def _ids(evidence: list[Evidence]) -> list[int]:
        return sorted({e.event for e in evidence})

    def keyframes(self, results: list, limit: int) -> list[tuple[int, bytes]]:
        """(event id, main keyframe JPEG) of up to ``limit`` events named in tool results and not shown before."""
        found: list[tuple[int, bytes]] = []
        for event_id in _event_ids(results):
            if len(found) == limit:
                break
            if event_id in self.shown:
                continue
            self.shown.add(event_id)
            try:
                found.append((event_id, self.retriever.store.keyframe_path(event_id, 0).read_bytes()))
            except (KeyError, OSError):  # an event without a keyframe (audio only)
                continue
        return found

    def evidence(self, event_id: int) -> list[Evidence]:
        try:
            from planners.retrieval import Scored

            return self.retriever.evidence([Scored(event_id, 1.0, {"llm": 1.0})], "cited by the model",
                                           until=self._until)
        except KeyError:
            return []


def _event_ids(results: list) -> list[int]:
    """Event ids in tool results, in order: ``{"event": id}`` objects alone or in lists."""
    ids = []
    for result in results:
        for item in result if isinstance(result, list) else [result]:
            if isinstance(item, dict) and isinstance(item.get("event"), int) and item["event"] not in ids:
                ids.append(item["event"])
    return ids


def _arguments(raw: Any) -> dict:
    """A tool call's arguments: a JSON object, sent as a string (OpenAI) or as the object itself (some servers)."""
    if raw is None or raw == "":
        return {}
    args = json.loads(raw) if isinstance(raw, str) else raw
    if not isinstance(args, dict):
        raise ValueError(f"arguments must be a JSON object, got {type(args).__name__}")
    return args


def _integer(value: Any, name: str) -> int:
    """``value`` as an integer a SQLite column can hold; ValueError saying what is wrong otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"{name} must be an integer, got {type(value).__name__}")
    if isinstance(value, float) and not value.is_integer():  # also NaN and infinities
        raise ValueError(f"{name} must be an integer, got {value!r}")
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"{name} must be an integer, got {value!r:.40}") from None
    if not SQLITE_MIN <= number <= SQLITE_MAX:
        raise ValueError(f"{name}={number!r:.40} is out of range: {SQLITE_MIN} to {SQLITE_MAX}")
    return number


def _number(value: Any, name: str) -> float:
    """``value`` as a finite float; ValueError saying what is wrong otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"{name} must be a number, got {type(value).__name__}")
    try:
        number = float(value)
    except (ValueError, OverflowError):
        number = math.nan
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number, got {value!r:.40}")
    return number


def _deed(action) -> dict:
    """An action's fields for the model (without when it became known: -inf is no JSON)."""
    return {k: v for k, v in action.__dict__.items() if k != "known"}


def why(exc: Exception) -> str:
    """What went wrong, in at most 200 characters, with the error's type."""
    return (f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)[:200]


def _json_time(t: float) -> float | None:
    return None if math.isinf(t) else t
