"""The LLM answerer against a scripted OpenAI-compatible server process: the tool loop, malformed
output, timeouts, HTTP errors and the fallback to the built-in answerer."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import numpy as np
import pytest

from planners.builtin import BuiltinAnswerer
from planners.llm import ANSWER_SCHEMA, LLMAnswerer, LLMConfig, validate
from planners.retrieval import Retriever



@pytest.fixture(scope="module")
def server(scripted_llm):
    return scripted_llm  # (base URL, request log) of tests/planners/scripted_llm_server.py (tests/conftest.py)


def _requests(log: Path, model: str) -> list[dict]:
    return [r for r in map(json.loads, log.read_text().splitlines()) if r["body"]["model"] == model]


QUESTION, AT = "Where is the red mug now?", 100.0


def _ask(world_store, url: str, model: str, session=None, **options):
    answerer = LLMAnswerer(LLMConfig(url=url, model=model, **options), session=session)
    builtin = BuiltinAnswerer(world_store)
    retriever = Retriever(world_store, {"text/test": lambda text: np.ones(16, np.float32)})
    return answerer.answer(QUESTION, AT, builtin=builtin, retriever=retriever)


def _assert_builtin_fallback(answer, world_store, reason: str) -> str:
    """The answer is the built-in answerer's, with the reason (containing ``reason``) recorded; returns it."""
    expected = BuiltinAnswerer(world_store).answer(QUESTION, AT)
    assert (answer.text, answer.value, answer.kind) == (expected.text, expected.value, expected.kind)
    assert [e.event for e in answer.evidence] == [e.event for e in expected.evidence]
    why = answer.detail["llm_error"]
    assert answer.answerer == f"builtin (fallback: {why})" and reason in why, why
    return why


def test_tool_loop_then_validated_answer(world_store, server):
    url, log = server
    answer = _ask(world_store, url, "tools", key="secret")
    assert answer.answerer == "llm:tools" and answer.kind == "room" and answer.value == "office"
    assert answer.detail["rounds"] == 2 and answer.confidence == pytest.approx(0.9)
    assert [e.event for e in answer.evidence] == [7] and answer.evidence[0].start == 60.0
    first, second = _requests(log, "tools")
    assert first["auth"] == "Bearer secret" and {t["function"]["name"] for t in first["body"]["tools"]} >= {
        "search_memory", "get_event", "entity_timeline", "place_history", "graph_at"}
    results = {m["tool_call_id"]: json.loads(m["content"]) for m in second["body"]["messages"] if m["role"] == "tool"}
    assert len(results["call_1"]) == 3 and all("event" in hit for hit in results["call_1"])  # search_memory
    assert results["call_2"]["things"] == {"red mug": "office"}  # graph_at(100)
    assert "error" in results["call_3"] and "error" in results["call_4"]  # malformed arguments, unknown tool
    assert results["call_5"]["value"] == "office"


def test_fenced_json_is_accepted(world_store, server):
    assert _ask(world_store, server[0], "fenced").value == "office"


@pytest.mark.parametrize("model, why", [("garbage", "not JSON"), ("badschema", "schema"), ("http500", "HTTP 500"),
                                        ("loop", "not JSON")])
def test_bad_model_output_falls_back_to_builtin(world_store, server, model, why):
    answer = _ask(world_store, server[0], model, max_rounds=2)
    assert answer.answerer.startswith("builtin (fallback: ") and why in answer.answerer
    assert answer.value == "office" and answer.evidence  # the built-in answer, with its evidence
    if model == "loop":
        last = _requests(server[1], "loop")[-1]
        assert "tools" not in last["body"]  # the last round must answer


def test_timeout_falls_back_within_the_budget(world_store, server):
    started = time.monotonic()
    answer = _ask(world_store, server[0], "slow", request_timeout_s=0.5, budget_s=1.0)
    assert time.monotonic() - started < 2.5
    assert "timeout" in answer.answerer and answer.value == "office"


def test_unreachable_endpoint_falls_back(world_store):
    answer = _ask(world_store, "http://127.0.0.1:9/v1", "any", request_timeout_s=1.0)
    assert answer.answerer.startswith("builtin (fallback:") and answer.value == "office"


def test_config_and_schema_validation():
    with pytest.raises(ValueError, match="url"):
        LLMConfig(url="localhost:8000", model="m")
    with pytest.raises(ValueError, match="model"):
        LLMConfig(url="http://x/v1", model="")
    assert validate({"answer": "a", "kind": "room", "evidence": [1, 2]}) == []
    assert validate({"answer": "a"}) == ["missing 'kind'"]
    assert validate({"answer": 3, "kind": "room", "confidence": True}, ANSWER_SCHEMA) == [
        "answer: expected string, got int", "confidence: expected number, got bool"]


def test_one_round_is_the_answering_round(world_store, server):
    url, log = server
    before = len(_requests(log, "fenced"))
    answer = _ask(world_store, url, "fenced", max_rounds=1)
    assert answer.answerer == "llm:fenced" and answer.detail["rounds"] == 1
    [request] = _requests(log, "fenced")[before:]
    assert "tools" not in request["body"]  # no tools offered: the single round must answer


@pytest.mark.parametrize("model, reason", [
    ("message_string", "malformed chat message: the message is of type str, not an object"),
    ("toolcall_string", "malformed chat message: tool_calls[0] is not an object with a function name"),
    ("content_number", "malformed chat message: content is of type int, not a string or null"),
    ("huge_evidence", "the answer does not fit the schema: evidence: [0]: 1" + "0" * 30 + " is above the maximum"),
])
def test_malformed_response_shapes_fall_back_to_builtin(world_store, server, model, reason):
    _assert_builtin_fallback(_ask(world_store, server[0], model), world_store, reason)


def _tool_results(log: Path, model: str) -> tuple[list[dict], dict]:
    """The tool calls the answerer echoed back and the tool results it sent, by call id, in its latest question's
    second request."""
    first, second = _requests(log, model)[-2:]
    assert "tools" in first["body"]
    messages = second["body"]["messages"]
    calls = [c for m in messages if m["role"] == "assistant" for c in m["tool_calls"]]
    return calls, {m["tool_call_id"]: json.loads(m["content"]) for m in messages if m["role"] == "tool"}


@pytest.mark.parametrize("call, error", [
    ("call_1", "id must be an integer, got inf"),  # {"id": 1e400}
    ("call_2", "k must be an integer, got inf"),  # {"k": 1e400}
    ("call_3", "id=" + "1" + "0" * 30 + " is out of range"),  # beyond SQLite's integers
    ("call_4", "time must be a finite number, got nan"),  # {"time": NaN}
    ("call_6", "id must be an integer, got 'seven'"),
])
def test_out_of_range_tool_arguments_become_tool_errors(world_store, server, call, error):
    url, log = server
    answer = _ask(world_store, url, "overflow_args")
    assert answer.answerer == "llm:overflow_args" and answer.detail["rounds"] == 2  # the model went on
    _, results = _tool_results(log, "overflow_args")
    assert error in results[call]["error"] and results[call]["error"].startswith(("get_event", "search_memory",
                                                                                  "graph_at"))
    assert isinstance(results["call_5"], list) and results["call_5"]  # k=10**6 is clamped, not an error


def test_tool_arguments_as_a_json_object_are_accepted(world_store, server):
    url, log = server
    answer = _ask(world_store, url, "object_args")
    assert answer.answerer == "llm:object_args" and answer.value == "office" and answer.detail["rounds"] == 2
    calls, results = _tool_results(log, "object_args")
    assert [c["function"]["arguments"] for c in calls] == [{"id": 7}, {"time": 100}]
    assert results["call_1"]["event"] == 7 and results["call_1"]["start"] == 60.0  # get_event ran
    assert results["call_2"]["things"] == {"red mug": "office"}  # graph_at ran


class _Response:
    """Enough of a requests.Response for LLMAnswerer._chat."""

    def __init__(self, payload: dict) -> None:
        self.status_code, self.text, self.payload = 200, json.dumps(payload), payload

    def json(self) -> dict:
        return self.payload


class _Session:
    """A stand-in requests.Session whose post sleeps, then replies or raises."""

    def __init__(self, reply: dict | BaseException, sleep_s: float = 0.0) -> None:
        self.reply, self.sleep_s, self.posts = reply, sleep_s, 0

    def post(self, url: str, **kwargs) -> _Response:
        self.posts += 1
        time.sleep(self.sleep_s)
        if isinstance(self.reply, BaseException):
            raise self.reply
        return _Response(self.reply)


TOOL_CALL = {"choices": [{"message": {"role": "assistant", "content": None, "tool_calls": [
    {"id": "c1", "type": "function", "function": {"name": "get_event", "arguments": '{"id": 7}'}}]}}]}


def test_budget_spent_before_a_request_reads_as_a_timeout(world_store):
    session = _Session(TOOL_CALL, sleep_s=0.3)
    answer = _ask(world_store, "http://model.invalid/v1", "m", session=session, budget_s=0.2)
    why = _assert_builtin_fallback(answer, world_store, "timeout")
    assert why == "timeout: time budget of 0.2 s spent" and session.posts == 1


def test_any_exception_falls_back_and_is_logged(world_store, caplog):
    session = _Session(RuntimeError("the client broke"))
    with caplog.at_level(logging.WARNING, logger="planners.llm"):
        answer = _ask(world_store, "http://model.invalid/v1", "m", session=session)
    why = _assert_builtin_fallback(answer, world_store, "RuntimeError: the client broke")
    assert any(why in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)


def test_keyboard_interrupt_is_not_swallowed(world_store):
    with pytest.raises(KeyboardInterrupt):
        _ask(world_store, "http://model.invalid/v1", "m", session=_Session(KeyboardInterrupt()))
