"""What things look like: furniture as axis-aligned boxes, objects as flat silhouettes.

``furniture_boxes`` builds a piece of furniture from boxes (x0, y0, z0, x1, y1, z1) with colours: a
table is a top and four legs, a sofa a base, a back and arms, a container a box with a handle (and,
open, its door swung out by ``open_door``). ``draw_shape`` draws an object category's silhouette
(mug with a handle, bottle with a neck, glasses with two lenses, ...) on anything with ``poly``,
``ellipse`` and ``line`` in metres, such as the renderer's billboard sprites.
"""

from __future__ import annotations

import numpy as np


def draw_shape(s, shape: str, w: float, h: float, rgb: np.ndarray) -> None:
    """The silhouette of an object category, width w and height h metres, standing on its base."""
    dark, light = rgb * 0.6, np.minimum(rgb * 1.3 + 30, 255)
    x0, x1 = -w / 2, w / 2
    if shape == "mug":
        s.poly([(x0, h), (x1 - 0.3 * w, h), (x1 - 0.3 * w, 0), (x0, 0)], rgb)
        s.ellipse((x1 - 0.22 * w, 0.55 * h), (0.2 * w, 0.25 * h), dark, thickness=0.06 * w + 0.01)
    elif shape == "cup":
        s.poly([(x0, h), (x1, h), (0.3 * w, 0.1 * h), (-0.3 * w, 0.1 * h)], rgb)
        s.poly([(x0, 0.1 * h), (x1, 0.1 * h), (x1, 0), (x0, 0)], light)
    elif shape == "plate":
        s.ellipse((0, h / 2), (w / 2, h / 2), rgb)
    elif shape == "bowl":
        s.ellipse((0, h), (w / 2, h), rgb, lower=True)
    elif shape in ("bottle", "jar"):
        neck = 0.35 if shape == "bottle" else 0.8
        body = 0.65 if shape == "bottle" else 0.8
        s.poly([(x0, body * h), (x1, body * h), (x1, 0), (x0, 0)], rgb)
        s.poly([(-neck * w / 2, h), (neck * w / 2, h), (neck * w / 2, body * h), (-neck * w / 2, body * h)],
               dark if shape == "jar" else rgb)
    elif shape in ("book", "notebook"):
        s.poly([(x0, h), (x1, h), (x1, 0), (x0, 0)], rgb)
        band = (x0, x0 + 0.18 * w) if shape == "book" else (x0 + 0.05 * w, x0 + 0.12 * w)
        s.poly([(band[0], h), (band[1], h), (band[1], 0), (band[0], 0)], dark if shape == "book" else light)
    elif shape in ("phone", "tablet"):
        s.poly([(x0, h), (x1, h), (x1, 0), (x0, 0)], rgb)
        m = 0.12 * w
        s.poly([(x0 + m, h - m), (x1 - m, h - m), (x1 - m, m), (x0 + m, m)], np.array([25.0, 25.0, 35.0]))
    elif shape == "remote":
        s.poly([(x0, h), (x1, h), (x1, 0), (x0, 0)], rgb)
        s.ellipse((0, 0.8 * h), (0.25 * w, 0.06 * h), light)
    elif shape == "keys":
        s.ellipse((-0.2 * w, 0.65 * h), (0.22 * w, 0.3 * h), rgb, thickness=0.02)
        s.poly([(0.0, 0.55 * h), (x1, 0.45 * h), (x1, 0.25 * h), (0.0, 0.35 * h)], rgb)
    elif shape == "wallet":
        s.poly([(x0, h), (x1, h), (x1, 0), (x0, 0)], rgb)
        s.poly([(x0, h), (x1, h), (x1, 0.6 * h), (x0, 0.6 * h)], dark)
    elif shape in ("glasses", "sunglasses"):
        lens = dark * 0.3 if shape == "sunglasses" else light
        for cx in (-0.25 * w, 0.25 * w):
            s.ellipse((cx, h / 2), (0.22 * w, h / 2), rgb)
            s.ellipse((cx, h / 2), (0.16 * w, 0.36 * h), lens)
    elif shape in ("apple", "orange"):
        s.ellipse((0, 0.45 * h), (w / 2, 0.45 * h), rgb)
        if shape == "apple":
            s.line((0, 0.85 * h), (0.1 * w, h), 0.015, np.array([90.0, 60.0, 30.0]))
        else:
            s.ellipse((0, 0.85 * h), (0.08 * w, 0.05 * h), dark)
    elif shape == "box":
        s.poly([(x0, h), (x1, h), (x1, 0), (x0, 0)], rgb)
        s.poly([(x0, h), (x1, h), (x1, 0.85 * h), (x0, 0.85 * h)], dark)
    elif shape == "basket":
        s.poly([(x0, 0.6 * h), (x1, 0.6 * h), (0.38 * w, 0), (-0.38 * w, 0)], rgb)
        s.ellipse((0, 0.6 * h), (0.4 * w, 0.4 * h), dark, half=True, thickness=0.015)
    elif shape == "laptop":
        s.poly([(-0.42 * w, h), (0.42 * w, h), (0.42 * w, 0.12 * h), (-0.42 * w, 0.12 * h)], dark)
        s.poly([(x0, 0.12 * h), (x1, 0.12 * h), (x1, 0), (x0, 0)], rgb)
    elif shape == "ball":
        s.ellipse((0, h / 2), (w / 2, h / 2), rgb)
        s.line((x0, h / 2), (x1, h / 2), 0.01, light)
    elif shape == "umbrella":
        s.poly([(x0, 0.75 * h), (0.0, h), (x1, 0.75 * h)], rgb)
        s.line((0, 0.75 * h), (0, 0.0), 0.015, dark)
    elif shape in ("pen", "pencil"):
        s.line((-0.3 * w, 0.0), (0.3 * w, 0.85 * h), 0.012, rgb)
        tip = np.array([60.0, 60.0, 60.0]) if shape == "pen" else np.array([235.0, 200.0, 150.0])
        s.line((0.3 * w, 0.85 * h), (0.4 * w, h), 0.01, tip)
    else:
        s.poly([(x0, h), (x1, h), (x1, 0), (x0, 0)], rgb)



def furniture_boxes(f) -> list[tuple[tuple[float, ...], tuple[int, int, int]]]:
    """A piece of furniture as axis-aligned boxes (x0, y0, z0, x1, y1, z1) with colours."""
    x0, y0, x1, y1 = f.footprint
    h, rgb = f.height, f.rgb
    fx, fy = f.facing
    dark = tuple(int(c * 0.65) for c in rgb)
    pale = tuple(int(min(255, c * 1.25 + 25)) for c in rgb)

    def band(lo: float, hi: float) -> tuple[float, float, float, float]:
        """The part of the footprint from depth fraction lo to hi, measured from the front."""
        if fy > 0:
            return (x0, y0 + (1 - hi) * (y1 - y0), x1, y0 + (1 - lo) * (y1 - y0))
        if fy < 0:
            return (x0, y0 + lo * (y1 - y0), x1, y0 + hi * (y1 - y0))
        if fx > 0:
            return (x0 + (1 - hi) * (x1 - x0), y0, x0 + (1 - lo) * (x1 - x0), y1)
        return (x0 + lo * (x1 - x0), y0, x0 + hi * (x1 - x0), y1)

    def box(r, z0, z1, colour=rgb):
        return ((r[0], r[1], z0, r[2], r[3], z1), colour)

    full = (x0, y0, x1, y1)
    style = f.style
    if style == "table":
        leg = 0.05
        boxes = [box(full, h - 0.05, h)]
        for lx, ly in ((x0, y0), (x1 - leg, y0), (x0, y1 - leg), (x1 - leg, y1 - leg)):
            boxes.append(box((lx, ly, lx + leg, ly + leg), 0.0, h - 0.05, dark))
        return boxes
    if style == "chair":
        return [box(full, 0.42, 0.47), box(band(0.8, 1.0), 0.47, h, dark), box(_inset(full, 0.17), 0.0, 0.42, dark)]
    if style == "sofa":
        return [box(band(0.0, 1.0), 0.0, 0.42), box(band(0.75, 1.0), 0.42, h, dark), box(_ends(full, fx, 0.14, True), 0.42, 0.62, dark),
                box(_ends(full, fx, 0.14, False), 0.42, 0.62, dark)]
    if style == "bed":
        return [box(full, 0.0, 0.42, dark), box(_inset(full, 0.03), 0.42, h, (235, 235, 240)),
                box(band(0.72, 0.94), h, h + 0.05, pale), box(band(0.95, 1.0), 0.0, 1.0, dark)]
    if style == "lamp":
        return [box(_inset(full, 0.15), 0.0, h - 0.35, (70, 70, 70)), box(full, h - 0.35, h, rgb)]
    if style == "pole":
        return [box(_inset(full, 0.17), 0.0, h, rgb), box(full, h - 0.12, h - 0.06, dark)]
    if style == "plant":
        return [box(_inset(full, 0.08), 0.0, 0.35, (150, 90, 60)), box(full, 0.35, h, rgb)]
    if style == "tv":
        return [box(full, 0.0, h), box(band(0.8, 0.95), h, h + 0.6, (25, 25, 30))]
    boxes = [box(full, 0.0, h)]
    if f.container:  # a handle on the front, near one end
        r = band(-0.06, 0.0)
        if fy != 0:
            hx = x0 + 0.82 * (x1 - x0)
            r = (hx - 0.02, r[1], hx + 0.02, r[3])
        else:
            hy = y0 + 0.82 * (y1 - y0)
            r = (r[0], hy - 0.02, r[2], hy + 0.02)
        boxes.append(box(r, h * 0.45, h * 0.6, (60, 60, 60)))
    return boxes


def open_door(f) -> list[tuple[tuple[float, ...], tuple[int, int, int]]]:
    """An open container: the door swung out at a right angle, and a dark opening on the front."""
    x0, y0, x1, y1 = f.footprint
    fx, fy = f.facing
    h, t = f.height, 0.03
    width = (x1 - x0) if fy != 0 else (y1 - y0)
    reach = min(width, 0.7)
    inside = (30, 25, 20)
    if fy > 0:
        door = (x0, y1, x0 + t, y1 + reach)
        hole = (x0 + 0.04, y1, x1 - 0.04, y1 + 0.01)
    elif fy < 0:
        door = (x1 - t, y0 - reach, x1, y0)
        hole = (x0 + 0.04, y0 - 0.01, x1 - 0.04, y0)
    elif fx > 0:
        door = (x1, y1 - t, x1 + reach, y1)
        hole = (x1, y0 + 0.04, x1 + 0.01, y1 - 0.04)
    else:
        door = (x0 - reach, y0, x0, y0 + t)
        hole = (x0 - 0.01, y0 + 0.04, x0, y1 - 0.04)
    return [((hole[0], hole[1], 0.05, hole[2], hole[3], h - 0.05), inside),
            ((door[0], door[1], 0.02, door[2], door[3], h - 0.02), f.rgb)]


def _inset(r, by: float):
    return (r[0] + by, r[1] + by, r[2] - by, r[3] - by)


def _ends(r, fx: float, size: float, first: bool):
    """The two arm rests of a sofa: strips at the ends of its width."""
    x0, y0, x1, y1 = r
    if fx == 0:  # width runs along x
        return (x0, y0, x0 + size, y1) if first else (x1 - size, y0, x1, y1)
    return (x0, y0, x1, y0 + size) if first else (x0, y1 - size, x1, y1)
