"""Captions at ingest: event keyframes described by a vision-language model behind any OpenAI-compatible
chat endpoint (vLLM, llama.cpp server, ollama, hosted APIs), stored as event text with origin ``caption``.

Each keyframe goes as a base64 JPEG data URL in an ``image_url`` content part, one request per keyframe,
at most ``concurrency`` in flight. Captions are cached in the memory folder (``captions.db``) by the
keyframe's content hash, the model and the prompt, so a resumed or repeated ingest never asks twice.
A caption never fails an ingest: timeouts, HTTP and connection errors, refusals and bad output (empty,
overlong, not text) are logged and counted as skipped; after ``give_up_after`` failed requests in a row
the rest of the stream's keyframes are skipped without asking (an endpoint that is down costs at most
that many timeouts).
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import re
import sqlite3
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import requests

from memory.event import Keyframe, ScreenText

logger = logging.getLogger(__name__)

ORIGIN = "caption"
KEY_ENV = "MNEMO_CAPTION_KEY"
CACHE_FILE = "captions.db"
PROMPT = ("Describe this video frame in one or two plain sentences: the place, the people and what they do, "
          "the notable objects and their colours. Do not guess names.")
WHOLE_FRAME = (0.0, 0.0, 1.0, 1.0)  # a caption's box: it is about the whole keyframe
# an answer that opens like this declines to describe (models without a ``refusal`` field say it in words)
_REFUSAL = re.compile(r"^(i'?m sorry|i am sorry|sorry,|i can'?t|i cannot|i am unable|i'?m unable|as an ai)\b", re.I)


@dataclass(frozen=True)
class CaptionConfig:
    """The captioner section of a profile: which vision endpoint describes the keyframes, and how."""

    url: str | None = None  # base URL of the OpenAI-compatible API (http://host:8000/v1); None: no captions
    model: str = ""  # the vision model's name as the server knows it
    key_env: str = KEY_ENV  # environment variable holding the bearer token (unset or empty: no token)
    prompt: str = PROMPT  # the instruction sent with each keyframe
    max_tokens: int = 96  # the longest answer asked for
    timeout_s: float = 30.0  # per request (connect and read)
    keyframes: int = 1  # at most this many keyframes of an event are described (the main one first)
    concurrency: int = 4  # requests in flight at once (an event's keyframes go together)
    max_chars: int = 600  # a longer answer is bad output (a model that rambles or loops)
    give_up_after: int = 5  # failed requests in a row after which the stream's other keyframes are skipped; 0: never
    temperature: float = 0.0

    def __post_init__(self) -> None:
        if self.url is not None and not re.match(r"^https?://\S+$", str(self.url)):
            raise ValueError(f"captioner.url must be an http(s) URL of an OpenAI-compatible API or null, "
                             f"got {self.url!r}")
        if self.url is not None and not (isinstance(self.model, str) and self.model.strip()):
            raise ValueError(f"captioner.model must name the vision model the server serves, got {self.model!r}")
        for name in ("key_env", "prompt"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name).strip():
                raise ValueError(f"captioner.{name} must be a non-empty string, got {getattr(self, name)!r}")
        for name in ("max_tokens", "keyframes", "concurrency", "max_chars"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"captioner.{name} must be a positive integer, got {value!r}")
        if not isinstance(self.give_up_after, int) or isinstance(self.give_up_after, bool) or self.give_up_after < 0:
            raise ValueError(f"captioner.give_up_after must be an integer >= 0, got {self.give_up_after!r}")
        if not isinstance(self.timeout_s, (int, float)) or isinstance(self.timeout_s, bool) or not self.timeout_s > 0:
            raise ValueError(f"captioner.timeout_s must be a number of seconds > 0, got {self.timeout_s!r}")
        if not isinstance(self.temperature, (int, float)) or not 0.0 <= self.temperature <= 2.0:
            raise ValueError(f"captioner.temperature must be a number within 0..2, got {self.temperature!r}")

    @property
    def enabled(self) -> bool:
        return self.url is not None


class CaptionFailed(Exception):
    """One keyframe got no caption; ``reason`` is the short kind counted in the summary."""

    def __init__(self, reason: str, detail: str, transport: bool = False) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.transport = transport  # the endpoint failed (counts towards give_up_after), not the answer


@dataclass
class CaptionCounts:
    """What captioning did in one ingest of one stream (the ingest summary shows it)."""

    asked: int = 0  # requests sent
    cached: int = 0  # keyframes answered from the cache
    stored: int = 0  # caption lines stored
    skipped: int = 0  # keyframes left without a caption (failures, bad output, given up)
    reasons: Counter = field(default_factory=Counter)  # why keyframes were skipped

    def as_dict(self) -> dict[str, Any]:
        return {"asked": self.asked, "cached": self.cached, "stored": self.stored, "skipped": self.skipped,
                "reasons": dict(self.reasons)}


class CaptionCache:
    """Captions by (keyframe hash, model, prompt) in a small SQLite file of the memory folder."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._conn = sqlite3.connect(str(self.path), timeout=30.0, check_same_thread=False)
        self._conn.execute("CREATE TABLE IF NOT EXISTS captions (key TEXT PRIMARY KEY, text TEXT NOT NULL, "
                           "model TEXT NOT NULL, created REAL NOT NULL)")
        self._conn.commit()

    @staticmethod
    def key(jpeg: bytes, model: str, prompt: str) -> str:
        digest = hashlib.sha256()
        for part in (hashlib.sha256(jpeg).digest(), model.encode(), prompt.encode()):
            digest.update(len(part).to_bytes(8, "little") + part)
        return digest.hexdigest()

    def get(self, key: str) -> str | None:
        """The cached caption, None when there is none (or the cache cannot be read: it is only a cache)."""
        try:
            row = self._conn.execute("SELECT text FROM captions WHERE key = ?", (key,)).fetchone()
        except sqlite3.Error as exc:
            logger.warning("caption cache %s unreadable (%s): asking the endpoint", self.path, exc)
            return None
        return None if row is None else str(row[0])

    def put(self, key: str, text: str, model: str) -> None:
        """Keep a caption; a cache that cannot be written (a full disk) is logged, never fatal."""
        try:
            with self._conn:
                self._conn.execute("INSERT OR REPLACE INTO captions(key, text, model, created) VALUES (?, ?, ?, ?)",
                                   (key, text, model, time.time()))
        except sqlite3.Error as exc:
            logger.warning("caption cache %s not written (%s)", self.path, exc)

    def close(self) -> None:
        self._conn.close()


class Captioner:
    """Describes JPEG keyframes through an OpenAI-compatible vision endpoint, with a cache."""

    def __init__(self, config: CaptionConfig, cache_path: Path | None = None,
                 session: requests.Session | None = None) -> None:
        if not config.enabled:
            raise ValueError("a Captioner needs a captioner.url")
        self.config = config
        self.key = os.environ.get(config.key_env) or None
        self.cache = CaptionCache(cache_path) if cache_path is not None else None
        self._local = threading.local()
        self._session = session
        self.failures = 0  # failed requests in a row (reset by any answer, and per stream)

    def begin_stream(self) -> None:
        """A new stream: an endpoint given up on in the last one is asked again."""
        self.failures = 0

    def describe(self, jpegs: Sequence[bytes], counts: CaptionCounts) -> list[str | None]:
        """A caption per JPEG (None where none could be had), asking for the uncached ones concurrently."""
        cfg = self.config
        keys = [CaptionCache.key(j, cfg.model, cfg.prompt) for j in jpegs]
        found: list[str | None] = [self.cache.get(k) if self.cache is not None else None for k in keys]
        counts.cached += sum(f is not None for f in found)
        missing = [i for i, f in enumerate(found) if f is None]
        if missing and self._given_up():
            self._skip(counts, "given up", len(missing))
            return found
        with ThreadPoolExecutor(max_workers=min(cfg.concurrency, max(1, len(missing)))) as pool:
            futures = {i: pool.submit(self._ask, jpegs[i]) for i in missing}
        for i, future in futures.items():
            counts.asked += 1
            try:
                found[i] = future.result()
            except CaptionFailed as failure:
                self.failures = self.failures + 1 if failure.transport else 0
                self._skip(counts, failure.reason, 1)
                logger.warning("caption skipped: %s", failure)
                continue
            except Exception:  # noqa: BLE001 - a caption never fails an ingest, whatever goes wrong in asking
                self._skip(counts, "error", 1)
                logger.warning("caption skipped: unexpected error", exc_info=True)
                continue
            self.failures = 0
            if self.cache is not None:
                self.cache.put(keys[i], found[i], cfg.model)
        if self._given_up():
            logger.warning("captioner %s gave no answer %d times in a row: the stream's other keyframes go "
                           "without captions", cfg.url, self.failures)
        return found

    def _given_up(self) -> bool:
        return bool(self.config.give_up_after) and self.failures >= self.config.give_up_after

    @staticmethod
    def _skip(counts: CaptionCounts, reason: str, n: int) -> None:
        counts.skipped += n
        counts.reasons[reason] += n

    def _ask(self, jpeg: bytes) -> str:
        """One keyframe's caption, or CaptionFailed saying why not."""
        cfg = self.config
        url = cfg.url.rstrip("/") + "/chat/completions"
        body = {"model": cfg.model, "max_tokens": cfg.max_tokens, "temperature": cfg.temperature,
                "messages": [{"role": "user", "content": [
                    {"type": "text", "text": cfg.prompt},
                    {"type": "image_url", "image_url": {"url": data_url(jpeg)}}]}]}
        headers = {"Authorization": f"Bearer {self.key}"} if self.key else {}
        try:
            response = self._http().post(url, json=body, headers=headers, timeout=cfg.timeout_s)
        except requests.Timeout as exc:
            raise CaptionFailed("timeout", f"no answer from {url} within {cfg.timeout_s:g} s", True) from exc
        except requests.RequestException as exc:
            raise CaptionFailed("connection", f"{url}: {type(exc).__name__}", True) from exc
        if response.status_code != 200:
            raise CaptionFailed("http error", f"HTTP {response.status_code} from {url}: {response.text[:200]!r}",
                                True)
        try:
            data = response.json()
        except (ValueError, RecursionError) as exc:
            raise CaptionFailed("not a chat completion", f"{response.text[:120]!r}") from exc
        return caption_text(data, cfg.max_chars)

    def _http(self) -> requests.Session:
        if self._session is not None:
            return self._session
        if getattr(self._local, "session", None) is None:  # a session per worker thread
            self._local.session = requests.Session()
        return self._local.session

    def close(self) -> None:
        if self.cache is not None:
            self.cache.close()


def caption_text(data: Any, max_chars: int) -> str:
    """The caption of a chat completion, one line; CaptionFailed for refusals and bad output."""
    try:
        choice = data["choices"][0]
        message = choice["message"]
    except (LookupError, TypeError) as exc:
        raise CaptionFailed("not a chat completion", f"{str(data)[:120]!r}") from exc
    if not isinstance(message, dict):
        raise CaptionFailed("not text", f"the message is of type {type(message).__name__}")
    refusal = message.get("refusal")
    if (isinstance(refusal, str) and refusal.strip()) or choice.get("finish_reason") == "content_filter":
        raise CaptionFailed("refusal", str(refusal or "content filter")[:120])
    content = message.get("content")
    if not isinstance(content, str):
        raise CaptionFailed("not text", f"the content is of type {type(content).__name__}")
    text = " ".join(content.split())
    if not any(ch.isalnum() for ch in text):
        raise CaptionFailed("empty", f"{content[:40]!r}")
    if len(text) > max_chars:
        raise CaptionFailed("overlong", f"{len(text)} characters (captioner.max_chars={max_chars})")
    if _REFUSAL.match(text):
        raise CaptionFailed("refusal", text[:120])
    return text


def data_url(jpeg: bytes) -> str:
    """A JPEG as the data URL OpenAI-compatible vision endpoints take in an ``image_url`` part."""
    return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")


class CaptionStage:
    """One stream's captions: the first ``keyframes`` keyframes of each event, as caption lines."""

    def __init__(self, captioner: Captioner, stream: str) -> None:
        self.captioner = captioner
        self.stream = stream
        self.counts = CaptionCounts()
        self.seconds = 0.0  # spent waiting for captions
        captioner.begin_stream()

    def describe(self, keyframes: Sequence[Keyframe]) -> list[ScreenText]:
        """Caption lines of an event's keyframes (jpeg bytes set), in keyframe order, each text once."""
        chosen = [k for k in keyframes if k.jpeg][: self.captioner.config.keyframes]
        if not chosen:
            return []
        t0 = time.perf_counter()
        texts = self.captioner.describe([k.jpeg for k in chosen], self.counts)
        self.seconds += time.perf_counter() - t0
        lines: list[ScreenText] = []
        for keyframe, text in zip(chosen, texts):
            if text is not None and all(text != line.text for line in lines):
                lines.append(ScreenText(self.stream, float(keyframe.time), text, WHOLE_FRAME, 1.0, ORIGIN,
                                        self.captioner.config.model))
        self.counts.stored += len(lines)
        return lines
