"""mnemo job: resumable offline ingestion of many files, inline or on Ray (issue #8)."""

from __future__ import annotations
