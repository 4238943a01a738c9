"""A voice speaking over a span of a stream: what diarisation gives (:mod:`perception.speech.diarize`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SpeakerTurn:
    """One voice speaking from ``start`` to ``end`` (media time, seconds)."""

    stream: str
    start: float
    end: float
    voice: int  # persistent voice id
    second: bool = False  # a second voice over another turn (overlapped speech)
    filled: bool = False  # speech the VAD missed, given the voice of the turn beside it

    @property
    def entity(self) -> str:
        """The voice's entity name in memory: ``voice:N``."""
        return f"voice:{self.voice}"
