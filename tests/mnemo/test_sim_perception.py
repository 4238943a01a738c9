"""Feeding a memory from the sim perception backend: colours from pixels, what is stored, no truth."""

from __future__ import annotations

import numpy as np
import pytest

from memory import perceived
from memory.store import MemoryStore
from mnemo.evaluation.sim_perception import box_regions, colour_name, feed_sim_perception
from sim import load_truth, render_episode
from sim.catalogue import COLOURS


ACHROMATIC = ("white", "grey", "black")  # told apart by brightness only: read at full light
CASES = [(n, g) for n in sorted(COLOURS) for g in ((1.0,) if n in ACHROMATIC else (0.5, 0.8, 1.0))]


@pytest.mark.parametrize("name, gain", CASES)
def test_colour_name_under_room_light(name, gain):
    rng = np.random.default_rng(0)
    patch = np.clip(gain * np.asarray(COLOURS[name], float) + rng.normal(0, 3, (200, 3)), 0, 255)
    if name == "black":
        assert colour_name(patch) == "black"
    else:
        assert colour_name(patch) == name


def test_colour_name_of_nothing():
    assert colour_name(np.zeros((0, 3))) == ""


def _scene(background: str, gain: float = 0.8) -> np.ndarray:
    """A 60x80 image of one catalogue colour (a wall) under room light, with camera noise."""
    rng = np.random.default_rng(1)
    return np.clip(gain * np.asarray(COLOURS[background], float) + rng.normal(0, 3, (60, 80, 3)), 0, 255)


def test_a_phone_is_named_by_its_rim_not_its_dark_screen():
    """A pink phone 10x16 pixels whose dark screen fills all but a 2-pixel rim, on a grey wall."""
    image = _scene("grey")
    image[20:36, 30:40] = 0.8 * np.asarray(COLOURS["pink"], float)
    image[22:34, 32:38] = (20, 20, 28)
    assert colour_name(*box_regions(image, (30, 20, 40, 36))) == "pink"


def test_a_thin_thing_is_named_by_what_is_not_around_it():
    """A teal pen drawn as a 2-pixel line across its box on a brown table: most of the box is table,
    which is as much around the box as in it."""
    image = _scene("brown")
    for k in range(12):
        image[18 + k, 30 + k // 2: 32 + k // 2] = 0.8 * np.asarray(COLOURS["teal"], float)
    assert colour_name(*box_regions(image, (29, 18, 38, 30))) == "teal"
    assert colour_name(*box_regions(image, (29, 18, 38, 30))[:1]) == "brown"  # the box alone: the table


def test_a_black_thing_on_a_pale_wall_reads_black():
    image = _scene("white")
    image[10:30, 10:30] = (25, 25, 25)
    assert colour_name(*box_regions(image, (10, 10, 30, 30))) == "black"


def test_box_regions_are_cut_at_the_image_edges():
    inside, surround = box_regions(_scene("grey"), (-5, -5, 10, 10))
    assert len(inside) and len(surround) and inside.shape[1] == surround.shape[1] == 3
    assert box_regions(_scene("grey"), (90, 70, 95, 75))[0].shape == (0, 3)  # wholly outside


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
