"""An LLM answerer through any OpenAI-compatible chat endpoint (vLLM, llama.cpp server, ollama, hosted).

Search then answer: the model calls tools over the memory (search memory, get an event, an entity's
timeline, a place's history, where everything was at time T, the built-in answerer's opinion) for at
most ``max_rounds`` rounds within ``budget_s`` seconds, then gives its answer as JSON, which is
parsed with ``json.loads`` and validated against ANSWER_SCHEMA (never eval'd). On any error
(unreachable endpoint, HTTP error, timeout, malformed output, no answer in time) the built-in
answerer answers instead and the Answer says why (``answerer="builtin (fallback: ...)"``).
"""

from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import dataclass, replace
from typing import Any, Callable

import requests

from planners.answer import UNKNOWN_TEXT, Answer, Evidence

logger = logging.getLogger(__name__)

KINDS = ("room", "person", "time", "duration", "count", "yes_no", "text", "unknown")
ANSWER_SCHEMA: dict = {
    "type": "object",
    "required": ["answer", "kind"],
    "properties": {
        "answer": {"type": "string"},
        "value": {"type": ["string", "number", "boolean", "null"]},
        "kind": {"type": "string", "enum": list(KINDS)},
        "confidence": {"type": "number"},
        "evidence": {"type": "array", "items": {"type": "integer"}},
    },
}

SYSTEM = (
    "You answer questions about what a camera and microphone perceived, using only the tools' results. "
    "Times are media seconds. Call tools to gather evidence, then reply with only a JSON object: "
    '{"answer": words, "value": typed value or null, "kind": one of ' + ", ".join(KINDS) + ', '
    '"confidence": 0..1, "evidence": [event ids]}. If the memory does not hold the answer, use kind "unknown".'
)


@dataclass(frozen=True)
class LLMConfig:
    """Where the model is and how long it may take."""

    url: str  # base URL of the OpenAI-compatible API, e.g. http://localhost:8000/v1
    model: str  # model name as the server knows it
    key: str | None = None  # bearer token, when the server wants one
    max_rounds: int = 4  # tool-calling rounds before the answer must come
    budget_s: float = 30.0  # wall seconds for the whole question
    request_timeout_s: float = 15.0  # per HTTP request (cut to what is left of the budget)
    temperature: float = 0.0

    def __post_init__(self) -> None:
        if not re.match(r"^https?://", self.url or ""):
            raise ValueError(f"LLMConfig.url={self.url!r}: expected an http(s) URL of an OpenAI-compatible API")
        if not self.model:
            raise ValueError("LLMConfig.model is empty: name the model the server serves")
        if self.max_rounds < 1 or self.budget_s <= 0 or self.request_timeout_s <= 0:
            raise ValueError(f"LLMConfig: max_rounds={self.max_rounds!r} must be >= 1 and budgets > 0")


class LLMError(Exception):
    """The model or its endpoint failed; the built-in answerer takes over."""


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
]


def validate(data: Any, schema: dict = ANSWER_SCHEMA) -> list[str]:
    """Problems of ``data`` against a (small subset of) JSON schema: type, required, enum, items."""
    names = {"object": dict, "string": str, "number": (int, float), "integer": int, "boolean": bool, "array": list,
             "null": type(None)}
    types = schema.get("type")
    if types is not None:
        types = [types] if isinstance(types, str) else types
        ok = any(isinstance(data, names[t]) and not (t in ("number", "integer") and isinstance(data, bool))
                 for t in types)
        if not ok:
            return [f"expected {'/'.join(types)}, got {type(data).__name__}"]
    if "enum" in schema and data not in schema["enum"]:
        return [f"{data!r} not one of {schema['enum']}"]
    problems = []
    if isinstance(data, dict):
        problems += [f"missing {key!r}" for key in schema.get("required", []) if key not in data]
        for key, sub in schema.get("properties", {}).items():
            if key in data:
                problems += [f"{key}: {p}" for p in validate(data[key], sub)]
    if isinstance(data, list) and "items" in schema:
        for i, item in enumerate(data):
            problems += [f"[{i}]: {p}" for p in validate(item, schema["items"])]
    return problems


class LLMAnswerer:
    """Iterative search-then-answer over an OpenAI-compatible endpoint, with fallback to the built-in answerer."""

    def __init__(self, config: LLMConfig, session: requests.Session | None = None) -> None:
        self.config = config
        self.session = session or requests.Session()

    @property
    def name(self) -> str:
        return f"llm:{self.config.model}"

    def answer(self, question: str, at: float | None, builtin, retriever) -> Answer:
        """The model's answer; the built-in answerer's (saying why) when the model fails."""
        started = time.monotonic()
        tools = _Tools(builtin, retriever, at)
        try:
            answer, rounds = self._loop(question, at, tools, started)
            return replace(answer, detail={**answer.detail, "rounds": rounds,
                                           "seconds": round(time.monotonic() - started, 3)})
        except (LLMError, requests.RequestException, ValueError) as exc:
            why = type(exc).__name__ if not str(exc) else str(exc)[:200]
            logger.warning("LLM answerer failed (%s); the built-in answerer answers", why)
            fallback = builtin.answer(question, at)
            return replace(fallback, answerer=f"builtin (fallback: {why})",
                           detail={**fallback.detail, "llm_error": why})

    def _loop(self, question: str, at: float | None, tools: "_Tools", started: float) -> tuple[Answer, int]:
        messages: list[dict] = [{"role": "system", "content": SYSTEM},
                                {"role": "user", "content": f"Question (asked at media time {at}): {question}"}]
        for round_ in range(1, self.config.max_rounds + 1):
            last = round_ == self.config.max_rounds
            message = self._chat(messages, started, tools_allowed=not last)
            calls = message.get("tool_calls") or []
            if calls and not last:
                messages.append({"role": "assistant", "content": message.get("content") or "", "tool_calls": calls})
                for call in calls:
                    messages.append({"role": "tool", "tool_call_id": call.get("id", ""),
                                     "content": json.dumps(tools.run(call), default=str)[:8000]})
                continue
            return self._parse(question, at, message.get("content") or "", tools), round_
        raise LLMError("no answer within the rounds allowed")

    def _chat(self, messages: list[dict], started: float, tools_allowed: bool) -> dict:
        left = self.config.budget_s - (time.monotonic() - started)
        if left <= 0:
            raise LLMError(f"time budget of {self.config.budget_s:g} s spent")
        body: dict = {"model": self.config.model, "messages": messages, "temperature": self.config.temperature}
        if tools_allowed:
            body["tools"] = TOOLS
        headers = {"Authorization": f"Bearer {self.config.key}"} if self.config.key else {}
        url = self.config.url.rstrip("/") + "/chat/completions"
        try:
            response = self.session.post(url, json=body, headers=headers,
                                         timeout=min(self.config.request_timeout_s, left))
        except requests.Timeout as exc:
            raise LLMError(f"timeout after {min(self.config.request_timeout_s, left):.1f} s") from exc
        if response.status_code != 200:
            raise LLMError(f"HTTP {response.status_code} from {url}: {response.text[:200]}")
        try:
            return response.json()["choices"][0]["message"]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise LLMError(f"not an OpenAI chat completion: {response.text[:200]}") from exc

    def _parse(self, question: str, at: float | None, content: str, tools: "_Tools") -> Answer:
        text = re.sub(r"^```(?:json)?\s*|\s*```$", "", content.strip())
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise LLMError(f"the answer is not JSON: {content[:120]!r}") from exc
        problems = validate(data)
        if problems:
            raise LLMError("the answer does not fit the schema: " + "; ".join(problems[:3]))
        kind = data["kind"]
        value = data.get("value") if kind != "unknown" else None
        evidence = tuple(e for i in data.get("evidence", []) for e in tools.evidence(int(i)))
        confidence = min(max(float(data.get("confidence", 0.5)), 0.0), 1.0) if kind != "unknown" else 0.0
        return Answer(question, data["answer"] if kind != "unknown" else UNKNOWN_TEXT, value, kind, confidence,
                      evidence, at, self.name, {})


class _Tools:
    """The tools the model may call, over the built-in answerer's world and the retriever."""

    def __init__(self, builtin, retriever, at: float | None) -> None:
        self.builtin, self.retriever, self.world = builtin, retriever, builtin.world
        self.at = float("inf") if at is None else float(at)
        self.table: dict[str, Callable[..., Any]] = {
            "search_memory": self.search_memory, "get_event": self.get_event, "entity_timeline": self.entity_timeline,
            "place_history": self.place_history, "graph_at": self.graph_at, "builtin_answer": self.builtin_answer}

    def run(self, call: dict) -> Any:
        fn = call.get("function") or {}
        name = fn.get("name")
        if name not in self.table:
            return {"error": f"unknown tool {name!r}; tools: {sorted(self.table)}"}
        try:
            args = json.loads(fn.get("arguments") or "{}")
            if not isinstance(args, dict):
                raise ValueError("arguments must be a JSON object")
            return self.table[name](**args)
        except (ValueError, TypeError, KeyError) as exc:
            return {"error": f"{name}: {exc}"}

    def search_memory(self, query: str, start: float | None = None, end: float | None = None, k: int = 5) -> list:
        end = self.at if end is None else min(float(end), self.at)
        hits = self.retriever.search(str(query), k=max(1, min(int(k), 20)), start=start,
                                     end=None if end == float("inf") else end)
        return [{"event": e.event, "start": e.start, "end": e.end, "score": round(e.score, 4), "text": e.text}
                for e in self.retriever.evidence(hits)]

    def get_event(self, id: int) -> dict:  # noqa: A002 - the tool's argument name
        e = self.retriever.store.event(int(id))
        return {"event": e.id, "stream": e.stream, "start": e.start, "end": e.end, "text": e.text}

    def entity_timeline(self, name: str) -> dict:
        thing = self.builtin._thing(name)
        if thing is not None:
            return {"thing": thing.name, "stays": [{"start": s.start, "end": s.end, "room": s.room}
                                                   for s in thing.stays if s.start < self.at]}
        person = self.builtin._person(name)
        acts = [_deed(a) for a in self.world.actions if a.actor == person and a.time < self.at and a.known < self.at]
        said = [{"start": h[0], "text": h[2]} for h in self.world.heard if h[3] == person and h[0] < self.at]
        return {"person": person, "actions": acts, "said": said}

    def place_history(self, place: str) -> dict:
        room = self.builtin._room(place)
        acts = [_deed(a) for a in self.world.actions if a.target == room and a.time < self.at and a.known < self.at]
        things = [{"thing": t.name, "start": s.start, "end": s.end} for t in self.world.things.values()
                  for s in t.stays if s.room == room and s.start < self.at]
        return {"place": room, "entries": acts, "things": things}

    def graph_at(self, time: float) -> dict:  # noqa: A002
        t = min(float(time), self.at)
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

    def evidence(self, event_id: int) -> list[Evidence]:
        try:
            from planners.retrieval import Scored

            return self.retriever.evidence([Scored(event_id, 1.0, {"llm": 1.0})], "cited by the model")
        except KeyError:
            return []


def _deed(action) -> dict:
    """An action's fields for the model (without when it became known: -inf is no JSON)."""
    return {k: v for k, v in action.__dict__.items() if k != "known"}
