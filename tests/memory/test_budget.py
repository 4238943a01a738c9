"""Forgetting under a budget: the size holds, retrieved and pinned events stay whole, nothing vanishes."""

from __future__ import annotations

import pytest

from memory import budget, hierarchy
from memory.consolidation import consolidate
from memory.store import MemoryStore

PLAN = [(0, 10.0)] * 40 + [(1, 10.0)] * 40 + [(2, 10.0)] * 40


@pytest.fixture()
def full(synthetic, tmp_path):
    store = MemoryStore(tmp_path / "m")
    ids = synthetic.add_events(store, "cam", PLAN, jpeg_bytes=20_000,
                               texts={i: f"line {i}" for i in range(0, len(PLAN), 5)})
    consolidate(store)
    store.events()  # thumbnails on disk count too
    yield store, ids
    store.close()


def test_budget_holds_and_keeps_what_was_retrieved_or_pinned(full, synthetic):
    store, ids = full
    before = budget.disk_bytes(store.directory)
    assert before > 2_400_000
    retrieved, cited = ids[:10], ids[10:15]  # the oldest: first in line but for these
    for _ in range(3):
        budget.touch(store, retrieved)
    budget.pin(store, cited, reason="cited by an answer")
    assert budget.retrievals(store) == {i: 3 for i in retrieved}
    limit = 2_000_000
    report = budget.enforce(store, limit)
    assert report.after <= limit < report.before and not report.over_budget
    assert budget.disk_bytes(store.directory) <= limit
    compacted = set(report.compacted)
    assert compacted and not compacted & set(retrieved + cited)
    events = {e.id: e for e in store.events(with_vectors=True, thumbnails=False)}
    assert sorted(events) == ids  # every row is kept
    graves = budget.tombstones(store)
    assert set(graves) == compacted
    for event_id in ids:
        e = events[event_id]
        assert hierarchy.episode_of(store, event_id) is not None
        if event_id in compacted:
            assert not e.keyframes and synthetic.IMAGE not in e.vectors and synthetic.TEXT in e.vectors
            assert graves[event_id]["vectors"] == [synthetic.IMAGE] and graves[event_id]["jpeg_bytes"] == 20_000
            assert graves[event_id]["keyframe_times"] == [e.start]
        else:
            assert len(e.keyframes) == 1 and synthetic.IMAGE in e.vectors
    assert [e.text for e in store.events(thumbnails=False)] == [f"line {i}" if i % 5 == 0 else ""
                                                                for i in range(len(PLAN))]
    # search still works on what is left, and the episodes still hold the pooled detail
    query = events[retrieved[0]].vectors[synthetic.IMAGE]
    assert store.search(synthetic.IMAGE, query, k=1)[0][0] in set(ids) - compacted
    assert hierarchy.search_episodes(store, synthetic.IMAGE, query, k=1)[0][0] == hierarchy.episode_of(store, ids[0])


def test_a_budget_nothing_can_meet_is_reported(full):
    store, ids = full
    budget.pin(store, ids)
    report = budget.enforce(store, 10_000)
    assert report.over_budget and report.compacted == []
    with pytest.raises(ValueError, match="budget"):
        budget.enforce(store, 0)


def test_touch_ignores_unknown_events(full):
    store, ids = full
    assert budget.touch(store, [ids[0], 10**9]) == 1
    assert budget.retrievals(store) == {ids[0]: 1}
