"""Episodes and sessions: every event in exactly one episode, incremental equals one pass, pooled vectors."""

from __future__ import annotations

import numpy as np
import pytest

from memory import hierarchy
from memory.event import Checkpoint, Event
from memory.hierarchy import EpisodeConfig
from memory.store import MemoryStore

# scene, seconds: long visits to scenes 0, 1, 2, then back to 0
PLAN = [(0, 10.0)] * 5 + [(1, 12.0)] * 4 + [(2, 8.0)] * 6 + [(0, 10.0)] * 4
TRUE_EPISODES = [5, 4, 6, 4]
CONFIG = EpisodeConfig(similarity=0.8, min_seconds=30.0, max_seconds=600.0, max_gap=60.0)


def episode_rows(store):
    return [(e.id, e.stream, e.session, e.start, e.end, e.events) for e in hierarchy.episodes(store)]


def test_episodes_follow_the_scenes(synthetic, tmp_path):
    with MemoryStore(tmp_path / "m") as store:
        synthetic.add_events(store, "a", PLAN)
        hierarchy.update(store, CONFIG)
        found = hierarchy.episodes(store, with_vectors=True)
        assert [e.events for e in found] == TRUE_EPISODES
        members = [hierarchy.events_of(store, e.id) for e in found]
        events = store.events(with_vectors=True, thumbnails=False)
        # every event in exactly one episode, episodes contiguous in time
        assert sorted(i for m in members for i in m) == [e.id for e in events]
        assert all(hierarchy.episode_of(store, i) == e.id for e, m in zip(found, members) for i in m)
        by_id = {e.id: e for e in events}
        for episode, ids in zip(found, members):
            assert episode.start == by_id[ids[0]].start and episode.end == by_id[ids[-1]].end
            mean = np.mean([by_id[i].vectors[synthetic.IMAGE] for i in ids], axis=0)
            np.testing.assert_allclose(episode.vectors[synthetic.IMAGE], mean / np.linalg.norm(mean), atol=1e-6)
        assert [(a.end, b.start) for a, b in zip(found, found[1:])] == [(b.start, b.start) for b in found[1:]]


def test_updating_after_every_event_equals_one_pass(synthetic, tmp_path):
    with MemoryStore(tmp_path / "once") as once, MemoryStore(tmp_path / "steps") as steps:
        synthetic.add_events(once, "a", PLAN, seed=3)
        synthetic.add_events(once, "b", PLAN[:9], seed=4)
        hierarchy.update(once, CONFIG)
        # the same events, committed in the same order, consolidating after each one
        committed = once.events(with_vectors=True, thumbnails=False)
        for stream in ("a", "b"):
            steps.add_stream(stream, f"synthetic://{stream}", {"wall_clock": None})
        for e in sorted(committed, key=lambda e: e.id):
            steps.add_event(Event(e.stream, e.start, e.end, vectors=e.vectors), Checkpoint(e.stream, e.end, b""))
            hierarchy.update(steps, CONFIG)
        assert episode_rows(steps) == episode_rows(once)
        assert synthetic.table(steps, "SELECT * FROM episode_events ORDER BY event_id") == \
            synthetic.table(once, "SELECT * FROM episode_events ORDER BY event_id")
        assert synthetic.table(steps, "SELECT * FROM episode_vectors ORDER BY episode_id, space") == \
            synthetic.table(once, "SELECT * FROM episode_vectors ORDER BY episode_id, space")
        assert hierarchy.update(steps, CONFIG) == 0  # idempotent


def test_max_length_and_gaps_cut_episodes(synthetic, tmp_path):
    with MemoryStore(tmp_path / "m") as store:
        synthetic.add_events(store, "a", [(0, 100.0)] * 10)
        synthetic.add_events(store, "a", [(0, 100.0)] * 2, start=2000.0)  # after a 1000 s gap
        hierarchy.update(store, EpisodeConfig(similarity=0.5, min_seconds=0, max_seconds=450.0, max_gap=60.0))
        assert [e.events for e in hierarchy.episodes(store)] == [4, 4, 2, 2]


def test_sessions_split_at_midnight_of_the_wall_clock(synthetic, tmp_path):
    midnight = 1_700_006_400.0  # a UTC midnight
    with MemoryStore(tmp_path / "m") as store:
        synthetic.add_events(store, "cam", [(0, 600.0)] * 6, wall_clock=midnight - 1800.0)
        hierarchy.update(store, EpisodeConfig(max_seconds=1200.0))
        found = hierarchy.sessions(store)
        # episodes of 1200 s (0, 1200, 2400): an episode belongs to the day it starts in
        assert [(s.day, s.start, s.end) for s in found] == [(int(midnight // 86400) - 1, 0.0, 2400.0),
                                                            (int(midnight // 86400), 2400.0, 3600.0)]
        assert sum(s.episodes for s in found) == len(hierarchy.episodes(store))


def test_search_episodes_matches_brute_force(synthetic, tmp_path):
    with MemoryStore(tmp_path / "m") as store:
        synthetic.add_events(store, "a", PLAN)
        hierarchy.update(store, CONFIG)
        found = hierarchy.episodes(store, with_vectors=True)
        query = synthetic.scene_vectors(1234, 3)[2]
        brute = sorted(((float(e.vectors[synthetic.IMAGE] @ query), e.id) for e in found), reverse=True)
        got = hierarchy.search_episodes(store, synthetic.IMAGE, query, k=2)
        assert [i for i, _ in got] == [i for _, i in brute[:2]]
        assert got[0][1] == pytest.approx(brute[0][0], abs=1e-6)
        with pytest.raises(ValueError, match="dim"):
            hierarchy.search_episodes(store, synthetic.IMAGE, np.ones(3), k=2)


def test_summaries_name_speech_and_places(synthetic, tmp_path):
    from memory.consolidation import consolidate

    with MemoryStore(tmp_path / "m") as store:
        synthetic.add_events(store, "a", PLAN[:6], texts={1: "the red mug is by the kettle"})
        consolidate(store)
        first = hierarchy.episodes(store)[0]
        assert "the red mug is by the kettle" in first.summary and "place:1" in first.summary
        assert "the red mug" in hierarchy.sessions(store)[0].summary


def test_bad_config_names_the_field():
    with pytest.raises(ValueError, match="max_seconds"):
        EpisodeConfig(min_seconds=100, max_seconds=10)
