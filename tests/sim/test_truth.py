"""Truth records: exact JSON round trip, and internal consistency with the scenario and renderer."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sim.episode import RenderConfig, simulate
from sim.truth import SCHEMA, Truth, load_truth


def test_json_round_trip_is_exact(short_episode, tmp_path):
    truth = short_episode.truth
    text = json.dumps(truth.to_json())
    assert Truth.from_json(json.loads(text)) == truth
    path = truth.save(tmp_path / "truth.json")
    again = load_truth(path)
    assert again == truth
    assert again.save(tmp_path / "again.json").read_bytes() == path.read_bytes()


def test_wrong_schema_is_refused(short_episode, tmp_path):
    data = short_episode.truth.to_json()
    data["schema"] = "something/else"
    with pytest.raises(ValueError, match=SCHEMA):
        Truth.from_json(data)
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ValueError, match="not a readable truth.json"):
        load_truth(tmp_path / "bad.json")


def test_simulate_is_deterministic():
    config = RenderConfig(96, 72, fps=2.0, observation_rate=2.0)
    first = simulate(11, 1.5, render=config, speech="tones").truth
    assert simulate(11, 1.5, render=config, speech="tones").truth == first
    assert simulate(12, 1.5, render=config, speech="tones").truth != first


def test_events_are_sorted_and_observed_flags_follow_the_observations(short_episode):
    truth = short_episode.truth
    times = [e.time for e in truth.events]
    assert times == sorted(times)
    seen = {}
    for obs in truth.observations:
        for s in obs.entities:
            seen.setdefault(s.entity, []).append(obs.time)
    for e in truth.events:
        if e.kind in ("pick", "put", "open", "close"):
            near = [t for t in seen.get(e.actor, []) if abs(t - e.time) <= 1.0]
            assert e.observed == bool(near)
        if e.kind == "say":
            assert e.observed == next(u for u in truth.utterances if u.id == e.target).heard


def test_tracks_cover_every_sighting(short_episode):
    truth = short_episode.truth
    for obs in truth.observations:
        for s in obs.entities:
            assert any(t.entity == s.entity and t.start <= obs.time <= t.end for t in truth.tracks)
    assert all(t.samples >= 1 and t.end >= t.start for t in truth.tracks)


def test_room_spans_tile_the_episode(short_episode):
    truth = short_episode.truth
    spans = list(truth.agent_rooms)
    assert spans[0].start == 0 and spans[-1].end == truth.duration
    assert all(a.end == b.start and a.room != b.room for a, b in zip(spans, spans[1:]))
    boundaries = [b.time for b in truth.boundaries if b.kind == "room"]
    assert boundaries == [s.start for s in spans]


def test_paths_replay_the_rooms(short_episode):
    truth = short_episode.truth
    rooms = {r.id: r for r in truth.rooms}
    for span in truth.person_rooms:
        path = next(p for p in truth.paths if p.entity == span.entity)
        mid = (span.start + span.end) / 2
        x, y = np.interp(mid, path.times, path.xs), np.interp(mid, path.times, path.ys)
        assert rooms[span.room].contains(x, y)
