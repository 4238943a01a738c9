"""The store's parts, each alone (without MemoryStore): base, streams and state, text, vectors, keyframes.

Events are inserted with plain SQL where a part needs one, so each part is checked against what it
wrote or what the database holds, and MemoryStore reads back what a part wrote (one file format).
"""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from memory.event import Checkpoint, ScreenText, Utterance
from memory.store import MemoryStore
from memory.store_base import NotAMemoryError, StoreBase
from memory.store_keyframes import StoreKeyframes
from memory.store_schema import _SCHEMA, APPLICATION, DB_NAME, SCHEMA_VERSION
from memory.store_streams import StoreStreams
from memory.store_text import StoreText
from memory.store_vectors import StoreVectors


def _add_event(part: StoreBase, stream: str = "s", start: float = 0.0, end: float = 1.0) -> int:
    with part._write() as c:
        c.execute("INSERT OR IGNORE INTO streams(id, uri, added) VALUES (?, 'x.mp4', 0)", (stream,))
        return int(c.execute('INSERT INTO events(stream, start, "end", created) VALUES (?, ?, ?, 0)',
                             (stream, start, end)).lastrowid)


def test_base_creates_checks_and_reopens_a_memory(tmp_path):
    with StoreBase(tmp_path / "m") as base:
        tables = {r[0] for r in base._conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        meta = dict(base._conn.execute("SELECT key, value FROM meta"))
        summary = base.summary()
    created = {s.split("EXISTS ")[1].split()[0] for s in _SCHEMA if s.startswith("CREATE TABLE")}
    assert created <= tables
    assert (meta["application"], meta["schema_version"]) == (APPLICATION, str(SCHEMA_VERSION))
    assert (summary["streams"], summary["events"], summary["media_seconds"]) == (0, 0, 0.0)
    with StoreBase(tmp_path / "m", create=False, readonly=True) as reader, pytest.raises(PermissionError):
        with reader._write():
            pass
    (tmp_path / "other").mkdir()
    sqlite3.connect(tmp_path / "other" / DB_NAME).execute("CREATE TABLE t (x)")
    with pytest.raises(NotAMemoryError, match="not a mnemo memory"):
        StoreBase(tmp_path / "other")


def test_streams_part_round_trips_streams_checkpoints_and_state(tmp_path):
    with StoreStreams(tmp_path / "m") as part:
        part.add_stream("s", "a.mp4", {"fps": 10})
        part.set_checkpoint(Checkpoint("s", 12.5, b"\x00\x01", done=True))
        with part._write() as c:
            part._put_state(c, "voices", b"abc")
        with pytest.raises(ValueError, match="unknown stream 'z'"):
            part.set_checkpoint(Checkpoint("z", 1.0))
        assert [(s["id"], s["uri"], s["info"]) for s in part.streams()] == [("s", "a.mp4", {"fps": 10})]
    with MemoryStore(tmp_path / "m", create=False, readonly=True) as store:
        assert store.checkpoint("s") == Checkpoint("s", 12.5, b"\x00\x01", True)
        assert store.state("voices") == b"abc" and store.state("other") is None


def test_text_part_round_trips_utterances_voices_and_screen_text(tmp_path):
    with StoreText(tmp_path / "m") as part:
        event = _add_event(part)
        said = [Utterance("s", 0.1, 0.4, "the red mug", "voice:0", "asr", "en", [("the", 0.1, 0.2, 0.9)]),
                Utterance("s", 0.5, 0.9, "", "voice:1")]
        read = [ScreenText("s", 0.2, "EXIT 4 north", (0.1, 0.2, 0.3, 0.4), 0.8, model="m")]
        with part._write() as c:
            part._put_utterances(c, event, said)
            part._put_screen_text(c, event, read)
        got = part.utterances(stream="s")
        assert [(u.text, u.voice, u.words, u.event_id) for u in got] == \
               [("the red mug", "voice:0", [("the", 0.1, 0.2, 0.9)], event), ("", "voice:1", [], event)]
        assert part.set_utterance_voices([(got[1].id, "voice:0")]) == 1
        assert part.forget_voices(["voice:0"], state=b"new") == 2
        assert [u.voice for u in part.utterances()] == [None, None] and part.state("voices") == b"new"
        assert part.screen_text(event_id=event) == [ScreenText("s", 0.2, "EXIT 4 north", (0.1, 0.2, 0.3, 0.4), 0.8,
                                                                model="m", event_id=event, id=read[0].id)]
        assert part.search_screen_text("exit north") == [(event, 1.0)]
        assert part.search_screen_text("kitchen") == []


def test_vectors_part_stores_float16_and_searches(tmp_path):
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((6, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)  # the store keeps unit vectors
    with StoreVectors(tmp_path / "m") as part:
        ids = [_add_event(part, start=i, end=i + 1) for i in range(6)]
        for i, v in zip(ids, vectors):
            part.replace_vector(i, "text/x", v)
        with pytest.raises(ValueError, match="dim 8"):
            part.replace_vector(ids[0], "text/x", np.ones(3, np.float32))
        got_ids, got = part.vectors("text/x")
        assert got_ids.tolist() == ids
        assert np.array_equal(got, vectors.astype(np.float16).astype(np.float32))
        assert part.spaces() == {"text/x": 8} and part.space_state("text/x").count == 6
        hits = part.search("text/x", vectors[3], k=2)
        assert hits[0][0] == ids[3] and hits[0][1] == pytest.approx(1.0, abs=1e-3)
        among = part.search("text/x", vectors[3], k=6, ids=ids[:2])
        assert [i for i, _ in among] == sorted(ids[:2], key=lambda i: -float(got[ids.index(i)] @ vectors[3]))
        assert [s for _, s in among] == pytest.approx(sorted((float(got[k] @ vectors[3]) for k in (0, 1)),
                                                             reverse=True), abs=1e-3)
    with MemoryStore(tmp_path / "m", create=False, readonly=True) as store:
        assert np.array_equal(store.event(ids[2]).vectors["text/x"], got[2])


def test_keyframes_part_writes_thumbnails_from_the_database(tmp_path):
    jpeg = b"\xff\xd8 not decoded, only copied \xff\xd9"
    with StoreKeyframes(tmp_path / "m") as part:
        event = _add_event(part)
        with part._write() as c:
            c.execute("INSERT INTO keyframes(event_id, ordinal, time, jpeg) VALUES (?, 0, 0.5, ?), (?, 1, 0.7, NULL)",
                      (event, jpeg, event))
        path = part.keyframe_path(event)
        assert path == tmp_path / "m" / "thumbs" / f"{event}_0.jpg" and path.read_bytes() == jpeg
        with pytest.raises(KeyError, match="no keyframe image 1"):
            part.keyframe_path(event, 1)
