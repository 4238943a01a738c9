"""memory.entity_history: the registry as it was at a media time, from the merges and names made by then.

Oracles: the union-find over the merges up to t against a brute-force relabelling over the same merge
list; the registry replayed to t against a second registry that was only ever given what was done by t
(a memory stopped at t); the replay of everything against the registry's own tables.
"""

from __future__ import annotations

import random
import sqlite3

import pytest

from memory.entities import EntityRegistry
from memory.entity_history import entities_at, registry_at, replay
from memory.event import Checkpoint, Event, Utterance
from memory.spoken import entity_names, spoken
from memory.store import MemoryStore

SOURCES = ("sim", "subtitle", "transcript", "user")


def _merge_list(rng: random.Random, n: int, merges: int) -> list[tuple]:
    """History rows of random merges among n entities (some with no time), times in any order."""
    rows = []
    for _ in range(merges):
        a, b = rng.sample(range(1, n + 1), 2)
        time = None if rng.random() < 0.2 else round(rng.uniform(0.0, 100.0), 1)
        rows.append(("merge", a, b, None, None, time))
    return rows


def _relabelled(rows: list[tuple], n: int, until: float | None) -> dict[int, int]:
    """Brute force: every entity's label, each kept merge relabelling the whole of the dropped group."""
    label = {e: e for e in range(1, n + 1)}
    for _, keep, drop, _, _, time in rows:
        if time is not None and until is not None and time > until:
            continue
        kept, dropped = label[keep], label[drop]
        if kept != dropped:
            label = {e: kept if g == dropped else g for e, g in label.items()}
    return label


@pytest.mark.parametrize("seed", range(5))
def test_the_union_find_at_t_is_brute_force_over_the_merges_made_by_t(seed):
    rng = random.Random(seed)
    n = 30
    rows = _merge_list(rng, n, 40)
    for until in [None, -1.0, 0.0, 12.5, 50.0, 99.9, 100.0] + [rng.uniform(0, 100) for _ in range(5)]:
        at, want = replay(rows, until), _relabelled(rows, n, until)
        assert {e: at.root(e) for e in want} == want, until  # the same groups, under the same survivor


def test_names_follow_sources_and_merges_as_given_by_t():
    rows = [("name", 1, None, "Ana", "transcript", 10.0),
            ("name", 2, None, "Bea", "user", 20.0),
            ("merge", 1, 2, None, None, 30.0),  # the user's name is stronger: it stays
            ("name", 1, None, "Anna", "transcript", 40.0),  # weaker than the user's: not the name
            ("name", 3, None, "Cy", None, None)]  # given before the history: before everything
    assert [replay(rows, t).name(1) for t in (5.0, 10.0, 25.0, 30.0, 45.0)] == [None, "Ana", "Ana", "Bea", "Bea"]
    assert replay(rows, 25.0).name(2) == "Bea" and replay(rows, 0.0).name(3) == "Cy"
    assert replay(rows, 35.0).last == 30.0 and replay(rows, 1.0).last == float("-inf")


def _apply(registry: EntityRegistry, op: tuple) -> None:
    what, a, b, name, source, time = op
    if what == "merge":
        registry.merge(a, b, time=time)
    else:
        registry.name(a, name, source, time=time)


def _state(c: sqlite3.Connection, ids: list[int], until: float | None) -> tuple:
    at = registry_at(c, until)
    return {e: at.root(e) for e in ids}, {e: at.name(e) for e in ids}


def test_the_registry_at_t_is_the_registry_given_only_what_was_done_by_t(tmp_path):
    """Merges and names as ingest makes them (times never decreasing), then a user's at the memory's end."""
    rng = random.Random(7)
    ops: list[tuple] = []
    for k in range(40):
        time = float(k * 2)
        if rng.random() < 0.5:
            ops.append(("merge", rng.randint(1, 12), rng.randint(1, 12), None, None, time))
        else:
            ops.append(("name", rng.randint(1, 12), None, rng.choice(["Ana", "Bo", "Cy", "Di"]), rng.choice(SOURCES),
                        time))
    whole = EntityRegistry(MemoryStore(tmp_path / "whole", create=True))
    ids = [whole.add_entity("person") for _ in range(14)]  # the last two only the user merges
    for op in ops:
        _apply(whole, op)
    whole.store.add_stream("s", "test://s")
    whole.store.add_event(Event("s", 0.0, 90.0), Checkpoint("s", 90.0))
    whole.name(ids[0], "Zed")  # by the user, once the memory ends at 90 s
    whole.merge(ids[12], ids[13])
    now = _state(whole._conn, ids, None)
    assert _state(whole._conn, ids, 90.0) == now  # everything replayed: the registry as its tables hold it
    rows = whole._conn.execute("SELECT time FROM entity_history ORDER BY id DESC LIMIT 2").fetchall()
    assert rows == [(90.0,), (90.0,)]  # a user's merge and name: at the memory's end
    for cut in (-1.0, 0.0, 13.0, 40.0, 79.0):
        stopped = EntityRegistry(MemoryStore(tmp_path / f"cut-{cut:g}", create=True))
        assert [stopped.add_entity("person") for _ in range(14)] == ids
        for op in ops:
            if op[-1] <= cut:
                _apply(stopped, op)
        assert _state(whole._conn, ids, cut) == _state(stopped._conn, ids, None), cut
        stopped.store.close()
    whole.store.close()


def test_a_memory_made_before_the_history_has_its_merges_and_names_before_everything(tmp_path):
    store = MemoryStore(tmp_path / "m", create=True)
    registry = EntityRegistry(store)
    a, b, c = (registry.add_entity("person") for _ in range(3))
    registry.merge(a, b, time=50.0)
    registry.name(c, "Cy", time=60.0)
    now = _state(store._conn, [a, b, c], None)
    with store._write() as conn:
        conn.execute("DROP TABLE entity_history")  # as an older mnemo left it
    assert _state(store._conn, [a, b, c], 0.0) == now  # read-only: the tables as they are, before everything
    store.close()
    store = MemoryStore(tmp_path / "m")  # a writable open migrates it
    rows = store._conn.execute("SELECT what, entity, other, name, time FROM entity_history ORDER BY id").fetchall()
    assert rows == [("merge", a, b, None, None), ("name", c, None, "Cy", None)]
    assert _state(store._conn, [a, b, c], 0.0) == now
    store.close()


def test_forgetting_leaves_no_name_in_the_history(tmp_path):
    store = MemoryStore(tmp_path / "m", create=True)
    registry = EntityRegistry(store)
    a, b = registry.add_entity("person"), registry.add_entity("person")
    registry.name(a, "Ana", time=5.0)
    registry.name(b, "Anabel", time=6.0)
    registry.merge(a, b, time=7.0)
    registry.forget(a)
    assert store._conn.execute("SELECT COUNT(*) FROM entity_history WHERE name IS NOT NULL").fetchone()[0] == 0
    assert registry_at(store._conn, 6.5).name(a) is None and entities_at(store, None).name(b) is None
    store.close()


def test_a_voice_is_called_by_the_name_it_had_when_asked(tmp_path):
    """A name heard at 20 s, or given by a user at the memory's end, is not known at 10 s."""
    store = MemoryStore(tmp_path / "m", create=True)
    store.add_stream("s", "test://s")
    lines = [Utterance("s", 1.0, 3.0, "Nice day.", "voice:0", "asr"),
             Utterance("s", 18.0, 20.0, "I am Ana.", "voice:0", "asr"),
             Utterance("s", 22.0, 24.0, "Hello.", "voice:1", "asr")]
    store.add_event(Event("s", 0.0, 30.0, utterances=lines), Checkpoint("s", 30.0))
    registry = EntityRegistry(store)
    ana, bob = registry.entity_for("voice:0", "voice"), registry.entity_for("voice:1", "voice")
    registry.name(ana, "Ana", "transcript", time=20.0)
    registry.name(bob, "Bob")  # the user's: at the memory's end, 30 s
    assert [r[4] for r in spoken(store, until=10.0)] == ["voice:0"]
    assert [r[4] for r in spoken(store, until=25.0)] == ["Ana", "Ana", "voice:1"]
    assert [r[4] for r in spoken(store)] == ["Ana", "Ana", "Bob"]
    assert entity_names(store, [ana, bob], until=19.0) == {}
    assert entity_names(store, [ana, bob], until=30.0) == entity_names(store, [ana, bob]) == {ana: "Ana", bob: "Bob"}
    store.close()
