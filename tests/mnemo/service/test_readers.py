"""The service's readers: answers through its caches (question texts embedded ahead, in batches, off the
answering thread) equal plain ``Memory.ask`` answers, and questions see events committed during an ingest."""

from __future__ import annotations

import asyncio
import importlib.util
import threading
import time
from pathlib import Path

import pytest

import mnemo
from memory.event import Checkpoint, Event
from mnemo.config import load_profile, profile_ref
from mnemo.service.batching import BatchingEmbedder
from mnemo.service.readers import Readers
from planners.recall import sentences

HELPER = Path(__file__).parents[2] / "planners" / "perceived_world.py"
STREAM = "s1"  # the helper's stream
QUESTIONS = (  # a rule found by the nearest exemplar, one asked at an earlier time, two answered by recall,
    "Where is the red mug now?", "Where was the red mug at 00:00:30?",  # one nothing answers
    "What did the gardener do with the tomato plants?", "Who repaired the lamp in the hall?",
    "How many zebras crossed the bridge?")
TEXTS = ("Out in the garden the gardener waters the tomato plants.", "Carol repaired the broken lamp in the hall.",
         "The kettle sits next to the toaster.")


class CountingEmbedder:
    """The real text embedder, counting the texts it embeds on each thread."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.calls: dict[str, int] = {}

    def __getattr__(self, name: str):
        return getattr(self.inner, name)

    def embed(self, texts):
        name = threading.current_thread().name
        self.calls[name] = self.calls.get(name, 0) + len(texts)
        return self.inner.embed(texts)

    def on_readers(self) -> int:
        return sum(n for name, n in self.calls.items() if name.startswith("mnemo-") and name != "mnemo-embed")


@pytest.fixture(scope="module")
def lite():
    from mnemo.models import load_encoders

    return load_encoders(load_profile("lite"))


def _memory(directory: Path, encoders) -> Path:
    """The helper's perceived world (a mug moved from the kitchen to the office, two people) recorded as a
    lite memory, with events whose text vectors are MiniLM's, as an ingest stores them."""
    spec = importlib.util.spec_from_file_location("mnemo_tests_readers_world", HELPER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    store = module.build_world_memory(directory)
    store.add_stream(STREAM, "test://world", {"profile": "lite"})
    for k, text in enumerate(TEXTS):
        _add(store, encoders, 200.0 + 10 * k, text)
    store.close()
    return directory


def _add(store, encoders, start: float, text: str) -> None:
    vector = encoders.text.embed([text])[0]
    store.add_event(Event(STREAM, start, start + 10.0, {encoders.text_key: vector}, text=text),
                    Checkpoint(STREAM, start + 10.0))


def _readers(lite) -> tuple[Readers, CountingEmbedder]:
    """Readers as the service makes them, its encoders the test's (so the texts embedded are counted)."""
    import dataclasses

    readers = Readers(refresh_s=0.5)
    counting = CountingEmbedder(lite.text)
    encoders = dataclasses.replace(lite, text=BatchingEmbedder(counting))
    readers.encoders._loaded[profile_ref(load_profile("lite"))] = encoders  # what EncoderCache.get loads, made here
    return readers, counting


async def _warmed(reader, texts: list[str], timeout: float = 20.0) -> None:
    """Wait until the sentences of ``texts`` are embedded ahead (by the embedding thread: the reader hands
    them over when it sees their events)."""
    cache = reader.memory.encoders.text  # the BatchingEmbedder
    wanted = [s for text in texts for s in sentences(text)]
    deadline = time.monotonic() + timeout
    while not all(cache.cached(s) for s in wanted):
        assert time.monotonic() < deadline, "new events' sentences were not embedded ahead"
        await asyncio.sleep(0.05)


async def _ask(reader, question: str, at: float | None = None) -> dict:
    await reader.prefetch(question, question=True)
    return await reader.run(lambda r: r.memory.ask(question, at=at).to_dict())


@pytest.fixture(scope="module")
def answered(tmp_path_factory, lite) -> tuple[Path, list[dict]]:
    """A memory of the helper's world, and plain ``Memory.ask``'s answers to QUESTIONS over it (no service
    caches: every text embedded when needed, by torch)."""
    directory = _memory(tmp_path_factory.mktemp("answered") / "m", lite)
    with mnemo.open(directory, readonly=True) as plain:
        plain.use_encoders(lite)
        expected = [plain.ask(q, at=(30.0 if "00:00:30" in q else None)).to_dict() for q in QUESTIONS]
    return directory, expected


def test_cached_answers_equal_uncached_and_embed_nothing_while_answering(answered, lite):
    directory, expected = answered
    assert expected[0]["value"] == "office" and expected[1]["value"] == "kitchen"
    assert expected[2]["detail"]["rule"] == "recall" and "tomato" in expected[2]["value"]
    assert expected[3]["detail"]["rule"] == "recall" and "Carol" in expected[3]["value"]
    assert expected[4]["value"] is None

    readers, counting = _readers(lite)
    reader = readers.get(directory)
    try:
        async def run() -> list[list[dict]]:
            await _ask(reader, "Where is the kettle?")  # opens the memory: its world's names are known from now
            await _warmed(reader, await reader.run(lambda r: [e.text for e in r.memory.events()]))
            before = counting.on_readers()
            rounds = []
            for _ in range(2):  # new texts, then the same again (all cached)
                rounds.append([await _ask(reader, q, at=(30.0 if "00:00:30" in q else None)) for q in QUESTIONS])
            # the question, the text its intent is found by and memory's sentences were embedded ahead
            assert counting.on_readers() == before, counting.calls
            return rounds

        for answers in asyncio.run(run()):
            assert answers == expected
    finally:
        readers.close()


def test_questions_see_events_committed_during_an_ingest_within_a_second(tmp_path, lite):
    directory = _memory(tmp_path / "m", lite)
    readers, _ = _readers(lite)
    reader = readers.get(directory)
    stop, committed = threading.Event(), {}

    def ingest() -> None:  # a writer committing an event every 0.1 s, as an ingest in another process would
        with mnemo.open(directory) as writer:
            for k in range(1000):
                if stop.is_set():
                    return
                if k == 10:  # the event the question asks about, 1 s into the ingest
                    _add(writer.store, lite, 300.0, "Dana hid the golden key under the doormat.")
                    committed["at"] = time.monotonic()
                _add(writer.store, lite, 400.0 + 10 * k, f"The camera pans across shelf number {k}.")
                time.sleep(0.1)

    question = "Where did Dana hide the golden key?"
    try:
        async def run() -> tuple[float, dict]:
            assert (await _ask(reader, question))["value"] is None  # not in memory yet
            thread = threading.Thread(target=ingest)
            thread.start()
            try:
                while True:
                    answer = await _ask(reader, question)
                    if answer["value"] is not None or time.monotonic() - committed.get("at", 1e18) > 5.0:
                        return time.monotonic() - committed["at"], answer
                    await asyncio.sleep(0.05)
            finally:
                await _warmed(reader, ["The camera pans across shelf number 5."])  # seen with Dana's, embedded ahead
                stop.set()
                thread.join()

        seen_after, answer = asyncio.run(run())
        assert "doormat" in answer["value"] and answer["evidence"][0]["start"] == 300.0
        assert seen_after < 1.5, seen_after  # refresh_s 0.5: seen at the first look after the commit
    finally:
        readers.close()


def _agree(got, expected, path: str = "answer") -> None:
    """Equal but for floats (scores, confidences), which may differ by 1e-5."""
    if isinstance(expected, float) and isinstance(got, float):
        assert abs(got - expected) <= 1e-5, (path, got, expected)
    elif isinstance(expected, dict) and isinstance(got, dict):
        assert got.keys() == expected.keys(), path
        for key in expected:
            _agree(got[key], expected[key], f"{path}.{key}")
    elif isinstance(expected, list) and isinstance(got, list):
        assert len(got) == len(expected), path
        for k, (g, e) in enumerate(zip(got, expected)):
            _agree(g, e, f"{path}[{k}]")
    else:
        assert got == expected, (path, got, expected)


def test_onnx_questions_give_the_answers_of_torch(answered):
    """The service's default text backend (MiniLM on onnxruntime) answers as plain ``Memory.ask`` (torch)
    does over vectors an ingest stored with torch: same values, rules and evidence; scores within 1e-5."""
    pytest.importorskip("onnxruntime", reason="onnxruntime is not installed")
    pytest.importorskip("onnx", reason="onnx is not installed (needed to export MiniLM once)")
    directory, expected = answered
    at = lambda q: 30.0 if "00:00:30" in q else None  # noqa: E731
    readers = Readers(refresh_s=0.5, text_backend="onnx")
    reader = readers.get(directory)
    try:
        async def run() -> list[dict]:
            return [await _ask(reader, q, at=at(q)) for q in QUESTIONS]

        answers = asyncio.run(run())
        assert reader.memory.encoders.text.inner.options.backend == "onnx"
        for got, want in zip(answers, expected):
            _agree(got, want)
    finally:
        readers.close()
