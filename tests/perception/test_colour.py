"""Colour names of things in boxes, from the pixels in the box against those around it."""

from __future__ import annotations

import numpy as np
import pytest

from perception.colour import BASIC_COLOURS, ColourNamer, box_regions

ACHROMATIC = ("white", "grey", "black")  # told apart by brightness only: read at full light
CASES = [(n, g) for n in sorted(BASIC_COLOURS) for g in ((1.0,) if n in ACHROMATIC else (0.5, 0.8, 1.0))]
NAMER = ColourNamer()


def _paint(name: str) -> np.ndarray:
    return np.asarray(BASIC_COLOURS[name], float)


@pytest.mark.parametrize("name, gain", CASES)
def test_a_patch_under_room_light_is_named(name, gain):
    rng = np.random.default_rng(0)
    patch = np.clip(gain * _paint(name) + rng.normal(0, 3, (200, 3)), 0, 255)
    assert NAMER.name(patch) == name


def test_nothing_has_no_colour():
    assert NAMER.name(np.zeros((0, 3))) == ""


def test_a_palette_of_ones_own():
    namer = ColourNamer({"signal red": (220, 20, 20), "sky": (120, 170, 230)})
    assert namer.name(np.tile([[118, 168, 232]], (50, 1))) == "sky"
    with pytest.raises(ValueError, match="palette is empty"):
        ColourNamer({})


def _scene(background: str, gain: float = 0.8) -> np.ndarray:
    """A 60x80 image of one colour (a wall) under room light, with camera noise."""
    rng = np.random.default_rng(1)
    return np.clip(gain * _paint(background) + rng.normal(0, 3, (60, 80, 3)), 0, 255)


def test_a_phone_is_named_by_its_rim_not_its_dark_screen():
    """A pink phone 10x16 pixels whose dark screen fills all but a 2-pixel rim, on a grey wall."""
    image = _scene("grey")
    image[20:36, 30:40] = 0.8 * _paint("pink")
    image[22:34, 32:38] = (20, 20, 28)
    assert NAMER.of_box(image, (30, 20, 40, 36)) == "pink"


def test_a_thin_thing_is_named_by_what_is_not_around_it():
    """A teal pen drawn as a 2-pixel line across its box on a brown table: most of the box is table,
    which is as much around the box as in it."""
    image = _scene("brown")
    for k in range(12):
        image[18 + k, 30 + k // 2: 32 + k // 2] = 0.8 * _paint("teal")
    assert NAMER.of_box(image, (29, 18, 38, 30)) == "teal"
    assert NAMER.name(box_regions(image, (29, 18, 38, 30))[0]) == "brown"  # the box alone: the table


def test_a_black_thing_on_a_pale_wall_reads_black():
    image = _scene("white")
    image[10:30, 10:30] = (25, 25, 25)
    assert NAMER.of_box(image, (10, 10, 30, 30)) == "black"


def test_box_regions_are_cut_at_the_image_edges():
    inside, surround = box_regions(_scene("grey"), (-5, -5, 10, 10))
    assert len(inside) and len(surround) and inside.shape[1] == surround.shape[1] == 3
    assert box_regions(_scene("grey"), (90, 70, 95, 75))[0].shape == (0, 3)  # wholly outside
