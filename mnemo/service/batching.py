"""Question embeddings computed in batches across concurrent requests.

Answering is one question at a time per memory, and embedding the question is most of its cost
(MiniLM: 10-30 ms a text on 2 busy cores). So the routes hand the question, and the text its intent
is found by, to this embedder first: texts that arrive together are embedded on its own thread, in
batches of texts of one token count (so that a vector never depends on its batch mates), and the
answer then finds them in the cache. Sentences of new events are embedded here too, a few per batch,
before a question recalls them.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections import OrderedDict, deque
from typing import Callable, Sequence

import numpy as np

logger = logging.getLogger(__name__)

MAX_BATCH = 64  # texts embedded in one call
WARM_PER_BATCH = 4  # texts embedded ahead (``warm``) per batch, beside the questions: they must not delay them
WARM_QUEUE = 4096  # texts waiting to be embedded ahead, at most (more are left to be embedded when needed)


class BatchingEmbedder:
    """Wraps a text embedder (same interface): a cache of recent texts, filled in batches by ``prefetch``
    (texts a request waits for) and ``warm`` (texts likely needed later, embedded when there is room)."""

    def __init__(self, inner, cache_size: int = 8192):
        self.inner = inner
        self._size = cache_size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self._pending: queue.SimpleQueue = queue.SimpleQueue()
        self._warm: deque[str] = deque(maxlen=WARM_QUEUE)
        self._thread: threading.Thread | None = None

    def __getattr__(self, name: str):  # space, dim, ...: the wrapped embedder's
        return getattr(self.inner, name)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors of ``texts`` (rows), from the cache where it has them."""
        with self._lock:
            found = [self._cache.get(t) for t in texts]
        missing = [t for t, v in zip(texts, found) if v is None]
        if missing:
            self._store(missing, self._compute(missing))
            with self._lock:
                found = [self._cache.get(t) if v is None else v for t, v in zip(texts, found)]
            found = [v if v is not None else self._compute([t])[0] for t, v in zip(texts, found)]  # evicted meanwhile
        if not texts:
            return self.inner.embed(texts)
        return np.stack(found)

    def cached(self, text: str) -> bool:
        """True when ``text``'s vector is in the cache."""
        with self._lock:
            return text in self._cache

    async def prefetch(self, text: str, expand: Callable[[str], list[str]] | None = None) -> None:
        """Have ``text``'s vector cached, and those of ``expand(text)`` (texts answering it will embed, worked
        out on the embedding thread), embedding them with whatever other texts are waiting."""
        if expand is None:
            with self._lock:
                if text in self._cache:
                    return
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        self._start()
        self._pending.put((text, expand, loop, done))
        await done

    def warm(self, texts: Sequence[str]) -> None:
        """Embed ``texts`` ahead of need, a few at a time beside the questions (returns at once)."""
        self._warm.extend(texts)
        self._start()
        self._pending.put(None)  # wakes the thread

    def _start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._serve, name="mnemo-embed", daemon=True)
                self._thread.start()

    def _serve(self) -> None:
        while True:
            batch = [self._pending.get()]
            while len(batch) < MAX_BATCH:
                try:
                    batch.append(self._pending.get_nowait())
                except queue.Empty:
                    break
            waiting = [item for item in batch if item is not None]
            texts = self._uncached(list(dict.fromkeys(t for item in waiting for t in _texts(item))))
            texts += self._uncached(self._take_warm(WARM_PER_BATCH))
            error = None
            if texts:
                try:
                    self._store(texts, self._compute(texts))
                except Exception as exc:  # noqa: BLE001 - handed to the waiting requests
                    error = exc
            for _, _, loop, done in waiting:
                loop.call_soon_threadsafe(_settle, done, error)
            if self._warm:
                self._pending.put(None)  # more to embed ahead: a few more after the questions waiting now

    def _take_warm(self, count: int) -> list[str]:
        out = []
        while self._warm and len(out) < count:
            out.append(self._warm.popleft())
        return out

    def _uncached(self, texts: list[str]) -> list[str]:
        with self._lock:
            return [t for t in texts if t not in self._cache]

    def _compute(self, texts: list[str]) -> np.ndarray:
        """Vectors of ``texts``, each bit for bit the one it gets embedded alone (on one thread, as the
        reasoner embeds): batched only with texts of its token count (no padding), when the embedder tells
        counts; one text a call otherwise. A padded batch shifts vectors in their last bits, enough to
        change an answer's scores."""
        from mnemo.models import torch_threads

        counts = getattr(self.inner, "token_counts", None)
        groups: dict[int, list[int]] = {}
        for i, n in enumerate(counts(texts) if counts is not None else range(len(texts))):
            groups.setdefault(n, []).append(i)
        out: list[np.ndarray | None] = [None] * len(texts)
        with torch_threads(1):  # short texts: more threads only spin against the ingest and other requests
            for rows in groups.values():
                for i, vector in zip(rows, np.asarray(self.inner.embed([texts[i] for i in rows]))):
                    out[i] = vector
        return np.stack(out) if out else np.zeros((0, self.inner.dim), np.float32)

    def _store(self, texts: list[str], vectors: np.ndarray) -> None:
        with self._lock:
            for text, vector in zip(texts, vectors):
                self._cache[text] = vector
                self._cache.move_to_end(text)
            while len(self._cache) > self._size:
                self._cache.popitem(last=False)


def _texts(item: tuple) -> list[str]:
    """A request's texts: its own, and those its ``expand`` names (a failing expand names none)."""
    text, expand, _, _ = item
    if expand is None:
        return [text]
    try:
        return [text, *expand(text)]
    except Exception as exc:  # noqa: BLE001 - only a missed chance to embed ahead
        logger.debug("could not tell the texts %r will embed: %s", text, exc)
        return [text]


def _settle(done: asyncio.Future, error: Exception | None) -> None:
    if done.done():
        return
    if error is None:
        done.set_result(None)
    else:
        done.set_exception(error)
