"""Shared fixtures for perception tests: seeded synthetic frames and a tiny random open_clip model."""

from __future__ import annotations

import perception.torchvision_compat  # noqa: F401 - tests import open_clip/torchvision directly

import cv2
import numpy as np
import pytest


def _smooth_image(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """A natural-looking RGB image: a smooth colour field with a few flat shapes on it."""
    base = rng.integers(0, 256, (4, 6, 3)).astype(np.uint8)
    image = cv2.resize(base, (width, height), interpolation=cv2.INTER_CUBIC)
    for _ in range(6):
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        if rng.random() < 0.5:
            w, h = (int(v) for v in rng.integers(max(4, width // 20), max(8, width // 3), 2))
            cv2.rectangle(image, (x, y), (x + w, y + h), colour, -1)
        else:
            cv2.circle(image, (x, y), int(rng.integers(max(3, width // 40), max(6, width // 6))), colour, -1)
    return image


@pytest.fixture
def smooth_image():
    """``smooth_image(rng, height, width)``: a seeded natural-looking test image."""
    return _smooth_image


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


@pytest.fixture(scope="session")
def tiny_clip():
    """The `test` profile's open_clip model: the shipped tiny config with seeded random weights."""
    from perception.encoders.clip import TINY_MODEL, OpenClipEncoder

    return OpenClipEncoder(model=TINY_MODEL, allow_random=True, device="cpu")
