"""The text-reader interface: a frame in, lines of text with boxes and scores out."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TextLine:
    """One line of text read in a frame."""

    text: str
    # axis-aligned box (x0, y0, x1, y1) as fractions of the frame's width and height, so that it
    # holds at any resolution the frame is shown at
    box: tuple[float, float, float, float]
    score: float  # the recogniser's confidence in the text, 0..1

    @property
    def height(self) -> float:
        """The box's height as a fraction of the frame's height."""
        return self.box[3] - self.box[1]


class TextReader(ABC):
    """Reads the text in RGB frames (OCR)."""

    #: what read the text, recorded with every stored line: "rapidocr:PP-OCRv6-small"
    model: str

    @abstractmethod
    def read(self, image: np.ndarray) -> list[TextLine]:
        """Lines of text in an H x W x 3 uint8 RGB frame (or H x W grey), in reading order."""


def as_frame(image: np.ndarray) -> np.ndarray:
    """``image`` as H x W x 3 uint8 (grey is expanded), or ValueError naming what is wrong."""
    array = np.asarray(image)
    if array.ndim == 2:
        array = np.repeat(array[:, :, None], 3, axis=2)
    if array.ndim != 3 or array.shape[2] != 3 or array.dtype != np.uint8:
        raise ValueError(f"text reader: expected an H x W x 3 uint8 RGB frame (or H x W grey), "
                         f"got shape {array.shape} dtype {array.dtype}")
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(f"text reader: empty frame of shape {array.shape}")
    return array
