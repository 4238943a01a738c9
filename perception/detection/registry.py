"""Detectors by name: ``create_detector("hog-people")``, ``create_detector("haar-faces", encoder=...)``."""

from __future__ import annotations

from typing import Callable

from perception.detection.base import Detector
from perception.registry import Registry

_REGISTRY: Registry[Detector] = Registry("detector")
# built-ins are imported on first use, so that listing them never imports open_clip; plug-ins register
# themselves from their own packages when those are imported (docs/extending.md)
_REGISTRY.register_lazy("hog-people", "perception.detection.hog:HogPeopleDetector")
_REGISTRY.register_lazy("haar-faces", "perception.detection.faces:HaarFaceDetector")
_REGISTRY.register_lazy("yunet-faces", "perception.detection.faces:YuNetFaceDetector")
_REGISTRY.register_lazy("clip-objects", "perception.detection.clip_regions:ClipObjectDetector")


def register_detector(name: str) -> Callable:
    """Decorator registering a Detector class (or a factory returning one) under ``name``."""
    return _REGISTRY.register(name)


def create_detector(name: str, **options) -> Detector:
    """Build the detector registered as ``name``; unknown names raise UnknownComponent listing the known."""
    return _REGISTRY.create(name, **options)


def list_detectors() -> list[str]:
    """Names of the registered detectors, sorted."""
    return _REGISTRY.names()
