"""Building an options dataclass from keyword arguments, with a message that names the mistake."""

from __future__ import annotations

from dataclasses import fields
from typing import Any, Mapping, TypeVar

O = TypeVar("O")


def build_options(cls: type[O], what: str, options: Mapping[str, Any]) -> O:
    """``cls(**options)``, but an unknown key raises TypeError naming it and the known ones."""
    known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(options) - known)
    if unknown:
        raise TypeError(
            f"unknown option(s) for {what}: {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        )
    return cls(**options)
