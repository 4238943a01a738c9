"""A name -> factory registry with lazy built-ins and failures that list the known names."""

from __future__ import annotations

import importlib
import threading
from typing import Callable, Generic, TypeVar

from perception.errors import UnknownComponent

T = TypeVar("T")
Factory = Callable[..., T]


class Registry(Generic[T]):
    """Factories by name. Built-ins register as ``"module:attribute"`` strings, imported on first
    use, so that listing names never imports torch or a model library."""

    def __init__(self, kind: str) -> None:
        self.kind = kind  # what the entries are, for messages: "frame encoder"
        self._entries: dict[str, Factory | str] = {}
        self._lock = threading.RLock()  # re-entrant: a lazy module may register on import

    def register(self, name: str) -> Callable[[Factory], Factory]:
        """Decorator registering a class or factory function under ``name``."""

        def decorate(factory: Factory) -> Factory:
            self._add(name, factory)
            return factory

        return decorate

    def register_lazy(self, name: str, target: str) -> None:
        """Register ``"package.module:attribute"``, imported when ``name`` is first created."""
        if ":" not in target:
            raise ValueError(f"lazy {self.kind} target must read 'module:attribute', got {target!r}")
        self._add(name, target)

    def names(self) -> list[str]:
        return sorted(self._entries)

    def create(self, name: str, **options) -> T:
        """Build the component registered as ``name`` with ``options``."""
        return self.factory(name)(**options)

    def factory(self, name: str) -> Factory:
        with self._lock:
            entry = self._entries.get(name)
            if entry is None:
                available = ", ".join(self.names()) or "none"
                raise UnknownComponent(f"unknown {self.kind} {name!r}; available: {available}")
            if isinstance(entry, str):
                module_name, attribute = entry.split(":", 1)
                entry = getattr(importlib.import_module(module_name), attribute)
                self._entries[name] = entry
            return entry

    def _add(self, name: str, factory: Factory | str) -> None:
        if not isinstance(name, str) or not name:
            raise ValueError(f"{self.kind} name must be a non-empty string, got {name!r}")
        with self._lock:
            known = self._entries.get(name)
            if known is not None and _target_of(known) == _target_of(factory):
                if isinstance(factory, str):
                    return  # already imported: keep the object
                known = None  # a lazy built-in registering itself on import
            if known is not None and known is not factory:
                raise ValueError(f"{self.kind} {name!r} is already registered ({known!r})")
            self._entries[name] = factory


def _target_of(factory: Factory | str) -> str:
    """The ``"module:attribute"`` string naming ``factory``, for matching lazy entries."""
    if isinstance(factory, str):
        return factory
    return f"{getattr(factory, '__module__', '')}:{getattr(factory, '__qualname__', '')}"
