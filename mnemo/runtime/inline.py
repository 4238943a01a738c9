"""The inline runtime: every stage in this process, one source after another (the default)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Iterable

from mnemo.config import Profile
from mnemo.runtime.records import Listener, Outcome, failure

logger = logging.getLogger(__name__)


class InlineRuntime:
    """Ingests sources into one memory in this process: a decode thread, the encoder, the writer."""

    def __init__(self, directory: str | Path, profile: str | Profile | None = None):
        from mnemo.api import Memory

        self.memory = Memory(directory, profile=profile, create=True)

    def run(self, uris: Iterable[str], listener: Listener | None = None) -> list[Outcome]:
        """Ingest each source; a source that fails is reported in its Outcome and the rest go on."""
        listener = listener or Listener()
        outcomes = []
        for uri in uris:
            listener.started(uri)
            try:
                report = self.memory.ingest(uri, progress=lambda done, total, u=uri: listener.progress(u, done, total))
                outcome = Outcome(uri, report=report)
            except Exception as error:  # noqa: BLE001 - a bad source is reported, the batch goes on
                logger.debug("%s failed", uri, exc_info=True)
                outcome = failure(uri, error)
            listener.finished(outcome)
            outcomes.append(outcome)
        return outcomes

    def close(self) -> None:
        """Close the memory."""
        self.memory.close()
