"""What every answerer returns: an answer with its evidence and a confidence.

The built-in answerer, the LLM answerer, ``memory.ask()``, ``mnemo ask --json`` and the HTTP
service all produce and print this one structure, so a user sees the same fields wherever they ask.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Evidence:
    """One event (or a span inside it) that supports an answer."""

    event: int  # event id in the memory
    stream: str
    start: float  # media time, seconds
    end: float
    score: float  # how strongly it supports the answer (retrieval score after fusion and re-ranking)
    keyframe: str | None = None  # path of the event's keyframe thumbnail, when it has one
    entities: tuple[str, ...] = ()  # "entity:7", ...: who and what is in it
    place: str | None = None  # "place:5" / an area name, when known
    text: str = ""  # what was said or subtitled in it (may be cut short)
    note: str = ""  # why it is evidence: "the red mug seen on the counter"
    memory: str | None = None  # the memory directory, when a query spans several
    pose: dict | None = None  # where the camera was then, when the store has poses: {time, x, y, yaw, frame}

    def to_dict(self) -> dict:
        data = asdict(self)
        data["entities"] = list(self.entities)
        return data


def pose_dict(pose: Any) -> dict | None:
    """A stored pose (memory.poses.Pose) as evidence's ``pose``: metres and radians in its frame."""
    if pose is None:
        return None
    return {"time": round(float(pose.time), 3), "x": round(float(pose.x), 3), "y": round(float(pose.y), 3),
            "yaw": round(float(pose.yaw), 4), "frame": pose.frame}


@dataclass(frozen=True)
class Answer:
    """An answer, typed for machines (``value``) and worded for people (``text``)."""

    question: str
    text: str  # the answer in words; "I don't know" when unknown
    value: Any = None  # typed: a room/person name, seconds, a count, a bool, a text; None when unknown
    kind: str = "unknown"  # room, person, time, duration, count, yes_no, text, unknown, ...
    confidence: float = 0.0  # in [0, 1]
    evidence: tuple[Evidence, ...] = ()
    asked_at: float | None = None  # media time the question was asked at (None: now / the end of memory)
    answerer: str = "builtin"  # builtin, llm:<model>, or builtin (fallback: <why>)
    detail: dict = field(default_factory=dict)  # answerer-specific extras (parsed question, rounds, timings)

    @property
    def known(self) -> bool:
        return self.kind != "unknown" and self.value is not None

    def to_dict(self) -> dict:
        return {"question": self.question, "answer": self.text, "value": self.value, "kind": self.kind,
                "confidence": self.confidence, "asked_at": self.asked_at, "answerer": self.answerer,
                "evidence": [e.to_dict() for e in self.evidence], "detail": self.detail}


UNKNOWN_TEXT = "I don't know"
