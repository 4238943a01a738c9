"""The timeline: deterministic, self-consistent (no double-booked slots, no overlapping speech)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from sim.scenario import ScenarioConfig, build_scenario
from sim.world import WorldConfig, build_world


@pytest.fixture(scope="module")
def scenario():
    world = build_world(8, WorldConfig(n_people=4, n_objects=14))
    return build_scenario(world, ScenarioConfig(duration=900.0, activity_rate=3.0))


def _key(s):
    return (s.actions, s.utterances, s.activities, s.object_spans, s.agent, s.people)


def test_deterministic_by_seed():
    world = build_world(3)
    a = build_scenario(world, ScenarioConfig(duration=300))
    b = build_scenario(world, ScenarioConfig(duration=300))
    c = build_scenario(world, ScenarioConfig(duration=300), seed=4)
    assert _key(a) == _key(b)
    assert a.actions != c.actions or a.utterances != c.utterances


def test_speech_never_overlaps_and_ids_follow_time(scenario):
    lines = scenario.utterances
    assert len(lines) > 10
    for a, b in zip(lines, lines[1:]):
        assert a.end <= b.start + 1e-9
    assert [u.id for u in lines] == [f"utterance:{k}" for k in range(len(lines))]
    assert all(u.heard == (u.room == scenario.agent_room(u.start) or u.distance <= 5.0) for u in lines if u.heard)


def test_object_spans_tile_time_and_never_share_a_slot(scenario):
    end = scenario.duration
    for obj in scenario.world.objects:
        spans = [s for s in scenario.object_spans if s.object == obj.id]
        assert spans[0].start == 0.0 and spans[-1].end == end
        for a, b in zip(spans, spans[1:]):
            assert a.end == b.start
    grid = np.linspace(0, end - 1e-6, 400)
    for t in grid:
        occupied = [(s.furniture, s.slot) for s in scenario.object_spans if s.start <= t < s.end and s.furniture]
        assert len(occupied) == len(set(occupied))


def test_actions_are_consistent_with_locations(scenario):
    moved = [a for a in scenario.actions if a.kind in ("pick", "put")]
    assert moved, "people move objects"
    for a in moved:
        before = scenario.object_span(a.target, a.time - 1e-6)
        after = scenario.object_span(a.target, a.time + 1e-6)
        if a.kind == "pick":
            assert before.furniture == a.furniture and after.holder == a.actor
        else:
            assert before.holder == a.actor and after.furniture == a.furniture and after.slot == a.slot
        x, y = scenario.people[a.actor].position(a.time)
        fx, fy = scenario.world.get(a.furniture).approach
        assert np.hypot(x - fx, y - fy) < 1e-6  # people stand at the furniture to use it
    opens = [s for s in scenario.open_spans]
    assert all(s.end > s.start for s in opens)


def test_hot_objects_move_many_times(scenario):
    counts = {}
    for a in scenario.actions:
        if a.kind == "put":
            counts[a.target] = counts.get(a.target, 0) + 1
    assert max(counts.values()) >= 3


def test_state_at_places_carried_objects_with_their_carrier(scenario):
    pick = next(a for a in scenario.actions if a.kind == "pick")
    state = scenario.state_at(pick.time + 0.5)
    person = next(p for p in state.people if p.id == pick.actor)
    held = next(o for o in state.objects if o.id == pick.target)
    assert person.holding == pick.target and held.holder == pick.actor
    assert (held.x, held.y) == (person.x, person.y)


@pytest.mark.parametrize("mode", ["patrol", "follow", "static"])
def test_agent_modes_stay_inside_the_home(mode):
    world = build_world(2)
    s = build_scenario(world, ScenarioConfig(duration=240, agent_mode=mode))
    for t in np.linspace(0, 240, 200):
        x, y = s.agent.position(t)
        assert world.room_at(x, y) is not None
    if mode == "static":
        assert len(s.agent_rooms) == 1


def test_agent_route_visits_named_rooms_only():
    world = build_world(2)
    names = [world.rooms[0].name, world.rooms[1].name]
    s = build_scenario(world, ScenarioConfig(duration=400, agent_route=tuple(names), attention=0.0))
    visited = {world.get(r).name for _, _, r in s.agent_rooms}
    assert set(names) <= visited
    with pytest.raises(ValueError, match="agent_route names 'attic'"):
        build_scenario(world, ScenarioConfig(agent_route=("attic",)))


@pytest.mark.parametrize("kwargs, field", [
    ({"duration": 0}, "duration"), ({"activity_rate": 0}, "activity_rate"), ({"move_share": 1.5}, "move_share"),
    ({"move_share": 0.6, "talk_share": 0.6}, "move_share"), ({"agent_mode": "fly"}, "agent_mode"),
    ({"dwell": (5.0, 1.0)}, "dwell"),
])
def test_bad_scenario_config_names_the_field(kwargs, field):
    with pytest.raises(ValueError, match=f"ScenarioConfig.{field}"):
        replace(ScenarioConfig(), **kwargs)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_silent_people_never_speak_and_twins_are_never_moved_nor_named(seed):
    world = build_world(seed)
    scenario = build_scenario(world, ScenarioConfig(duration=600.0))
    speakers = {u.speaker for u in scenario.utterances}
    silent = [p.id for p in world.people if p.id not in speakers]
    assert len(silent) >= 1  # ScenarioConfig.silent_people = 1
    assert world.ambiguous and not any(a.target in world.ambiguous for a in scenario.actions)
    assert not any(set(u.objects) & world.ambiguous for u in scenario.utterances)
    names = {world.get(o).name for o in world.ambiguous}
    assert not any(name in u.text for u in scenario.utterances for name in names)
    talkative = build_scenario(world, ScenarioConfig(duration=600.0, silent_people=0))
    assert len({u.speaker for u in talkative.utterances}) > len(speakers)


@pytest.mark.parametrize("seed", [1, 2])
def test_one_called_by_name_within_earshot_answers_and_people_greet_and_introduce(seed):
    world = build_world(seed)
    scenario = build_scenario(world, ScenarioConfig(duration=1200.0))
    speakers = {u.speaker for u in scenario.utterances}
    names = {p.id: p.name for p in world.people}
    said = scenario.utterances
    # lines that call someone by name and are not themselves an answer to them (a greeting back, a thank-you)
    called = [u for u in said if u.addressee and names[u.addressee] in u.text and not any(
        v.speaker == u.addressee and v.addressee == u.speaker and u.start - 8.0 <= v.end <= u.start for v in said)]
    assert called
    for u in called:
        near = scenario.person_room(u.addressee, u.end) == scenario.person_room(u.speaker, u.end)
        answers = [v for v in scenario.utterances if v.speaker == u.addressee and u.end <= v.start <= u.end + 8.0]
        if u.addressee in speakers and near:
            assert answers, u.text  # the one called answers soon (the silent stay silent: the test above)
    kinds = [u.kind for u in scenario.utterances]
    assert kinds.count("greeting") >= 2
    intros = [u for u in build_scenario(world, ScenarioConfig(duration=1200.0, introduce_probability=1.0)).utterances
              if u.kind == "introduction"]
    assert intros and all(names[u.speaker] in u.text for u in intros)
