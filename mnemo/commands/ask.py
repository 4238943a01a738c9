"""mnemo ask: questions over memory, answered with evidence (issue #7)."""

from __future__ import annotations
