"""Acts from what was seen (issue #30, item 3): puts, picks, openings, entries and handovers are read off
sightings and tracks; heard lines only raise or lower how sure an act is.

The oracle is a seeded simulator episode's truth: what its camera saw (the truth's per-frame visibility,
at 5 frames a second) becomes sightings with a detector's errors (15% missed, positions off by 5 cm + 5% of
the range, container states misread 10% of the time, a new track after a second unseen, people's
appearance vectors noisy), with the drifting odometry's poses and the map. The world built from them,
with nothing heard, must find the episode's true acts at the precision and recall measured when this
test was written (less a margin), with their doers where the doer was seen. Handovers are rare in the
simulator's short episodes (none in seeds 1-15 under 5 minutes), so they are checked on a small world
built by hand, with and without lines heard.
"""

from __future__ import annotations

import numpy as np
import pytest

from memory.perceived import Area, Heard, Sighting, add_heard, add_sightings, set_areas
from memory.poses import Pose
from memory.store import MemoryStore
from mnemo.evaluation.acts import acts_score, pooled
from planners.builtin import BuiltinAnswerer
from planners.world import World
from sim import RenderConfig
from sim.episode import simulate

SEEDS = (12, 13)  # development seeds with acts of every kind in view within MINUTES
MINUTES = 4.0
STREAM = "s"
MISS = 0.15  # share of sightings missed
STATE_ERROR = 0.1  # share of container states misread
FLOORS = {  # kind: (precision, recall) at least; measured when written on SEEDS pooled: put 0.62, 1.0 (7 seen);
    # pick 0.27, 1.0 (4 seen; a pause while carried is often read as a put and a pick); open 0.67, 1.0 (2);
    # enter 0.86, 0.76 (21); after people began to greet and answer (the episodes' timing moved): enter 0.83, 0.68 (22)
    "put": (0.55, 0.85), "pick": (0.2, 0.75), "open": (0.6, 0.9), "enter": (0.75, 0.6)}
DOER_FLOOR = 0.9  # share of matched acts whose doer is the true one (1.0 when written)


def _sightings(truth, rng: np.random.Generator) -> list[Sighting]:
    """What a noisy detector, tracker and re-identification would have stored of the truth's frames."""
    kinds = {o.id: ("object", o.category, o.colour) for o in truth.objects}
    kinds.update({f.id: ("furniture", f.category, "") for f in truth.furniture})
    kinds.update({p.id: ("person", "person", "") for p in truth.people})
    containers = {f.id for f in truth.furniture if f.container}
    looks = {p.id: np.eye(16)[k] for k, p in enumerate(truth.people)}
    track, last, ids = 0, {}, {}
    rows = []
    for obs in truth.observations:
        for seen in obs.entities:
            if seen.entity not in kinds or rng.random() < MISS:
                continue
            if obs.time - last.get(seen.entity, -np.inf) > 1.0:  # unseen a while: a new track
                track += 1
                ids[seen.entity] = track
            last[seen.entity] = obs.time
            kind, label, colour = kinds[seen.entity]
            err = 0.05 + 0.05 * seen.distance
            x, y = (float(v + rng.normal(0.0, err)) for v in seen.position)
            state = ""
            if seen.entity in containers:
                is_open = any(s.furniture == seen.entity and s.start <= obs.time <= s.end for s in truth.open_spans)
                state = "open" if is_open != (rng.random() < STATE_ERROR) else "closed"
            look = None
            if kind == "person":
                v = looks[seen.entity] + rng.normal(0.0, 0.05, 16)
                look = (v / np.linalg.norm(v)).astype(np.float16).tobytes()
            rows.append(Sighting(STREAM, float(obs.time), ids[seen.entity], kind, label, 0.9, x, y, colour,
                                 look, state))
    return rows


def _world(truth, directory) -> tuple[MemoryStore, World]:
    store = MemoryStore(directory, create=True)
    store.add_stream(STREAM, "sim://acts")
    agent = next(k for k in truth.paths if k.entity == "agent")
    times = np.arange(0.0, truth.duration, 0.2)
    store.add_poses([Pose(STREAM, float(t), float(x), float(y)) for t, x, y in
                     zip(times, np.interp(times, agent.times, agent.xs), np.interp(times, agent.times, agent.ys))])
    set_areas(store, [Area(r.name, *map(float, r.bounds)) for r in truth.rooms])
    add_sightings(store, _sightings(truth, np.random.default_rng(truth.seed)))
    return store, World(store)


@pytest.fixture(scope="module")
def scores(tmp_path_factory):
    """Per kind, the acts' scores pooled over the seeded episodes (and whether anything was heard)."""
    root = tmp_path_factory.mktemp("acts")
    found, heard = [], []
    for seed in SEEDS:
        truth = simulate(seed, MINUTES, render=RenderConfig(160, 120, fps=5.0, observation_rate=5.0),
                         speech="tones").truth
        store, world = _world(truth, root / f"m{seed}")
        found.append(acts_score(world, truth))
        heard += world.heard
        store.close()
    return pooled(found), heard


@pytest.mark.parametrize("kind", sorted(FLOORS))
def test_acts_seen_are_found_from_sightings_alone(scores, kind):
    pooled_scores, heard = scores
    assert not heard  # nothing heard: every act below comes from sightings and tracks
    score = pooled_scores[kind]
    precision, recall = FLOORS[kind]
    assert score["true_seen"] >= 2, score  # the oracle is not vacuous
    assert score["precision"] >= precision and score["recall"] >= recall, score
    assert score["doer"] is None or score["doer"] >= DOER_FLOOR, score


def test_no_handover_is_found_where_none_happened(scores):
    assert scores[0]["handover"]["true_seen"] == 0 and scores[0]["handover"]["inferred"] == 0, scores[0]["handover"]


def _carry(rows: list[Sighting], track: int, label: str, path: list[tuple[float, float, float]], step: float = 0.2,
           kind: str = "object", look: bytes | None = None, colour: str = "") -> None:
    """Sightings along a path of (time, x, y) waypoints, every ``step`` seconds."""
    ts, xs, ys = (np.array(v, float) for v in zip(*path))
    for t in np.arange(ts[0], ts[-1] + 1e-9, step):
        rows.append(Sighting(STREAM, float(t), track, kind, label, 0.9, float(np.interp(t, ts, xs)),
                             float(np.interp(t, ts, ys)), colour, look))


def _hand_over_world(directory, heard: list[Heard]) -> MemoryStore:
    """Kitchen (x < 5) and office: Ann carries the red mug from the kitchen table to the office and puts it
    on the desk (46 s) where Ben is, who takes it from there (70 s) and carries it off."""
    store = MemoryStore(directory, create=True)
    store.add_stream(STREAM, "test://handover")
    store.add_poses([Pose(STREAM, float(t), 2.0 if t < 30 else 7.0, 2.5) for t in np.arange(0, 120.1, 0.5)])
    set_areas(store, [Area("kitchen", 0, 0, 5, 5), Area("office", 5, 0, 10, 5)])
    ann, ben = np.eye(16, dtype=np.float16)[0].tobytes(), np.eye(16, dtype=np.float16)[1].tobytes()
    rows: list[Sighting] = []
    for t in np.arange(0.0, 120.0, 1.0):
        rows += [Sighting(STREAM, t, 1, "furniture", "table", 0.9, 1.0, 1.0),
                 Sighting(STREAM, t, 2, "furniture", "desk", 0.9, 8.0, 2.0)]
    _carry(rows, 3, "mug", [(5.0, 1.0, 1.0), (40.0, 1.0, 1.0)], colour="red")  # at rest on the table
    _carry(rows, 4, "mug", [(40.2, 1.3, 1.0), (45.8, 7.8, 2.0)], colour="red")  # carried by Ann
    _carry(rows, 5, "mug", [(46.0, 8.0, 2.0), (70.0, 8.0, 2.0)], colour="red")  # on the desk
    _carry(rows, 6, "mug", [(70.2, 8.3, 2.2), (80.0, 8.5, 4.5)], colour="red")  # carried off by Ben
    _carry(rows, 10, "person", [(38.0, 1.3, 1.3), (40.0, 1.3, 1.3), (46.0, 7.6, 2.3), (66.0, 7.6, 2.3)],
           kind="person", look=ann)
    _carry(rows, 11, "person", [(50.0, 8.6, 2.6), (80.0, 8.6, 4.6)], kind="person", look=ben)
    add_sightings(store, rows)
    add_heard(store, heard)
    return store


@pytest.mark.parametrize("heard, sure", [
    ([], (0.55, 0.65)),  # seen alone: put down by one, taken from there by the other
    ([Heard(STREAM, 61.0, 63.0, "Ben, the red mug is on the desk.", "Ann")], (0.8, 0.95)),  # told to him: surer
    ([Heard(STREAM, 61.0, 63.0, "The red mug is in the kitchen.", "Ann")], (0.3, 0.4)),  # said to be elsewhere
])
def test_a_handover_is_read_off_tracks_and_speech_only_moves_its_confidence(tmp_path, heard, sure):
    store = _hand_over_world(tmp_path / "m", heard)
    try:
        world = World(store)
        handed = [a for a in world.actions if a.kind == "handover"]
        assert len(handed) == 1 and handed[0].target == "red mug", world.actions
        a = handed[0]
        assert abs(a.time - 46.0) <= 1.0 and abs(a.end - 70.0) <= 1.5 and a.actor != a.to
        assert {world.people[a.actor].times.min(), world.people[a.to].times.min()} == {38.0, 50.0}
        assert sure[0] <= a.confidence <= sure[1], a
    finally:
        store.close()


def test_no_lines_no_request_the_thing_handed_over_is_found(tmp_path):
    store = _hand_over_world(tmp_path / "m", [])
    try:
        world = World(store)
        a = next(a for a in world.actions if a.kind == "handover")
        answer = BuiltinAnswerer(store, world=world)._requested(100.0, a.to, a.actor)
        assert answer[0] == "office", answer  # where the mug is now: carried off by Ben, in the office
    finally:
        store.close()


@pytest.mark.parametrize("placed_at_it", [True, False])
def test_a_container_read_open_only_while_its_box_is_cut_off_was_opened(world_store, placed_at_it):
    """A cabinet in the office is read closed, placed, every half second (track 30); at 50-54 s its doors
    swing open into view and the box runs off the frame: those sightings, read open, have no position. On
    the track placed at the cabinet they are the cabinet's: it was opened at 50 s (Carol stands at it). On a
    track never placed at it (a cut-off box of something else) they say nothing about the cabinet."""
    carol = np.zeros(16, np.float16)
    carol[2] = 1
    track = 30 if placed_at_it else 31
    rows = [Sighting("s1", float(t), 30, "furniture", "cabinet", 0.9, 7.5, 4.5, state="closed")
            for t in np.arange(0.0, 100.0, 0.5) if not 50.0 <= t < 54.5]
    rows += [Sighting("s1", float(t), track, "furniture", "cabinet", 0.9, state="open")
             for t in np.arange(50.0, 54.5, 0.5)]
    rows += [Sighting("s1", float(t), 40, "person", "person", 0.9, 7.5, 3.8, appearance=carol.tobytes())
             for t in np.arange(48.0, 57.0, 0.2)]
    add_sightings(world_store, rows)
    world = World(world_store)
    cabinet = next(f for f in world.furniture if f.name == "cabinet")
    answerer = BuiltinAnswerer(world_store)
    count = answerer.answer("How many times was the cabinet opened?", 90.0).value
    if placed_at_it:
        assert [(round(s.start), round(s.end)) for s in cabinet.opens] == [(50, 54)]  # midway from the closed reads
        assert count == 1
        assert answerer.answer("When was the cabinet opened?", 90.0).value == pytest.approx(49.75, abs=0.5)
    else:
        assert cabinet.opens == [] and count == 0


@pytest.mark.parametrize("step, opened", [(1.0, True), (0.5, False)])
def test_two_open_readings_make_an_opening_only_where_the_container_is_read_too_sparsely_for_more(world_store, step,
                                                                                                  opened):
    """A cabinet read closed but for two readings in a row, Carol at it: at one reading a second a two-second
    opening is read twice, so that is one (someone by it); at two a second it would be read four times, so two
    are misreadings."""
    carol = np.zeros(16, np.float16)
    carol[2] = 1
    times = np.arange(0.0, 100.0, step)
    rows = [Sighting("s1", float(t), 30, "furniture", "cabinet", 0.9, 7.5, 4.5,
                     state="open" if 50.0 <= t < 50.0 + 2 * step else "closed") for t in times]
    rows += [Sighting("s1", float(t), 40, "person", "person", 0.9, 7.5, 3.8, appearance=carol.tobytes())
             for t in np.arange(48.0, 57.0, 0.2)]
    add_sightings(world_store, rows)
    opens = [a for a in World(world_store).actions if a.kind == "open"]
    assert [(a.target, round(a.time)) for a in opens] == ([("cabinet", 50)] if opened else [])
