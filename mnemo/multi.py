"""Several memories at once: fan a query out to each memory directory and merge the hits by score.

Scores are comparable when the memories were built with one profile (the same vector spaces):
cosine similarity when one space answered, reciprocal-rank fusion when several did. Memories that
share a profile share its encoders, loaded once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from mnemo.api import Hit, Memory
from mnemo.errors import MemoryNotFound

logger = logging.getLogger(__name__)


@dataclass
class MemoryHit:
    """A hit and the memory it came from."""

    memory: str  # the memory directory
    hit: Hit

    def to_dict(self) -> dict:
        return {**self.hit.to_dict(), "memory": self.memory}


def search_many(directories: Sequence[str | Path], text: str | None = None,
                image: str | Path | np.ndarray | None = None, k: int = 10) -> list[MemoryHit]:
    """The best ``k`` hits over all the memories, best first (ties: memory order, then event id)."""
    directories = [Path(d) for d in directories]
    if not directories:
        raise ValueError("search_many needs at least one memory directory")
    for d in directories:
        if not (d / "memory.db").is_file():
            raise MemoryNotFound(f"{d}: no mnemo memory here (ingest into it first)")
    encoders: dict[str, object] = {}
    found: list[tuple[float, int, int, MemoryHit]] = []
    for order, directory in enumerate(directories):
        with Memory(directory) as memory:
            name = memory.profile.name
            if name in encoders:
                memory._encoders = encoders[name]
            hits = memory.search(text=text, image=image, k=k)
            encoders[name] = memory.encoders
        found += [(-h.score, order, h.event, MemoryHit(str(directory), h)) for h in hits]
    found.sort(key=lambda item: item[:3])
    return [item[3] for item in found[:k]]
