"""The memory directory: exact round trips, index caches, bad directories, readers, crashes."""

from __future__ import annotations

import json
import logging
import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from memory import (
    Checkpoint,
    Event,
    Keyframe,
    MemoryStore,
    SCHEMA_VERSION,
    NotAMemoryError,
    SchemaVersionError,
    encode_jpeg,
)
from memory.index import stamp_path

REPO = Path(__file__).resolve().parents[2]


def unit(rng: np.random.Generator, dim: int) -> np.ndarray:
    v = rng.standard_normal(dim).astype(np.float32)
    return v / np.linalg.norm(v)


def make_event(rng: np.random.Generator, stream: str, start: float, dims=(("clip", 32), ("text", 16)),
               keyframes: int = 2) -> Event:
    frames = [Keyframe(start + 0.5 * i, jpeg=encode_jpeg(rng.integers(0, 256, (24, 32, 3), dtype=np.uint8)))
              for i in range(keyframes)]
    return Event(stream, start, start + 4.0, vectors={s: unit(rng, d) for s, d in dims}, keyframes=frames,
                 text=f"said at {start}", surprise=float(rng.normal()))


def fill(store: MemoryStore, n: int, stream: str = "cam", seed: int = 0, t0: float = 0.0) -> list[Event]:
    rng = np.random.default_rng(seed)
    store.add_stream(stream, f"file:///{stream}.mp4", {"fps": 30})
    events = []
    for i in range(n):
        event = make_event(rng, stream, t0 + 4.0 * i)
        store.add_event(event, Checkpoint(stream, event.end, state=b"s%d" % i))
        events.append(event)
    return events


@pytest.fixture()
def store(tmp_path):
    with MemoryStore(tmp_path / "mem") as s:
        yield s


def test_database_settings(store) -> None:
    c = sqlite3.connect(store.db_path)
    assert c.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store._conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert store._conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    c.close()


def test_round_trip_is_exact(store) -> None:
    rng = np.random.default_rng(1)
    store.add_stream("cam", "rtsp://cam/1", {"fps": 30, "name": "kitchen"})
    event = make_event(rng, "cam", 12.25)
    event_id = store.add_event(event, Checkpoint("cam", 16.25, b"\x00state", done=False))
    assert event.id == event_id

    back = store.event(event_id)
    assert (back.stream, back.start, back.end, back.text, back.surprise, back.id) == \
           (event.stream, event.start, event.end, event.text, event.surprise, event_id)
    assert back.vectors.keys() == event.vectors.keys()
    for space, v in event.vectors.items():
        assert back.vectors[space].dtype == np.float32
        np.testing.assert_array_equal(back.vectors[space], v.astype(np.float16).astype(np.float32))
    assert [k.time for k in back.keyframes] == [k.time for k in event.keyframes]
    assert [k.jpeg for k in back.keyframes] == [k.jpeg for k in event.keyframes]
    for i, k in enumerate(back.keyframes):
        assert Path(k.path).read_bytes() == event.keyframes[i].jpeg
        assert store.keyframe_path(event_id, i) == Path(k.path)

    assert store.checkpoint("cam") == Checkpoint("cam", 16.25, b"\x00state", False)
    assert store.checkpoint("other") is None
    assert store.streams()[0] | {"added": None} == {"id": "cam", "uri": "rtsp://cam/1", "added": None,
                                                    "info": {"fps": 30, "name": "kitchen"}}
    assert store.spaces() == {"clip": 32, "text": 16}
    ids, matrix = store.vectors("clip")
    assert ids.dtype == np.int64 and ids.tolist() == [event_id] and matrix.shape == (1, 32)


def test_events_are_ordered_and_filtered(store) -> None:
    fill(store, 5, "b", seed=1)
    fill(store, 5, "a", seed=2, t0=100.0)
    events = store.events()
    assert [(e.stream, e.start) for e in events] == sorted((e.stream, e.start) for e in events)
    assert events[0].vectors == {} and events[0].keyframes[0].jpeg is None and events[0].keyframes[0].path
    assert [e.start for e in store.events("b", start=5.0, end=12.0)] == [4.0, 8.0]  # overlapping [5, 12)
    assert store.count_events() == 10 and store.count_events("a") == 5
    for stream, start, end in [(None, None, None), ("b", 5.0, 12.0), ("a", None, 110.0), (None, 10.0, None)]:
        listed = sorted(e.id for e in store.events(stream, start, end, thumbnails=False))
        assert store.event_ids(stream, start, end) == listed  # the same events, not loaded
    assert store.events("a", thumbnails=False)[0].keyframes[0].path is None
    assert store.events("a", with_vectors=True)[0].vectors["clip"].shape == (32,)
    store.set_checkpoint(Checkpoint("a", 120.0, b"", done=True))
    assert store.checkpoint("a").done


def test_keyframe_thumbnails_are_rewritten_when_missing(store) -> None:
    event = fill(store, 1)[0]
    path = store.keyframe_path(event.id, 1)
    path.unlink()
    assert store.keyframe_path(event.id, 1).read_bytes() == event.keyframes[1].jpeg
    with pytest.raises(KeyError, match="no keyframe image 7"):
        store.keyframe_path(event.id, 7)


def test_space_dim_mismatch_is_an_error_and_writes_nothing(store) -> None:
    fill(store, 2)
    rng = np.random.default_rng(5)
    bad = make_event(rng, "cam", 50.0, dims=(("text", 16), ("clip", 64)))
    with pytest.raises(ValueError, match=r"space 'clip' has dim 32; got a vector of dim 64"):
        store.add_event(bad, Checkpoint("cam", 54.0, b"bad"))
    assert store.count_events() == 2 and store.checkpoint("cam").state == b"s1"
    assert len(store.vectors("text")[0]) == 2


def test_event_errors_write_nothing(store) -> None:
    rng = np.random.default_rng(6)
    with pytest.raises(ValueError, match="unknown stream 'ghost'"):
        store.add_event(make_event(rng, "ghost", 0.0), Checkpoint("ghost", 4.0))
    store.add_stream("cam", "x")
    with pytest.raises(ValueError, match="checkpoint is for stream"):
        store.add_event(make_event(rng, "cam", 0.0), Checkpoint("other", 4.0))
    with pytest.raises(ValueError, match="not finite in float16"):
        store.add_event(Event("cam", 0.0, 1.0, vectors={"clip": np.full(4, 1e6)}), Checkpoint("cam", 1.0))
    assert store.count_events() == 0 and store.checkpoint("cam") is None


def brute_force(store: MemoryStore, space: str, query: np.ndarray, k: int, allowed=None) -> list[int]:
    ids, vectors = store.vectors(space)
    if allowed is not None:
        keep = np.isin(ids, list(allowed))
        ids, vectors = ids[keep], vectors[keep]
    order = np.argsort(-(vectors @ (query / np.linalg.norm(query))), kind="stable")[:k]
    return ids[order].tolist()


def test_search_equals_brute_force_with_filters(store) -> None:
    fill(store, 30, "a", seed=1)
    fill(store, 30, "b", seed=2)
    rng = np.random.default_rng(3)
    for _ in range(5):
        q = rng.standard_normal(32).astype(np.float32)
        assert [i for i, _ in store.search("clip", q, 8)] == brute_force(store, "clip", q, 8)
        b_ids = {e.id for e in store.events("b")}
        assert [i for i, _ in store.search("clip", q, 8, stream="b")] == brute_force(store, "clip", q, 8, b_ids)
    with pytest.raises(KeyError, match=r"unknown space 'nope'.*\['clip', 'text'\]"):
        store.search("nope", q, 3)


def test_index_file_rebuilt_when_deleted_and_kept_fresh(tmp_path, caplog) -> None:
    directory = tmp_path / "mem"
    q = np.random.default_rng(9).standard_normal(32).astype(np.float32)
    with MemoryStore(directory) as writer, MemoryStore(directory, create=False, readonly=True) as reader:
        fill(writer, 20)
        first = reader.search("clip", q, 5)
        path = reader.index_path("clip")
        assert path.exists() and stamp_path(path).exists()

        fill(writer, 10, t0=1000.0, seed=4)  # another instance writes: the reader's index is stale
        with caplog.at_level(logging.DEBUG, logger="memory.index"):
            fresh = reader.search("clip", q, 40)
        assert "appended 10 vectors" in caplog.text and "rebuilt" not in caplog.text
        assert [i for i, _ in fresh] == brute_force(writer, "clip", q, 40)
        assert json.loads(stamp_path(path).read_text())["count"] == 30

    path.unlink()
    with MemoryStore(directory, create=False) as again:
        assert again.search("clip", q, 5)[:5] == [(i, s) for i, s in fresh[:5]]
        assert path.exists()
        assert len(first) == 5


def test_stale_index_file_updated_incrementally_by_a_new_instance(tmp_path, caplog) -> None:
    directory = tmp_path / "mem"
    q = np.random.default_rng(9).standard_normal(32).astype(np.float32)
    with MemoryStore(directory) as s:
        fill(s, 10)
        s.search("clip", q, 3)
    with MemoryStore(directory) as s:
        fill(s, 5, t0=500.0, seed=2)  # the file on disk is now 5 vectors behind
    with MemoryStore(directory, readonly=True) as s, caplog.at_level(logging.DEBUG, logger="memory.index"):
        assert [i for i, _ in s.search("clip", q, 15)] == brute_force(s, "clip", q, 15)
        assert "appended 5 vectors" in caplog.text and "rebuilt" not in caplog.text


def test_deleted_events_leave_the_index(store) -> None:
    events = fill(store, 10)
    q = events[3].vectors["clip"]
    assert store.search("clip", q, 1)[0][0] == events[3].id
    assert store.delete_events([events[3].id, events[4].id]) == 2
    found = [i for i, _ in store.search("clip", q, 10)]
    assert events[3].id not in found and len(found) == 8
    assert store.count_events() == 8 and len(store.vectors("clip")[0]) == 8


def test_clear_errors_for_bad_directories(tmp_path) -> None:
    missing = tmp_path / "missing"
    with pytest.raises(FileNotFoundError, match=str(missing)):
        MemoryStore(missing, create=False)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        MemoryStore(missing, readonly=True)
    assert not missing.exists()

    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match="has no memory.db"):
        MemoryStore(empty, create=False)

    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(NotADirectoryError, match="not a directory"):
        MemoryStore(a_file)

    text = tmp_path / "text"
    text.mkdir()
    (text / "memory.db").write_text("hello, I am not a database" * 100)
    with pytest.raises(NotAMemoryError, match="not a mnemo memory"):
        MemoryStore(text)

    foreign = tmp_path / "foreign"
    foreign.mkdir()
    c = sqlite3.connect(foreign / "memory.db")
    c.execute("CREATE TABLE notes (x)")
    c.commit()
    c.close()
    with pytest.raises(NotAMemoryError, match=r"not a mnemo memory.*\['notes'\]"):
        MemoryStore(foreign)

    newer = tmp_path / "newer"
    MemoryStore(newer).close()
    c = sqlite3.connect(newer / "memory.db")
    c.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    c.commit()
    c.close()
    with pytest.raises(SchemaVersionError, match=f"schema version 99; this mnemo reads versions up to {SCHEMA_VERSION}"):
        MemoryStore(newer)


def test_readonly_store_refuses_writes(tmp_path) -> None:
    with MemoryStore(tmp_path / "mem") as s:
        fill(s, 1)
    with MemoryStore(tmp_path / "mem", readonly=True) as r:
        assert r.count_events() == 1
        with pytest.raises(PermissionError, match="read-only"):
            r.add_stream("x", "y")


def test_concurrent_reader_sees_the_writer_commits(tmp_path) -> None:
    directory = tmp_path / "mem"
    MemoryStore(directory).close()
    seen: list[int] = []
    done = threading.Event()

    def write() -> None:
        with MemoryStore(directory, create=False) as writer:  # its own connection, in its own thread
            for i in range(20):
                fill(writer, 1, seed=i, t0=4.0 * i)
                time.sleep(0.002)
        done.set()

    with MemoryStore(directory, create=False, readonly=True) as reader:
        thread = threading.Thread(target=write)
        thread.start()
        while not done.is_set():
            seen.append(reader.count_events())
        thread.join()
        seen.append(reader.count_events())
        assert seen == sorted(seen) and seen[-1] == 20
        assert all(len(e.keyframes) == 2 for e in reader.events())


WRITER = textwrap.dedent("""
    import sys
    import numpy as np
    from memory import Checkpoint, Event, Keyframe, MemoryStore

    with MemoryStore(sys.argv[1]) as store:
        store.add_stream("cam", "file:///cam.mp4", {})
        cp = store.checkpoint("cam")
        i = 0 if cp is None else int(cp.state) + 1
        print("ready", flush=True)
        while True:
            rng = np.random.default_rng(i)
            event = Event("cam", float(i), float(i + 1), text=f"event {i}",
                          vectors={"clip": rng.standard_normal(256), "text": rng.standard_normal(64)},
                          keyframes=[Keyframe(i + 0.25 * j, rng.bytes(5000 + 1000 * j)) for j in range(3)])
            store.add_event(event, Checkpoint("cam", event.end, str(i).encode()))
            i += 1
""")


def half(x: np.ndarray) -> np.ndarray:
    return x.astype(np.float32).astype(np.float16)  # the store's float32 -> float16 cast


def check_after_crash(directory: Path) -> int:
    c = sqlite3.connect(directory / "memory.db")
    assert c.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert c.execute("PRAGMA foreign_key_check").fetchall() == []
    tables = c.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0]
    c.close()
    if not tables:  # killed while creating the memory: nothing was ever committed
        return 0
    with MemoryStore(directory, create=False) as store:
        events = store.events(thumbnails=False)
        assert [e.start for e in events] == [float(i) for i in range(len(events))]
        n = len(events)
        for i in sorted({*range(max(0, n - 25), n), *random.Random(n).sample(range(n), min(n, 25))}):
            full = store.event(events[i].id)
            rng = np.random.default_rng(i)
            np.testing.assert_array_equal(full.vectors["clip"], half(rng.standard_normal(256)))
            np.testing.assert_array_equal(full.vectors["text"], half(rng.standard_normal(64)))
            assert [k.jpeg for k in full.keyframes] == [rng.bytes(5000 + 1000 * j) for j in range(3)]
        cp = store.checkpoint("cam")
        if events:
            assert cp.position == events[-1].end and cp.state == str(len(events) - 1).encode()
        else:
            assert cp is None
        spaces = store._conn.execute("SELECT name, count FROM spaces ORDER BY name").fetchall()
        assert spaces == ([("clip", len(events)), ("text", len(events))] if events else [])
        return len(events)


@pytest.mark.slow
def test_kill_9_loses_at_most_the_event_being_written(tmp_path) -> None:
    directory = tmp_path / "mem"
    rand = random.Random(0)
    counts = []
    for round_ in range(6):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(directory)], cwd=REPO,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            if round_ % 3 == 0:  # anywhere, start-up and schema creation included
                time.sleep(rand.uniform(0.0, 0.6))
            else:
                assert proc.stdout.readline() == b"ready\n", proc.stderr.read().decode()
                time.sleep(rand.uniform(0.02, 0.3))
        finally:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            proc.stdout.close()
            proc.stderr.close()
        if directory.joinpath("memory.db").exists():
            counts.append(check_after_crash(directory))
    assert counts and counts == sorted(counts) and counts[-1] > 0
