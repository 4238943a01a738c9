"""Text embedders by name: ``create_text_embedder("minilm")``, ``create_text_embedder("openclip", encoder=...)``."""

from __future__ import annotations

from typing import Callable

from perception.encoders.base import TextEmbedder
from perception.registry import Registry

_REGISTRY: Registry[TextEmbedder] = Registry("text embedder")
# built-ins are imported on first use, so that `import perception` never imports torch
_REGISTRY.register_lazy("minilm", "perception.text.minilm:MiniLMEmbedder")
_REGISTRY.register_lazy("openclip", "perception.text.clip:OpenClipTextEmbedder")


def register_text_embedder(name: str) -> Callable:
    """Decorator registering a TextEmbedder class (or a factory returning one) under ``name``."""
    return _REGISTRY.register(name)


def create_text_embedder(name: str, **options) -> TextEmbedder:
    """Build the text embedder registered as ``name``; unknown names raise UnknownComponent."""
    return _REGISTRY.create(name, **options)


def list_text_embedders() -> list[str]:
    """Names of the registered text embedders, sorted."""
    return _REGISTRY.names()
