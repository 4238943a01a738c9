"""Feeding a memory with what a simulated robot logs beside its camera and microphone (poses, map): no
sightings (those come through ingest's entity stage), no lines heard (those come through ingest's speech
stack, from the rendered audio), nothing of the truth."""

from __future__ import annotations

import numpy as np

from memory import perceived
from memory.spoken import spoken
from memory.store import MemoryStore
from mnemo.evaluation.sim_perception import feed_sim_perception
from perception.colour import ColourNamer
from sim.catalogue import COLOURS
from sim.episode import RenderConfig, simulate


def test_the_catalogue_colours_read_as_their_basic_names_under_room_light():
    """The simulator paints with its own RGB values; perception reads them with the basic colour
    terms it knows for any video (perception/colour.py), never with the simulator's palette."""
    namer = ColourNamer()
    rng = np.random.default_rng(0)
    for name, rgb in COLOURS.items():
        for gain in ((1.0,) if name in ("white", "grey", "black") else (0.5, 0.8, 1.0)):
            patch = np.clip(gain * np.asarray(rgb, float) + rng.normal(0, 3, (200, 3)), 0, 255)
            assert namer.name(patch) == name, (name, gain)


def test_feed_stores_poses_and_map_not_sightings_nor_speech(tmp_path):
    truth = simulate(9, 2.0, render=RenderConfig(128, 96, fps=1.0, observation_rate=1.0), speech="tones").truth
    assert any(u.heard for u in truth.utterances)  # there was speech in earshot to leak
    store = MemoryStore(tmp_path / "memory", create=True)
    store.add_stream("s", "sim://episode")
    counts = feed_sim_perception(store, truth, "s", seed=9)
    assert counts["areas"] == len(truth.rooms) and len(perceived.areas(store)) == len(truth.rooms)
    assert len(store.poses("s")) == counts["poses"] > 0
    assert perceived.seen(store) == []  # what the camera saw comes only through ingest
    assert perceived.heard(store) == [] and store.utterances() == [] and spoken(store) == []  # heard only by ingest
    store.close()
