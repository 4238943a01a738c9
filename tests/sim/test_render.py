"""The renderer: what the id buffer and the truth say is in view is what the frame shows."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.episode import RenderConfig, observe
from sim.render import OBJECT_BASE, PERSON_BASE, Renderer, entity_code, entity_id
from sim.topdown import render_map
from sim.scenario import ScenarioConfig, build_scenario
from sim.world import build_world


@pytest.fixture(scope="module")
def scene():
    world = build_world(6)
    scenario = build_scenario(world, ScenarioConfig(duration=300))
    return world, scenario, Renderer(world, 160, 120)


def test_render_is_deterministic_and_typed(scene):
    _, scenario, renderer = scene
    a = renderer.render(scenario.state_at(42.0))
    b = renderer.render(scenario.state_at(42.0))
    assert a.image.shape == (120, 160, 3) and a.image.dtype == np.uint8
    assert a.ids.shape == (120, 160) and a.depth.dtype == np.float32
    assert np.array_equal(a.image, b.image) and np.array_equal(a.ids, b.ids)


def test_codes_name_entities():
    assert entity_id(OBJECT_BASE + 3) == "object:3" and entity_code("object:3") == OBJECT_BASE + 3
    assert entity_id(PERSON_BASE) == "person:0" and entity_id(5) is None


def _expected_colour(world, entity):
    kind = entity.split(":")[0]
    if kind == "object":
        return np.array(world.get(entity).rgb, float)
    return None


def test_visible_objects_show_their_colour_where_the_id_buffer_says(scene):
    """Every object listed as visible has pixels of its own colour (lit by its room, faded with distance)
    inside its box, and nothing outside the id mask is drawn in its code."""
    world, scenario, renderer = scene
    checked = 0
    for t in np.arange(0, 300, 2.5):
        state = scenario.state_at(float(t))
        frame = renderer.render(state)
        obs = observe(renderer, state, RenderConfig(160, 120, 5.0, 5.0), frame)
        for seen in obs.entities:
            mask = frame.ids == entity_code(seen.entity)
            ys, xs = np.nonzero(mask)
            assert mask.sum() == seen.pixels
            assert (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1) == seen.box
            colour = _expected_colour(world, seen.entity)
            if colour is None:
                continue
            pixels = frame.image[mask].astype(float)
            # part of the silhouette is its colour, scaled by the room's light and the distance (the rest
            # is drawn in shades of it: handles, lids, spines); bright light saturates channels at 255, so the
            # scale is fitted on the channels that did not saturate
            free = pixels < 254.5
            scale = (pixels * colour * free).sum(axis=1) / np.maximum((colour ** 2 * free).sum(axis=1), 1.0)
            fitted = np.clip(scale[:, None] * colour[None, :], 0.0, 255.0)
            assert np.mean(np.abs(pixels - fitted).max(axis=1) <= 12) >= 0.1, seen.entity
            checked += 1
    assert checked > 20


def test_truth_positions_and_distances_match_the_scene(scene):
    world, scenario, renderer = scene
    state = scenario.state_at(120.0)
    obs = observe(renderer, state, RenderConfig(160, 120, 5.0, 5.0))
    ax, ay, _ = state.agent
    for seen in obs.entities:
        assert seen.distance == pytest.approx(math.hypot(seen.position[0] - ax, seen.position[1] - ay), abs=1e-3)


def test_things_behind_walls_are_not_visible(scene):
    """Pixels of furniture lie on the furniture: projecting them back lands inside its boxes."""
    from sim.render import _Camera
    from sim.shapes import furniture_boxes, open_door

    world, scenario, renderer = scene
    bad = total = 0
    for t in np.arange(0, 300, 7.0):
        state = scenario.state_at(float(t))
        frame = renderer.render(state)
        cam = _Camera(*state.agent, renderer)
        ys, xs = np.nonzero((frame.ids >= 1000) & (frame.ids < 2000))
        d = frame.depth[ys, xs].astype(float)
        k = renderer.k[xs]
        X, Y = cam.px + d * (cam.fx + k * cam.rx), cam.py + d * (cam.fy + k * cam.ry)
        Z = renderer.cam_h - (ys + 0.5 - renderer.cy) * d / renderer.f
        ok = np.zeros(len(ys), bool)
        for f in world.furniture:
            sel = frame.ids[ys, xs] == 1000 + f.index
            for (x0, y0, z0, x1, y1, z1), _ in furniture_boxes(f) + (open_door(f) if f.id in state.open else []):
                ok[sel] |= ((X[sel] >= x0 - 0.05) & (X[sel] <= x1 + 0.05) & (Y[sel] >= y0 - 0.05) & (Y[sel] <= y1 + 0.05)
                            & (Z[sel] >= z0 - 0.1) & (Z[sel] <= z1 + 0.1))
        bad += int((~ok).sum())
        total += len(ok)
    assert total > 1000 and bad / total < 0.002


def test_rooms_are_lit_differently():
    world = build_world(6)
    lights = {r.light for r in world.rooms}
    assert len(lights) == len(world.rooms)


def test_top_down_map(scene):
    world, scenario, _ = scene
    image = render_map(world, scenario.state_at(10.0), 240, 160)
    assert image.shape == (160, 240, 3) and image.dtype == np.uint8 and image.std() > 10


def test_render_speed_smoke(scene):
    """Far below a real benchmark, but a regression to per-pixel Python would fail it."""
    import time

    world, scenario, _ = scene
    renderer = Renderer(world, 320, 240)
    states = [scenario.state_at(float(t)) for t in np.arange(0, 60, 0.5)]
    start = time.process_time()
    for s in states:
        renderer.render(s)
    per_frame = (time.process_time() - start) / len(states)
    assert per_frame < 0.05, f"{per_frame * 1000:.1f} ms per 320x240 frame"
