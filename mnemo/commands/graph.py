"""mnemo graph / consolidate / budget: the memory's hierarchy, scene graph and facts (issue #6)."""

from __future__ import annotations
