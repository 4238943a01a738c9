"""Object tracks joined into things by appearance, and things named by the colours read from them."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from memory.perceived import Sighting, add_sightings
from memory.store import MemoryStore
from planners.identities import join_tracks, name_things, read_colour
from planners.world import World


def _lookalikes(rng, things: int, dim: int = 64) -> np.ndarray:
    """Prototype vectors sharing a common part, as things of one label do (cosine about 0.7 between them)."""
    common = rng.standard_normal(dim)
    protos = 1.5 * common / np.linalg.norm(common) + rng.standard_normal((things, dim)) / np.sqrt(dim)
    return protos / np.linalg.norm(protos, axis=1, keepdims=True)


def _track_mean(rng, proto: np.ndarray, crops: int, noise: float = 0.6) -> np.ndarray:
    samples = proto + noise * rng.standard_normal((crops, len(proto))) / np.sqrt(len(proto))
    return samples.mean(axis=0)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_tracks_of_one_thing_are_joined_and_lookalikes_kept_apart(seed):
    rng = np.random.default_rng(seed)
    protos = _lookalikes(rng, 5)
    assert np.max(protos @ protos.T - 2 * np.eye(5)) < 0.8  # look-alikes, but not one thing
    truth = [int(k) for k in rng.integers(0, 5, size=120)]
    crops = [int(n) for n in rng.integers(2, 40, size=120)]
    vectors = [_track_mean(rng, protos[k], n) for k, n in zip(truth, crops)]
    owner = join_tracks(vectors, [float(n) for n in crops])
    # the partition found is the true one: same thing <=> same owner, for every pair of tracks
    same_found = np.equal.outer(owner, owner)
    same_true = np.equal.outer(truth, truth)
    assert (same_found == same_true).all()


def test_tracks_without_vectors_are_things_of_their_own():
    v = np.ones(8)
    owner = join_tracks([v, None, v * 2, None], [5.0, 9.0, 3.0, 1.0])
    assert owner[0] == owner[2]
    assert len({owner[0], owner[1], owner[3]}) == 3


@pytest.mark.parametrize("votes, colour", [
    ({"red": 30, "pink": 5}, "red"),  # read right most often
    ({"grey": 80, "teal": 20}, "teal"),  # a thin teal pen fades to grey
    ({"black": 70, "grey": 10, "orange": 20}, "orange"),  # an orange phone: its dark screen reads black
    ({"white": 60, "grey": 25, "yellow": 15}, "yellow"),
    ({"grey": 90, "teal": 10}, "grey"),  # a grey thing read teal now and then stays grey
    ({"grey": 70, "black": 30}, "black"),  # black lifted to grey in light
    ({"grey": 80, "black": 20}, "grey"),
    ({"black": 60, "grey": 40}, "black"),
    ({"white": 50, "black": 30, "grey": 20}, "white"),
    ({"": 12}, None),  # nothing read
    ({}, None),
])
def test_read_colour(votes, colour):
    assert read_colour(Counter(votes)) == colour


def _rows(track: int, colours: dict[str, int], t0: float = 0.0) -> list[tuple]:
    """Sighting rows (id, stream, time, track, kind, label, colour, ...) of one phone track."""
    out = []
    for colour, n in colours.items():
        for _ in range(n):
            out.append((len(out), "s", t0 + 0.2 * len(out), track, "object", "phone", colour, 0.9, 1.0, 1.0, ""))
    return out


@pytest.mark.parametrize("said, reads, name", [
    ("", {"black": 90, "yellow": 10}, "black phone"),  # nothing said: read as read
    ("where is my yellow phone", {"black": 90, "yellow": 10}, "yellow phone"),  # said, and among its reads
    ("where is my yellow phone", {"black": 100}, "black phone"),  # said, but never read so
    ("the black phone and the yellow phone", {"black": 90, "yellow": 10}, "black phone"),  # its own name said
    ("where is my yellow phone", {"black": 8, "yellow": 1}, "black phone"),  # too few reads to overrule
])
def test_a_name_said_aloud_names_the_thing_read_otherwise(said, reads, name):
    named = name_things([("phone", _rows(1, reads))], {}, [said])
    assert {n for n, _ in named} == {name}


def test_a_name_said_goes_to_one_thing_only():
    """Two phones read black, yellow said: the one read yellow more often takes the name."""
    a, b = _rows(1, {"black": 90, "yellow": 5}), _rows(2, {"black": 80, "yellow": 12}, t0=100.0)
    vectors = {1: np.eye(8)[0], 2: np.eye(8)[1]}
    named = dict((items[0][3], n) for n, items in name_things([("phone", a), ("phone", b)], vectors,
                                                               ["has anyone seen the yellow phone"]))
    assert named == {1: "black phone", 2: "yellow phone"}


def test_all_tracks_of_one_thing_bear_its_name():
    """A red mug's short track misread grey joins its long track by appearance: one red mug. Without
    vectors (the oracle of the old rule: each track named alone) the short track is a grey mug."""
    rows = [(i, "s", 0.2 * i, 1, "object", "mug", "red", 0.9, 1.0, 1.0, "") for i in range(40)]
    rows += [(100 + i, "s", 60 + 0.2 * i, 2, "object", "mug", "grey", 0.9, 1.0, 1.0, "") for i in range(4)]
    tracks = [("mug", rows[:40]), ("mug", rows[40:])]
    v = np.random.default_rng(0).standard_normal(16)
    assert {n for n, _ in name_things(tracks, {1: v, 2: v + 0.05})} == {"red mug"}
    assert {n for n, _ in name_things(tracks, {})} == {"red mug", "grey mug"}


def test_world_names_a_thing_once_across_its_tracks(tmp_path):
    """End to end through the memory: the vectors stored with object sightings join the tracks."""
    rng = np.random.default_rng(1)
    mug, box = rng.standard_normal(16), rng.standard_normal(16)
    store = MemoryStore(tmp_path / "m", create=True)
    store.add_stream("s", "test://identities")

    def seen(track, label, colour, t0, n, proto):
        return [Sighting("s", t0 + 0.2 * i, track, "object", label, 0.9, 1.0, 1.0, colour,
                         (proto + 0.1 * rng.standard_normal(16)).astype(np.float16).tobytes()) for i in range(n)]

    add_sightings(store, seen(1, "mug", "red", 0.0, 30, mug) + seen(2, "mug", "grey", 20.0, 5, mug)
                  + seen(3, "mug", "pink", 40.0, 20, box))
    world = World(store)
    assert sorted(world.things) == ["pink mug", "red mug"]
    assert len(world.things["red mug"].times) == 35
    store.close()
