"""The LLM answerer against a real language model: a tiny randomly initialised transformers model behind a
minimal OpenAI-compatible endpoint (tiny_lm_server.py), in server processes the tests start. The model
writes garbage, so every question ends in the built-in answerer's answer; what is checked is the way
there: the request sent, the tool-call loop and its rounds bound, malformed output, and timeouts."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import requests

from planners.builtin import BuiltinAnswerer
from planners.llm import SYSTEM, TOOLS, LLMAnswerer, LLMConfig
from planners.retrieval import Retriever

SERVER = Path(__file__).with_name("tiny_lm_server.py")
QUESTION, AT = "Where is the red mug now?", 100.0
MALFORMED = ("the answer is not JSON", "the answer does not fit the schema")  # LLMAnswerer._parse's reasons
SERVERS = {"plain": [], "tools": ["--tool-calls"], "slow": ["--delay-per-token", "2"]}


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """{kind: (base URL, request log)} of three tiny-model servers, started together: ``plain``,
    ``tools`` (answers offered tools with a tool call) and ``slow`` (2 s per generated token)."""
    for module in ("torch", "transformers"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} is not installed: the tiny model server needs torch and transformers")
    base = tmp_path_factory.mktemp("tiny_lm")
    procs: dict[str, subprocess.Popen] = {}
    try:
        for kind, flags in SERVERS.items():
            with open(base / f"{kind}.stderr", "w") as err:
                procs[kind] = subprocess.Popen([sys.executable, str(SERVER), str(base / f"{kind}.port"),
                                                str(base / f"{kind}.jsonl"), *flags], stderr=err)
        deadline = time.monotonic() + 180  # torch loads slowly on a busy machine
        for kind, proc in procs.items():
            while not (base / f"{kind}.port").exists():
                if proc.poll() is not None or time.monotonic() > deadline:
                    tail = (base / f"{kind}.stderr").read_text()[-2000:]
                    if "ModuleNotFoundError" in tail or "ImportError" in tail:
                        pytest.skip(f"torch/transformers are not importable: {tail.strip().splitlines()[-1]}")
                    pytest.fail(f"the tiny model server ({kind}) did not start:\n{tail}")
                time.sleep(0.05)
        yield {kind: (f"http://127.0.0.1:{(base / f'{kind}.port').read_text()}/v1", base / f"{kind}.jsonl")
               for kind in procs}
    finally:
        for proc in procs.values():
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture
def helpers(world_store):
    """The built-in answerer and a retriever over the hand-built world (as test_llm.py builds them)."""
    return (BuiltinAnswerer(world_store),
            Retriever(world_store, {"text/test": lambda text: np.ones(16, np.float32)}))


def _ask(server, helpers, model: str, **options):
    builtin, retriever = helpers
    answerer = LLMAnswerer(LLMConfig(url=server[0], model=model, **options))
    return answerer.answer(QUESTION, AT, builtin=builtin, retriever=retriever)


def _requests(server, model: str) -> list[dict]:
    return [r for r in map(json.loads, server[1].read_text().splitlines()) if r["body"]["model"] == model]


def _assert_builtin_fallback(answer, helpers, reasons: tuple[str, ...]) -> str:
    """The answer is the built-in answerer's, saying why the model's was not taken; returns the why."""
    expected = helpers[0].answer(QUESTION, AT)
    assert (answer.value, answer.kind, answer.text) == (expected.value, expected.kind, expected.text)
    assert [e.event for e in answer.evidence] == [e.event for e in expected.evidence]
    why = answer.detail["llm_error"]
    assert answer.answerer == f"builtin (fallback: {why})" and why.startswith(reasons), why
    return why


def test_the_endpoint_speaks_openai(servers):
    url = servers["plain"][0]
    assert requests.get(url + "/models", timeout=10).json()["data"][0]["id"] == "tiny-random-llama"
    bad = requests.post(url + "/chat/completions", data="{not json", timeout=10)
    assert bad.status_code == 400 and "not JSON" in bad.json()["error"]["message"]
    reply = requests.post(url + "/chat/completions", timeout=30, json={
        "model": "probe", "max_tokens": 5, "temperature": 0.7,
        "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello?"}]}).json()
    assert reply["object"] == "chat.completion" and reply["model"] == "probe"
    choice = reply["choices"][0]
    assert choice["message"]["role"] == "assistant" and isinstance(choice["message"]["content"], str)
    assert choice["finish_reason"] in ("stop", "length") and 1 <= reply["usage"]["completion_tokens"] <= 5
    assert requests.get(url + "/models", timeout=10).status_code == 200  # none of this is logged as a chat
    assert _requests(servers["plain"], "probe") == [json.loads(servers["plain"][1].read_text().splitlines()[0])]


def test_the_request_is_a_well_formed_chat_request(servers, helpers):
    _ask(servers["plain"], helpers, "tiny-request", key="secret")
    [request] = _requests(servers["plain"], "tiny-request")  # prose back: no tool calls, one round
    body = request["body"]
    assert request["path"] == "/v1/chat/completions" and request["auth"] == "Bearer secret"
    assert body["model"] == "tiny-request" and body["temperature"] == 0.0
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert body["messages"][0]["content"] == SYSTEM and QUESTION in body["messages"][1]["content"]
    names = [t["function"]["name"] for t in body["tools"]]
    assert names == [t["function"]["name"] for t in TOOLS] and {"search_memory", "get_event", "entity_timeline",
                                                                 "place_history", "graph_at"} <= set(names)
    assert all(t["type"] == "function" and t["function"]["parameters"]["type"] == "object" for t in body["tools"])


def test_malformed_output_falls_back_to_builtin(servers, helpers):
    answer = _ask(servers["plain"], helpers, "tiny-fallback")
    why = _assert_builtin_fallback(answer, helpers, MALFORMED)
    assert answer.value == "office" and "rounds" not in answer.detail, why


@pytest.mark.parametrize("rounds", [1, 3])
def test_tool_call_loop_stops_at_max_rounds(servers, helpers, rounds):
    model = f"tiny-rounds-{rounds}"
    answer = _ask(servers["tools"], helpers, model, max_rounds=rounds)
    _assert_builtin_fallback(answer, helpers, MALFORMED)  # the last round's prose
    sent = _requests(servers["tools"], model)
    assert len(sent) == rounds  # the server calls a tool whenever tools are offered
    assert ["tools" in r["body"] for r in sent] == [True] * (rounds - 1) + [False]  # the last round must answer
    for i, request in enumerate(sent):  # each round adds the model's tool call and the tool's real result
        messages = request["body"]["messages"]
        calls = [c for m in messages if m["role"] == "assistant" for c in m["tool_calls"]]
        results = {m["tool_call_id"]: json.loads(m["content"]) for m in messages if m["role"] == "tool"}
        assert len(calls) == i and set(results) == {c["id"] for c in calls}
        assert all(c["function"]["name"] in {t["function"]["name"] for t in TOOLS} for c in calls)
        assert all(r is not None for r in results.values())


@pytest.mark.parametrize("budget_s, request_timeout_s", [(1.0, 15.0), (5.0, 0.5)])
def test_timeout_falls_back_within_the_budget(servers, helpers, budget_s, request_timeout_s):
    model = f"tiny-slow-{budget_s:g}-{request_timeout_s:g}"
    started = time.monotonic()
    answer = _ask(servers["slow"], helpers, model, budget_s=budget_s, request_timeout_s=request_timeout_s)
    elapsed = time.monotonic() - started
    limit = min(budget_s, request_timeout_s)
    assert elapsed < limit + 1.0, elapsed
    why = _assert_builtin_fallback(answer, helpers, ("timeout",))
    assert why == f"timeout after {limit:.1f} s"
    assert len(_requests(servers["slow"], model)) == 1  # the server had it: the model was too slow
