"""A real (tiny, randomly initialised) language model behind a minimal OpenAI-compatible chat endpoint,
for the LLM answerer's tests; run as a process:

    python tiny_lm_server.py PORT_FILE [LOG_FILE] [--delay-per-token S] [--tool-calls]

It binds a free local port on 127.0.0.1 (written to PORT_FILE once it serves), logs every chat request
body as a JSON line to LOG_FILE when given, and serves

- ``POST /v1/chat/completions``: the messages are rendered into a prompt (a plain role-tagged template),
  cut to the model's context, and continued by ``model.generate`` for up to ``max_tokens`` (at most 48)
  new tokens, greedy (seeded sampling when ``temperature`` > 0). The weights are random, so the text is
  garbage. With ``--tool-calls`` a request that offers ``tools`` is answered by a tool call instead (as
  with ``tool_choice="required"``): the tool whose name the model finds likeliest to follow the prompt, its
  required string arguments filled with generated text and numbers with 0.
- ``GET /v1/models``: the model.

``--delay-per-token`` sleeps that long after each generated token (a slow server, for timeouts).
Nothing is downloaded: the model is built from a config and the tokenizer is plain UTF-8 bytes.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import mnemo.compat  # noqa: F401 - before transformers: the CPU-only torch's torchvision fix
import torch
from transformers import LlamaConfig, LlamaForCausalLM, StoppingCriteria, StoppingCriteriaList

logger = logging.getLogger("tiny_lm_server")

MODEL_ID = "tiny-random-llama"
CONTEXT = 512  # tokens the model sees (prompt + new tokens)
MAX_NEW = 48  # cap on generated tokens per request
ARG_TOKENS = 8  # tokens generated for one string argument of a tool call


class ByteTokenizer:
    """UTF-8 bytes are tokens 0-255; 256 begins a text, 257 ends it."""

    bos, eos, size = 256, 257, 258

    def encode(self, text: str) -> list[int]:
        return list(text.encode("utf-8"))

    def decode(self, ids: list[int]) -> str:
        return bytes(i for i in ids if i < 256).decode("utf-8", errors="replace")


class Delay(StoppingCriteria):
    """Never stops generation; sleeps after every token (a slow server)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def __call__(self, input_ids: torch.LongTensor, scores, **kwargs) -> torch.BoolTensor:
        time.sleep(self.seconds)
        return torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)


class TinyLM:
    def __init__(self, delay_per_token: float = 0.0, seed: int = 0) -> None:
        torch.manual_seed(seed)
        self.tokenizer = ByteTokenizer()
        config = LlamaConfig(vocab_size=ByteTokenizer.size, hidden_size=32, intermediate_size=64,
                             num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                             max_position_embeddings=CONTEXT, bos_token_id=ByteTokenizer.bos,
                             eos_token_id=ByteTokenizer.eos, pad_token_id=ByteTokenizer.eos)
        self.model = LlamaForCausalLM(config).eval()
        self.delay = delay_per_token
        self.lock = threading.Lock()  # one generation at a time

    def ids(self, prompt: str, room: int) -> list[int]:
        """The prompt's tokens, cut from the front so that ``room`` new tokens still fit the context."""
        ids = self.tokenizer.encode(prompt)
        return [ByteTokenizer.bos] + ids[-(CONTEXT - 1 - room):]

    def generate(self, prompt: str, max_new: int, temperature: float = 0.0) -> tuple[str, int, int, str]:
        """(text, prompt tokens, new tokens, finish reason)."""
        ids = torch.tensor([self.ids(prompt, max_new)])
        sampling = {"do_sample": True, "temperature": temperature} if temperature > 0 else {"do_sample": False}
        stopping = StoppingCriteriaList([Delay(self.delay)] if self.delay > 0 else [])
        with self.lock, torch.no_grad():
            if temperature > 0:
                torch.manual_seed(0)
            out = self.model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=max_new,
                                      stopping_criteria=stopping, eos_token_id=ByteTokenizer.eos,
                                      pad_token_id=ByteTokenizer.eos, **sampling)
        new = out[0, ids.shape[1]:].tolist()
        finish = "stop" if ByteTokenizer.eos in new else "length"
        return self.tokenizer.decode(new), ids.shape[1], len(new), finish

    def likeliest(self, prompt: str, options: list[str]) -> str:
        """The option the model finds likeliest to follow the prompt (mean log-probability per token)."""
        def score(option: str) -> float:
            tail = self.tokenizer.encode(option)
            ids = torch.tensor([self.ids(prompt + option, 0)])
            with self.lock, torch.no_grad():
                logp = torch.log_softmax(self.model(ids).logits[0, :-1], dim=-1)
            targets = ids[0, 1:]
            return float(logp[-len(tail):].gather(1, targets[-len(tail):, None]).mean())

        return max(options, key=score)


def render(messages: list[dict], tools: list[dict] | None) -> str:
    """A plain role-tagged chat template."""
    parts = []
    if tools:
        names = ", ".join(t.get("function", {}).get("name", "?") for t in tools)
        parts.append(f"<|tools|>\n{names}\n")
    for m in messages:
        content = m.get("content") or ""
        if m.get("tool_calls"):
            content += json.dumps(m["tool_calls"])
        parts.append(f"<|{m.get('role', 'user')}|>\n{content}\n")
    parts.append("<|assistant|>\n")
    return "".join(parts)


def tool_call(lm: TinyLM, prompt: str, tools: list[dict]) -> dict:
    """A tool call chosen by the model: the likeliest tool name, its required arguments filled in."""
    functions = {t["function"]["name"]: t["function"] for t in tools if "function" in t}
    name = lm.likeliest(prompt + "<|tool_call|>\n", sorted(functions))
    parameters = functions[name].get("parameters", {})
    args = {}
    for key in parameters.get("required", []):
        if parameters.get("properties", {}).get(key, {}).get("type") == "string":
            args[key] = lm.generate(f"{prompt}<|tool_call|>\n{name}({key}=", ARG_TOKENS)[0]
        else:
            args[key] = 0
    return {"id": f"call_{uuid.uuid4().hex[:12]}", "type": "function",
            "function": {"name": name, "arguments": json.dumps(args)}}


def complete(lm: TinyLM, body: dict, tool_calls: bool) -> tuple[int, dict]:
    """A chat.completion for an OpenAI chat request."""
    messages, tools = body.get("messages"), body.get("tools")
    if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
        return 400, _error("'messages' must be a list of message objects")
    try:
        max_new = max(1, min(int(body.get("max_tokens") or MAX_NEW), MAX_NEW))
        temperature = float(body.get("temperature") or 0)
    except (TypeError, ValueError):
        return 400, _error("'max_tokens' and 'temperature' must be numbers")
    prompt = render(messages, tools)
    if tool_calls and tools:
        message = {"role": "assistant", "content": None, "tool_calls": [tool_call(lm, prompt, tools)]}
        prompt_tokens, new_tokens, finish = len(lm.ids(prompt, 0)), 0, "tool_calls"
    else:
        text, prompt_tokens, new_tokens, finish = lm.generate(prompt, max_new, temperature)
        message = {"role": "assistant", "content": text}
    return 200, {"id": f"chatcmpl-{uuid.uuid4().hex[:12]}", "object": "chat.completion",
                 "created": int(time.time()), "model": body.get("model") or MODEL_ID,
                 "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                 "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": new_tokens,
                           "total_tokens": prompt_tokens + new_tokens}}


def _error(message: str, kind: str = "invalid_request_error") -> dict:
    return {"error": {"message": message, "type": kind}}


class Handler(BaseHTTPRequestHandler):
    lm: TinyLM
    log_path: str | None = None
    tool_calls = False

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        if self.path.rstrip("/") == "/v1/models":
            self._send(200, {"object": "list", "data": [{"id": MODEL_ID, "object": "model", "created": 0,
                                                         "owned_by": "mnemo-tests"}]})
        else:
            self._send(404, _error(f"no route {self.path}", "not_found"))

    def do_POST(self) -> None:  # noqa: N802
        raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path != "/v1/chat/completions":
            return self._send(404, _error(f"no route {self.path}", "not_found"))
        try:
            body = json.loads(raw)
        except ValueError as exc:
            return self._send(400, _error(f"the body is not JSON: {exc}"))
        if not isinstance(body, dict):
            return self._send(400, _error("the body must be a JSON object"))
        if self.log_path:
            with open(self.log_path, "a") as f:
                f.write(json.dumps({"path": self.path, "auth": self.headers.get("Authorization"),
                                    "body": body}) + "\n")
        started = time.monotonic()
        status, data = complete(self.lm, body, self.tool_calls)
        logger.info("%s %s -> %d in %.2f s", self.path, body.get("model"), status, time.monotonic() - started)
        self._send(status, data)

    def _send(self, status: int, data: dict) -> None:
        payload = json.dumps(data).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timed out)
            logger.info("client went away before the reply")

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - route http.server's lines to logging
        logger.debug(format, *args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("port_file")
    parser.add_argument("log_file", nargs="?")
    parser.add_argument("--delay-per-token", type=float, default=0.0)
    parser.add_argument("--tool-calls", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="tiny_lm_server %(levelname)s %(message)s")
    torch.set_num_threads(1)
    Handler.lm, Handler.log_path, Handler.tool_calls = TinyLM(args.delay_per_token), args.log_file, args.tool_calls
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.replace(args.port_file + ".tmp", args.port_file)
    logger.info("serving %s on 127.0.0.1:%d", MODEL_ID, server.server_address[1])
    server.serve_forever()


if __name__ == "__main__":
    main()
