"""Colour names for things in boxes: the basic colour term a crop shows more of than its surround.

A box around a small or thin thing holds a good deal of whatever is behind it (a wall, a table), so
the name is the colour whose share of the box's pixels most exceeds its share just outside the box.
Each pixel takes the palette colour it is nearest to under any of a range of light levels (rooms are
lit unevenly, a side in shade is darker); dark pixels (shadow, outlines, a screen) vote for nothing
but "black", which names the thing only when the box holds more of them than its surround and no
colour stands out. Works on any RGB image; the palette is a parameter (basic colour terms by default).
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

#: basic colour terms (Berlin and Kay's eleven and teal) at a typical mid-lightness sRGB
BASIC_COLOURS: Mapping[str, tuple[int, int, int]] = {
    "red": (200, 35, 40), "orange": (240, 135, 30), "yellow": (235, 205, 45), "green": (45, 155, 60),
    "teal": (30, 145, 150), "blue": (40, 75, 195), "purple": (125, 55, 165), "pink": (240, 135, 180),
    "brown": (125, 80, 45), "white": (235, 235, 235), "grey": (128, 128, 128), "black": (25, 25, 25),
}
GAINS = np.linspace(0.35, 1.1, 10)  # light levels a colour is looked for under (shade .. bright)
NEAR_COLOUR = 20.0  # RGB distance within which a pixel is a palette colour under some light
DARK = 60.0  # a pixel no brighter than this in any channel is dark
STANDS_OUT = 0.02  # share by which a colour must exceed its share around the box to name the thing
DARK_SHARE = 0.1  # share by which dark pixels must exceed theirs around the box to read "black"
INSIDE = 0.9  # the central share of a box (per axis) read as the thing
SURROUND = 1.15  # from this many times the box's half size outwards: what is around the thing


class ColourNamer:
    """Names the colour of the thing in a box of an image, from a palette of named RGB colours."""

    def __init__(self, palette: Mapping[str, Sequence[int]] | None = None) -> None:
        palette = BASIC_COLOURS if palette is None else palette
        if not palette:
            raise ValueError("ColourNamer: the palette is empty; give at least one name -> (r, g, b)")
        self.names = list(palette)
        self._rgb = np.array([palette[n] for n in self.names], np.float32)

    def of_box(self, image: np.ndarray, box: Sequence[float]) -> str:
        """The colour of the thing inside ``box`` (x0, y0, x1, y1 pixels) of an (h, w, 3) RGB image."""
        return self.name(*box_regions(image, box))

    def name(self, pixels: np.ndarray, surround: np.ndarray | None = None) -> str:
        """The colour of (n, 3) RGB ``pixels`` against the ``surround`` pixels; '' when none is read."""
        inside = self._pixel_colours(pixels)
        if len(inside) == 0:
            return ""
        count = len(self.names)
        share = np.bincount(inside[inside >= 0], minlength=count + 1) / len(inside)
        excess = share.copy()
        if surround is not None and len(surround):
            around = self._pixel_colours(surround)
            excess -= np.bincount(around[around >= 0], minlength=count + 1) / len(around)
        colours = excess[:-1]
        if colours.max() > STANDS_OUT:
            return self.names[int(np.argmax(colours))]
        if excess[-1] > DARK_SHARE and "black" in self.names:
            return "black"
        return self.names[int(np.argmax(share[:-1]))] if share[:-1].sum() else ""

    def _pixel_colours(self, pixels: np.ndarray) -> np.ndarray:
        """Per pixel: the index of the nearest palette colour under some light level, len(names) for a
        dark pixel, -1 for one near no colour."""
        px = np.asarray(pixels).reshape(-1, 3)
        if len(px) > 64:  # each distinct colour once (rendered and compressed frames repeat colours a lot)
            if px.dtype == np.uint8:  # one integer per colour: far faster to sort than rows
                keys = (px[:, 0].astype(np.int32) << 16) | (px[:, 1].astype(np.int32) << 8) | px[:, 2]
                codes, inverse = np.unique(keys, return_inverse=True)
                distinct = np.stack([codes >> 16, (codes >> 8) & 255, codes & 255], axis=1)
            else:
                distinct, inverse = np.unique(px, axis=0, return_inverse=True)
            return self._colours_of(distinct.astype(np.float32))[inverse.reshape(-1)]
        return self._colours_of(px.astype(np.float32))

    def _colours_of(self, px: np.ndarray) -> np.ndarray:
        best = np.full(len(px), np.inf, np.float32)
        label = np.zeros(len(px), int)
        for k, ref in enumerate(self._rgb):
            for gain in GAINS:
                dist = np.linalg.norm(px - gain * ref, axis=1)
                better = dist < best
                best[better], label[better] = dist[better], k
        label[best >= NEAR_COLOUR] = -1
        label[px.max(axis=1) <= DARK] = len(self.names)
        return label


def box_regions(image: np.ndarray, box: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """(inside, surround) pixels of a box (x0, y0, x1, y1) in an image: the central INSIDE share of the
    box, and the ring from SURROUND to 1.3 times its size around it, cut at the image's edges."""
    h, w = image.shape[:2]
    x0, y0, x1, y1 = (float(v) for v in box)
    pad_x, pad_y = int((x1 - x0) * 0.3) + 2, int((y1 - y0) * 0.3) + 2
    a, b = max(int(max(x0, 0)) - pad_x, 0), min(int(min(x1 + 1, w)) + pad_x, w)
    c, d = max(int(max(y0, 0)) - pad_y, 0), min(int(min(y1 + 1, h)) + pad_y, h)
    if b <= a or d <= c:
        return np.zeros((0, 3)), np.zeros((0, 3))
    crop = image[c:d, a:b]
    yy, xx = np.mgrid[c:d, a:b]
    half_w, half_h = max((x1 - x0) / 2, 0.5), max((y1 - y0) / 2, 0.5)
    reach = np.maximum(np.abs(xx + 0.5 - (x0 + x1) / 2) / half_w, np.abs(yy + 0.5 - (y0 + y1) / 2) / half_h)
    return crop[reach <= INSIDE], crop[reach > SURROUND]
