"""Feeding a memory from the sim perception backend: colours from pixels, what is stored, no truth."""

from __future__ import annotations

import numpy as np
import pytest

from memory import perceived
from memory.store import MemoryStore
from mnemo.evaluation.sim_perception import feed_sim_perception
from perception.colour import ColourNamer
from sim import load_truth, render_episode
from sim.catalogue import COLOURS


def test_the_catalogue_colours_read_as_their_basic_names_under_room_light():
    """The simulator paints with its own RGB values; perception reads them with the basic colour
    terms it knows for any video (perception/colour.py), never with the simulator's palette."""
    namer = ColourNamer()
    rng = np.random.default_rng(0)
    for name, rgb in COLOURS.items():
        for gain in ((1.0,) if name in ("white", "grey", "black") else (0.5, 0.8, 1.0)):
            patch = np.clip(gain * np.asarray(rgb, float) + rng.normal(0, 3, (200, 3)), 0, 255)
            assert namer.name(patch) == name, (name, gain)


@pytest.mark.slow
def test_feed_stores_perception_not_truth(tmp_path):
    files = render_episode(7, 0.4, tmp_path / "episode", bag=False, overwrite=True, name="episode")
    truth = load_truth(files.truth)
    store = MemoryStore(tmp_path / "memory", create=True)
    store.add_stream("s", str(files.video))
    counts = feed_sim_perception(store, truth, files.video, "s", seed=7)
    rows = perceived.sightings(store)
    assert counts["sightings"] == len(rows) > 0 and counts["areas"] == len(truth.rooms)
    assert len(store.poses("s")) == counts["poses"] and len(perceived.heard(store)) == counts["heard"]
    assert {r[4] for r in rows} <= {"person", "object", "furniture"}
    columns = [c[1] for c in store._conn.execute("PRAGMA table_info(sightings)")]
    assert not any("true" in c or "truth" in c for c in columns)  # nothing of the truth is kept
    labelled = [r for r in rows if r[4] == "object"]
    assert labelled and np.mean([r[6] != "" for r in labelled]) > 0.5
    # people and objects carry their re-identification vectors (things are joined by them), furniture none
    assert len(perceived.appearances(store, "object")) == len(labelled)
    assert len(perceived.appearances(store, "person")) == sum(r[4] == "person" for r in rows)
    assert perceived.appearances(store, "furniture") == []
    store.close()
