"""Feeding a memory with what a simulated robot logs beside its camera (poses, heard lines, map): no sightings
(those come through ingest's entity stage), nothing of the truth."""

from __future__ import annotations

import numpy as np

from memory import perceived
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


def test_feed_stores_poses_lines_and_map_not_sightings(tmp_path):
    truth = simulate(7, 2.0, render=RenderConfig(128, 96, fps=1.0, observation_rate=1.0), speech="tones").truth
    store = MemoryStore(tmp_path / "memory", create=True)
    store.add_stream("s", "sim://episode")
    counts = feed_sim_perception(store, truth, "s", seed=7)
    assert counts["areas"] == len(truth.rooms) and len(perceived.areas(store)) == len(truth.rooms)
    assert len(store.poses("s")) == counts["poses"] > 0 and len(perceived.heard(store)) == counts["heard"]
    assert perceived.seen(store) == []  # what the camera saw comes only through ingest
    names = {p.name for p in truth.people}
    assert all(not any(n in speaker for n in names) for *_, speaker in perceived.heard(store))  # voices, not names
    store.close()
