"""Frame encoders by name: ``create_frame_encoder("descriptor")``, ``create_frame_encoder("openclip", ...)``."""

from __future__ import annotations

from typing import Callable

from perception.encoders.base import FrameEncoder
from perception.registry import Registry

_REGISTRY: Registry[FrameEncoder] = Registry("frame encoder")
# built-ins are imported on first use, so that `import perception` never imports torch
_REGISTRY.register_lazy("descriptor", "perception.encoders.descriptor:DescriptorEncoder")
_REGISTRY.register_lazy("openclip", "perception.encoders.clip:OpenClipEncoder")
_REGISTRY.register_lazy("parts", "perception.encoders.parts:PartsEncoder")  # crops: colours of a box's stripes


def register_frame_encoder(name: str) -> Callable:
    """Decorator registering a FrameEncoder class (or a factory returning one) under ``name``."""
    return _REGISTRY.register(name)


def create_frame_encoder(name: str, **options) -> FrameEncoder:
    """Build the frame encoder registered as ``name``; unknown names raise UnknownComponent."""
    return _REGISTRY.create(name, **options)


def list_frame_encoders() -> list[str]:
    """Names of the registered frame encoders, sorted."""
    return _REGISTRY.names()
