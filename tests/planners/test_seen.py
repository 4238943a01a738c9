"""What was in view, on a plain video's unplaced sightings: the noun phrase, the moment, the evidence."""

from __future__ import annotations

import pytest

import numpy as np

from memory.event import Checkpoint, Event
from memory.perceived import Sighting, add_sightings
from memory.store import MemoryStore
from planners.builtin import BuiltinAnswerer
from planners.seen import sightings_of, wanted


@pytest.mark.parametrize("phrase, kinds, labels, colour", [
    ("a person", ("person", "face"), (), ""),
    ("someone", ("person", "face"), (), ""),
    ("the woman", ("person", "face"), (), ""),
    ("any faces", ("face",), (), ""),
    ("a red cup", (), ("cup", "cups"), "red"),
    ("the dogs", (), ("dog", "dogs"), ""),
    ("glasses", (), ("glass", "glasse", "glasses"), ""),
    ("a gray cat", (), ("cat", "cats"), "grey"),
])
def test_a_noun_phrase_names_kinds_labels_and_colour(phrase, kinds, labels, colour):
    want = wanted(phrase)
    assert (want.kinds, want.labels, want.colour) == (kinds, labels, colour)


def test_nothing_to_look_for():
    assert not wanted("the").anything and not wanted("").anything


@pytest.fixture
def video_memory(tmp_path):
    """A 60 s video memory: three events; a person tracked 10-14 s and 40-41 s, a red cup at 20 s,
    a blue cup at 50 s; no positions anywhere (no pose, no map)."""
    store = MemoryStore(tmp_path / "m", create=True)
    store.add_stream("v", "file:///v.mp4")
    for start, end in ((0.0, 20.0), (20.0, 45.0), (45.0, 60.0)):
        vector = np.ones(8, np.float32) / np.sqrt(8)
        store.add_event(Event("v", start, end, {"test:8": vector}, text=""), Checkpoint("v", end))
    rows = [Sighting("v", t, 1, "person", "person", 0.8, entity=7, box=(0, 0, 10, 30)) for t in (10.0, 12.0, 14.0)]
    rows += [Sighting("v", 40.0, 2, "face", "face", 0.7, entity=8, box=(1, 1, 5, 5)),
             Sighting("v", 41.0, 2, "face", "face", 0.7, entity=8, box=(1, 1, 5, 5)),
             Sighting("v", 20.0, 3, "object", "cup", 0.6, colour="red", entity=9, box=(5, 5, 9, 9)),
             Sighting("v", 50.0, 4, "object", "cup", 0.6, colour="blue", entity=10, box=(5, 5, 9, 9))]
    add_sightings(store, rows)
    yield store
    store.close()


@pytest.mark.parametrize("question, at, value, entity", [
    ("When did you last see a person?", None, 41.0, "entity:8"),  # a face is a person seen
    ("When did you last see a person?", 30.0, 14.0, "entity:7"),  # asked at 30 s: what was seen by then
    ("When did you first see someone?", None, 10.0, "entity:7"),
    ("When did you last see a cup?", None, 50.0, "entity:10"),
    ("When did you last see a red cup?", None, 20.0, "entity:9"),
    ("When did you first see the red cup?", None, 20.0, "entity:9"),
])
def test_when_something_was_seen(video_memory, question, at, value, entity):
    answer = BuiltinAnswerer(video_memory).answer(question, at)
    assert answer.kind == "time" and answer.value == value, answer
    event = answer.evidence[0]
    assert event.start <= value < event.end and entity in event.entities


@pytest.mark.parametrize("question, at", [
    ("When did you last see a person?", 5.0),  # nobody yet
    ("When did you last see a dog?", None),
    ("When did you last see a green cup?", None),
])
def test_what_was_not_seen_is_not_known(video_memory, question, at):
    answer = BuiltinAnswerer(video_memory).answer(question, at)
    assert answer.value is None and answer.text == "I don't know"


def test_sightings_of_is_the_brute_force_filter(video_memory):
    from memory.perceived import seen

    everything = seen(video_memory)
    want = wanted("a red cup")
    assert sightings_of(video_memory, want, until=30.0) == [
        s for s in everything if s.label in want.labels and s.colour == "red" and s.time <= 30.0]
