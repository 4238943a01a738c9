"""memory.spoken: the stored utterances with text, by start, under the names their voices have."""

from __future__ import annotations

import numpy as np

from memory.entities import EntityRegistry
from memory.event import Checkpoint, Event, Utterance
from memory.spoken import spoken
from memory.store import MemoryStore


def _store(tmp_path) -> MemoryStore:
    store = MemoryStore(tmp_path / "m", create=True)
    store.add_stream("s", "test://s")
    utterances = [Utterance("s", 0.5, 2.0, "Hello, I am Ana.", "voice:0", "asr"),
                  Utterance("s", 2.5, 3.0, "", "voice:1", "vad"),  # speech without text: not a line
                  Utterance("s", 3.0, 4.5, "Nice to meet you.", "voice:1", "asr"),
                  Utterance("s", 5.0, 6.0, "[music]", None, "subtitle"),
                  Utterance("s", 6.0, 9.5, "See you later.", "voice:2", "asr")]
    store.add_event(Event("s", 0.0, 10.0, {"v": np.ones(4, np.float32) / 2}, utterances=utterances),
                    Checkpoint("s", 10.0))
    return store


def test_lines_with_text_by_start_cut_at_until(tmp_path):
    store = _store(tmp_path)
    assert spoken(store) == [("s", 0.5, 2.0, "Hello, I am Ana.", "voice:0"), ("s", 3.0, 4.5, "Nice to meet you.", "voice:1"),
                             ("s", 5.0, 6.0, "[music]", ""), ("s", 6.0, 9.5, "See you later.", "voice:2")]
    assert [r[3] for r in spoken(store, until=6.0)] == ["Hello, I am Ana.", "Nice to meet you.", "[music]"]
    assert spoken(store, until=1.0) == []  # a line is given once it ends
    store.close()


def test_named_merged_and_forgotten_voices(tmp_path):
    store = _store(tmp_path)
    registry = EntityRegistry(store)
    ana = registry.entity_for("voice:0", "voice")
    registry.name(ana, "Ana")
    other = registry.entity_for("voice:1", "voice")
    registry.merge(ana, other)  # the diariser split one speaker in two
    zoe = registry.entity_for("voice:2", "voice")
    registry.name(zoe, "Zoe")
    assert {r[3]: r[4] for r in spoken(store)}["See you later."] == "Zoe"
    registry.forget(zoe)  # the name goes; the label no longer leads to the person (a stranger's, if heard again)
    speakers = {r[3]: r[4] for r in spoken(store)}
    assert speakers == {"Hello, I am Ana.": "Ana", "Nice to meet you.": "Ana", "[music]": "",
                        "See you later.": "voice:2"}
    store.close()


def test_entity_names_follow_merges_and_skip_the_unnamed(tmp_path):
    from memory.spoken import entity_names

    store = _store(tmp_path)
    registry = EntityRegistry(store)
    dana, twin, nobody = (registry.add_entity("person") for _ in range(3))
    registry.name(dana, "Dana")
    registry.merge(dana, twin)  # re-identification split one person in two
    assert entity_names(store, [dana, twin, nobody]) == {dana: "Dana", twin: "Dana"}
    store.close()
