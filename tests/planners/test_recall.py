"""Answers read out of event text: the real sentence embedder, a store of subtitled events."""

from __future__ import annotations

import numpy as np
import pytest

from memory.event import Checkpoint, Event
from memory.store import MemoryStore
from perception import create_text_embedder
from planners.recall import recall_answer
from planners.retrieval import Retriever

SPACE = "text/minilm"
SAID = ["Here is the kitchen. The red mug is next to the kettle.",
        "In the living room Alice left her keys on the sofa.",
        "Out in the garden Bob is watering the tomato plants.",
        "The garage holds the bicycle and a box of tools."]


@pytest.fixture(scope="module")
def embed():
    model = create_text_embedder("minilm")
    return lambda text: model.embed([text])[0]


@pytest.fixture
def retriever(tmp_path, embed):
    store = MemoryStore(tmp_path / "m")
    store.add_stream("s", "file:///walk.mp4")
    for i, text in enumerate(SAID):
        event = Event("s", 10.0 * i, 10.0 * (i + 1), {SPACE: np.asarray(embed(text), np.float32)}, text=text)
        store.add_event(event, Checkpoint("s", 10.0 * (i + 1)))
    yield Retriever(store, {SPACE: embed})
    store.close()


@pytest.mark.parametrize("question, sentence, event", [
    ("Where are Alice's keys?", SAID[1], 2),
    ("What is Bob watering?", SAID[2], 3),
    ("Where is the red mug?", "The red mug is next to the kettle.", 1),  # the sentence, not the whole event
])
def test_the_nearest_sentence_answers(retriever, question, sentence, event):
    answer = recall_answer(retriever, question, now=None)
    assert answer is not None and answer.kind == "text"
    assert answer.value == sentence
    assert answer.evidence[0].event == event
    assert answer.evidence[0].start == 10.0 * (event - 1)
    assert 0.5 <= answer.confidence <= 1.0


def test_nothing_close_gives_no_answer(retriever):
    assert recall_answer(retriever, "Who won the football match yesterday?", now=None) is None


def test_only_what_was_known_at_the_time(retriever):
    # asked at 15 s, the garden (20-30 s) has not happened yet
    answer = recall_answer(retriever, "What is Bob watering?", now=15.0)
    assert answer is None or answer.evidence[0].event != 3
