"""Feed a memory with what the ``sim`` perception backend reports about a rendered episode.

After the episode's mp4 went through the real pipeline (events, vectors, keyframes), this adds
what a robot's perception stack would have logged alongside: noisy detections with estimated
positions (as sightings: their colour read from the rendered pixels inside each box against those
around it, people and objects with their re-identification vectors, containers with the open/closed
state the backend read), drifting odometry (the pose log),
noisy transcripts with diarised speaker names (heard lines), and the
map's room rectangles. Nothing here reads truth events or true identities: only
``sim.noise.SimPerception`` output, the rendered frames and the world's room layout (the map).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from memory.perceived import Area, Heard, Sighting, add_heard, add_sightings, set_areas
from memory.poses import Pose
from memory.store import MemoryStore
from perception.colour import ColourNamer
from sim.catalogue import FURNITURE
from sim.noise import NoiseConfig, SimPerception
from sim.truth import Truth

logger = logging.getLogger(__name__)


def feed_sim_perception(store: MemoryStore, truth: Truth, video: str | Path, stream: str,
                        noise: NoiseConfig | None = None, seed: int = 0) -> dict:
    """Write sightings, poses, heard lines and the map of one episode into ``store``; returns counts."""
    perception = SimPerception(truth, noise or NoiseConfig(), seed)
    odo = perception.odometry(rate=5.0)
    poses = [Pose(stream, float(t), float(x), float(y), float(a)) for t, x, y, a in
             zip(odo.times, odo.xs, odo.ys, odo.yaws)]
    store.add_poses(poses)
    detections = perception.detections()
    colours = _colours(video, detections, truth)
    rows = []
    for i, d in enumerate(detections):
        kind = "person" if d.label == "person" else "furniture" if d.label in FURNITURE else "object"
        vector = np.asarray(d.appearance, np.float16).tobytes() if kind != "furniture" else None
        rows.append(Sighting(stream, float(d.time), int(d.track_id), kind, d.label, float(d.score),
                             float(d.position[0]), float(d.position[1]), colours.get(i, ""), vector, d.state))
    add_sightings(store, rows)
    lines = [Heard(stream, s.start, s.end, s.text, s.speaker) for s in perception.transcripts()]
    add_heard(store, lines)
    set_areas(store, [Area(r.name, *map(float, r.bounds)) for r in truth.rooms])
    counts = {"poses": len(poses), "sightings": len(rows), "heard": len(lines), "areas": len(truth.rooms)}
    logger.info("sim perception: %s", counts)
    return counts


def _colours(video: str | Path, detections, truth: Truth) -> dict[int, str]:
    """Colour names of object detections, read from the decoded frames at their times."""
    import av

    wanted: dict[int, list[int]] = {}
    for i, d in enumerate(detections):
        if d.label != "person" and d.label not in FURNITURE:
            wanted.setdefault(int(round(d.time * truth.fps)), []).append(i)
    out: dict[int, str] = {}
    namer = ColourNamer()  # basic colour terms: nothing of the simulator's palette
    if not wanted:
        return out
    with av.open(str(video)) as container:
        vstream = container.streams.video[0]
        for frame in container.decode(vstream):
            if frame.pts is None:
                continue
            index = int(round(float(frame.pts * vstream.time_base) * truth.fps))
            if index not in wanted:
                continue
            image = frame.to_ndarray(format="rgb24")
            for i in wanted.pop(index):
                out[i] = namer.of_box(image, detections[i].box)
            if not wanted:
                break
    return out
