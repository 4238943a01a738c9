"""Who did it, when nobody was seen doing it: the doer's own words (planners/answer_who.py)."""

from __future__ import annotations

import numpy as np

from memory.perceived import Area, Heard, Sighting, add_heard, add_sightings, set_areas
from memory.poses import Pose
from memory.store import MemoryStore
from planners.builtin import BuiltinAnswerer
from planners.world import World

STREAM = "s"


def _memory(tmp_path, lines: list[Heard]) -> MemoryStore:
    """A red mug at rest on the office desk from 20 s on, nobody ever in view, and the lines given."""
    rng = np.random.default_rng(0)
    store = MemoryStore(tmp_path / "m", create=True)
    store.add_stream(STREAM, "test://who")
    store.add_poses([Pose(STREAM, float(t), 6.0, 2.5) for t in np.arange(0.0, 120.1, 0.5)])
    set_areas(store, [Area("kitchen", 0, 0, 5, 5), Area("office", 5, 0, 10, 5)])
    rows = [Sighting(STREAM, float(t), 4, "furniture", "desk", 0.9, 8.5, 2.0) for t in np.arange(0.0, 120.0, 1.0)]
    rows += [Sighting(STREAM, float(t), 2, "object", "mug", 0.9, 8.3 + rng.normal(0, 0.05), 2.0, "red")
             for t in np.arange(20.0, 120.0, 0.5)]
    add_sightings(store, rows)
    add_heard(store, lines)
    return store


def _who_put(store: MemoryStore, at: float):
    return BuiltinAnswerer(store, World(store)).answer("Who put the red mug on the desk?", at).value


def test_a_deed_nobody_saw_is_its_tellers_by_their_own_words(tmp_path):
    """Alice says she left the mug on the desk; Bob only likes the mug, and later asks whether he left it
    there: neither is a deed told."""
    store = _memory(tmp_path, [Heard(STREAM, 30.0, 32.0, "I really like the red mug.", "Bob"),
                               Heard(STREAM, 40.0, 42.0, "I left the red mug on the desk.", "Alice"),
                               Heard(STREAM, 60.0, 62.0, "Did I leave the red mug on the desk?", "Bob")])
    assert _who_put(store, 100.0) == "Alice"
    assert _who_put(store, 41.0) is None  # her line had not ended yet: nothing told
    store.close()


def test_a_line_about_the_thing_elsewhere_or_of_someone_else_tells_nothing(tmp_path):
    store = _memory(tmp_path, [Heard(STREAM, 40.0, 42.0, "I left the red mug in the kitchen sink.", "Alice"),
                               Heard(STREAM, 50.0, 52.0, "Bob left the red mug on the desk.", "Carol")])
    assert _who_put(store, 100.0) is None
    store.close()


def test_who_said_names_the_speaker_as_the_quote_spells_their_own_name(tmp_path):
    """The recogniser wrote the self-introduction "Karol"; asked about "Hi, my name is Carol", the answer is
    spelt as the user spells it. A quote naming someone else ("Hello Carl") keeps the voice's name, as does a
    name unlike the voice's."""
    store = _memory(tmp_path, [Heard(STREAM, 30.0, 32.0, "Hi, my name is Karol.", "Karol"),
                               Heard(STREAM, 50.0, 52.0, "Hello Carl, how are you?", "Karol")])
    ask = BuiltinAnswerer(store, World(store)).answer
    assert ask('Who said "Hi, my name is Carol."?', 100.0).value == "Carol"
    assert ask('Who said "Hello Carl, how are you?"?', 100.0).value == "Karol"
    assert ask('Who said "Hi, my name is Dana."?', 100.0).value == "Karol"
    store.close()
