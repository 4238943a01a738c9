"""Answers read out of what was said or subtitled, for questions no rule of the world can answer.

A memory of a real video often holds no perceived objects or people (the ``lite`` profile keeps
frame vectors, subtitles and transcripts), yet its text can answer "where are Alice's keys?":
an event says "In the living room Alice left her keys on the sofa." This finds the events whose
text is nearest the question in a text space, then the sentence of them nearest the question,
and answers with that sentence when it is close enough; below the threshold it gives nothing,
so the caller says "I don't know".
"""

from __future__ import annotations

import logging
import re

import numpy as np

from planners.answer import Answer
from planners.retrieval import Retriever, Scored

logger = logging.getLogger(__name__)

MIN_COSINE = 0.5  # question-to-sentence cosine an answer needs (MiniLM: paraphrases ~0.6-0.8, unrelated < 0.3)
CANDIDATES = 5  # events whose sentences are read
TEXT_SPACE = "text/"  # text spaces hold sentence embeddings of event text; image spaces compare poorly to text

_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def recall_answer(retriever: Retriever, question: str, now: float | None,
                  min_cosine: float = MIN_COSINE) -> Answer | None:
    """The sentence of memory that best answers ``question`` from what was known by ``now``, or None."""
    spaces = retriever.store.spaces()
    end = None if now is None or not np.isfinite(now) else float(now)
    best: tuple[float, str, int] | None = None
    hits: list[tuple[int, float]] = []
    for space, embed in retriever.embedders.items():
        if not space.startswith(TEXT_SPACE) or space not in spaces:
            continue
        query = _unit(embed(question))
        found = retriever.knn(space, query, CANDIDATES, end=end)
        hits += found
        for event, _ in found:
            stored = retriever.store.event(event)
            if end is not None and stored.end > end:
                continue  # still running at the question's time: its words were not all heard yet
            for sentence in sentences(stored.text):
                cosine = float(_unit(embed(sentence)) @ query)
                if best is None or cosine > best[0]:
                    best = (cosine, sentence, event)
    if best is None or best[0] < min_cosine:
        logger.debug("recall: nothing in memory text is close to %r (best %s)", question,
                     None if best is None else round(best[0], 3))
        return None
    cosine, sentence, event = best
    ranked = _ranked(hits, event, cosine)
    evidence = tuple(retriever.evidence(ranked, "what was said or subtitled", until=end))
    return Answer(question, sentence, sentence, "text", round(cosine, 3), evidence, end, "builtin",
                  {"rule": "recall", "note": f"the sentence of event {event} nearest the question"})


def _ranked(hits: list[tuple[int, float]], chosen: int, cosine: float) -> list[Scored]:
    """The answer's event first, then the other candidates by score, each once."""
    out = {chosen: Scored(chosen, cosine, {"recall": cosine})}
    for event, score in sorted(hits, key=lambda h: -h[1]):
        out.setdefault(int(event), Scored(int(event), float(score), {"text": float(score)}))
    return list(out.values())[:3]


def sentences(text: str) -> list[str]:
    """The sentences of an event's text that recall compares with a question."""
    return [s.strip() for s in _SENTENCE.split(text or "") if len(s.strip()) > 2]


def _unit(vector) -> np.ndarray:
    v = np.asarray(vector, np.float32).ravel()
    return v / max(float(np.linalg.norm(v)), 1e-12)

