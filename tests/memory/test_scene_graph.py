"""The scene graph of a synthetic memory: invariants, exact JSON round trip, GraphML, time travel, facts."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from memory import facts, scene_graph, states
from memory.consolidation import ConsolidationConfig, consolidate
from memory.entities import EntityRegistry
from memory.hierarchy import EpisodeConfig
from memory.store import MemoryStore

DAYS = 3
# one day: kitchen (scene 0), living room (1), kitchen again, garden (2); 6 events of 10 s per visit
DAY_PLAN = [(0, 10.0)] * 6 + [(1, 10.0)] * 6 + [(0, 10.0)] * 6 + [(2, 10.0)] * 6
CONFIG = ConsolidationConfig(episodes=EpisodeConfig(similarity=0.8, min_seconds=20.0))


@pytest.fixture(scope="module")
def world(synthetic, tmp_path_factory):
    """Two streams; a mug seen in the kitchen, then (day 2 on) in the garden; Bob talks of coffee."""
    store = MemoryStore(tmp_path_factory.mktemp("graph") / "m")
    registry = EntityRegistry(store)
    mug = registry.add_entity("object", name="red mug")
    bob = registry.entity_for("voice:1", "voice")
    sightings = []  # (timeline time, event id, scene)
    for day in range(DAYS):
        texts = {i: "Bob: I want coffee now" for i in range(0, len(DAY_PLAN), 7)}
        ids = synthetic.add_events(store, "home", DAY_PLAN, seed=day, start=day * 1000.0, texts=texts,
                                   voice="voice:1")
        for number, (event_id, (scene, _)) in enumerate(zip(ids, DAY_PLAN)):
            start = day * 1000.0 + 10.0 * number
            if number in texts:
                registry.add_appearance(bob, "home", start, start + 10.0, event_id=event_id)
            if number % 3 == 0 and (number < 6 if day == 0 else scene == 2):
                registry.add_appearance(mug, "home", start, start + 5.0, event_id=event_id)
                sightings.append((start, event_id, scene))
        if day == 0:  # a second stream, so next-chains are per stream
            synthetic.add_events(store, "door", [(1, 30.0)] * 4, seed=99)
            consolidate(store, CONFIG, final=False)  # incremental, mid-way
    consolidate(store, CONFIG)
    yield store, mug, bob, sightings
    store.close()


def test_every_event_is_in_exactly_one_episode_and_chains_per_stream(world):
    store, *_ = world
    graph = scene_graph.build_graph(store)
    events = [n for n, d in graph.nodes(data=True) if d["layer"] == "event"]
    assert len(events) == store.count_events()
    for node in events:
        parents = [v for _, v, k in graph.out_edges(node, keys=True) if k == "part_of"]
        assert len(parents) == 1 and parents[0].startswith("episode:")
    for stream in ("home", "door"):
        mine = sorted((graph.nodes[n]["start"], n) for n in events if graph.nodes[n]["stream"] == stream)
        nexts = [(u, v) for u, v, k in graph.edges(keys=True) if k == "next" and u.startswith("event:")
                 and graph.nodes[u]["stream"] == stream]
        assert sorted(nexts) == sorted(zip([n for _, n in mine], [n for _, n in mine[1:]]))
    for node, data in graph.nodes(data=True):
        assert node.split(":")[0] == data["layer"]  # the layer is in the id
        if data["layer"] == "episode":
            assert [k for _, _, k in graph.out_edges(node, keys=True) if k == "part_of"] == ["part_of"]
    assert {k for _, _, k in graph.edges(keys=True) if "#" not in k} >= {"part_of", "next", "appears_in", "at",
                                                                        "near", "said"}


def test_state_intervals_never_overlap(world):
    store, mug, _, _ = world
    rows = states.states(store, subject=f"entity:{mug}", relation="at")
    assert len(rows) >= 2
    for a, b in zip(rows, rows[1:]):
        assert a.valid_to == b.valid_from and a.object != b.object


def test_json_round_trip_is_exact(world, tmp_path):
    store, *_ = world
    graph = scene_graph.build_graph(store)
    text = scene_graph.to_json(graph)
    again = scene_graph.from_json(text)
    assert scene_graph.graphs_equal(graph, again)
    assert scene_graph.to_json(again) == text
    path = tmp_path / "g.graphml"
    scene_graph.write_graphml(graph, path)
    read = nx.read_graphml(path, force_multigraph=True)
    assert read.number_of_nodes() == graph.number_of_nodes() and read.number_of_edges() == graph.number_of_edges()
    with pytest.raises(ValueError, match="scene-graph JSON"):
        scene_graph.from_json("{not json")


def test_time_travel_shows_what_had_happened_and_where_things_were(world):
    store, mug, _, sightings = world
    place_of = {e: v for e, _, v in [(u, None, v) for u, v, k in scene_graph.build_graph(store).edges(keys=True)
                                     if k == "at" and u.startswith("event:")]}
    rng = np.random.default_rng(0)
    for t in sorted(rng.uniform(sightings[0][0] + 1, 3000, size=12)):
        graph = scene_graph.build_graph(store, at=float(t))
        starts = [d["start"] for _, d in graph.nodes(data=True) if d["layer"] == "event" and d["stream"] == "home"]
        assert max(starts) <= t and len(starts) == sum(1 for e in store.events("home", thumbnails=False)
                                                        if e.start <= t)
        where = [(v, d) for _, v, d in graph.out_edges(f"entity:{mug}", data=True) if d.get("state")]
        latest = [event_id for s, event_id, _ in sightings if s <= t][-1]
        assert [v for v, _ in where] == [place_of[f"event:{latest}"]]
        assert all(d["valid_from"] <= t and (d.get("valid_to") is None or t < d["valid_to"]) for _, d in where)


def test_facts_are_distilled_with_provenance(world):
    store, mug, bob, sightings = world
    kitchen_events = {e for _, e, scene in sightings if scene == 0}
    garden_events = {e for _, e, scene in sightings if scene == 2}
    found = {(f.subject, f.relation): f for f in facts.facts(store)}
    usual = found[(f"entity:{mug}", "usually_in")]
    # the mug was in the garden on two days of three: more episodes show it there
    assert set(usual.evidence) == garden_events and usual.support == DAYS - 1
    assert 0 < usual.confidence < 1
    assert not set(usual.evidence) & kitchen_events
    says = [f for f in facts.facts(store, subject=f"entity:{bob}", relation="often_says")]
    assert {"coffee", "want"} <= {f.object for f in says} and all(f.support >= 2 for f in says)


def test_lines_of_a_voice_merged_into_a_person_are_the_persons(synthetic, tmp_path):
    """A voice key keeps the entity it was given (memory/entity_history.py); once that entity is merged into a
    person, the graph's "said" edges and the speech facts are the person's, not the merged-away entity's."""
    store = MemoryStore(tmp_path / "m")
    try:
        registry = EntityRegistry(store)
        voice = registry.entity_for("voice:1", "voice")
        for day in range(DAYS):
            texts = {i: "I want coffee now" for i in range(0, len(DAY_PLAN), 7)}
            synthetic.add_events(store, "home", DAY_PLAN, seed=day, start=day * 1000.0, texts=texts, voice="voice:1")
        person = registry.add_entity("person", name="Bob")
        assert registry.merge(person, voice) == person
        consolidate(store, CONFIG)  # facts are distilled here
        graph = scene_graph.build_graph(store)
        speakers = {u for u, _, k in graph.edges(keys=True) if k == "said"}
        assert speakers == {f"entity:{person}"}
        says = {f.subject for f in facts.facts(store, relation="often_says")}
        assert says == {f"entity:{person}"}
    finally:
        store.close()
