"""What a caller holds to steer a running ingest: stop it (Ctrl-C, SIGTERM, a service's cancel),
choose how live streams are read, and see how far behind the live edge it is."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from streams.live import LiveOptions

# how an ingest of one source ended (IngestReport.ending)
COMPLETE = "complete"  # a file (or recording) read to its end
ENDED = "ended"  # a live stream ended or dropped, and no reconnect was asked for
LOST = "lost"  # a live stream dropped and did not come back within the reconnect limits
STOPPED = "stopped"  # stopped on request; a live stream's events are all committed


@dataclass
class LiveStatus:
    """Where a live ingest stands, updated after each batch (read it from any thread)."""

    state: str = "starting"  # "connected", "reconnecting (attempt N)", "ended"
    lag: float | None = None  # seconds the latest analysed frame was behind the live edge
    dropped: int = 0  # frames left out so far to keep the lag bounded
    gaps: int = 0  # reconnects with a gap so far
    media_time: float | None = None  # media time of the latest analysed frame


@dataclass
class IngestControl:
    """Steers one ingest call: ``stop()`` from any thread or a signal handler ends it cleanly."""

    live: LiveOptions = field(default_factory=LiveOptions)  # how live streams are read
    status: LiveStatus = field(default_factory=LiveStatus)
    reason: str | None = None  # why it was stopped ("interrupted (Ctrl-C)", "terminated (SIGTERM)", ...)
    _event: threading.Event = field(default_factory=threading.Event, repr=False)

    def stop(self, reason: str = "stopped") -> None:
        """Ask the ingest to stop: a live stream commits what was seen; a file keeps its checkpoint."""
        if not self._event.is_set():
            self.reason = reason
        self._event.set()

    @property
    def stopping(self) -> bool:
        return self._event.is_set()
