"""Person tracks stitched across the seams between clusters, and the room entries read across them."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from memory.perceived import Area, Sighting, add_sightings, set_areas
from memory.poses import Pose
from memory.store import MemoryStore
from planners.stitch import seams, stitched
from planners.world import World

STREAM = "s1"


def _person(path):
    t, x, y = (np.array(v, float) for v in zip(*path))
    return SimpleNamespace(times=t, xs=x, ys=y)


def _walk(t0, t1, a, b, rate=2.0):
    ts = np.arange(t0, t1 + 1e-9, 1.0 / rate)
    return [(float(t), a[0] + (b[0] - a[0]) * (t - t0) / (t1 - t0), a[1] + (b[1] - a[1]) * (t - t0) / (t1 - t0))
            for t in ts]


def test_a_walk_split_between_two_clusters_is_stitched_once():
    """A walks to x = 4.6 by 5 s; B goes on from x = 5.2 at 5.5 s: one walk, one seam; the track of each
    borrows the other's side, and owners say whose each sighting is."""
    people = {"A": _person(_walk(0.0, 5.0, (1.0, 2.5), (4.6, 2.5))),
              "B": _person(_walk(5.5, 10.0, (5.2, 2.5), (9.0, 2.5)))}
    assert [(a.who, b.who) for a, b in seams(people)] == [("A", "B")]
    tracks = stitched(people)
    assert tracks["B"].times[0] == 2.0 and tracks["B"].owner[0] == "A"  # BORROW s of A before the seam
    assert tracks["A"].times[-1] == 8.5 and tracks["A"].owner[-1] == "B"
    assert tracks["B"].owner_at(5.2) == "B" and tracks["B"].owner_at(4.0) == "A"


def test_no_seam_where_someone_else_could_be_the_other_half_or_it_is_too_far():
    """B starts 3 m from where A was lost: not one walk. With C starting next to B as well, A's end has
    two candidates: left alone. A seen on after B starts: two people at once."""
    a = _walk(0.0, 5.0, (1.0, 2.5), (4.6, 2.5))
    assert seams({"A": _person(a), "B": _person(_walk(5.5, 10.0, (7.6, 2.5), (9.0, 2.5)))}) == []
    two = {"A": _person(a), "B": _person(_walk(5.5, 10.0, (5.2, 2.5), (9.0, 2.5))),
           "C": _person(_walk(5.5, 10.0, (5.0, 3.0), (5.0, 4.5)))}
    assert seams(two) == []
    on = {"A": _person(a + [(6.0, 4.6, 2.5), (6.5, 4.6, 2.5)]), "B": _person(_walk(5.5, 10.0, (5.2, 2.5), (9.0, 2.5)))}
    assert seams(on) == []


def test_an_entry_across_a_seam_is_one_entry_of_the_one_seen_inside(tmp_path):
    """Kitchen (x < 5) and office. One person walks from the kitchen into the office; re-identification
    splits the walk at the doorway into two clusters (different looks). Read per cluster, the entry goes
    to the kitchen cluster, walked out of view at the wall; stitched, the crossing itself is seen: one
    entry into the office, at about 5.2 s, by the cluster seen in the office (whom the answers then name)."""
    store = MemoryStore(tmp_path / "m", create=True)
    store.add_stream(STREAM, "test://stitch")
    store.add_poses([Pose(STREAM, float(t), 2.5, 2.5) for t in np.arange(0.0, 30.0, 0.5)])
    set_areas(store, [Area("kitchen", 0, 0, 5, 5), Area("office", 5, 0, 10, 5)])
    look = np.eye(8, dtype=np.float16)
    rows = [Sighting(STREAM, t, 1, "person", "person", 0.9, x, y, appearance=look[0].tobytes())
            for t, x, y in _walk(0.0, 5.0, (1.0, 2.5), (4.85, 2.5))]
    rows += [Sighting(STREAM, t, 2, "person", "person", 0.9, x, y, appearance=look[1].tobytes())
             for t, x, y in _walk(5.5, 12.0, (5.6, 2.5), (9.0, 2.5))]
    add_sightings(store, rows)
    world = World(store)
    entries = [(a.time, a.actor, a.target) for a in world.actions if a.kind == "enter"]
    assert len(world.people) == 2 and len(entries) == 1
    t, who, room = entries[0]
    assert room == "office" and 5.0 <= t <= 5.6
    assert float(world.people[who].xs.min()) > 5.0  # the one seen in the office
    store.close()
