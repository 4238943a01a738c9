"""The renderer's set-up alone (no frame drawn): its arrays agree with the world they were built from."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.render_base import FURNITURE_BASE, RendererBase
from sim.shapes import furniture_boxes
from sim.world import build_world


@pytest.fixture(scope="module")
def base():
    world = build_world(6)
    return world, RendererBase(world, 160, 120)


def test_walls_and_door_gaps_cover_every_room_perimeter(base):
    world, r = base
    for room in world.rooms:
        x0, y0, x1, y1 = room.bounds
        walls = float(r.wall_len[r.wall_room == room.index].sum())
        gaps = sum(d.width for d in world.doors_of(room.id))
        assert walls + gaps == pytest.approx(2 * ((x1 - x0) + (y1 - y0)), abs=1e-6), room.id
    # a wall's normal points into its room: a step along it from the wall's middle lands inside
    for a, e, n, i in zip(r.wall_a, r.wall_e, r.wall_n, r.wall_room):
        x, y = a + e / 2 + 0.01 * n
        bx0, by0, bx1, by1 = world.rooms[i].bounds
        assert bx0 < x < bx1 and by0 < y < by1
    assert len(r.lintel_a) == len(world.doors)


def test_floor_raster_holds_room_and_tile_parity(base):
    world, r = base
    for room in world.rooms:
        x, y = room.centre
        j = int((x - r.raster_origin[0]) * r.raster_inv)
        i = int((y - r.raster_origin[1]) * r.raster_inv)
        cx = r.raster_origin[0] + (j + 0.5) / r.raster_inv  # the cell's centre, where parity is taken
        cy = r.raster_origin[1] + (i + 0.5) / r.raster_inv
        parity = (math.floor(cy / room.tile) + math.floor(cx / room.tile)) & 1
        assert r.raster[i, j] == 2 * room.index + parity


def test_palettes_and_boxes_follow_the_world(base):
    world, r = base
    for room in world.rooms:
        lit = np.clip(np.array(room.floor_rgb, float) * room.light, 0, 255).astype(np.uint8)
        assert np.array_equal(r.floor_lut[2 * room.index, 0], lit)
    boxes = [(box, f) for f in world.furniture for box, _ in furniture_boxes(f)]
    assert len(r.box_xyz) == len(boxes)
    assert r.box_code == [FURNITURE_BASE + f.index for _, f in boxes]
    assert np.allclose(r.box_xyz, np.array([b for b, _ in boxes], float).reshape(-1, 6))
    with pytest.raises(ValueError, match="at least 16x16"):
        RendererBase(world, 8, 120)
