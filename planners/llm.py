"""An LLM answerer through any OpenAI-compatible chat endpoint (vLLM, llama.cpp server, ollama, hosted).

Search then answer: the model calls tools over the memory (search memory, get an event, an entity's
timeline, a place's history, where everything was at time T, the built-in answerer's opinion) for at
most ``max_rounds`` rounds within ``budget_s`` seconds, then gives its answer as JSON, which is
parsed with ``json.loads`` and validated against ANSWER_SCHEMA (never eval'd). The response's shape is
checked too; a tool call with bad arguments gets an error message back as its result, so the model can
recover. On any error (unreachable endpoint, HTTP error, timeout, malformed output, no answer in time)
the built-in answerer answers instead and the Answer says why (``answerer="builtin (fallback: ...)"``).
"""

from __future__ import annotations

import base64
import json
import logging
import math
import re
import time
from dataclasses import dataclass, replace
from typing import Any

import requests

from planners.answer import UNKNOWN_TEXT, Answer
from planners.llm_tools import SQLITE_MAX, SQLITE_MIN, TOOLS, Tools, why

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
        "evidence": {"type": "array", "items": {"type": "integer", "minimum": SQLITE_MIN, "maximum": SQLITE_MAX}},
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
    """Where the model is and how long it may take.

    Each round is one chat request; the last of the ``max_rounds`` is the answering round, sent without
    tools, so with ``max_rounds=1`` the single round is the answering round (no tools are offered).
    """

    url: str  # base URL of the OpenAI-compatible API, e.g. http://localhost:8000/v1
    model: str  # model name as the server knows it
    key: str | None = None  # bearer token, when the server wants one
    max_rounds: int = 4  # tool-calling rounds before the answer must come
    budget_s: float = 30.0  # wall seconds for the whole question
    request_timeout_s: float = 15.0  # per HTTP request (cut to what is left of the budget)
    temperature: float = 0.0
    images: int = 0  # after each tool round, the main keyframes of up to this many events the tools returned
    #                  are sent as image_url parts (a vision endpoint); 0: text only

    def __post_init__(self) -> None:
        if not re.match(r"^https?://", self.url or ""):
            raise ValueError(f"LLMConfig.url={self.url!r}: expected an http(s) URL of an OpenAI-compatible API")
        if not self.model:
            raise ValueError("LLMConfig.model is empty: name the model the server serves")
        if self.max_rounds < 1 or self.budget_s <= 0 or self.request_timeout_s <= 0:
            raise ValueError(f"LLMConfig: max_rounds={self.max_rounds!r} must be >= 1 and budgets > 0")
        if not isinstance(self.images, int) or isinstance(self.images, bool) or self.images < 0:
            raise ValueError(f"LLMConfig.images={self.images!r}: expected an integer >= 0")


class LLMError(Exception):
    """The model or its endpoint failed; the built-in answerer takes over."""


def validate(data: Any, schema: dict = ANSWER_SCHEMA) -> list[str]:
    """Problems of ``data`` against a (small subset of) JSON schema: type, required, enum, items, minimum,
    maximum; numbers must be finite (JSON has no NaN or infinity, though ``json.loads`` reads them)."""
    names = {"object": dict, "string": str, "number": (int, float), "integer": int, "boolean": bool, "array": list,
             "null": type(None)}
    types = schema.get("type")
    if types is not None:
        types = [types] if isinstance(types, str) else types
        ok = any(isinstance(data, names[t]) and not (t in ("number", "integer") and isinstance(data, bool))
                 for t in types)
        if not ok:
            return [f"expected {'/'.join(types)}, got {type(data).__name__}"]
    if isinstance(data, float) and not math.isfinite(data):
        return [f"{data!r} is not a finite number"]
    if "minimum" in schema and _is_number(data) and data < schema["minimum"]:
        return [f"{data!r:.40} is below the minimum {schema['minimum']}"]
    if "maximum" in schema and _is_number(data) and data > schema["maximum"]:
        return [f"{data!r:.40} is above the maximum {schema['maximum']}"]
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


def _is_number(data: Any) -> bool:
    return isinstance(data, (int, float)) and not isinstance(data, bool)


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
        tools = Tools(builtin, retriever, at)
        try:
            answer, rounds = self._loop(question, at, tools, started)
            return replace(answer, detail={**answer.detail, "rounds": rounds,
                                           "seconds": round(time.monotonic() - started, 3)})
        except Exception as exc:  # noqa: BLE001 - whatever the model's path does, the built-in answerer answers
            why = _reason(exc)
            expected = isinstance(exc, (LLMError, requests.RequestException))
            logger.warning("LLM answerer failed (%s); the built-in answerer answers", why, exc_info=not expected)
            fallback = builtin.answer(question, at)
            return replace(fallback, answerer=f"builtin (fallback: {why})",
                           detail={**fallback.detail, "llm_error": why})

    def _loop(self, question: str, at: float | None, tools: Tools, started: float) -> tuple[Answer, int]:
        messages: list[dict] = [{"role": "system", "content": SYSTEM},
                                {"role": "user", "content": f"Question (asked at media time {at}): {question}"}]
        for round_ in range(1, self.config.max_rounds + 1):
            last = round_ == self.config.max_rounds
            message = self._chat(messages, started, tools_allowed=not last)
            calls = message.get("tool_calls") or []
            if calls and not last:
                messages.append({"role": "assistant", "content": message.get("content") or "", "tool_calls": calls})
                results = []
                for call in calls:
                    results.append(tools.run(call))
                    messages.append({"role": "tool", "tool_call_id": call.get("id") or "",
                                     "content": json.dumps(results[-1], default=str)[:8000]})
                if self.config.images:
                    messages += _image_message(tools.keyframes(results, self.config.images))
                continue
            return self._parse(question, at, message.get("content") or "", tools), round_
        raise LLMError("no answer within the rounds allowed")

    def _chat(self, messages: list[dict], started: float, tools_allowed: bool) -> dict:
        left = self.config.budget_s - (time.monotonic() - started)
        if left <= 0:
            raise LLMError(f"timeout: time budget of {self.config.budget_s:g} s spent")
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
            message = response.json()["choices"][0]["message"]
        except (ValueError, LookupError, TypeError, RecursionError) as exc:
            raise LLMError(f"not an OpenAI chat completion: {response.text[:200]}") from exc
        problem = _message_problem(message)
        if problem:
            raise LLMError(f"malformed chat message: {problem}")
        return message

    def _parse(self, question: str, at: float | None, content: str, tools: Tools) -> Answer:
        text = re.sub(r"^```(?:json)?\s*|\s*```$", "", content.strip())
        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise LLMError(f"the answer is not JSON: {content[:120]!r}") from exc
        problems = validate(data)
        if problems:
            raise LLMError("the answer does not fit the schema: " + "; ".join(problems[:3]))
        kind = data["kind"]
        value = data.get("value") if kind != "unknown" else None
        evidence = tuple(e for i in data.get("evidence", []) for e in tools.evidence(int(i)))
        confidence = float(min(max(data.get("confidence", 0.5), 0.0), 1.0)) if kind != "unknown" else 0.0
        return Answer(question, data["answer"] if kind != "unknown" else UNKNOWN_TEXT, value, kind, confidence,
                      evidence, at, self.name, {})


def _reason(exc: Exception) -> str:
    """Why the model's path failed, in at most 200 characters (the error's type too, when it is not ours)."""
    if isinstance(exc, LLMError):
        return str(exc)[:200]
    return why(exc)


def _message_problem(message: Any) -> str | None:
    """What is wrong with a chat completion's message (content a string or null; tool calls named), or None."""
    if not isinstance(message, dict):
        return f"the message is of type {type(message).__name__}, not an object"
    content = message.get("content")
    if content is not None and not isinstance(content, str):
        return f"content is of type {type(content).__name__}, not a string or null"
    calls = message.get("tool_calls")
    if calls is None:
        return None
    if not isinstance(calls, list):
        return f"tool_calls is of type {type(calls).__name__}, not a list"
    for i, call in enumerate(calls):
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            return f"tool_calls[{i}] is not an object with a function name: {str(call)[:80]!r}"
    return None


def _image_message(keyframes: list[tuple[int, bytes]]) -> list[dict]:
    """A user message showing events' keyframes as base64 JPEG data URLs (none when there are none)."""
    if not keyframes:
        return []
    parts: list[dict] = [{"type": "text", "text": "Keyframes of events " + ", ".join(str(e) for e, _ in keyframes)
                          + ", in that order."}]
    parts += [{"type": "image_url", "image_url": {"url": "data:image/jpeg;base64," + base64.b64encode(jpeg).decode()}}
              for _, jpeg in keyframes]
    return [{"role": "user", "content": parts}]
