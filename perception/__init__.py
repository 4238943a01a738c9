"""perception: stream packets -> observations (frame vectors, text vectors, screen text, ...).

Importing this package is cheap: torch, open_clip and sentence-transformers are imported only
when an encoder that needs them is created (or its class is first touched).
"""

from __future__ import annotations

import importlib
from typing import Any

from perception.encoders.base import FrameEncoder, TextEmbedder, l2_normalize
from perception.encoders.registry import create_frame_encoder, list_frame_encoders, register_frame_encoder
from perception.errors import BadCheckpoint, UnknownComponent, WeightsUnavailable
from perception.ocr import TextLine, TextReader, create_text_reader, list_text_readers, register_text_reader
from perception.text.registry import create_text_embedder, list_text_embedders, register_text_embedder

# classes whose modules import heavy libraries, loaded on first attribute access
_LAZY = {
    "DescriptorEncoder": "perception.encoders.descriptor",
    "DescriptorOptions": "perception.encoders.descriptor",
    "OpenClipEncoder": "perception.encoders.clip",
    "OpenClipOptions": "perception.encoders.clip",
    "MiniLMEmbedder": "perception.text.minilm",
    "OpenClipTextEmbedder": "perception.text.clip",
    "RapidOcrReader": "perception.ocr.rapid",
    "RapidOcrOptions": "perception.ocr.rapid",
}

__all__ = [
    "FrameEncoder",
    "TextEmbedder",
    "l2_normalize",
    "create_frame_encoder",
    "list_frame_encoders",
    "register_frame_encoder",
    "create_text_embedder",
    "list_text_embedders",
    "register_text_embedder",
    "TextLine",
    "TextReader",
    "create_text_reader",
    "list_text_readers",
    "register_text_reader",
    "WeightsUnavailable",
    "BadCheckpoint",
    "UnknownComponent",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'perception' has no attribute {name!r}")
