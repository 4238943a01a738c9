"""Egocentric camera frames, an id buffer of who is where in them, and a top-down map.

A pinhole camera at the agent's pose looks level into the home. The background (walls with their
stripes, door frames, lintels and skirting; tiled floors; ceilings) is ray cast per column and filled
per pixel with numpy; furniture is drawn as boxes face by face, objects and people as billboard
silhouettes, all through a z-buffer, so that what is drawn in front is exactly what the id buffer
says. Each room's light multiplies every colour seen in it, and colours fade with distance.
Shapes (furniture as boxes, object silhouettes) come from ``sim.shapes``; the map from ``sim.topdown``;
what is computed once per world (walls, floor raster, palettes, furniture boxes) from ``sim.render_base``.
The id buffer holds ``1 + room index`` for walls, floors and ceilings, ``FURNITURE_BASE + index``,
``OBJECT_BASE + index`` and ``PERSON_BASE + index`` for entities; ``entity_id(code)`` names them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from sim.render_base import (  # noqa: F401  (FRAME_RGB and the codes' bases, importable from here as before)
    FRAME_RGB, FURNITURE_BASE, OBJECT_BASE, PERSON_BASE, RendererBase)
from sim.scenario import SceneState
from sim.shapes import draw_shape, open_door

NEAR = 0.12  # metres: nothing closer to the camera is drawn
SHIFT = 4  # fixed-point bits for sub-pixel polygon drawing
_ONE = 1 << SHIFT
SKIRTING = 0.08  # metres of skirting board at the foot of walls


@dataclass(frozen=True)
class RenderedFrame:
    time: float
    image: np.ndarray  # (H, W, 3) uint8 RGB
    ids: np.ndarray  # (H, W) int32 codes, see the module docstring
    depth: np.ndarray  # (H, W) float32 metres along the optical axis


@dataclass(frozen=True)
class Visible:
    """An entity seen in a frame: its id, pixel count and bounding box (x0, y0, x1, y1; x1, y1 exclusive)."""

    entity: str
    pixels: int
    box: tuple[int, int, int, int]


def entity_id(code: int) -> str | None:
    """The entity id an id-buffer code stands for; None for the room surfaces."""
    if code >= PERSON_BASE:
        return f"person:{code - PERSON_BASE}"
    if code >= OBJECT_BASE:
        return f"object:{code - OBJECT_BASE}"
    if code >= FURNITURE_BASE:
        return f"furniture:{code - FURNITURE_BASE}"
    return None


def entity_code(entity: str) -> int:
    kind, index = entity.split(":")
    return {"person": PERSON_BASE, "object": OBJECT_BASE, "furniture": FURNITURE_BASE, "room": 1}[kind] + int(index)


class Renderer(RendererBase):
    """Draws a world from the agent's camera; one instance per world and frame size."""

    # ----------------------------------------------------------------------------------- drawing

    def render(self, state: SceneState) -> RenderedFrame:
        """The camera frame, id buffer and depth at ``state``."""
        px, py, yaw = state.agent
        cam = _Camera(px, py, yaw, self)
        image, ids, depth, t_wall = self._background(cam)
        canvas = _Canvas(image, ids, depth, t_wall)
        for k in self._boxes_in_view(cam, t_wall):
            self._box(canvas, cam, self.box_xyz[k], self.box_rgb[k], 1.0, self.box_code[k])
        for fid in sorted(state.open):
            f = self.world.get(fid)
            for box, rgb in open_door(f):
                self._box(canvas, cam, box, np.array(rgb, float), self.open_light[fid], FURNITURE_BASE + f.index)
        for k in self._in_view(cam, t_wall, self.decoration_xs, self.decoration_ys):
            self._decoration(canvas, cam, self.world.decorations[k])
        for person in state.people:
            self._person(canvas, cam, person)
        for obj in state.objects:
            self._object(canvas, cam, obj)
        return RenderedFrame(state.time, image, ids, depth)

    def _boxes_in_view(self, cam: "_Camera", t_wall: np.ndarray) -> np.ndarray:
        """Indices of the furniture boxes that may show."""
        b = self.box_xyz
        if not len(b):
            return np.zeros(0, np.int64)
        xs = np.stack([b[:, 0], b[:, 3], b[:, 3], b[:, 0]], axis=1)
        ys = np.stack([b[:, 1], b[:, 1], b[:, 4], b[:, 4]], axis=1)
        return self._in_view(cam, t_wall, xs, ys)

    def _in_view(self, cam: "_Camera", t_wall: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        """Indices of the shapes (rows of floor-plan corner coordinates) that may show: some corner in
        front of the camera, inside the field of view, and not wholly behind the walls."""
        xs, ys = xs - cam.px, ys - cam.py
        xc = xs * cam.rx + ys * cam.ry
        zc = xs * cam.fx + ys * cam.fy
        front = zc >= NEAR
        slope = self.cx / self.f + 0.05
        left = ((xc < -slope * zc) | ~front).all(axis=1) & ((xc < 0) | ~front).all(axis=1)
        right = ((xc > slope * zc) | ~front).all(axis=1) & ((xc > 0) | ~front).all(axis=1)
        keep = []
        for k in np.flatnonzero(front.any(axis=1) & ~left & ~right):
            if not front[k].all():
                keep.append(k)
                continue
            u = (self.cx + self.f * xc[k] / zc[k]).tolist()
            u0 = min(max(int(math.floor(min(u))), 0), self.width - 1)
            u1 = min(max(int(math.ceil(max(u))), 0), self.width - 1)
            if zc[k].min() <= t_wall[u0:u1 + 1].max() + 0.01:
                keep.append(k)
        return np.array(keep, np.int64)

    def _background(self, cam: "_Camera") -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        dx = cam.fx + self.k * cam.rx  # (W,) column ray directions; forward component 1
        dy = cam.fy + self.k * cam.ry
        t_wall, seg, s = _cast(cam.px, cam.py, dx, dy, self.wall_a, self.wall_e, self.wall_n)
        room_w = self.wall_room[seg]
        # floors and ceilings: the floor plan seen through the plane's homography, then coloured
        cell = self._plane_cells(cam)
        image = np.empty((self.height, self.width, 3), np.uint8)
        cells3 = cv2.merge([cell, cell, cell])
        image[:self.half] = cv2.LUT(cells3[:self.half], self.ceiling_lut)
        image[self.half:] = cv2.LUT(cells3[self.half:], self.floor_lut)
        image = cv2.multiply(image, self.plane_shade, scale=1 / 255)
        # walls: one colour per column (stripes, door frames), skirting at their feet
        along = s * self.wall_len[seg]
        hit = cam.px + t_wall * dx + cam.py + t_wall * dy
        striped = (np.floor(hit / self.stripe[room_w]).astype(np.int64) & 1)
        edges = self.wall_edges[seg]
        frame = (edges[:, 0] & (along < 0.07)) | (edges[:, 1] & (along > self.wall_len[seg] - 0.07))
        kind = np.where(frame, 2, striped)
        shade = (1.0 / (1.0 + 0.045 * t_wall))[:, None]
        wall_rgb = np.clip(self.wall_colours[kind, room_w] * shade, 0, 255).astype(np.uint8)
        skirt_rgb = np.where(frame[:, None], wall_rgb, np.clip(self.wall_colours[3, room_w] * shade, 0, 255).astype(np.uint8))
        t32 = t_wall.astype(np.float32)
        is_wall = self._plane_z32[:, None] >= t32[None, :]
        skirting_from = self.f * (self.cam_h - SKIRTING) / t_wall  # image rows below this offset are skirting
        skirting = is_wall & (self.vc[:, None] > skirting_from[None, :])
        shape = image.shape
        image = cv2.copyTo(np.ascontiguousarray(np.broadcast_to(wall_rgb[None], shape)), is_wall.view(np.uint8), image)
        image = cv2.copyTo(np.ascontiguousarray(np.broadcast_to(skirt_rgb[None], shape)), skirting.view(np.uint8), image)
        room_p = (cell >> 1).astype(np.int32)
        room_p += 1
        ids = np.where(is_wall, (room_w + 1)[None, :], room_p)
        depth = np.where(is_wall, t32[None, :], self._plane_z32[:, None])
        self._lintels(cam, dx, dy, t_wall, image, ids, depth)
        return image, ids, depth, t_wall

    def _plane_cells(self, cam: "_Camera") -> np.ndarray:
        """The floor raster cell behind every pixel: floor below the horizon, ceiling above."""
        cell = np.empty((self.height, self.width), np.uint8)
        for rows, height in ((slice(self.half, self.height), self.cam_h),
                             (slice(0, self.half), self.cam_h - self.world.ceiling_height)):
            n = rows.stop - rows.start
            if n <= 0:
                continue
            m = self._plane_homography(cam, rows.start, height)
            cell[rows] = cv2.warpPerspective(self.raster, m, (self.width, n), flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP,
                                             borderMode=cv2.BORDER_REPLICATE)
        return cell

    def _plane_homography(self, cam: "_Camera", row0: int, height: float) -> np.ndarray:
        """Maps pixel (x, y) of the rows from ``row0`` to raster coordinates of the horizontal plane
        ``height`` metres below the camera (negative: above)."""
        inv, f, cx = self.raster_inv, self.f, self.cx
        a = (cam.px - self.raster_origin[0]) * inv - 0.5
        b = (cam.py - self.raster_origin[1]) * inv - 0.5
        c0 = row0 + 0.5 - self.cy  # image row offset from the horizon of pixel row 0 of the block
        k = inv * height
        return np.array([
            [k * cam.rx, a, a * c0 + k * cam.rx * (0.5 - cx) + k * f * cam.fx],
            [k * cam.ry, b, b * c0 + k * cam.ry * (0.5 - cx) + k * f * cam.fy],
            [0.0, 1.0, c0]])

    def _lintels(self, cam, dx, dy, t_wall, image, ids, depth) -> None:
        """The wall above each door way, seen where a ray passes under it."""
        if not len(self.lintel_a):
            return
        t, seg, _ = _cast(cam.px, cam.py, dx, dy, self.lintel_a, self.lintel_e, None)
        hit = t < t_wall
        if not hit.any():
            return
        cols = np.flatnonzero(hit)
        tl = t[cols]
        side = self.lintel_side[seg[cols]]
        a = self.lintel_a[seg[cols]]
        e = self.lintel_e[seg[cols]]
        # the camera sees the face of the room it is in: same side of the door line as the first room's centre
        first = np.sign(_cross(e, side - a)) == np.sign(_cross(e, np.array([cam.px, cam.py]) - a))
        room = np.where(first, self.lintel_rooms[seg[cols], 0], self.lintel_rooms[seg[cols], 1])
        top = self.vc[:, None] * tl[None, :] <= -self.f * (self.world.door_height - self.cam_h)
        mask = top & (self.plane_z[:, None] > tl[None, :])
        if not mask.any():
            return
        rows, k = np.nonzero(mask)
        c = cols[k]
        shade = 1.0 / (1.0 + 0.045 * tl[k])
        image[rows, c] = np.clip(self.wall_colours[0, room[k]] * shade[:, None], 0, 255).astype(np.uint8)
        ids[rows, c] = room[k] + 1
        depth[rows, c] = tl[k]

    def _box(self, canvas: "_Canvas", cam: "_Camera", box, rgb, light: float, code: int) -> None:
        x0, y0, z0, x1, y1, z1 = (float(v) for v in box)
        faces = []
        if cam.px < x0:
            faces.append(((x0, y1), (x0, y0), 0.82))
        if cam.px > x1:
            faces.append(((x1, y0), (x1, y1), 0.82))
        if cam.py < y0:
            faces.append(((x0, y0), (x1, y0), 0.68))
        if cam.py > y1:
            faces.append(((x1, y1), (x0, y1), 0.68))
        colour = rgb * light
        for a, b, shade in faces:
            self._vertical(canvas, cam, a, b, z0, z1, colour * shade, code)
        if self.cam_h > z1:
            self._top(canvas, cam, (x0, y0, x1, y1), z1, colour, code)

    def _vertical(self, canvas, cam, a, b, z0, z1, colour, code) -> None:
        """A vertical rectangle over the floor segment a-b, from height z0 to z1."""
        (ua, za), (ub, zb) = cam.ground(*a), cam.ground(*b)
        if za < NEAR and zb < NEAR:
            return
        if za < NEAR or zb < NEAR:  # clip to the near plane
            t = (NEAR - za) / (zb - za)
            xa_c, xb_c = cam.lateral(*a), cam.lateral(*b)
            xc = xa_c + t * (xb_c - xa_c)
            if za < NEAR:
                ua, za = self.cx + self.f * xc / NEAR, NEAR
            else:
                ub, zb = self.cx + self.f * xc / NEAR, NEAR
        if (ua < 0 and ub < 0) or (ua > self.width and ub > self.width):
            return
        f, cy, h = self.f, self.cy, self.cam_h
        poly = ((ua, cy - f * (z1 - h) / za), (ub, cy - f * (z1 - h) / zb),
                (ub, cy - f * (z0 - h) / zb), (ua, cy - f * (z0 - h) / za))
        patch = canvas.patch(poly)
        if patch is None:
            return
        px0, py0, px1, py1 = patch
        span = ub - ua
        if abs(span) > 1e-9:
            w = (np.arange(px0, px1) + (0.5 - ua)) / span
            np.clip(w, 0.0, 1.0, out=w)
            zc = 1.0 / (1.0 / za + w * (1.0 / zb - 1.0 / za))
        else:
            zc = np.full(px1 - px0, min(za, zb))
        shade = 1.0 / (1.0 + 0.045 * (za + zb) / 2)
        columns = (min(ua, ub) - px0 - 0.5, max(ua, ub) - px0 - 0.5)  # pixel centres inside the face only
        canvas.fill(poly, patch, zc[None, :].astype(np.float32), colour * shade, code, columns)

    def _top(self, canvas, cam, rect, z, colour, code) -> None:
        """A horizontal rectangle at height z (the top of a box). Its pixels are those whose ray meets the
        plane inside the rectangle (exact, unlike a rasterised outline, which near the horizon would let
        a one-pixel edge jump metres in depth and show through walls)."""
        x0, y0, x1, y1 = rect
        pts = _clip_near([cam.to_camera(x, y) for x, y in ((x0, y0), (x1, y0), (x1, y1), (x0, y1))])
        if len(pts) < 3:
            return
        f, cx, cy, drop = self.f, self.cx, self.cy, self.cam_h - z
        patch = canvas.patch([(cx + f * xc / zc, cy + f * drop / zc) for xc, zc in pts])
        if patch is None:
            return
        px0, py0, px1, py1 = patch
        rows = np.arange(py0, py1) + (0.5 - cy)
        zr = f * drop / np.maximum(rows, 1e-3)  # depth of the plane per row
        k = self.k[px0:px1]
        wx = cam.px + zr[:, None] * (cam.fx + k[None, :] * cam.rx)
        wy = cam.py + zr[:, None] * (cam.fy + k[None, :] * cam.ry)
        mask = (wx >= x0) & (wx <= x1) & (wy >= y0) & (wy <= y1) & (rows > 0)[:, None]
        shade = 1.0 / (1.0 + 0.045 * sum(p[1] for p in pts) / len(pts))
        rgb = np.array([min(max(c, 0.0), 255.0) for c in colour * shade], np.uint8)
        canvas.write(patch, mask, zr[:, None].astype(np.float32), rgb, code)

    def _decoration(self, canvas, cam, d) -> None:
        room = self.world.get(d.room)
        light = room.light
        self._vertical(canvas, cam, d.start, d.end, d.z0, d.z1, np.array(d.rgb, float) * light, room.index + 1)
        # the pane or the painting inside the frame
        inset = 0.08
        (ax, ay), (bx, by) = d.start, d.end
        length = math.hypot(bx - ax, by - ay)
        ux, uy = (bx - ax) / length, (by - ay) / length
        nx, ny = -uy, ux  # a hair further from the wall than the frame: points towards the camera side
        sx, sy = cam.px - ax, cam.py - ay
        sign = 1.0 if nx * sx + ny * sy > 0 else -1.0
        off = 0.005 * sign
        a = (ax + ux * inset + nx * off, ay + uy * inset + ny * off)
        b = (bx - ux * inset + nx * off, by - uy * inset + ny * off)
        self._vertical(canvas, cam, a, b, d.z0 + inset, d.z1 - inset, np.array(d.inner_rgb, float) * light, room.index + 1)

    def _room_light(self, x: float, y: float) -> float:
        gx = min(max(int((x - self.grid_origin[0]) / self.grid_res), 0), self.grid.shape[1] - 1)
        gy = min(max(int((y - self.grid_origin[1]) / self.grid_res), 0), self.grid.shape[0] - 1)
        return float(self.light[max(int(self.grid[gy, gx]), 0)])

    def _person(self, canvas, cam, person) -> None:
        info = self.world.get(person.id)
        u, z = cam.ground(person.x, person.y)
        if z < 0.3:
            return
        scale = self.f / z
        light = self._room_light(person.x, person.y) / (1.0 + 0.045 * z)
        foot_v = self.cy + self.cam_h * scale
        sprite = _Sprite(canvas, u, foot_v, scale, info.height, 0.6, z, PERSON_BASE + info.index)
        if sprite.empty:
            return
        swing = 0.09 * math.sin(person.stride * math.pi / 0.7) if person.walking else 0.0
        h = info.height
        trousers = np.array(info.trousers, float) * light
        shirt = np.array(info.shirt, float) * light
        skin = np.array(info.skin, float) * light
        hair = np.array(info.hair, float) * light
        hip = 0.48 * h
        sprite.poly([(-0.13, hip), (-0.02, hip), (-0.02 + swing, 0.0), (-0.13 + swing, 0.0)], trousers)
        sprite.poly([(0.02, hip), (0.13, hip), (0.13 - swing, 0.0), (0.02 - swing, 0.0)], trousers * 0.9)
        sprite.poly([(-0.2, 0.82 * h), (0.2, 0.82 * h), (0.17, hip - 0.02), (-0.17, hip - 0.02)], shirt)
        sprite.poly([(-0.26, 0.8 * h), (-0.2, 0.8 * h), (-0.2 - swing / 3, 0.5 * h), (-0.26 - swing / 3, 0.5 * h)], shirt * 0.8)
        sprite.poly([(0.2, 0.8 * h), (0.26, 0.8 * h), (0.26 + swing / 3, 0.5 * h), (0.2 + swing / 3, 0.5 * h)], shirt * 0.8)
        sprite.poly([(-0.04, 0.86 * h), (0.04, 0.86 * h), (0.04, 0.81 * h), (-0.04, 0.81 * h)], skin * 0.9)
        sprite.ellipse((0.0, 0.92 * h), (0.085, 0.07 * h), skin)
        sprite.ellipse((0.0, 0.95 * h), (0.09, 0.045 * h), hair, half=True)
        sprite.commit()

    def _object(self, canvas, cam, pose) -> None:
        obj = self.world.get(pose.id)
        u, z = cam.ground(pose.x, pose.y)
        if z < (0.3 if pose.holder is not None else NEAR):
            return
        scale = self.f / z
        base_v = self.cy + (self.cam_h - pose.z) * scale
        light = self._room_light(pose.x, pose.y) / (1.0 + 0.045 * z)
        tested = z - 0.25 if pose.holder is not None else z  # carried in front of the body
        sprite = _Sprite(canvas, u, base_v, scale, obj.height, obj.width, tested, OBJECT_BASE + obj.index)
        if sprite.empty:
            return
        draw_shape(sprite, obj.shape, obj.width, obj.height, np.array(obj.rgb, float) * light)
        sprite.commit()

    # ---------------------------------------------------------------------------------- analysis

    def visible(self, frame: RenderedFrame, min_pixels: int | None = None) -> list[Visible]:
        """The entities with at least ``min_pixels`` pixels in the frame (default: 0.01% of it, at least 4)."""
        threshold = max(4, int(0.0001 * self.width * self.height)) if min_pixels is None else int(min_pixels)
        ys, xs = np.nonzero(frame.ids >= FURNITURE_BASE)
        if not len(ys):
            return []
        codes = frame.ids[ys, xs]
        order = np.argsort(codes, kind="stable")
        codes, ys, xs = codes[order], ys[order], xs[order]
        starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
        counts = np.diff(np.r_[starts, len(codes)])
        x0, x1 = np.minimum.reduceat(xs, starts), np.maximum.reduceat(xs, starts)
        y0, y1 = np.minimum.reduceat(ys, starts), np.maximum.reduceat(ys, starts)
        return [Visible(entity_id(int(codes[s])), int(n), (int(a), int(b), int(c) + 1, int(d) + 1))
                for s, n, a, b, c, d in zip(starts, counts, x0, y0, x1, y1) if n >= threshold]


# ---------------------------------------------------------------------------------------- helpers

class _Camera:
    """The pose of the camera and the transforms of floor points into it."""

    def __init__(self, px: float, py: float, yaw: float, r: Renderer) -> None:
        self.px, self.py = px, py
        self.fx, self.fy = math.cos(yaw), math.sin(yaw)  # forward
        self.rx, self.ry = math.sin(yaw), -math.cos(yaw)  # right
        self.r = r

    def to_camera(self, x: float, y: float) -> tuple[float, float]:
        dx, dy = x - self.px, y - self.py
        return (dx * self.rx + dy * self.ry, dx * self.fx + dy * self.fy)

    def lateral(self, x: float, y: float) -> float:
        return (x - self.px) * self.rx + (y - self.py) * self.ry

    def ground(self, x: float, y: float) -> tuple[float, float]:
        """Image column and depth of a floor-plane point (column undefined behind the camera)."""
        xc, zc = self.to_camera(x, y)
        return (self.r.cx + self.r.f * xc / zc if zc > 1e-9 else math.copysign(1e9, xc)), zc


class _Canvas:
    """The frame being drawn: colour, id and depth buffers with a per-pixel depth test."""

    def __init__(self, image: np.ndarray, ids: np.ndarray, depth: np.ndarray, t_wall: np.ndarray) -> None:
        self.image, self.ids, self.depth, self.t_wall = image, ids, depth, t_wall
        self.h, self.w = ids.shape

    def patch(self, poly) -> tuple[int, int, int, int] | None:
        """The clipped pixel rectangle (x0, y0, x1, y1) around a polygon of (x, y) points."""
        xs = [p[0] for p in poly]
        ys = [p[1] for p in poly]
        x0 = max(int(math.floor(min(xs))), 0)
        x1 = min(int(math.ceil(max(xs))) + 1, self.w)
        y0 = max(int(math.floor(min(ys))), 0)
        y1 = min(int(math.ceil(max(ys))) + 1, self.h)
        if x1 <= x0 or y1 <= y0:
            return None
        return x0, y0, x1, y1

    def fill(self, poly, patch, z: np.ndarray, colour: np.ndarray, code: int,
             columns: tuple[float, float] | None = None) -> None:
        """A convex polygon of one colour, depth z (broadcastable to the patch); ``columns`` limits it to
        patch columns whose centres lie in that range."""
        x0, y0, x1, y1 = patch
        mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
        pts = np.array([((x - x0 - 0.5) * _ONE, (y - y0 - 0.5) * _ONE) for x, y in poly]).round().astype(np.int32)
        cv2.fillConvexPoly(mask, pts, 1, lineType=cv2.LINE_8, shift=SHIFT)
        if columns is not None:
            lo, hi = int(math.ceil(columns[0])), int(math.floor(columns[1]))
            mask[:, :max(lo, 0)] = 0
            mask[:, max(hi + 1, 0):] = 0
        rgb = np.array([min(max(c, 0.0), 255.0) for c in colour], np.uint8)
        self.write(patch, mask.view(bool), z, rgb, code)

    def write(self, patch, mask: np.ndarray, z, colour: np.ndarray, code: int) -> None:
        """Where mask is set and z is nearer than the depth buffer: set depth, id and colour."""
        x0, y0, x1, y1 = patch
        zbuf = self.depth[y0:y1, x0:x1]
        win = np.less(z, zbuf, where=mask, out=np.zeros(mask.shape, bool))
        if not win.any():
            return
        if z.ndim == 2 and z.shape == win.shape:
            zbuf[win] = z[win]
        else:
            zbuf[win] = np.broadcast_to(z, win.shape)[win]
        self.ids[y0:y1, x0:x1][win] = code
        self.image[y0:y1, x0:x1][win] = colour[win] if colour.ndim == 3 else colour


class _Sprite:
    """A billboard standing at image column u with its base on image row v, drawn part by part."""

    def __init__(self, canvas: _Canvas, u: float, v: float, scale: float, height: float, width: float,
                 z: float, code: int) -> None:
        self.canvas, self.u, self.v, self.s, self.z, self.code = canvas, u, v, scale, z, code
        half = width / 2 * scale + 2
        top = v - height * scale - 2
        self.patch = canvas.patch(np.array([[u - half, top], [u + half, v + 2]]))
        self.empty = (self.patch is None or height * scale < 1.5
                      or z > canvas.t_wall[self.patch[0]:self.patch[2]].max() + 0.01)  # wholly behind walls
        if not self.empty:
            x0, y0, x1, y1 = self.patch
            self.rgb = np.zeros((y1 - y0, x1 - x0, 3), np.uint8)
            self.mask = np.zeros((y1 - y0, x1 - x0), np.uint8)

    def _px(self, points) -> np.ndarray:
        """Metres (x right of centre, z up from the base) to fixed-point patch pixels."""
        x0, y0, _, _ = self.patch
        pts = np.array([[self.u + x * self.s - x0 - 0.5, self.v - z * self.s - y0 - 0.5] for x, z in points])
        return np.round(pts * _ONE).astype(np.int32)

    def poly(self, points, rgb) -> None:
        pts = self._px(points)
        colour = tuple(int(c) for c in np.clip(rgb, 0, 255))
        cv2.fillPoly(self.rgb, [pts], colour, lineType=cv2.LINE_8, shift=SHIFT)
        cv2.fillPoly(self.mask, [pts], 1, lineType=cv2.LINE_8, shift=SHIFT)

    def ellipse(self, centre, axes, rgb, half: bool = False, thickness: float = -1, lower: bool = False) -> None:
        c = self._px([centre])[0]
        ax = (max(int(round(axes[0] * self.s * _ONE)), 1), max(int(round(axes[1] * self.s * _ONE)), 1))
        colour = tuple(int(v) for v in np.clip(rgb, 0, 255))
        start, end = (180, 360) if half else (0, 180) if lower else (0, 360)
        t = thickness if thickness < 0 else max(1, int(round(thickness * self.s)))
        cv2.ellipse(self.rgb, (int(c[0]), int(c[1])), ax, 0, start, end, colour, t, cv2.LINE_8, SHIFT)
        cv2.ellipse(self.mask, (int(c[0]), int(c[1])), ax, 0, start, end, 1, t, cv2.LINE_8, SHIFT)

    def line(self, a, b, width: float, rgb) -> None:
        pts = self._px([a, b])
        colour = tuple(int(v) for v in np.clip(rgb, 0, 255))
        t = max(1, int(round(width * self.s)))
        cv2.line(self.rgb, tuple(int(v) for v in pts[0]), tuple(int(v) for v in pts[1]), colour, t, cv2.LINE_8, SHIFT)
        cv2.line(self.mask, tuple(int(v) for v in pts[0]), tuple(int(v) for v in pts[1]), 1, t, cv2.LINE_8, SHIFT)

    def commit(self) -> None:
        self.canvas.write(self.patch, self.mask.view(bool), np.float32(self.z), self.rgb, self.code)


def _cast(px, py, dx, dy, a, e, n):
    """Nearest hit of each column ray (px, py) + t (dx, dy) with segments a + s e; front faces only when
    normals n are given. Returns t (inf where nothing is hit), the segment index and s."""
    denom = dx[:, None] * e[None, :, 1] - dy[:, None] * e[None, :, 0]
    rx, ry = a[:, 0] - px, a[:, 1] - py
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (rx[None, :] * e[None, :, 1] - ry[None, :] * e[None, :, 0]) / denom
        s = (rx[None, :] * dy[:, None] - ry[None, :] * dx[:, None]) / denom
    ok = (np.abs(denom) > 1e-12) & (t > 1e-6) & (s >= -1e-9) & (s <= 1 + 1e-9)
    if n is not None:
        ok &= (dx[:, None] * n[None, :, 0] + dy[:, None] * n[None, :, 1]) < 0
    t = np.where(ok, t, np.inf)
    seg = np.argmin(t, axis=1)
    cols = np.arange(len(dx))
    return t[cols, seg], seg, np.clip(s[cols, seg], 0.0, 1.0)


def _cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]


def _clip_near(pts: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Sutherland-Hodgman clip of a polygon (camera x, depth) to depth >= NEAR."""
    out = []
    for i, (xa, za) in enumerate(pts):
        xb, zb = pts[(i + 1) % len(pts)]
        if za >= NEAR:
            out.append((xa, za))
        if (za >= NEAR) != (zb >= NEAR):
            t = (NEAR - za) / (zb - za)
            out.append((xa + t * (xb - xa), NEAR))
    return out
