"""Text readers (OCR) by name: ``create_text_reader("rapidocr", min_score=0.6)``."""

from __future__ import annotations

from typing import Callable

from perception.ocr.base import TextReader
from perception.registry import Registry

_REGISTRY: Registry[TextReader] = Registry("text reader")
# built-ins are imported on first use, so that `import perception` never imports onnxruntime
_REGISTRY.register_lazy("rapidocr", "perception.ocr.rapid:RapidOcrReader")


def register_text_reader(name: str) -> Callable:
    """Decorator registering a TextReader class (or a factory returning one) under ``name``."""
    return _REGISTRY.register(name)


def create_text_reader(name: str, **options) -> TextReader:
    """Build the text reader registered as ``name``; unknown names raise UnknownComponent."""
    return _REGISTRY.create(name, **options)


def list_text_readers() -> list[str]:
    """Names of the registered text readers, sorted."""
    return _REGISTRY.names()
