"""Stored records as the JSON rows that the CLI prints and the HTTP service returns."""

from __future__ import annotations


def event_dict(event) -> dict:
    """An event: id, stream, times, keyframes, text, surprise."""
    return {"id": event.id, "stream": event.stream, "start": round(event.start, 3), "end": round(event.end, 3),
            "keyframe": event.keyframes[0].path if event.keyframes else None,
            "keyframes": [k.path for k in event.keyframes], "text": event.text,
            "surprise": round(event.surprise, 3)}


def utterance_dict(u) -> dict:
    """An utterance: times, speaker (``voice:N``), text, words with their times and probabilities."""
    return {"start": round(u.start, 3), "end": round(u.end, 3), "speaker": u.voice, "text": u.text,
            "stream": u.stream, "event": u.event_id, "origin": u.origin, "language": u.language,
            "words": [{"word": w, "start": round(a, 3), "end": round(b, 3), "probability": round(p, 3)}
                      for w, a, b, p in u.words]}
