"""Question embeddings computed in batches across concurrent requests.

Answering is one question at a time per memory, and embedding the question is most of its cost
(MiniLM: 10-30 ms a text on 2 busy cores, about the same for a batch of ten). So the routes hand
the question to this embedder first: texts that arrive together are embedded in one call on its
own thread, and the answer then finds its question's vector in the cache.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections import OrderedDict
from typing import Sequence

import numpy as np

logger = logging.getLogger(__name__)

MAX_BATCH = 64  # texts embedded in one call


class BatchingEmbedder:
    """Wraps a text embedder (same interface): a cache of recent texts, filled in batches by ``prefetch``."""

    def __init__(self, inner, cache_size: int = 8192):
        self.inner = inner
        self._size = cache_size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self._pending: queue.SimpleQueue = queue.SimpleQueue()
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

    async def prefetch(self, text: str) -> None:
        """Have ``text``'s vector cached, embedding it with whatever other texts are waiting."""
        with self._lock:
            if text in self._cache:
                return
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        self._start()
        self._pending.put((text, loop, done))
        await done

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
            texts = list(dict.fromkeys(text for text, _, _ in batch))
            try:
                self._store(texts, self._compute(texts))
                error = None
            except Exception as exc:  # noqa: BLE001 - handed to the waiting requests
                error = exc
            for _, loop, done in batch:
                loop.call_soon_threadsafe(_settle, done, error)

    def _compute(self, texts: list[str]) -> np.ndarray:
        from mnemo.models import torch_threads

        with torch_threads(1):  # short texts: more threads only spin against the ingest and other requests
            return np.asarray(self.inner.embed(texts))

    def _store(self, texts: list[str], vectors: np.ndarray) -> None:
        with self._lock:
            for text, vector in zip(texts, vectors):
                self._cache[text] = vector
                self._cache.move_to_end(text)
            while len(self._cache) > self._size:
                self._cache.popitem(last=False)


def _settle(done: asyncio.Future, error: Exception | None) -> None:
    if done.done():
        return
    if error is None:
        done.set_result(None)
    else:
        done.set_exception(error)
