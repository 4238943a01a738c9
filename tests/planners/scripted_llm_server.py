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

Vision models (captions, mnemo/captions.py) answer from the image sent as a base64 JPEG data URL:
``vision`` decodes it and names its dominant colour ("A room with yellow walls."); a request without
such an image gets HTTP 400. Misbehaving ones: ``vision_slow`` (sleeps 3 s, then answers),
``vision_http500``, ``vision_empty`` (empty content), ``vision_refusal`` (OpenAI's ``refusal`` field),
``vision_sorry`` (a refusal in words), ``vision_overlong`` (5000 characters), ``vision_nontext`` (content
a list of numbers), ``vision_garbled`` (not JSON at all). ``eyes`` is an answerer that looks: it searches
the memory for the question, then answers with the dominant colour of the last image it was shown and
cites the event found (kind "unknown" when it was shown none).
"""

from __future__ import annotations

import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

KINDS = ("room", "person", "time", "duration", "count", "yes_no", "text", "unknown")  # planners/llm.py's
ANSWER = {"answer": "office", "value": "office", "kind": "room", "confidence": 0.9, "evidence": [7]}


def _call(i: int, name: str, arguments: str | dict) -> dict:
    return {"id": f"call_{i}", "type": "function", "function": {"name": name, "arguments": arguments}}


COLOURS = {"red": (200, 40, 40), "green": (40, 160, 60), "blue": (40, 70, 200), "yellow": (220, 200, 40),
           "grey": (128, 128, 128), "white": (235, 235, 235), "black": (20, 20, 20)}


def dominant_colour(jpeg: bytes) -> str:
    """The palette colour nearest the image's per-channel median (props and noise do not move a median)."""
    import io

    import numpy as np
    from PIL import Image

    pixels = np.asarray(Image.open(io.BytesIO(jpeg)).convert("RGB")).reshape(-1, 3)
    median = np.median(pixels, axis=0)
    return min(COLOURS, key=lambda name: float(np.sum((median - np.asarray(COLOURS[name])) ** 2)))


def image_of(body: dict) -> bytes | None:
    """The JPEG of the request's image_url part (a base64 data URL), None when there is none."""
    import base64

    for message in body.get("messages", []):
        content = message.get("content")
        for part in content if isinstance(content, list) else []:
            url = (part.get("image_url") or {}).get("url", "") if part.get("type") == "image_url" else ""
            if url.startswith("data:image/jpeg;base64,"):
                return base64.b64decode(url.split(",", 1)[1], validate=True)
    return None


def vision_reply(body: dict) -> tuple[int, dict | str]:
    model = body["model"]
    jpeg = image_of(body)
    if jpeg is None:
        return 400, {"error": {"message": "no image_url part with a base64 JPEG data URL"}}
    message: dict = {"role": "assistant", "content": None}
    if model == "vision_http500":
        return 500, {"error": {"message": "model crashed"}}
    if model == "vision_garbled":
        return 200, "<html>gateway says hello</html>"
    if model == "vision_slow":
        time.sleep(3.0)
    elif model == "vision":  # a stand-in for a model's latency (bench/captions.py)
        time.sleep(float(os.environ.get("SCRIPTED_VISION_DELAY") or 0.0))
    if model in ("vision", "vision_slow"):
        message["content"] = f"A room with {dominant_colour(jpeg)} walls."
    elif model == "vision_empty":
        message["content"] = "  "
    elif model == "vision_refusal":
        message["refusal"] = "I can't help with that request."
    elif model == "vision_sorry":
        message["content"] = "I'm sorry, but I can't describe this image."
    elif model == "vision_overlong":
        message["content"] = "walls " * 1000
    elif model == "vision_nontext":
        message["content"] = [1, 2, 3]
    return 200, {"id": "x", "object": "chat.completion", "model": model,
                 "choices": [{"index": 0, "message": message, "finish_reason": "stop"}]}


def eyes_reply(body: dict) -> dict:
    """Search for the question; then the colour of the last image shown, citing what the search found."""
    messages = body["messages"]
    tool_results = [json.loads(m["content"]) for m in messages if m.get("role") == "tool"]
    message: dict = {"role": "assistant", "content": None}
    if not tool_results:
        question = messages[1]["content"].split(": ", 1)[1]
        message["tool_calls"] = [_call(1, "search_memory", json.dumps({"query": question, "k": 1}))]
    else:
        jpeg = _last_image(messages)
        found = [hit["event"] for hit in tool_results[-1]] if isinstance(tool_results[-1], list) else []
        if jpeg is None:
            answer = {"answer": "I cannot see it.", "kind": "unknown", "evidence": found}
        else:
            colour = dominant_colour(jpeg)
            answer = {"answer": colour, "value": colour, "kind": "text", "confidence": 0.8, "evidence": found}
        message["content"] = json.dumps(answer)
    return {"id": "x", "object": "chat.completion", "model": "eyes",
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}]}


def _last_image(messages: list[dict]) -> bytes | None:
    for message in reversed(messages):
        jpeg = image_of({"messages": [message]})
        if jpeg is not None:
            return jpeg
    return None


def reply(body: dict) -> tuple[int, dict | str]:
    model = body.get("model")
    if isinstance(model, str) and model.startswith("vision"):
        return vision_reply(body)
    if model == "eyes":
        return 200, eyes_reply(body)
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
        payload = (data if isinstance(data, str) else json.dumps(data)).encode()
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
    os.replace(sys.argv[1] + ".tmp", sys.argv[1])
    server.serve_forever()
