"""What the renderer computes once per world and frame size: the camera's intrinsics, wall segments
and door lintels, the floor-plan raster, colour look-up tables and the furniture boxes.

``sim.render.Renderer`` draws frames from these; they are plain arrays, so they can be checked
against the world without drawing anything.
"""

from __future__ import annotations

import math

import numpy as np

from sim.shapes import furniture_boxes
from sim.world import World

FURNITURE_BASE, OBJECT_BASE, PERSON_BASE = 1000, 2000, 3000
FRAME_RGB = (95, 65, 40)  # door frames


class RendererBase:
    """A world's static geometry and colours, precomputed for one frame size (the set-up of Renderer)."""

    def __init__(self, world: World, width: int = 320, height: int = 240) -> None:
        if width < 16 or height < 16:
            raise ValueError(f"frame size {width}x{height}: expected at least 16x16 pixels")
        self.world, self.width, self.height = world, int(width), int(height)
        agent = world.agent
        self.cam_h = agent.camera_height
        self.f = (width / 2) / math.tan(math.radians(agent.hfov_deg) / 2)
        self.cx, self.cy = width / 2, height / 2
        self.k = ((np.arange(width) + 0.5 - self.cx) / self.f).astype(np.float64)  # lateral slope per column
        vc = np.arange(height) + 0.5 - self.cy
        self.vc = vc
        plane = np.where(vc > 0, self.f * self.cam_h / np.maximum(vc, 1e-9),
                         self.f * (world.ceiling_height - self.cam_h) / np.maximum(-vc, 1e-9))
        self.plane_z = plane  # depth of the floor (below the horizon) or ceiling (above) per row
        self.is_floor = vc > 0
        self._walls(world)
        self.grid, self.grid_origin, self.grid_res = world.room_index_grid(0.05)
        self._floor_raster(world)
        self._palettes(world)
        self._static_boxes(world)

    def _walls(self, world: World) -> None:
        walls, lintels = [], []
        for room in world.rooms:
            x0, y0, x1, y1 = room.bounds
            sides = [((x0, y0), (x1, y0), (0.0, 1.0)), ((x1, y1), (x0, y1), (0.0, -1.0)),
                     ((x0, y1), (x0, y0), (1.0, 0.0)), ((x1, y0), (x1, y1), (-1.0, 0.0))]
            for a, b, n in sides:
                gaps = _gaps_on(world, room, a, b)
                for (pa, pb, edge_a, edge_b) in _split(a, b, gaps):
                    walls.append((pa, pb, n, room.index, edge_a, edge_b))
        for door in world.doors:
            cx, cy = door.centre
            h = door.width / 2
            a, b = ((cx - h, cy), (cx + h, cy)) if door.along_x else ((cx, cy - h), (cx, cy + h))
            ra, rb = (world.get(r) for r in door.rooms)
            lintels.append((a, b, ra.index, rb.index, ra.centre))
        self.wall_a = np.array([w[0] for w in walls], float)
        self.wall_e = np.array([w[1] for w in walls], float) - self.wall_a
        self.wall_n = np.array([w[2] for w in walls], float)
        self.wall_room = np.array([w[3] for w in walls], np.int32)
        self.wall_len = np.hypot(self.wall_e[:, 0], self.wall_e[:, 1])
        self.wall_edges = np.array([[w[4], w[5]] for w in walls], bool)
        self.lintel_a = np.array([l[0] for l in lintels], float).reshape(-1, 2)
        self.lintel_e = (np.array([l[1] for l in lintels], float).reshape(-1, 2) - self.lintel_a)
        self.lintel_rooms = np.array([[l[2], l[3]] for l in lintels], np.int32).reshape(-1, 2)
        self.lintel_side = np.array([l[4] for l in lintels], float).reshape(-1, 2)  # a point in the first room

    def _floor_raster(self, world: World) -> None:
        """A fine raster of the floor plan whose cells hold 2 * room index + tile parity."""
        res = 0.025
        x0, y0, x1, y1 = world.extent
        nx, ny = int(np.ceil((x1 - x0) / res)) + 2, int(np.ceil((y1 - y0) / res)) + 2
        xs = x0 + (np.arange(nx) + 0.5) * res
        ys = y0 + (np.arange(ny) + 0.5) * res
        raster = np.zeros((ny, nx), np.uint8)
        for room in world.rooms:
            rx0, ry0, rx1, ry1 = room.bounds
            iy = np.flatnonzero((ys >= ry0) & (ys < ry1))
            ix = np.flatnonzero((xs >= rx0) & (xs < rx1))
            parity = ((np.floor(ys[iy] / room.tile)[:, None] + np.floor(xs[ix] / room.tile)[None, :]).astype(np.int64) & 1)
            raster[np.ix_(iy, ix)] = 2 * room.index + parity
        self.raster, self.raster_origin, self.raster_inv = raster, (x0, y0), 1.0 / res

    def _palettes(self, world: World) -> None:
        """Colour look-up tables: floor raster cell -> floor or ceiling colour, room -> wall colours."""
        rooms = world.rooms
        light = np.array([r.light for r in rooms])
        self.light = light
        floor = np.array([r.floor_rgb for r in rooms], float) * light[:, None]
        ceiling = np.array([r.ceiling_rgb for r in rooms], float) * light[:, None]
        self.floor_lut = np.zeros((256, 1, 3), np.uint8)
        self.ceiling_lut = np.zeros((256, 1, 3), np.uint8)
        for room in rooms:
            i = room.index
            self.floor_lut[2 * i, 0] = np.clip(floor[i], 0, 255)
            self.floor_lut[2 * i + 1, 0] = np.clip(floor[i] * 0.86, 0, 255)
            self.ceiling_lut[2 * i:2 * i + 2, 0] = np.clip(ceiling[i], 0, 255)
        wall = np.array([r.wall_rgb for r in rooms], float) * light[:, None]
        frame = np.array(FRAME_RGB, float)[None, :] * light[:, None]
        self.wall_colours = np.stack([wall, wall * 0.93, frame, wall * 0.55])  # plain, stripe, door frame, skirting
        self.stripe = np.array([r.stripe if r.stripe > 0 else 1e9 for r in rooms])
        shade = 1.0 / (1.0 + 0.045 * self.plane_z)  # floors and ceilings fade with distance, row by row
        self.plane_shade = np.ascontiguousarray(np.broadcast_to(
            np.clip(shade * 255, 0, 255).astype(np.uint8)[:, None, None], (self.height, self.width, 3)))
        self._plane_z32 = self.plane_z.astype(np.float32)
        self.half = int(math.ceil(self.cy - 0.5))  # first floor row: rows from here down have v > cy

    def _static_boxes(self, world: World) -> None:
        rows = []
        for f in world.furniture:
            light = self.light[world.get(f.room).index]
            for box, rgb in furniture_boxes(f):
                rows.append((box, rgb, FURNITURE_BASE + f.index, light))
        self.box_xyz = np.array([r[0] for r in rows], float).reshape(-1, 6)
        self.box_rgb = [np.array(r[1], float) * r[3] for r in rows]
        self.box_code = [r[2] for r in rows]
        decorations = world.decorations
        self.decoration_xs = np.array([[d.start[0], d.end[0], d.end[0], d.start[0]] for d in decorations], float).reshape(-1, 4)
        self.decoration_ys = np.array([[d.start[1], d.end[1], d.end[1], d.start[1]] for d in decorations], float).reshape(-1, 4)
        self.open_light = {f.id: self.light[world.get(f.room).index] for f in world.furniture if f.container}


def _gaps_on(world: World, room, a, b) -> list[tuple[float, float]]:
    """Door gaps on the wall a-b of a room, as distances from a."""
    length = math.hypot(b[0] - a[0], b[1] - a[1])
    ux, uy = (b[0] - a[0]) / length, (b[1] - a[1]) / length
    gaps = []
    for door in world.doors_of(room.id):
        cx, cy = door.centre
        # on this wall when the centre lies on the line a-b
        if abs((cx - a[0]) * uy - (cy - a[1]) * ux) > 1e-6:
            continue
        t = (cx - a[0]) * ux + (cy - a[1]) * uy
        if 0 < t < length:
            gaps.append((t - door.width / 2, t + door.width / 2))
    return sorted(gaps)


def _split(a, b, gaps):
    """The wall pieces between door gaps: (start, end, start is a door edge, end is a door edge)."""
    length = math.hypot(b[0] - a[0], b[1] - a[1])
    ux, uy = (b[0] - a[0]) / length, (b[1] - a[1]) / length
    pieces, t, edge = [], 0.0, False
    for g0, g1 in gaps:
        pieces.append((t, g0, edge, True))
        t, edge = g1, True
    pieces.append((t, length, edge, False))
    return [((a[0] + ux * s, a[1] + uy * s), (a[0] + ux * e, a[1] + uy * e), ea, eb)
            for s, e, ea, eb in pieces if e - s > 1e-6]
