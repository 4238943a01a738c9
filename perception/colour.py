"""Colour names for things in boxes: the basic colour term of the thing's own pixels, not of its box.

A box around a small or thin thing holds a good deal of whatever is behind it (a wall, a table), so the
thing is first told from its surround: its *figure* is the pixels of the box unlike every colour just
outside the box (CIELAB distance above FIGURE_DE), or the whole box when too few are (a thing the colour
of its background). Each figure pixel is then named in a perceptual space: pixels too dark to show a hue
or of low chroma are achromatic and take the achromatic palette term (black, grey, white) nearest their
brightness under typical room light; the others take the chromatic term nearest in CIELAB under any of a
range of light levels (rooms are lit unevenly, a side in shade is darker), lightness weighted down since
light changes it most. A chromatic name held by COLOUR_SHARE of the figure names the thing (a dark screen,
a shadow, an outline or a highlight is an achromatic part of a coloured thing); otherwise the most common
name does. Works on any RGB image; the palette is a parameter (basic colour terms by default).
"""

from __future__ import annotations

from typing import Mapping, Sequence

import cv2
import numpy as np
from scipy.spatial import cKDTree

#: basic colour terms (Berlin and Kay's eleven and teal) at a typical mid-lightness sRGB
BASIC_COLOURS: Mapping[str, tuple[int, int, int]] = {
    "red": (200, 35, 40), "orange": (240, 135, 30), "yellow": (235, 205, 45), "green": (45, 155, 60),
    "teal": (30, 145, 150), "blue": (40, 75, 195), "purple": (125, 55, 165), "pink": (240, 135, 180),
    "brown": (125, 80, 45), "white": (235, 235, 235), "grey": (128, 128, 128), "black": (25, 25, 25),
}
GAINS = np.linspace(0.3, 1.15, 18)  # light levels a colour is looked for under (shade .. bright)
ROOM_LIGHT = 0.75  # the light level achromatic terms are told apart by brightness under
ACHROMATIC_SATURATION = 0.15  # a palette colour whose (max - min) / max is below this is achromatic
DARK = 60.0  # a pixel no brighter than this in any channel is too dark to show a hue
CHROMA = 15.0  # CIELAB chroma below which a pixel is achromatic (white, grey, black)
LIGHTNESS_WEIGHT = 0.3  # weight of the lightness difference against hue and chroma in naming a pixel
FIGURE_DE = 10.0  # CIELAB distance from every surround colour beyond which a box pixel is the thing's
MIN_FIGURE = 0.08  # share of the box below which the figure is not trusted and the whole box is read
COLOUR_SHARE = 0.12  # share of the figure a chromatic name needs to name the thing
MAX_PIXELS = 4096  # a box or surround with more pixels is read on an even sample of this many
INSIDE = 0.9  # the central share of a box (per axis) read as the thing
SURROUND = 1.15  # from this many times the box's half size outwards: what is around the thing


def to_lab(pixels: np.ndarray) -> np.ndarray:
    """(n, 3) sRGB 0..255 -> (n, 3) CIELAB (L 0..100, a and b signed), D65."""
    u = np.clip(np.asarray(pixels, np.float32).reshape(-1, 1, 3) / 255.0, 0.0, 1.0)
    return cv2.cvtColor(u, cv2.COLOR_RGB2LAB).reshape(-1, 3)


class ColourNamer:
    """Names the colour of the thing in a box of an image, from a palette of named RGB colours."""

    def __init__(self, palette: Mapping[str, Sequence[int]] | None = None) -> None:
        palette = BASIC_COLOURS if palette is None else palette
        if not palette:
            raise ValueError("ColourNamer: the palette is empty; give at least one name -> (r, g, b)")
        self.names = list(palette)
        rgb = np.array([palette[n] for n in self.names], np.float32)
        top = np.maximum(rgb.max(axis=1), 1.0)
        achromatic = (top - rgb.min(axis=1)) / top < ACHROMATIC_SATURATION
        self._grey_index = np.flatnonzero(achromatic)  # achromatic terms, by their brightness under room light
        self._grey_value = ROOM_LIGHT * top[achromatic]
        hues = np.flatnonzero(~achromatic)
        self._hue_index = np.repeat(hues, len(GAINS))  # chromatic terms, each under every light level
        self._hue_lab = to_lab(np.clip(rgb[hues, None, :] * GAINS[None, :, None], 0, 255).reshape(-1, 3))

    def of_box(self, image: np.ndarray, box: Sequence[float]) -> str:
        """The colour of the thing inside ``box`` (x0, y0, x1, y1 pixels) of an (h, w, 3) RGB image."""
        return self.name(*box_regions(image, box))

    def name(self, pixels: np.ndarray, surround: np.ndarray | None = None) -> str:
        """The colour of the thing whose box holds (n, 3) RGB ``pixels``, with ``surround`` the pixels
        around the box; '' when none is read."""
        distinct, count = _distinct(pixels)
        if len(distinct) == 0:
            return ""
        lab = to_lab(distinct)
        if surround is not None and len(surround):
            figure = _unlike(lab, to_lab(_distinct(surround)[0]))
            if count[figure].sum() >= MIN_FIGURE * count.sum():
                lab, distinct, count = lab[figure], distinct[figure], count[figure]
        votes = np.bincount(self._pixel_names(distinct, lab), weights=count, minlength=len(self.names) + 1)[:-1]
        if votes.sum() == 0:
            return ""
        hue = votes.copy()
        hue[self._grey_index] = 0
        if hue.max() >= COLOUR_SHARE * count.sum():
            return self.names[int(np.argmax(hue))]
        return self.names[int(np.argmax(votes))]

    def _pixel_names(self, rgb: np.ndarray, lab: np.ndarray) -> np.ndarray:
        """Per pixel: the index of its palette term, len(names) for none (an achromatic pixel when the
        palette has no achromatic term, and vice versa)."""
        label = np.full(len(rgb), len(self.names), int)
        grey = (rgb.max(axis=1) <= DARK) | (np.hypot(lab[:, 1], lab[:, 2]) < CHROMA)
        if len(self._hue_index):
            diff = lab[~grey, None, :] - self._hue_lab[None]
            diff[..., 0] *= LIGHTNESS_WEIGHT
            label[~grey] = self._hue_index[np.argmin((diff ** 2).sum(axis=2), axis=1)]
        elif len(self._grey_index):
            grey[:] = True
        if len(self._grey_index):
            value = rgb[grey].max(axis=1)
            label[grey] = self._grey_index[np.argmin(np.abs(value[:, None] - self._grey_value[None]), axis=1)]
        return label


def _distinct(pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each distinct colour of (n, 3) pixels once (rendered and compressed frames repeat colours a lot),
    with how many pixels have it; a large region by an even sample of MAX_PIXELS of its pixels."""
    px = np.asarray(pixels).reshape(-1, 3)
    if len(px) > MAX_PIXELS:
        px = px[np.linspace(0, len(px) - 1, MAX_PIXELS).astype(int)]
    if len(px) == 0:
        return np.zeros((0, 3), np.float32), np.zeros(0)
    px = np.clip(np.rint(px), 0, 255).astype(np.int32)
    keys = (px[:, 0] << 16) | (px[:, 1] << 8) | px[:, 2]
    codes, count = np.unique(keys, return_counts=True)
    return np.stack([codes >> 16, (codes >> 8) & 255, codes & 255], axis=1).astype(np.float32), count


def _unlike(lab: np.ndarray, around: np.ndarray) -> np.ndarray:
    """Which of the ``lab`` colours are further than FIGURE_DE from every colour in ``around``."""
    distance, _ = cKDTree(around).query(lab, distance_upper_bound=FIGURE_DE)
    return ~np.isfinite(distance)


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
