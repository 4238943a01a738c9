"""The tables that memory's modules own, registered by the modules themselves.

The store creates its core tables (streams, events, vectors, ...); every other module of
``memory/`` that keeps tables in ``memory.db`` calls :func:`register_schema` at import, so the
store runs their ``CREATE ... IF NOT EXISTS`` statements without importing them (no import cycle
between the store and the modules that use it). ``memory/__init__.py`` imports those modules, so
the registry is complete whenever anything of ``memory`` is imported.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Callable

EnsureSchema = Callable[[sqlite3.Connection], None]


@dataclass(frozen=True)
class _Schema:
    name: str  # the owner, e.g. "entities"
    ensure: EnsureSchema  # runs CREATE ... IF NOT EXISTS inside the caller's transaction
    order: int  # schemas run in ascending order; append new ones with a larger number, never reorder


_SCHEMAS: dict[str, _Schema] = {}


def register_schema(name: str, ensure: EnsureSchema, order: int) -> None:
    """Register a module's tables under ``name``; the store runs ``ensure(conn)`` at every writable open.

    Registering the same function again under the same name is a no-op (a reloaded module); a different
    function under a taken name, or a taken order, is an error.
    """
    if not name or not isinstance(name, str):
        raise ValueError(f"register_schema: name must be a non-empty string, got {name!r}")
    if not callable(ensure):
        raise TypeError(f"register_schema({name!r}): ensure must be callable, got {type(ensure).__name__}")
    known = _SCHEMAS.get(name)
    if known is not None and getattr(known.ensure, "__qualname__", None) == getattr(ensure, "__qualname__", ""):
        _SCHEMAS[name] = _Schema(name, ensure, order)
        return
    if known is not None:
        raise ValueError(f"register_schema: a schema named {name!r} is already registered "
                         f"(known: {', '.join(schema_names())})")
    clash = [s.name for s in _SCHEMAS.values() if s.order == order]
    if clash:
        raise ValueError(f"register_schema({name!r}): order {order} is taken by {clash[0]!r}; pick another")
    _SCHEMAS[name] = _Schema(name, ensure, order)


def schema_names() -> list[str]:
    """The registered schemas' names, in the order they run."""
    return [s.name for s in sorted(_SCHEMAS.values(), key=lambda s: s.order)]


def ensure_registered(conn: sqlite3.Connection) -> None:
    """Run every registered schema's statements, in order, inside the caller's transaction."""
    for schema in sorted(_SCHEMAS.values(), key=lambda s: s.order):
        schema.ensure(conn)
