"""The scene graph: a networkx view of one memory, rebuilt from SQLite, with typed node ids by layer.

Nodes: ``session:N``, ``episode:N``, ``event:N``, ``utterance:N``, ``entity:N``, ``place:N``,
``area:N``; each carries ``layer`` and the row's fields. Edges (a MultiDiGraph, keyed by type):

- ``part_of``     event -> episode -> session, utterance -> event, place -> area
- ``next``        event -> the stream's next event, episode -> the stream's next episode
- ``appears_in``  entity -> event (``count`` appearances)
- ``at``          event -> place
- ``near``        place -> place (traversed; ``distance`` metres or hops, ``traversals``)
- ``said``        entity (a voice or the person it is bound to) -> utterance
- state facts     subject -> object keyed by the relation (e.g. ``at``), with ``valid_from``,
                  ``valid_to``, ``recorded`` (``state: True`` tells them from structure edges)

``build_graph(store, at=T)`` is the graph as it was at timeline time T (what had happened by T,
state facts valid at T); ``known_at=R`` restricts state facts to what was recorded by R.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from memory.hierarchy import has_tables, wall_clocks
from memory.states import states

if TYPE_CHECKING:
    import networkx as nx

    from memory.store import MemoryStore

logger = logging.getLogger(__name__)

LAYERS = ("session", "episode", "event", "utterance", "entity", "place", "area")
EDGE_TYPES = ("part_of", "next", "appears_in", "at", "near", "said")


def node_id(layer: str, number: int) -> str:
    """``node_id("event", 42)`` -> ``"event:42"``; the layer must be one of LAYERS."""
    if layer not in LAYERS:
        raise ValueError(f"unknown layer {layer!r}; layers = {list(LAYERS)}")
    return f"{layer}:{int(number)}"


def parse_node(node: str) -> tuple[str, int]:
    """``"event:42"`` -> ``("event", 42)``; ValueError naming the input otherwise."""
    layer, _, number = str(node).partition(":")
    if layer not in LAYERS or not number.isdigit():
        raise ValueError(f"node {node!r}: expected LAYER:N with LAYER one of {list(LAYERS)}")
    return layer, int(number)


def build_graph(store: "MemoryStore", at: float | None = None, known_at: float | None = None) -> "nx.MultiDiGraph":
    """The memory's scene graph (at timeline time ``at``; state facts as known at record time ``known_at``)."""
    import networkx as nx

    graph = nx.MultiDiGraph(at=at, known_at=known_at)
    with store._read() as c:
        clocks = wall_clocks(c)

        def seen(stream: str, t: float) -> bool:
            return at is None or (clocks.get(stream) or 0.0) + t <= at

        events = _add_events(graph, c, seen)
        _add_hierarchy(graph, c, seen, events)
        _add_utterances(graph, c, seen, events)
        _add_places(graph, c, seen, events)
        _add_entities(graph, c, events)
    _add_states(graph, store, at, known_at)
    return graph


def _add_events(graph, c, seen) -> set[int]:
    rows = c.execute('SELECT id, stream, start, "end", text, surprise FROM events ORDER BY stream, start, id').fetchall()
    kept, last = set(), {}
    for event_id, stream, start, end, text, surprise in rows:
        if not seen(stream, start):
            continue
        node = f"event:{event_id}"
        graph.add_node(node, layer="event", stream=stream, start=start, end=end, text=text, surprise=surprise)
        if stream in last:
            graph.add_edge(last[stream], node, key="next", type="next")
        last[stream] = node
        kept.add(event_id)
    return kept


def _add_hierarchy(graph, c, seen, events: set[int]) -> None:
    if not has_tables(c, "episodes", "sessions", "episode_events"):
        return
    for sid, stream, day, start, end, summary in c.execute(
            'SELECT id, stream, day, start, "end", summary FROM sessions ORDER BY id'):
        if seen(stream, start):
            graph.add_node(f"session:{sid}", layer="session", stream=stream, day=day, start=start, end=end,
                           summary=summary)
    last = {}
    for eid, stream, session, start, end, n, summary in c.execute(
            'SELECT id, stream, session_id, start, "end", events, summary FROM episodes ORDER BY stream, start, id'):
        if not seen(stream, start):
            continue
        node = f"episode:{eid}"
        graph.add_node(node, layer="episode", stream=stream, start=start, end=end, events=n, summary=summary)
        graph.add_edge(node, f"session:{session}", key="part_of", type="part_of")
        if stream in last:
            graph.add_edge(last[stream], node, key="next", type="next")
        last[stream] = node
    for event_id, episode_id in c.execute("SELECT event_id, episode_id FROM episode_events ORDER BY event_id"):
        if event_id in events:
            graph.add_edge(f"event:{event_id}", f"episode:{episode_id}", key="part_of", type="part_of")


def _add_utterances(graph, c, seen, events: set[int]) -> None:
    # a key keeps the entity it was given; a merge points that entity at the survivor (merged_into: a root)
    keys = dict(c.execute("SELECT k.key, COALESCE(e.merged_into, e.id) FROM entity_keys k JOIN entities e "
                          "ON e.id = k.entity_id").fetchall()) if has_tables(c, "entity_keys", "entities") else {}
    for uid, event_id, stream, start, end, text, voice in c.execute(
            'SELECT id, event_id, stream, start, "end", text, voice FROM utterances ORDER BY id'):
        if event_id not in events or not seen(stream, start):
            continue
        node = f"utterance:{uid}"
        graph.add_node(node, layer="utterance", stream=stream, start=start, end=end, text=text, voice=voice)
        graph.add_edge(node, f"event:{event_id}", key="part_of", type="part_of")
        if voice in keys:
            graph.add_edge(f"entity:{keys[voice]}", node, key="said", type="said")


def _add_places(graph, c, seen, events: set[int]) -> None:
    if not has_tables(c, "places", "areas", "event_places", "place_edges"):
        return
    used_areas = set()
    for pid, kind, x, y, frame, first, stream, visits, name, area in c.execute(
            "SELECT id, kind, x, y, frame, first_seen, stream, visits, name, area_id FROM places ORDER BY id"):
        if not seen(stream, first):
            continue
        graph.add_node(f"place:{pid}", layer="place", kind=kind, x=x, y=y, frame=frame, first_seen=first,
                       stream=stream, visits=visits, name=name)
        if area is not None:
            graph.add_edge(f"place:{pid}", f"area:{area}", key="part_of", type="part_of")
            used_areas.add(area)
    for aid, name, source in c.execute("SELECT id, name, source FROM areas ORDER BY id"):
        if aid in used_areas:
            graph.add_node(f"area:{aid}", layer="area", name=name, source=source)
    for a, b, distance, traversals in c.execute("SELECT a, b, distance, traversals FROM place_edges ORDER BY a, b"):
        if f"place:{a}" in graph and f"place:{b}" in graph:
            graph.add_edge(f"place:{a}", f"place:{b}", key="near", type="near", distance=distance,
                           traversals=traversals)
    for event_id, place in c.execute("SELECT event_id, place_id FROM event_places WHERE place_id IS NOT NULL "
                                     "ORDER BY event_id"):
        if event_id in events and f"place:{place}" in graph:
            graph.add_edge(f"event:{event_id}", f"place:{place}", key="at", type="at")


def _add_entities(graph, c, events: set[int]) -> None:
    if not has_tables(c, "entities", "entity_appearances"):
        return
    rows = c.execute("SELECT a.entity_id, a.event_id, COUNT(*) FROM entity_appearances a WHERE a.event_id IS NOT NULL "
                     "GROUP BY a.entity_id, a.event_id ORDER BY a.entity_id, a.event_id").fetchall()
    about = {eid: (kind, name, merged, forgotten) for eid, kind, name, merged, forgotten in
             c.execute("SELECT id, kind, name, merged_into, forgotten FROM entities")}
    for entity_id, event_id, count in rows:
        if event_id in events:
            graph.add_edge(f"entity:{entity_id}", f"event:{event_id}", key="appears_in", type="appears_in",
                           count=count)
    for node in sorted(n for n in graph if n.startswith("entity:")):
        eid = int(node.split(":")[1])
        if eid in about:
            kind, name, merged, forgotten = about[eid]
            graph.add_node(node, layer="entity", kind=kind, name=None if forgotten else name, merged_into=merged)


def _add_states(graph, store, at: float | None, known_at: float | None) -> None:
    for fact in states(store, at=at, known_at=known_at):
        for node in (fact.subject, fact.object):
            if node not in graph:
                layer = node.split(":", 1)[0]
                graph.add_node(node, layer=layer if layer in LAYERS else "value")
        graph.add_edge(fact.subject, fact.object, key=f"{fact.relation}#{fact.id}", type=fact.relation, state=True,
                       valid_from=fact.valid_from, valid_to=fact.valid_to, recorded=fact.recorded, evidence=fact.source)


# ---------------------------------------------------------------------------------------------- export
def to_json(graph: "nx.MultiDiGraph") -> str:
    """node-link JSON that ``from_json`` turns back into an equal graph."""
    import networkx as nx

    return json.dumps(nx.node_link_data(graph, edges="edges"), sort_keys=True)


def from_json(text: str) -> "nx.MultiDiGraph":
    import networkx as nx

    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not a scene-graph JSON document: {exc}") from exc
    return nx.node_link_graph(data, directed=True, multigraph=True, edges="edges")


def write_graphml(graph: "nx.MultiDiGraph", path: str | Path) -> None:
    """GraphML (for Gephi, yEd, ...): attributes that are None are left out (GraphML has no null)."""
    import networkx as nx

    plain = nx.MultiDiGraph()
    plain.graph.update({k: v for k, v in graph.graph.items() if v is not None})
    for node, data in graph.nodes(data=True):
        plain.add_node(node, **{k: v for k, v in data.items() if v is not None})
    for a, b, key, data in graph.edges(keys=True, data=True):
        plain.add_edge(a, b, key=key, **{k: v for k, v in data.items() if v is not None})
    nx.write_graphml(plain, str(path))


def graphs_equal(a: "nx.MultiDiGraph", b: "nx.MultiDiGraph") -> bool:
    """Same nodes, edges, keys and attributes (what a round trip must keep)."""
    return (dict(a.nodes(data=True)) == dict(b.nodes(data=True))
            and sorted((u, v, k, json.dumps(d, sort_keys=True)) for u, v, k, d in a.edges(keys=True, data=True))
            == sorted((u, v, k, json.dumps(d, sort_keys=True)) for u, v, k, d in b.edges(keys=True, data=True))
            and a.graph == b.graph)
