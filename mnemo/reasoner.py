"""A long-lived reasoner: keeps a memory's indexes and perceived world warm and answers many questions,
also while ingestion goes on (a writer elsewhere commits; this reader sees new events within
``refresh_s`` seconds: the FAISS index per space syncs incrementally from the store's space state,
and the perceived world is rebuilt when new sightings or heard lines arrive)."""

from __future__ import annotations

import logging
import threading
import time
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Callable, Mapping

import numpy as np

from memory import lookups
from memory.store import MemoryStore
from planners.answer import Answer
from planners.answerers import Answerer, create_answerer
from planners.builtin import BuiltinAnswerer
from planners.question import compared_text
from planners.recall import recall_answer, sentences
from planners.retrieval import Retriever
from planners.world import World

logger = logging.getLogger(__name__)

ANSWERERS = ("builtin", "llm")


class Reasoner:
    """Answers questions over one memory directory; thread-safe (one lock around each question)."""

    def __init__(self, directory: str | Path | MemoryStore, embedders: Mapping[str, Callable[[str], np.ndarray]]
                 | None = None, llm=None, refresh_s: float = 1.0, index_factory: str | None = None) -> None:
        if isinstance(directory, MemoryStore):
            self.store, self._owned = directory, False
        else:
            self.store = MemoryStore(directory, create=False, readonly=True)
            self._owned = True
        if index_factory:
            self.store.index_factory = index_factory
        self.retriever = Retriever(self.store, embedders)
        self.llm = llm  # a planners.llm.LLMAnswerer, or None
        self.refresh_s = float(refresh_s)
        self._lock = threading.Lock()
        self._stamp: tuple | None = None
        self._checked = 0.0
        self._builtin: BuiltinAnswerer | None = None
        self._plugins: dict[str, Answerer] = {}  # registered answerers, built on first use
        self._seen_event = 0  # the newest event id whose sentences were handed to ``on_new_texts``
        # called with the sentences of events new since the last refresh (a service embeds them ahead, off
        # the answering thread, so that recalling them later costs no model call); None: nobody listens
        self.on_new_texts: Callable[[list[str]], None] | None = None

    def close(self) -> None:
        if self._owned:
            self.store.close()

    def __enter__(self) -> "Reasoner":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------------------ warmth
    def refresh(self, force: bool = False) -> bool:
        """Catch up with what was committed since the last look; True when something was new."""
        now = time.monotonic()
        if not force and now - self._checked < self.refresh_s and self._builtin is not None:
            return False
        self._checked = now
        stamp = self._current_stamp()
        if not force and stamp == self._stamp and self._builtin is not None:
            return False
        self._stamp = stamp
        self._builtin = BuiltinAnswerer(self.store, World(self.store), self.retriever)
        for space in self.store.spaces():
            self.store.index(space)  # syncs the FAISS index with the new vectors
        self._announce_new_texts()
        return True

    def _announce_new_texts(self) -> None:
        if self.on_new_texts is None:
            return
        rows = lookups.event_texts_after(self.store, self._seen_event)
        if rows:
            self._seen_event = max(event for event, _ in rows)
            texts = [s for _, text in rows for s in sentences(text)]
            if texts:
                self.on_new_texts(texts)

    def texts_to_embed(self, question: str) -> list[str]:
        """The texts answering ``question`` will embed, as far as known without reading the store: the
        question, and the text its intent is found by under the latest world's names (a question asked at
        an earlier time, or one asked before the world changes, may embed others: they are embedded then).
        Safe to call from any thread; lets a caller embed them ahead, in a batch."""
        texts = [question]
        builtin = self._builtin
        names = getattr(builtin, "_known_names", None) if builtin is not None else None
        if names is not None:
            compared = compared_text(question, names)
            if compared is not None and compared != question:
                texts.append(compared)
        return texts

    def _current_stamp(self) -> tuple:
        return lookups.stamp(self.store)

    @property
    def builtin(self) -> BuiltinAnswerer:
        self.refresh()
        assert self._builtin is not None
        return self._builtin

    # ------------------------------------------------------------------------------- asking
    def ask(self, question: str, at: float | None = None, answerer: str = "builtin") -> Answer:
        """Answer ``question`` as asked at media time ``at`` (None: now), with evidence."""
        if not isinstance(question, str) or not question.strip():
            raise ValueError("ask needs a non-empty question")
        if answerer not in ANSWERERS:  # a registered one (planners/answerers.py); unknown names list the known
            plugged = self._plugged(answerer)
            with self._lock, _one_search_thread():
                self.refresh()
                return plugged.answer(question, at)
        with self._lock, _one_search_thread():
            builtin = self.builtin
            if answerer == "llm":
                if self.llm is None:
                    raise ValueError("answerer='llm' needs an LLM endpoint (url and model); none was configured")
                return self.llm.answer(question, at, builtin=builtin, retriever=self.retriever)
            answer = builtin.answer(question, at)
            if not answer.known and (answer.detail.get("rule") == "none"
                                     or _no_perceived_world(builtin.cut(answer.asked_at))):
                # no rule understood it, or memory perceived no objects and people (a plain video):
                # answer from what was said or subtitled, when a sentence is close enough
                answer = recall_answer(self.retriever, question, answer.asked_at) or answer
            if not answer.evidence:
                end = answer.asked_at if answer.asked_at not in (None, float("inf")) else None
                hits = self.retriever.search(question, k=3, end=end)
                if hits:
                    evidence = tuple(self.retriever.evidence(hits, "closest by search", until=end))
                    answer = replace(answer, evidence=evidence, detail={**answer.detail, "searched": True})
            return answer

    def _plugged(self, name: str) -> Answerer:
        if name not in self._plugins:
            self._plugins[name] = create_answerer(name, store=self.store, retriever=self.retriever)
        return self._plugins[name]


def _no_perceived_world(builtin: BuiltinAnswerer) -> bool:
    world = builtin.world  # what was said (world.heard) is there on any video with speech or subtitles
    return not (world.things or world.people)


@contextmanager
def _one_search_thread():
    """One question is one query vector: FAISS's OpenMP threads only contend for it (a flat search of
    10k vectors took 28 ms on 2 busy cores with 2 threads, 6 ms with 1); restored afterwards."""
    import faiss

    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)

