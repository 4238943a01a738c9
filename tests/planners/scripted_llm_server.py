"""A scripted OpenAI-compatible chat server for the LLM answerer's tests; run as a process:

    python scripted_llm_server.py PORT_FILE LOG_FILE

It binds a free local port (written to PORT_FILE), logs every request body as a JSON line to LOG_FILE,
and answers /v1/chat/completions by the requested model's name: ``tools`` (tool calls, then a JSON
answer), ``fenced`` (a JSON answer in a code fence), ``garbage`` (prose), ``badschema`` (JSON that does
not fit), ``slow`` (sleeps 3 s), ``http500``, ``loop`` (tool calls for ever); malformed shapes:
``overflow_args`` (tool arguments out of any integer's range, then an answer), ``object_args`` (arguments
as a JSON object, not a string, then an answer), ``message_string`` (the message a string),
``toolcall_string`` (a tool call a string), ``content_number`` (the content a number), ``huge_evidence``
(an answer citing event 10**30); ``delegate`` (asks the built-in answerer, answers what it said). Judges of M3-Bench answers: ``judge`` says "Yes." when the candidate
answer holds the reference answer's first word, else "No."; ``judge_prose`` says neither.
"""

from __future__ import annotations

import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

KINDS = ("room", "person", "time", "duration", "count", "yes_no", "text", "unknown")  # planners/llm.py's
ANSWER = {"answer": "office", "value": "office", "kind": "room", "confidence": 0.9, "evidence": [7]}


def _call(i: int, name: str, arguments: str | dict) -> dict:
    return {"id": f"call_{i}", "type": "function", "function": {"name": name, "arguments": arguments}}


def reply(body: dict) -> tuple[int, dict]:
    model = body.get("model")
    used_tools = any(m.get("role") == "tool" for m in body["messages"])
    message: dict = {"role": "assistant", "content": None}
    if model == "tools" and not used_tools:
        message["tool_calls"] = [_call(1, "search_memory", json.dumps({"query": "red mug", "k": 3})),
                                 _call(2, "graph_at", json.dumps({"time": 100})),
                                 _call(3, "entity_timeline", "{not json"),
                                 _call(4, "no_such_tool", "{}"),
                                 _call(5, "builtin_answer", json.dumps({"question": "Where is the red mug now?"}))]
    elif model == "overflow_args" and not used_tools:  # json.dumps cannot write these: the text is literal
        message["tool_calls"] = [_call(1, "get_event", '{"id": 1e400}'),
                                 _call(2, "search_memory", '{"query": "red mug", "k": 1e400}'),
                                 _call(3, "get_event", json.dumps({"id": 10**30})),
                                 _call(4, "graph_at", '{"time": NaN}'),
                                 _call(5, "search_memory", json.dumps({"query": "red mug", "k": 10**6})),
                                 _call(6, "get_event", json.dumps({"id": "seven"}))]
    elif model == "object_args" and not used_tools:
        message["tool_calls"] = [_call(1, "get_event", {"id": 7}), _call(2, "graph_at", {"time": 100})]
    elif model in ("tools", "slowish", "overflow_args", "object_args"):
        message["content"] = json.dumps(ANSWER)
    elif model == "fenced":
        message["content"] = "```json\n" + json.dumps(ANSWER) + "\n```"
    elif model == "garbage":
        message["content"] = "I think the mug is in the office."
    elif model == "badschema":
        message["content"] = json.dumps({"answer": "office", "kind": "banana", "evidence": ["seven"]})
    elif model == "slow":
        time.sleep(3.0)
        message["content"] = json.dumps(ANSWER)
    elif model == "http500":
        return 500, {"error": {"message": "model crashed"}}
    elif model == "message_string":
        message = "office"  # type: ignore[assignment]
    elif model == "toolcall_string":
        message["tool_calls"] = ["get_event(7)"]
    elif model == "content_number":
        message["content"] = 42
    elif model == "huge_evidence":
        message["content"] = json.dumps({**ANSWER, "evidence": [10**30]})
    elif model == "judge":
        asked = body["messages"][-1]["content"]
        reference = asked.split("Reference answer: ")[1].split("\n")[0]
        candidate = asked.split("Candidate answer: ")[1].split("\n")[0]
        first = reference.split()[0].strip(".,").lower()
        message["content"] = "Yes." if first in candidate.lower() else "No."
    elif model == "judge_prose":
        message["content"] = "It depends on how you look at it."
    elif model == "loop":
        message["tool_calls"] = [_call(1, "get_event", json.dumps({"id": 1}))]
    elif model == "delegate":
        message = _delegate(body["messages"], used_tools)
    return 200, {"id": "x", "object": "chat.completion", "model": model,
                 "choices": [{"index": 0, "message": message, "finish_reason": "stop"}]}


def _delegate(messages: list[dict], used_tools: bool) -> dict:
    """``delegate``: asks the built-in answerer (a tool) the user's question, then answers what it said, as a
    model that trusts that tool would: its answers must equal the built-in answerer's."""
    if not used_tools:
        question = messages[1]["content"].split("): ", 1)[1]
        return {"role": "assistant", "content": None,
                "tool_calls": [_call(1, "builtin_answer", json.dumps({"question": question}))]}
    said = json.loads(next(m["content"] for m in messages if m["role"] == "tool"))
    kind = said.get("kind") if said.get("kind") in KINDS else "unknown"
    value = said.get("value") if isinstance(said.get("value"), (str, int, float, bool)) else None
    return {"role": "assistant", "content": json.dumps({"answer": str(said.get("answer")), "value": value,
                                                        "kind": kind, "confidence": 0.7, "evidence": []})}


class Handler(BaseHTTPRequestHandler):
    log_path = ""

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        with open(self.log_path, "a") as f:
            f.write(json.dumps({"path": self.path, "auth": self.headers.get("Authorization"), "body": body}) + "\n")
        if self.path != "/v1/chat/completions":
            status, data = 404, {"error": {"message": f"no route {self.path}"}}
        else:
            status, data = reply(body)
        payload = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args) -> None:  # quiet
        pass


if __name__ == "__main__":
    Handler.log_path = sys.argv[2]
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    import os

    os.replace(sys.argv[1] + ".tmp", sys.argv[1])
    server.serve_forever()
