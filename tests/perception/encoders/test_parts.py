"""The parts encoder: crops of one person under other light, before another wall, at another size match; people
dressed differently do not (also through re-identification, with the thresholds the space comes with)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from perception.encoders.parts import REID_THRESHOLDS, SPACE, PartsEncoder
from perception.encoders.registry import create_frame_encoder
from perception.reid import ReidClusterer

# clothes as (hair, skin, shirt, trousers), RGB; the two last share a shirt and differ in trousers
PEOPLE = {
    "red-blue": ((40, 30, 20), (220, 180, 150), (200, 40, 40), (40, 50, 140)),
    "green-grey": ((200, 170, 90), (200, 160, 130), (50, 150, 60), (110, 110, 110)),
    "brown-navy": ((230, 200, 120), (220, 180, 150), (120, 70, 40), (30, 35, 70)),
    "brown-olive": ((30, 20, 20), (150, 110, 80), (120, 70, 40), (90, 110, 40)),
}
WALLS = [(180, 170, 150), (90, 120, 160), (150, 90, 90), (200, 200, 200)]


def crop(person: str, wall: int, light: float = 1.0, height: int = 120, shift: float = 0.0,
         seed: int = 0) -> np.ndarray:
    """A standing person drawn in a box (grown by the detectors' 10% pad) before a wall, lit by ``light``."""
    rng = np.random.default_rng(seed)
    width = height // 2
    image = np.empty((height, width, 3), np.float64)
    image[:] = WALLS[wall]
    image += rng.normal(0, 6, image.shape)  # the wall's texture
    hair, skin, shirt, trousers = (np.array(c, float) for c in PEOPLE[person])
    pad_y, pad_x = height / 12, width / 12
    top, bottom = pad_y, height - pad_y
    cx = width / 2 + shift * width
    h = bottom - top

    def rect(y0: float, y1: float, half: float, colour: np.ndarray) -> None:
        image[int(top + y0 * h):int(top + y1 * h), int(cx - half * width):int(cx + half * width)] = colour

    rect(0.0, 0.05, 0.08, hair)
    rect(0.05, 0.15, 0.08, skin)
    rect(0.15, 0.55, 0.2, shirt)
    rect(0.55, 1.0, 0.15, trousers)
    image = np.clip(image * light + rng.normal(0, 3, image.shape), 0, 255).astype(np.uint8)
    return image


@pytest.fixture(scope="module")
def encoder() -> PartsEncoder:
    return PartsEncoder()


def test_vectors_are_unit_rows_of_their_space(encoder):
    vectors = encoder.encode_frames([crop("red-blue", 0), crop("green-grey", 1, height=40)])
    assert vectors.shape == (2, encoder.dim) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert encoder.space == SPACE and PartsEncoder(stripes=3).space.startswith(SPACE + ":")
    assert isinstance(create_frame_encoder("parts"), PartsEncoder)
    # a crop encodes the same alone and in a batch
    assert np.allclose(encoder.encode_frames([crop("green-grey", 1, height=40)])[0], vectors[1])
    assert encoder.encode_frames([]).shape == (0, encoder.dim)


def test_one_person_in_other_light_and_rooms_matches_better_than_anyone_else(encoder):
    for person in PEOPLE:
        view = encoder.encode_frames([crop(person, 0)])[0]
        again = encoder.encode_frames([crop(person, 1, light=0.55, height=70, shift=0.05, seed=1),
                                       crop(person, 2, light=1.2, height=160, shift=-0.05, seed=2)])
        others = encoder.encode_frames([crop(o, 0, seed=3) for o in PEOPLE if o != person])  # same wall, same light
        assert (again @ view).min() > (others @ view).max() + 0.05, person


def test_the_whole_crop_descriptor_is_fooled_by_the_wall():
    """The oracle's point: a whole-frame descriptor finds the same person before another wall less alike than
    another person before the same wall, which the parts encoder does not (the test above)."""
    whole = create_frame_encoder("descriptor")
    view, moved, other = whole.encode_frames([crop("brown-navy", 0), crop("brown-navy", 2, light=0.55, seed=1),
                                              crop("brown-olive", 0, seed=3)])
    assert view @ moved < view @ other


def test_reidentification_keeps_people_dressed_differently_apart(encoder):
    """Tracks (mean vectors of a few views) of four people, seen in turn in four rooms, become four entities."""
    clusterer = ReidClusterer(kind_thresholds=REID_THRESHOLDS)
    rng = np.random.default_rng(0)
    found: dict[str, set[int]] = {p: set() for p in PEOPLE}
    for visit in range(5):
        for person in rng.permutation(list(PEOPLE)):
            views = [crop(person, int(rng.integers(len(WALLS))), light=float(rng.uniform(0.5, 1.2)),
                          height=int(rng.integers(50, 160)), shift=float(rng.uniform(-0.06, 0.06)),
                          seed=int(rng.integers(1 << 30))) for _ in range(3)]
            track = encoder.encode_frames(views).mean(axis=0)
            found[person].add(clusterer.assign(track, "person", space=encoder.space, weight=3))
    assert all(len(entities) == 1 for entities in found.values()), found
    assert len(set().union(*found.values())) == len(PEOPLE)


def test_a_tiny_or_flat_crop_still_encodes(encoder):
    vectors = encoder.encode_frames([np.zeros((1, 1, 3), np.uint8), np.full((3, 40, 3), 255, np.uint8)])
    assert np.isfinite(vectors).all() and np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_bad_options_name_the_field():
    with pytest.raises(ValueError, match="stripes"):
        PartsEncoder(stripes=0)
    with pytest.raises(ValueError, match="pad"):
        PartsEncoder(pad=0.7)
