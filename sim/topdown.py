"""A top-down map of the home at one moment: rooms, doors, furniture, objects, people, the camera."""

from __future__ import annotations

import math

import cv2
import numpy as np

from sim.scenario import SceneState
from sim.world import World


def render_map(world: World, state: SceneState, width: int = 480, height: int = 320,
               hfov_deg: float | None = None) -> np.ndarray:
    """A top-down view of the home at ``state``: rooms, doors, furniture, objects, people and the
    agent with its field of view. RGB uint8 (height, width, 3)."""
    x0, y0, x1, y1 = world.extent
    margin = 10
    scale = min((width - 2 * margin) / (x1 - x0), (height - 2 * margin) / (y1 - y0))

    def px(x: float, y: float) -> tuple[int, int]:
        return (int(round(margin + (x - x0) * scale)), int(round(height - margin - (y - y0) * scale)))

    image = np.full((height, width, 3), 40, np.uint8)
    for room in world.rooms:
        rx0, ry0, rx1, ry1 = room.bounds
        cv2.rectangle(image, px(rx0, ry1), px(rx1, ry0), tuple(int(c) for c in room.floor_rgb), -1)
        cv2.rectangle(image, px(rx0, ry1), px(rx1, ry0), (20, 20, 20), 2)
        cv2.putText(image, room.name, (px(rx0, ry1)[0] + 4, px(rx0, ry1)[1] + 14), cv2.FONT_HERSHEY_SIMPLEX,
                    0.38, (255, 255, 255), 1, cv2.LINE_AA)
    for door in world.doors:
        cx, cy = door.centre
        h = door.width / 2
        a, b = ((cx - h, cy), (cx + h, cy)) if door.along_x else ((cx, cy - h), (cx, cy + h))
        cv2.line(image, px(*a), px(*b), (230, 230, 200), 3)
    for f in world.furniture:
        fx0, fy0, fx1, fy1 = f.footprint
        colour = tuple(int(c) for c in f.rgb)
        cv2.rectangle(image, px(fx0, fy1), px(fx1, fy0), colour, -1)
        cv2.rectangle(image, px(fx0, fy1), px(fx1, fy0), (0, 0, 0) if f.id not in state.open else (255, 255, 0), 1)
    for obj in state.objects:
        colour = tuple(int(c) for c in world.get(obj.id).rgb)
        cv2.circle(image, px(obj.x, obj.y), 3, colour, -1)
        cv2.circle(image, px(obj.x, obj.y), 3, (0, 0, 0), 1)
    for p in state.people:
        person = world.get(p.id)
        centre = px(p.x, p.y)
        cv2.circle(image, centre, 6, tuple(int(c) for c in person.shirt), -1)
        cv2.putText(image, person.name[0], (centre[0] - 4, centre[1] + 4), cv2.FONT_HERSHEY_SIMPLEX, 0.35,
                    (0, 0, 0), 1, cv2.LINE_AA)
    ax, ay, yaw = state.agent
    half = math.radians(hfov_deg or world.agent.hfov_deg) / 2
    reach = 2.5
    cone = np.array([px(ax, ay), px(ax + reach * math.cos(yaw + half), ay + reach * math.sin(yaw + half)),
                     px(ax + reach * math.cos(yaw - half), ay + reach * math.sin(yaw - half))], np.int32)
    overlay = image.copy()
    cv2.fillConvexPoly(overlay, cone, (255, 255, 255))
    image = cv2.addWeighted(overlay, 0.3, image, 0.7, 0)
    cv2.circle(image, px(ax, ay), 5, (255, 60, 60), -1)
    return image
