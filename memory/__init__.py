"""Episodic memory: segment observation streams into events, store them, search them.

SQLite (``memory.db``) is the source of truth; FAISS indexes and thumbnails are caches
rebuilt from it. Nothing here imports torch, ray or the layers above.

The modules that own tables register their schemas (memory/schema.py) when imported; they are
imported here so that the registry is complete before any store opens.
"""

from memory import consolidation, entities, perceived, poses  # noqa: F401  (they register their schemas)
from memory.event import Checkpoint, Event, Keyframe
from memory.index import DEFAULT_FACTORY, SpaceState, Stamp, VectorIndex, load_or_build
from memory.segmenter import Segment, SegmenterConfig, SurpriseSegmenter, split_modularity
from memory.store import (
    SCHEMA_VERSION,
    MemoryStore,
    NotAMemoryError,
    SchemaVersionError,
    StoreError,
)
from memory.thumbnails import decode_jpeg, encode_jpeg

__all__ = [
    "DEFAULT_FACTORY",
    "SCHEMA_VERSION",
    "Checkpoint",
    "Event",
    "Keyframe",
    "MemoryStore",
    "NotAMemoryError",
    "SchemaVersionError",
    "Segment",
    "SegmenterConfig",
    "SpaceState",
    "Stamp",
    "StoreError",
    "SurpriseSegmenter",
    "VectorIndex",
    "decode_jpeg",
    "encode_jpeg",
    "load_or_build",
    "split_modularity",
]
