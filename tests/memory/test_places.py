"""Places from a synthetic robot path through known rooms; areas, the place graph, visual places."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from memory import places
from memory.event import Checkpoint, Event
from memory.poses import Pose
from memory.store import MemoryStore

# a row of three 5 m x 5 m rooms joined by doors in the middle of the shared walls
ROOMS = {"kitchen": (0.0, 0.0, 5.0, 5.0), "hall": (5.0, 0.0, 10.0, 5.0), "study": (10.0, 0.0, 15.0, 5.0)}
DOORS = [(5.0, 2.5), (10.0, 2.5)]


def room_at(x: float, y: float) -> str:
    return next(name for name, (x0, y0, x1, y1) in ROOMS.items() if x0 <= x < x1 and y0 <= y <= y1)


def robot_path(seed: int, visits: list[str], dwell: float = 40.0, rate: float = 10.0) -> list[tuple[float, float, float]]:
    """(t, x, y): wander inside each visited room, walk through the doors between them at 1 m/s."""
    rng = np.random.default_rng(seed)
    order = list(ROOMS)
    waypoints: list[tuple[float, float]] = []
    here = order.index(visits[0])
    for room in visits:
        target = order.index(room)
        while here != target:  # through the doors in between
            step = 1 if target > here else -1
            waypoints.append(DOORS[here if step > 0 else here - 1])
            here += step
        x0, y0, x1, y1 = ROOMS[room]
        for _ in range(int(dwell / 5)):
            waypoints.append((rng.uniform(x0 + 0.8, x1 - 0.8), rng.uniform(y0 + 0.8, y1 - 0.8)))
    path, t, (x, y) = [], 0.0, waypoints[0]
    for wx, wy in waypoints[1:]:
        steps = max(1, int(math.hypot(wx - x, wy - y) * rate))
        for i in range(steps):
            path.append((t, x + (wx - x) * i / steps, y + (wy - y) * i / steps))
            t += 1.0 / rate
        x, y = wx, wy
    return path


def ingest_path(store: MemoryStore, stream: str, path, seconds: float = 5.0) -> list[int]:
    store.add_stream(stream, f"synthetic://{stream}")
    store.add_poses([Pose(stream, t, x, y) for t, x, y in path])
    ids, t, end = [], 0.0, path[-1][0]
    while t < end:
        e = Event(stream, t, min(t + seconds, end), vectors={"image/test": np.ones(4, dtype=np.float32)})
        ids.append(store.add_event(e, Checkpoint(stream, e.end, b"")))
        t += seconds
    return ids


@pytest.fixture(scope="module")
def robot(tmp_path_factory):
    store = MemoryStore(tmp_path_factory.mktemp("robot") / "m")
    path = robot_path(0, ["kitchen", "hall", "study", "hall", "kitchen", "study"])
    ids = ingest_path(store, "robot", path, seconds=2.0)
    places.update(store)
    yield store, path, ids
    store.close()


def test_places_are_pure_in_rooms(robot):
    store, path, ids = robot
    track = store.poses("robot")
    rooms_of: dict[int, Counter] = {}
    for event in store.events(thumbnails=False):
        x, y, _ = track.at((event.start + event.end) / 2)
        rooms_of.setdefault(places.place_of(store, event.id), Counter())[room_at(x, y)] += 1
    majority = sum(c.most_common(1)[0][1] for c in rooms_of.values())
    assert majority / len(ids) >= 0.85
    found = places.places(store)
    assert 6 <= len(found) <= len(ids) // 2  # coarser than events, finer than rooms
    assert all(p.kind == "pose" and p.x is not None for p in found)
    # every place centre lies within the radius of the path
    xy = np.array([(x, y) for _, x, y in path])
    assert all(np.hypot(xy[:, 0] - p.x, xy[:, 1] - p.y).min() < 1e-9 for p in found)


def test_place_graph_paths_go_through_the_doors(robot):
    store, _, _ = robot
    found = places.places(store)
    graph = places.place_graph(store)
    assert graph.number_of_edges() >= len(found) - 1
    kitchen = min(found, key=lambda p: math.hypot(p.x - 1.0, p.y - 2.5))
    study = min(found, key=lambda p: math.hypot(p.x - 14.0, p.y - 2.5))
    route, metres = places.shortest_path(store, kitchen.id, f"place:{study.id}")
    assert route[0] == kitchen.id and route[-1] == study.id
    assert metres >= math.hypot(kitchen.x - study.x, kitchen.y - study.y) - 1e-9
    by_id = {p.id: p for p in found}
    rooms = [room_at(by_id[i].x, by_id[i].y) for i in route]
    assert "hall" in rooms  # there is no way around the hall
    with pytest.raises(KeyError, match="place:999"):
        places.shortest_path(store, kitchen.id, 999)


def test_areas_from_a_map_and_from_a_user(robot):
    store, _, _ = robot
    assert places.label_areas(store, ROOMS) == len(places.places(store))
    for p in places.places(store):
        assert p.area_name == room_at(min(p.x, 14.999), p.y)
    first = places.places(store)[0]
    area = places.name_place(store, f"place:{first.id}", "  Alice's   corner ")
    assert places.places(store)[0].area_name == "Alice's corner" and places.places(store)[0].area == area
    places.label_areas(store, ROOMS)  # a map does not override the user
    assert places.places(store)[0].area_name == "Alice's corner"
    assert {a["name"] for a in places.areas(store)} >= {"kitchen", "hall", "study", "Alice's corner"}
    with pytest.raises(ValueError, match="place:N"):
        places.name_place(store, "kitchen", "x")
    with pytest.raises(KeyError, match="no place 999"):
        places.name_place(store, 999, "x")


def test_visual_places_without_poses(synthetic, tmp_path):
    with MemoryStore(tmp_path / "m") as store:
        ids = synthetic.add_events(store, "cam", [(0, 5.0), (1, 5.0), (2, 5.0), (0, 5.0), (1, 5.0)])
        assert places.update(store) == 5 and places.update(store) == 0
        assert [places.place_of(store, i) for i in ids] == [1, 2, 3, 1, 2]
        graph = places.place_graph(store)
        assert sorted(graph.edges()) == [("place:1", "place:2"), ("place:1", "place:3"), ("place:2", "place:3")]
        assert places.shortest_path(store, 1, 3) == ([1, 3], 1.0)
