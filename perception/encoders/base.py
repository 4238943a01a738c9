"""The frame-encoder interface every backend implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Sequence

import numpy as np


class FrameEncoder(ABC):
    """Turns RGB frames into unit-length vectors of one named vector space."""

    #: identity of the vector space; vectors from different spaces are never compared
    space: str
    #: vector dimension
    dim: int
    #: shorter side, in pixels, that frames should arrive at (the source resizes straight to it)
    frame_size: int

    @abstractmethod
    def encode_frames(self, images: Sequence[np.ndarray]) -> np.ndarray:
        """Encode H x W x 3 uint8 RGB frames (any size) to an (n, dim) float32 array of unit rows."""

    @property
    def supports_text(self) -> bool:
        """Whether :meth:`encode_text` maps text into this same space (a CLIP text tower)."""
        return False

    def encode_text(self, texts: Sequence[str]) -> np.ndarray:
        """Encode texts into this encoder's image space; only encoders with a text tower can."""
        raise TypeError(f"frame encoder {self.space!r} has no text tower")


class TextEmbedder(ABC):
    """Turns texts (transcripts, subtitles, queries) into unit-length vectors of one space."""

    space: str
    dim: int

    @abstractmethod
    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts to an (n, dim) float32 array of unit rows."""


def l2_normalize(x: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    """Rows of ``x`` scaled to unit length (zero rows stay zero), as float32."""
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.maximum(norms, eps)
