"""How far ingest placed what it saw: every placed sighting of a simulated episode against the true
position of the entity whose box it matches (the same matching as the entity score: the renderer's id
buffer at the nearest sampled frame, IoU >= ``min_iou``, one-to-one, best pairs first). Evaluation only:
the truth is read here, never by perception.
"""

from __future__ import annotations

import math
from typing import Any

from mnemo.evaluation.entities import _match, _observation


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    pos = q * (len(ordered) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def summarise(errors: dict[str, list[float]]) -> dict[str, dict]:
    """Per kind: sightings, median and 90th percentile of the error in metres (None where there are none)."""
    return {kind: {"sightings": len(v), "median_m": round(_quantile(v, 0.5), 3) if v else None,
                   "p90_m": round(_quantile(v, 0.9), 3) if v else None} for kind, v in sorted(errors.items())}


def placement_errors(store: Any, truth: Any, size: tuple[int, int], stream: str | None = None,
                     min_iou: float = 0.3, tolerance: float | None = None) -> dict[str, list[float]]:
    """Per sighting kind, the distances (metres) between each placed, matched sighting and its entity's
    true position in that frame. ``size`` is the (width, height) of the frames the detector saw."""
    if tolerance is None:
        tolerance = 0.5 / float(truth.observation_rate)
    sx, sy = size[0] / float(truth.width), size[1] / float(truth.height)
    frames = {round(float(o.time), 3): o for o in truth.observations}
    sql = "SELECT time, kind, box, x, y FROM sightings WHERE x IS NOT NULL AND box IS NOT NULL"
    params: list = []
    if stream is not None:
        sql += " AND stream = ?"
        params.append(stream)
    with store._read() as c:
        rows = c.execute(sql, params).fetchall()
    by_time: dict[float, list[tuple]] = {}
    for time, kind, box, x, y in rows:
        parsed = _box(box)
        if parsed is not None:
            by_time.setdefault(round(float(time), 3), []).append((kind, parsed, float(x), float(y)))
    errors: dict[str, list[float]] = {}
    for time, members in by_time.items():
        observation = _observation(frames, time, tolerance)
        if observation is None:
            continue
        visible = [(e.position, (e.box[0] * sx, e.box[1] * sy, e.box[2] * sx, e.box[3] * sy))
                   for e in observation.entities]
        pairs = _match([m[1] for m in members], [b for _, b in visible], min_iou)
        for k, j in pairs.items():
            kind, _, x, y = members[k]
            tx, ty = visible[j][0]
            errors.setdefault(kind, []).append(math.hypot(x - tx, y - ty))
    return errors


def _box(value: Any) -> tuple[float, float, float, float] | None:
    """A stored box (JSON text or a sequence) as four floats; None when unreadable."""
    import json

    if isinstance(value, (bytes, str)):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    try:
        x0, y0, x1, y1 = (float(v) for v in value)
    except (TypeError, ValueError):
        return None
    return x0, y0, x1, y1
