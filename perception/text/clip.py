"""Text queries in an open_clip encoder's image space, so that text can search frame vectors."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from perception.encoders.base import FrameEncoder, TextEmbedder


class OpenClipTextEmbedder(TextEmbedder):
    """The text tower of an OpenClipEncoder; its space is the encoder's space.

    Pass the encoder that made the frame vectors (``encoder=``), or the same options to build
    one (``model=``, ``pretrained=``, ...).
    """

    def __init__(self, encoder: FrameEncoder | None = None, **encoder_options) -> None:
        if encoder is None:
            from perception.encoders.clip import OpenClipEncoder

            encoder = OpenClipEncoder(**encoder_options)
        elif encoder_options:
            raise TypeError(
                f"text embedder 'openclip': pass either encoder= or encoder options, not both "
                f"(got {', '.join(sorted(encoder_options))})"
            )
        if not encoder.supports_text:
            raise TypeError(f"text embedder 'openclip': frame encoder {encoder.space!r} has no text tower")
        self.encoder = encoder
        self.space = encoder.space
        self.dim = encoder.dim

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return self.encoder.encode_text(texts)
