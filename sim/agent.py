"""How the camera agent moves: patrol the rooms, follow a person, or stand still and pan.

Patrol walks hub routes (room centre to door to room centre) so it never crosses furniture, turns a
full circle on entering a room when asked, then lingers, panning slowly; an attentive patrol, like a
robot drawn by voices and movement, often heads instead for where something is about to happen
and watches whoever does it. Follow keeps a few seconds
behind a person on the path they walked, facing them. Static stands in one room and pans to and fro.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from sim.navigation import route
from sim.trajectory import PathBuilder, Trajectory
from sim.world import World


class AgentPlan(Protocol):
    """What the agent's path depends on: the fields of ``sim.scenario.ScenarioConfig`` it reads
    (a protocol, so that this module does not import the scenario that imports it)."""

    duration: float
    agent_mode: str
    agent_route: tuple[str, ...]
    follow: str
    dwell: tuple[float, float]
    attention: float
    look_around: bool


@dataclass(frozen=True)
class Cue:
    """A moment worth watching: someone acts or speaks in a room."""

    time: float
    room: str
    actor: str



def agent_path(world: World, config: AgentPlan, rng: np.random.Generator,
               people: dict[str, Trajectory], cues: list[Cue] = ()) -> Trajectory:
    """The camera's path and headings for the whole episode, in the mode the config names.
    ``cues`` are the moments something happens (sorted by time), which an attentive patrol heads for."""
    if config.agent_mode == "follow":
        return _follow(world, config, people)
    rooms = _route_rooms(world, config, rng)
    if config.agent_mode == "static":
        return _static(world, config, rng, rooms[0])
    return _patrol(world, config, rng, rooms, people, list(cues))


def _route_rooms(world: World, config: AgentPlan, rng: np.random.Generator) -> list[str]:
    if config.agent_route:
        ids = []
        for name in config.agent_route:
            room = next((r for r in world.rooms if r.name == name), None)
            if room is None:
                known = ", ".join(r.name for r in world.rooms)
                raise ValueError(f"ScenarioConfig.agent_route names {name!r}: not a room of this world; rooms: {known}")
            ids.append(room.id)
        return ids
    start = world.rooms[int(rng.integers(len(world.rooms)))].id
    order, stack, seen = [], [start], set()
    while stack:  # depth-first tour, neighbours in a seeded order
        room = stack.pop()
        if room in seen:
            continue
        seen.add(room)
        order.append(room)
        doors = world.doors_of(room)
        for k in rng.permutation(len(doors)):
            stack.append(doors[k].other(room))
    return order


def _patrol(world: World, config: AgentPlan, rng: np.random.Generator, rooms: list[str],
            people: dict[str, Trajectory], cues: list[Cue]) -> Trajectory:
    agent = world.agent
    turn = math.radians(agent.turn_rate_deg)
    x, y = world.get(rooms[0]).centre
    path = PathBuilder(0.0, x, y, float(rng.uniform(-math.pi, math.pi)))
    here, k = rooms[0], 0
    cue_times = [c.time for c in cues]
    while path.now < config.duration:
        room, cue = rooms[k % len(rooms)], None
        if cues and not config.agent_route and rng.random() < config.attention:
            cue = _next_cue(world, cues, cue_times, path.now, here, path.here, agent.speed)
            room = cue.room if cue else room
        cx, cy = world.get(room).centre
        angle, radius = rng.uniform(0, 2 * math.pi), rng.uniform(0, 0.3)
        viewpoint = (cx + radius * math.cos(angle), cy + radius * math.sin(angle))
        path.walk(route(world, path.here, here, viewpoint, room), agent.speed, turn)
        here = room
        if cue is not None:  # watch the one who acts until a little after the moment
            _watch(path, people.get(cue.actor), cue.time + float(rng.uniform(3, 10)), turn, rng)
        else:
            if config.look_around:
                path.turn_by(float(rng.choice([-1, 1])) * 2 * math.pi, math.radians(45))
            dwell_end = path.now + float(rng.uniform(*config.dwell))
            while path.now < dwell_end:  # pan slowly
                path.turn_by(float(rng.uniform(-math.pi / 2, math.pi / 2)), math.radians(20))
                path.wait(min(float(rng.uniform(1, 4)), max(dwell_end - path.now, 0)))
        k += 1
    return path.build()


def _next_cue(world: World, cues: list[Cue], times: list[float], now: float, here: str, at, speed: float) -> Cue | None:
    """The first moment the agent can reach in time, within two minutes."""
    for i in range(bisect_left(times, now), len(cues)):
        cue = cues[i]
        if cue.time > now + 120:
            break
        legs = [at] + route(world, at, here, world.get(cue.room).centre, cue.room)
        travel = sum(math.dist(a, b) for a, b in zip(legs, legs[1:])) / speed + 3.0
        if cue.time >= now + travel:
            return cue
    return None


def _watch(path: PathBuilder, person: Trajectory | None, until: float, turn: float, rng: np.random.Generator) -> None:
    while path.now < until:
        if person is not None:
            tx, ty = person.position(path.now + 1.0)
            if math.hypot(tx - path.here[0], ty - path.here[1]) > 0.5:
                path.turn_to(math.atan2(ty - path.here[1], tx - path.here[0]), turn)
        else:
            path.turn_by(float(rng.uniform(-math.pi / 4, math.pi / 4)), math.radians(20))
        path.wait(1.0)


def _static(world: World, config: AgentPlan, rng: np.random.Generator, room: str) -> Trajectory:
    x, y = world.get(room).centre
    base = float(rng.uniform(-math.pi, math.pi))
    path = PathBuilder(0.0, x, y, base)
    side = 1
    while path.now < config.duration:
        path.turn_to(base + side * math.radians(60), math.radians(10))
        path.wait(3.0)
        side = -side
    return path.build()


def _follow(world: World, config: AgentPlan, people: dict[str, Trajectory]) -> Trajectory:
    if not people:
        raise ValueError("ScenarioConfig.agent_mode='follow' needs at least one person (WorldConfig.n_people >= 1)")
    if config.follow:
        match = [p for p in world.people if p.name == config.follow]
        if not match:
            known = ", ".join(p.name for p in world.people)
            raise ValueError(f"ScenarioConfig.follow={config.follow!r}: no such person; people: {known}")
        target = people[match[0].id]
    else:
        target = people[world.people[0].id]
    lag, step, keep = 2.5, 0.2, 1.2  # seconds behind, sample step, metres kept from the person
    ts = np.arange(0.0, config.duration + 1.0 + step, step)
    xs, ys = target.positions(np.maximum(ts - lag, 0.0))
    px, py = target.positions(ts)
    for i in range(1, len(ts)):  # hold back rather than walk into someone who has stopped
        if math.hypot(px[i] - xs[i], py[i] - ys[i]) < keep:
            xs[i], ys[i] = xs[i - 1], ys[i - 1]
    yaws = np.zeros_like(ts)
    heading = 0.0
    limit = math.radians(world.agent.turn_rate_deg) * step
    for i in range(len(ts)):
        dx, dy = px[i] - xs[i], py[i] - ys[i]
        if math.hypot(dx, dy) > 0.4:
            wanted = math.atan2(dy, dx)
            delta = (wanted - heading + math.pi) % (2 * math.pi) - math.pi
            heading += max(-limit, min(limit, delta))
        yaws[i] = heading
    return Trajectory(ts, xs, ys, yaws)
