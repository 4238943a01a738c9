"""Feed a memory with what a simulated robot logs beside its camera and microphone: odometry and its map.

What the camera saw goes through ingest like any video (the simulator's detector ``"sim"`` in the
entity stage: tracker, re-identification, entities, sightings, positions from this pose log), and so
does what the microphone heard: the episode's rendered audio (espeak-ng voices, ``sim/audio.py``) is
the mp4's audio track, which the profile's speech stack turns into utterances (VAD, voices ``voice:N``,
speech recognition where the profile has one). This adds only what is neither: drifting odometry (the
pose log, written before ingest so that sightings can be placed as they are stored) and the map's
room rectangles. Nothing here reads truth events, lines or true identities: only
``sim.noise.SimPerception``'s odometry and the world's room layout (the map a robot would be given).
"""

from __future__ import annotations

import logging

from memory.perceived import Area, set_areas
from memory.poses import Pose
from memory.store import MemoryStore
from sim.noise import NoiseConfig, SimPerception
from sim.truth import Truth

logger = logging.getLogger(__name__)

POSE_RATE = 5.0  # Hz of the odometry log


def feed_sim_perception(store: MemoryStore, truth: Truth, stream: str, noise: NoiseConfig | None = None,
                        seed: int = 0) -> dict:
    """Write the poses and map of one episode into ``store`` for ``stream`` (registered already);
    returns counts. What was said reaches memory only through ingest's speech stack."""
    perception = SimPerception(truth, noise or NoiseConfig(), seed)
    odo = perception.odometry(rate=POSE_RATE)
    poses = [Pose(stream, float(t), float(x), float(y), float(a)) for t, x, y, a in
             zip(odo.times, odo.xs, odo.ys, odo.yaws)]
    store.add_poses(poses)
    set_areas(store, [Area(r.name, *map(float, r.bounds)) for r in truth.rooms])
    counts = {"poses": len(poses), "areas": len(truth.rooms)}
    logger.info("sim perception: %s", counts)
    return counts
