"""Consolidation wired into ingest: kill -9 at random moments, resume, and get the same events, ids,
episodes, places, state facts and scene graph as one uninterrupted run; readers keep working meanwhile."""

from __future__ import annotations

import dataclasses
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

import mnemo
from memory import hierarchy, scene_graph
from memory.store import MemoryStore

ENV = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
TABLES = {  # what must come out the same, row for row
    "events": 'SELECT id, stream, start, "end", text, surprise FROM events ORDER BY id',
    "episodes": 'SELECT id, stream, session_id, start, "end", events, summary FROM episodes ORDER BY id',
    "episode_events": "SELECT event_id, episode_id FROM episode_events ORDER BY event_id",
    "episode_vectors": "SELECT episode_id, space, count, sum FROM episode_vectors ORDER BY episode_id, space",
    "sessions": 'SELECT id, stream, day, start, "end", summary FROM sessions ORDER BY id',
    "places": "SELECT id, kind, vector, first_seen, stream, visits FROM places ORDER BY id",
    "event_places": "SELECT event_id, place_id FROM event_places ORDER BY event_id",
    "place_edges": "SELECT a, b, distance, traversals FROM place_edges ORDER BY a, b",
    "states": "SELECT id, subject, relation, object, valid_from, valid_to, recorded, retracted, source FROM states "
              "ORDER BY id",
    "facts": "SELECT * FROM facts ORDER BY subject, relation, object",
}


def rows(memory: Path) -> dict[str, list[tuple]]:
    with sqlite3.connect(memory / "memory.db") as db:
        return {name: db.execute(sql).fetchall() for name, sql in TABLES.items()}


def graph_json(memory: Path) -> str:
    with MemoryStore(memory, create=False, readonly=True) as store:
        return scene_graph.to_json(scene_graph.build_graph(store))


def read_while_writing(memory: Path) -> int:
    """A reader's view mid-ingest: whatever is consolidated is consistent. Returns events seen."""
    if not (memory / "memory.db").exists():
        return 0
    try:
        store = MemoryStore(memory, create=False, readonly=True)
    except Exception:  # noqa: BLE001 - the writer may still be creating the database
        return 0
    with store:
        try:
            events = store.count_events()
            graph = scene_graph.build_graph(store)
            for episode in hierarchy.episodes(store):
                members = hierarchy.events_of(store, episode.id)
                assert len(members) == episode.events and members
            for node, data in graph.nodes(data=True):
                if data.get("layer") == "episode":
                    assert any(k == "part_of" for _, _, k in graph.out_edges(node, keys=True))
        except sqlite3.OperationalError as exc:  # a table not created yet
            assert "no such table" in str(exc)
            return 0
    return events


@pytest.fixture(scope="module")
def rooms(tmp_path_factory):
    """The sample's rooms ten times over, 3 s each, small: 3 minutes, ~60 events, a few seconds to ingest
    (long enough for consolidation to run while ingesting, every CONSOLIDATE_EVERY seconds)."""
    from mnemo.sample import SCENES, make_sample

    scenes = tuple(dataclasses.replace(s, seconds=3.0) for s in SCENES * 10)
    return make_sample(tmp_path_factory.mktemp("rooms"), width=320, height=180, fps=5, scenes=scenes, name="rooms")


@pytest.fixture(scope="module")
def whole(rooms, tmp_path_factory):
    memory = tmp_path_factory.mktemp("whole") / "mem"
    with mnemo.open(memory, profile="lite", create=True) as mem:
        mem.ingest(rooms.video)
    return memory


def test_ingest_consolidates(whole):
    with MemoryStore(whole, create=False, readonly=True) as store:
        events = store.count_events()
        assert events > 0
        assert sum(e.events for e in hierarchy.episodes(store)) == events
        assert len(hierarchy.sessions(store)) == 1
        graph = scene_graph.build_graph(store)
    assert sum(1 for _, d in graph.nodes(data=True) if d["layer"] == "place") >= 2


@pytest.mark.slow
def test_kill_9_at_random_moments_then_resume_equals_one_run(rooms, whole, tmp_path):
    target = tmp_path / "killed"
    rand = random.Random(6)
    kills, seen = 0, 0
    for round_ in range(4):
        process = subprocess.Popen([sys.executable, "-m", "mnemo", "ingest", str(rooms.video), "--memory",
                                    str(target), "-q", "--profile", "lite"], env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        started = time.monotonic()
        try:
            while process.poll() is None and read_while_writing(target) <= seen:  # wait for a new event
                time.sleep(0.05)
                assert time.monotonic() - started < 120
            time.sleep(rand.uniform(0.0, 0.8))  # then anywhere: mid-event, mid-consolidation
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                kills += 1
            process.wait()
        seen = read_while_writing(target)
    run = subprocess.run([sys.executable, "-m", "mnemo", "ingest", str(rooms.video), "--memory", str(target), "-q",
                          "--profile", "lite"], env=ENV, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert kills >= 3
    got, want = rows(target), rows(whole)
    for name in TABLES:
        assert got[name] == want[name], name
    assert graph_json(target) == graph_json(whole)
