"""Readers of memories: one thread per memory owns its read-only handle (SQLite connections
belong to the thread that opened them), with encoders shared by all memories of a profile."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, TypeVar

import mnemo
from mnemo.api import Memory
from mnemo.service.batching import BatchingEmbedder

logger = logging.getLogger(__name__)
T = TypeVar("T")


class EncoderCache:
    """Encoders by profile, loaded once per process (the text embedder answers every memory's queries).
    With ``text_backend="onnx"`` a MiniLM text embedder runs on onnxruntime (``ServiceOptions.text_backend``)."""

    def __init__(self, text_backend: str = "torch") -> None:
        self._lock = threading.Lock()
        self._loaded: dict[str, Any] = {}
        self._text_backend = text_backend

    def get(self, profile) -> Any:
        from mnemo.config import profile_ref
        from mnemo.models import load_encoders

        key = profile_ref(profile)
        with self._lock:
            if key not in self._loaded:
                encoders = load_encoders(profile)
                if encoders.text is not None:  # questions are embedded in batches across requests
                    text = BatchingEmbedder(_on_backend(encoders.text, self._text_backend))
                    encoders = dataclasses.replace(encoders, text=text)
                self._loaded[key] = encoders
            return self._loaded[key]


def _on_backend(text, backend: str):
    """``text``, or the same MiniLM on ``backend`` "onnx" (same weights and space, a third of the CPU)."""
    from perception.text.minilm import MiniLMEmbedder

    if backend == "onnx" and isinstance(text, MiniLMEmbedder) and text.options.backend != backend:
        return MiniLMEmbedder(**{**dataclasses.asdict(text.options), "backend": backend})
    return text


class Reader:
    """One memory's thread, and its read-only Memory (opened on first use, on that thread)."""

    def __init__(self, directory: Path, encoders: EncoderCache, refresh_s: float):
        self.directory = directory
        self._encoders = encoders
        self._refresh_s = refresh_s
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"mnemo-{directory.name}")
        self._memory: Memory | None = None
        self._text = None  # the memory's text embedder, once opened

    @property
    def memory(self) -> Memory:
        """The read-only handle (only on this reader's thread)."""
        if self._memory is None:
            memory = mnemo.open(self.directory, readonly=True)
            encoders = self._encoders.get(memory.profile)
            memory.use_encoders(encoders)
            self._text = encoders.text
            memory.reasoner.refresh_s = self._refresh_s
            if isinstance(self._text, BatchingEmbedder):  # new events' sentences, embedded off this thread
                memory.reasoner.on_new_texts = self._text.warm
            self._memory = memory
        return self._memory

    async def prefetch(self, text: str, question: bool = False) -> None:
        """Embed a text ahead of answering it, batched with other requests' (when the memory's encoders
        are loaded; the first question loads them on the reader's thread). A ``question`` brings the text
        its intent is found by along (the reasoner tells which, from the names of its latest world)."""
        if isinstance(self._text, BatchingEmbedder):
            memory = self._memory
            expand = memory.reasoner.texts_to_embed if question and memory is not None else None
            await self._text.prefetch(text, expand)

    def writable(self) -> Memory:
        """A writable handle for one change (closed by the caller), sharing the encoders."""
        memory = mnemo.open(self.directory)
        memory.use_encoders(self._encoders.get(memory.profile))
        return memory

    def changed(self) -> None:
        """After a change made here: the reasoner rebuilds its world on the next question."""
        if self._memory is not None:
            self._memory.reasoner.refresh(force=True)

    async def run(self, work: Callable[["Reader"], T]) -> T:
        """Run ``work(self)`` on this memory's thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, work, self)

    def close(self) -> None:
        def shut(reader: "Reader") -> None:
            if reader._memory is not None:
                reader._memory.close()
                reader._memory = None

        try:
            self._pool.submit(shut, self).result(timeout=30)
        finally:
            self._pool.shutdown(wait=False)


class Readers:
    """The readers of every memory the service has touched."""

    def __init__(self, refresh_s: float, text_backend: str = "torch"):
        self.encoders = EncoderCache(text_backend)
        self._refresh_s = refresh_s
        self._lock = threading.Lock()
        self._readers: dict[Path, Reader] = {}

    def get(self, directory: Path) -> Reader:
        with self._lock:
            reader = self._readers.get(directory)
            if reader is None:
                reader = self._readers[directory] = Reader(directory, self.encoders, self._refresh_s)
            return reader

    def drop(self, directory: Path) -> None:
        with self._lock:
            reader = self._readers.pop(directory, None)
        if reader is not None:
            reader.close()

    def close(self) -> None:
        with self._lock:
            readers, self._readers = list(self._readers.values()), {}
        for reader in readers:
            reader.close()
