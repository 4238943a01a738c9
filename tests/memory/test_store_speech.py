"""Utterances, per-memory state and the schema 1 -> 2 upgrade."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from memory.event import Checkpoint, Event, Utterance
from memory.store import SCHEMA_VERSION, MemoryStore


def _event(stream: str, start: float, end: float, utterances=()) -> Event:
    return Event(stream=stream, start=start, end=end, text="hello",
                 vectors={"image/x": np.ones(4, np.float32) / 2}, utterances=list(utterances))


def test_utterances_and_state_round_trip_with_their_event(tmp_path):
    with MemoryStore(tmp_path / "m") as store:
        store.add_stream("s", "a.mp4")
        said = [Utterance("s", 0.5, 1.5, "hi there", "voice:0", "asr", "en",
                          [("hi", 0.5, 0.8, 0.9), ("there", 0.9, 1.4, 0.8)], -0.3, "whisper:tiny"),
                Utterance("s", 2.0, 3.0, "", "voice:1", "vad")]
        event_id = store.add_event(_event("s", 0.0, 4.0, said), Checkpoint("s", 4.0, b"x"), {"voices": b"\x01\x02"})
        got = store.utterances()
        assert [u.event_id for u in got] == [event_id, event_id]
        for want, have in zip(said, got):
            assert (have.start, have.end, have.text, have.voice, have.origin, have.words) == \
                   (want.start, want.end, want.text, want.voice, want.origin, want.words)
        assert store.utterances(voice="voice:1")[0].start == 2.0
        assert store.state("voices") == b"\x01\x02" and store.state("nothing") is None
        store.delete_events([event_id])
        assert store.utterances() == []


def test_a_failed_event_writes_no_utterance_and_no_state(tmp_path):
    with MemoryStore(tmp_path / "m") as store:
        store.add_stream("s", "a.mp4")
        bad = _event("s", 0.0, 4.0, [Utterance("s", 0.5, 1.5, "x")])
        bad.vectors["image/x"] = np.ones(3, np.float32)  # another dim: the space refuses it
        store.add_event(_event("s", 0.0, 1.0), Checkpoint("s", 1.0))
        with pytest.raises(ValueError):
            store.add_event(bad, Checkpoint("s", 4.0), {"voices": b"new"})
        assert store.utterances() == [] and store.state("voices") is None


def test_a_version_1_memory_is_upgraded_in_place(tmp_path):
    with MemoryStore(tmp_path / "m") as store:
        store.add_stream("s", "a.mp4")
        store.add_event(_event("s", 0.0, 1.0), Checkpoint("s", 1.0))
    db = tmp_path / "m" / "memory.db"
    with sqlite3.connect(db) as c:  # make it look like a memory written by the previous release
        c.execute("DROP TABLE utterances")
        c.execute("DROP TABLE memory_state")
        c.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    with MemoryStore(tmp_path / "m", create=False) as store:
        assert store.count_events() == 1 and store.utterances() == []
    with sqlite3.connect(db) as c:
        assert c.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == str(SCHEMA_VERSION)


def test_utterance_voices_are_set_by_id_in_one_transaction(tmp_path):
    with MemoryStore(tmp_path / "m") as store:
        store.add_stream("s", "a.mp4")
        said = [Utterance("s", 0.5, 1.5, "a", "voice:1", "vad"), Utterance("s", 2.0, 3.0, "b", "voice:2", "vad"),
                Utterance("s", 3.0, 3.5, "c", None, "subtitle")]
        store.add_event(_event("s", 0.0, 4.0, said), Checkpoint("s", 4.0, b""))
        assert store.set_utterance_voices([]) == 0
        assert store.set_utterance_voices([(said[1].id, "voice:1"), (said[2].id, "voice:9")]) == 2
        assert [u.voice for u in store.utterances()] == ["voice:1", "voice:1", "voice:9"]
        with pytest.raises(ValueError):  # a bad id: nothing is half written
            store.set_utterance_voices([(said[0].id, "voice:5"), ("not an id", "voice:6")])
        assert [u.voice for u in store.utterances()] == ["voice:1", "voice:1", "voice:9"]
