"""The LLM answerer against a scripted OpenAI-compatible server process: the tool loop, malformed
output, timeouts, HTTP errors and the fallback to the built-in answerer."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from planners.builtin import BuiltinAnswerer
from planners.llm import ANSWER_SCHEMA, LLMAnswerer, LLMConfig, validate
from planners.retrieval import Retriever

SERVER = Path(__file__).with_name("scripted_llm_server.py")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    base = tmp_path_factory.mktemp("llm")
    port_file, log = base / "port", base / "requests.jsonl"
    proc = subprocess.Popen([sys.executable, str(SERVER), str(port_file), str(log)])
    try:
        deadline = time.monotonic() + 20
        while not port_file.exists():
            if time.monotonic() > deadline or proc.poll() is not None:
                pytest.fail("the scripted LLM server did not start")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port_file.read_text()}/v1", log
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _requests(log: Path, model: str) -> list[dict]:
    return [r for r in map(json.loads, log.read_text().splitlines()) if r["body"]["model"] == model]


def _ask(world_store, url: str, model: str, **options):
    answerer = LLMAnswerer(LLMConfig(url=url, model=model, **options))
    builtin = BuiltinAnswerer(world_store)
    retriever = Retriever(world_store, {"text/test": lambda text: np.ones(16, np.float32)})
    return answerer.answer("Where is the red mug now?", 100.0, builtin=builtin, retriever=retriever)


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
