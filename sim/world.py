"""The simulated home: rooms joined by doors, furniture, objects, people and the camera agent.

``build_world(seed, config)`` lays out a grid of named rooms (each room a rectangle, shared walls
aligned), joins them by doors (a random spanning tree plus a few loops), stands furniture against
the walls (leaving each room's centre and door ways free, so that straight lines door -> centre ->
furniture front never cross furniture), places objects on surfaces and in containers and dresses
the people. Coordinates are metres on the floor plane: x east, y north, z up. Ids are typed strings
(``room:2``, ``furniture:7``, ``object:3``, ``person:1``, ``agent``). Deterministic by seed.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Iterable

import numpy as np

from sim import catalogue as cat

logger = logging.getLogger(__name__)

Point = tuple[float, float]
Rect = tuple[float, float, float, float]  # x0, y0, x1, y1
RGB = tuple[int, int, int]

CEILING_HEIGHT = 2.6  # metres
DOOR_HEIGHT = 2.1
DOOR_WIDTH = 0.9
APPROACH = 0.45  # how far in front of a door or a piece of furniture people stand
CLEAR_RADIUS = 0.6  # nothing stands this close to a room's centre, where the camera looks around


@dataclass(frozen=True)
class WorldConfig:
    """What the home holds; the layout itself is drawn from the seed."""

    n_rooms: int = 6  # rooms in the home, 1 to 12 (kitchen, living room, bedroom, bathroom, ...)
    n_people: int = 3  # people living there, 0 to 10
    n_objects: int = 16  # movable objects, 0 to 60
    lookalike_pairs: int = 2  # pairs of look-alike objects of one colour (red mug / red cup) put in different rooms
    similar_people: bool = True  # two people dress alike (a re-identification hard case)
    # extra things, each with the label and colour of another thing and placed in another room (two red
    # mugs): names are not unique; neither thing of a pair is moved, spoken of or asked about (ambiguous)
    twin_pairs: int = 1

    def __post_init__(self) -> None:
        _check_int("n_rooms", self.n_rooms, 1, len(cat.ROOM_NAMES))
        _check_int("n_people", self.n_people, 0, len(cat.PERSON_NAMES))
        _check_int("n_objects", self.n_objects, 0, 60)
        _check_int("lookalike_pairs", self.lookalike_pairs, 0, 6)
        _check_int("twin_pairs", self.twin_pairs, 0, 6)
        if 2 * self.lookalike_pairs > self.n_objects:
            raise ValueError(f"WorldConfig.lookalike_pairs={self.lookalike_pairs}: expected at most "
                             f"n_objects/2 = {self.n_objects // 2}")
        if self.twin_pairs > self.n_objects - 2 * self.lookalike_pairs:
            raise ValueError(f"WorldConfig.twin_pairs={self.twin_pairs}: expected at most the objects outside "
                             f"look-alike pairs, n_objects - 2 * lookalike_pairs = "
                             f"{self.n_objects - 2 * self.lookalike_pairs}")


@dataclass(frozen=True)
class Room:
    id: str  # "room:<index>"
    index: int
    name: str  # "kitchen"
    bounds: Rect
    wall_rgb: RGB
    floor_rgb: RGB
    ceiling_rgb: RGB
    light: float  # brightness of the room's lighting, multiplies every colour seen in it
    tile: float  # floor tile size, metres
    stripe: float  # wall stripe period, metres; 0 for a plain wall

    @property
    def centre(self) -> Point:
        x0, y0, x1, y1 = self.bounds
        return ((x0 + x1) / 2, (y0 + y1) / 2)

    def contains(self, x: float, y: float, margin: float = 0.0) -> bool:
        x0, y0, x1, y1 = self.bounds
        return x0 + margin <= x <= x1 - margin and y0 + margin <= y <= y1 - margin


@dataclass(frozen=True)
class Door:
    id: str  # "door:<index>"
    rooms: tuple[str, str]  # the two room ids it joins
    centre: Point
    along_x: bool  # the wall it sits in runs along x (so people cross it moving in y)
    width: float = DOOR_WIDTH

    def approach(self, room: "Room") -> Point:
        """The point just inside ``room`` in front of the door."""
        cx, cy = self.centre
        rx, ry = room.centre
        if self.along_x:
            return (cx, cy + (APPROACH if ry > cy else -APPROACH))
        return (cx + (APPROACH if rx > cx else -APPROACH), cy)

    def other(self, room_id: str) -> str:
        return self.rooms[1] if self.rooms[0] == room_id else self.rooms[0]


@dataclass(frozen=True)
class Furniture:
    id: str  # "furniture:<index>"
    index: int
    category: str  # "table"
    name: str  # unique in the world: "table", "kitchen chair", "bedroom shelf 2"
    room: str  # room id
    footprint: Rect  # axis-aligned, metres
    height: float
    facing: Point  # unit normal of the front, pointing into the room
    rgb: RGB
    style: str  # how sim.render builds it from boxes
    surface: float | None  # height objects stand at; None when nothing goes on it
    container: bool  # opened and closed; what is inside is out of sight
    slots: tuple[Point, ...]  # where objects stand (surfaces) or lie (containers)

    @property
    def centre(self) -> Point:
        x0, y0, x1, y1 = self.footprint
        return ((x0 + x1) / 2, (y0 + y1) / 2)

    @property
    def approach(self) -> Point:
        """Where a person stands to reach it: in front of its front face."""
        x0, y0, x1, y1 = self.footprint
        fx, fy = self.facing
        cx, cy = self.centre
        half = abs(fx) * (x1 - x0) / 2 + abs(fy) * (y1 - y0) / 2
        return (cx + fx * (half + APPROACH), cy + fy * (half + APPROACH))

    @property
    def holds_objects(self) -> bool:
        return self.surface is not None or self.container

    @property
    def preposition(self) -> str:
        return "in" if self.container else "on"


@dataclass(frozen=True)
class Decoration:
    """A window or a picture on a wall: gives each room its own look."""

    room: str
    kind: str  # "window" or "picture"
    start: Point  # one end on the wall (a hair in front of it)
    end: Point
    z0: float
    z1: float
    rgb: RGB
    inner_rgb: RGB


@dataclass(frozen=True)
class Object:
    id: str  # "object:<index>"
    index: int
    category: str  # "mug"
    colour: str  # "red"
    name: str  # "red mug"; shared only by a twin pair (WorldConfig.twin_pairs: World.ambiguous)
    rgb: RGB
    width: float
    height: float
    shape: str  # silhouette drawn by sim.render


@dataclass(frozen=True)
class Person:
    id: str  # "person:<index>"
    index: int
    name: str  # "Alice"
    voice: str  # espeak-ng voice, "en+f3"
    pitch: float  # Hz of the tone that marks this voice when espeak-ng is absent
    shirt: RGB
    trousers: RGB
    skin: RGB
    hair: RGB
    height: float  # metres
    speed: float  # walking speed, m/s


@dataclass(frozen=True)
class Agent:
    """The robot carrying the camera."""

    id: str = "agent"
    camera_height: float = 1.2  # metres above the floor
    hfov_deg: float = 80.0  # horizontal field of view
    speed: float = 0.6  # m/s
    turn_rate_deg: float = 60.0  # degrees per second when turning in place


@dataclass(frozen=True)
class Placement:
    """Where an object starts: a slot of a piece of furniture."""

    object: str
    furniture: str
    slot: int


@dataclass(frozen=True)
class World:
    seed: int
    config: WorldConfig
    rooms: tuple[Room, ...]
    doors: tuple[Door, ...]
    furniture: tuple[Furniture, ...]
    objects: tuple[Object, ...]
    people: tuple[Person, ...]
    decorations: tuple[Decoration, ...]
    initial: tuple[Placement, ...]
    agent: Agent = Agent()
    ceiling_height: float = CEILING_HEIGHT
    door_height: float = DOOR_HEIGHT
    _by_id: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index = {e.id: e for group in (self.rooms, self.doors, self.furniture, self.objects, self.people) for e in group}
        index.update({room.name: room for room in self.rooms})
        index[self.agent.id] = self.agent
        self._by_id.update(index)

    def get(self, key: str):
        """The room, door, furniture, object or person with this id (or a room by its name)."""
        try:
            return self._by_id[key]
        except KeyError:
            raise KeyError(f"no entity {key!r} in this world") from None

    def name_of(self, key: str) -> str:
        entity = self.get(key)
        return entity.name if hasattr(entity, "name") else key

    @property
    def extent(self) -> Rect:
        xs = [r.bounds[0] for r in self.rooms] + [r.bounds[2] for r in self.rooms]
        ys = [r.bounds[1] for r in self.rooms] + [r.bounds[3] for r in self.rooms]
        return (min(xs), min(ys), max(xs), max(ys))

    def room_at(self, x: float, y: float) -> Room | None:
        """The room containing the point (a point on a shared wall goes to the first room listed)."""
        for room in self.rooms:
            if room.contains(x, y):
                return room
        return None

    def room_index_grid(self, resolution: float = 0.05) -> tuple[np.ndarray, Point, float]:
        """A raster of room indices (-1 outside) for vectorised look-ups: (grid[iy, ix], origin, resolution)."""
        x0, y0, x1, y1 = self.extent
        nx, ny = int(np.ceil((x1 - x0) / resolution)) + 1, int(np.ceil((y1 - y0) / resolution)) + 1
        xs = x0 + (np.arange(nx) + 0.5) * resolution
        ys = y0 + (np.arange(ny) + 0.5) * resolution
        grid = np.full((ny, nx), -1, np.int16)
        for room in self.rooms:
            rx0, ry0, rx1, ry1 = room.bounds
            inside_y = (ys >= ry0) & (ys < ry1)
            inside_x = (xs >= rx0) & (xs < rx1)
            grid[np.ix_(inside_y, inside_x)] = room.index
        return grid, (x0, y0), resolution

    @property
    def ambiguous(self) -> frozenset[str]:
        """Ids of the objects whose name another object has too (twin pairs): no line or question names them."""
        counts = Counter(o.name for o in self.objects)
        return frozenset(o.id for o in self.objects if counts[o.name] > 1)

    def doors_of(self, room_id: str) -> list[Door]:
        return [d for d in self.doors if room_id in d.rooms]

    def furniture_in(self, room_id: str) -> list[Furniture]:
        return [f for f in self.furniture if f.room == room_id]


def build_world(seed: int, config: WorldConfig | None = None) -> World:
    """Lay out a home from ``seed``: the same seed and config always give the same world."""
    config = config or WorldConfig()
    rng = np.random.default_rng([int(seed), 0])
    rooms = _rooms(rng, config.n_rooms)
    doors = _doors(rng, rooms)
    furniture = _furniture(rng, rooms, doors)
    objects = _objects(rng, config)
    initial = _initial_placements(rng, objects, furniture, config.lookalike_pairs)
    # twins draw from their own generator, so that the rest of a seed's home is the same with or without them
    objects, initial = _add_twins(np.random.default_rng([int(seed), 7]), objects, initial, furniture, config)
    people = _people(rng, config)
    decorations = _decorations(rng, rooms, doors, furniture)
    world = World(int(seed), config, rooms, doors, furniture, objects, people, decorations, initial)
    logger.debug("world %d: %d rooms, %d doors, %d furniture, %d objects, %d people", seed, len(rooms),
                 len(doors), len(furniture), len(objects), len(people))
    return world


# ---------------------------------------------------------------------------------------- layout

def _rooms(rng: np.random.Generator, n: int) -> tuple[Room, ...]:
    rows = 1 if n <= 2 else 2
    cols = int(np.ceil(n / rows))
    widths = rng.uniform(3.8, 5.4, cols)
    heights = rng.uniform(3.8, 5.0, rows)
    xs = np.concatenate([[0.0], np.cumsum(widths)]).round(3)
    ys = np.concatenate([[0.0], np.cumsum(heights)]).round(3)
    cells = [(r, c) for r in range(rows) for c in range(cols)]
    if len(cells) > n:  # an odd count: leave out a corner of the second row
        cells.remove((1, cols - 1) if rng.random() < 0.5 else (1, 0))
    names = [cat.ROOM_NAMES[i] for i in range(n)]
    order = rng.permutation(n)
    rooms = []
    for index, (r, c) in enumerate(cells):
        name = names[order[index]]
        rooms.append(_room(rng, index, name, (float(xs[c]), float(ys[r]), float(xs[c + 1]), float(ys[r + 1]))))
    return tuple(sorted(rooms, key=lambda room: room.index))


def _room(rng: np.random.Generator, index: int, name: str, bounds: Rect) -> Room:
    hue = rng.uniform(0, 1)
    wall = _pastel(hue, rng.uniform(0.15, 0.45), rng.uniform(0.7, 0.92))
    floor = _pastel(rng.uniform(0.03, 0.12) if rng.random() < 0.7 else rng.uniform(0, 1),
                    rng.uniform(0.2, 0.6), rng.uniform(0.3, 0.65))
    ceiling = _pastel(hue, 0.05, 0.93)
    return Room(f"room:{index}", index, name, bounds, wall, floor, ceiling, light=round(float(rng.uniform(0.62, 1.12)), 3),
                tile=round(float(rng.uniform(0.35, 0.8)), 3),
                stripe=0.0 if rng.random() < 0.4 else round(float(rng.uniform(0.25, 0.8)), 3))


def _pastel(hue: float, saturation: float, value: float) -> RGB:
    import colorsys

    r, g, b = colorsys.hsv_to_rgb(hue % 1.0, saturation, value)
    return (int(r * 255), int(g * 255), int(b * 255))


def _doors(rng: np.random.Generator, rooms: tuple[Room, ...]) -> tuple[Door, ...]:
    edges = []
    for a in rooms:
        for b in rooms:
            if a.index < b.index and _shared_wall(a, b) is not None:
                edges.append((a, b))
    order = rng.permutation(len(edges))
    parent = list(range(len(rooms)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    chosen = []
    for k in order:  # Kruskal on random weights: a random spanning tree, then some loops
        a, b = edges[k]
        ra, rb = find(a.index), find(b.index)
        if ra != rb:
            parent[ra] = rb
            chosen.append(k)
        elif rng.random() < 0.3:
            chosen.append(k)
    doors = []
    for k in sorted(chosen):
        a, b = edges[k]
        (p0, p1), along_x = _shared_wall(a, b)
        span = (p1[0] - p0[0]) if along_x else (p1[1] - p0[1])
        offset = rng.uniform(0.7 + DOOR_WIDTH / 2, span - 0.7 - DOOR_WIDTH / 2)
        centre = (p0[0] + offset, p0[1]) if along_x else (p0[0], p0[1] + offset)
        doors.append(Door(f"door:{len(doors)}", (a.id, b.id), (round(centre[0], 3), round(centre[1], 3)), along_x))
    return tuple(doors)


def _shared_wall(a: Room, b: Room) -> tuple[tuple[Point, Point], bool] | None:
    ax0, ay0, ax1, ay1 = a.bounds
    bx0, by0, bx1, by1 = b.bounds
    if abs(ax1 - bx0) < 1e-6 or abs(bx1 - ax0) < 1e-6:  # side by side: a wall along y
        x = ax1 if abs(ax1 - bx0) < 1e-6 else ax0
        lo, hi = max(ay0, by0), min(ay1, by1)
        if hi - lo > 2.0:
            return ((x, lo), (x, hi)), False
    if abs(ay1 - by0) < 1e-6 or abs(by1 - ay0) < 1e-6:  # one above the other: a wall along x
        y = ay1 if abs(ay1 - by0) < 1e-6 else ay0
        lo, hi = max(ax0, bx0), min(ax1, bx1)
        if hi - lo > 2.0:
            return ((lo, y), (hi, y)), True
    return None


# ------------------------------------------------------------------------------------- furniture

_SIDES = ((0.0, 1.0), (0.0, -1.0), (1.0, 0.0), (-1.0, 0.0))  # facing of furniture on the S, N, W, E wall


def _furniture(rng: np.random.Generator, rooms: tuple[Room, ...], doors: tuple[Door, ...]) -> tuple[Furniture, ...]:
    placed: list[tuple[str, str, Rect, Point]] = []  # category, room id, footprint, facing
    for room in rooms:
        keep_clear = [_segment_to_centre(d.approach(room), room) for d in doors if room.id in d.rooms]
        door_zones = [_door_zone(d, room) for d in doors if room.id in d.rooms]
        mine: list[tuple[Rect, tuple[Point, Point]]] = []
        biggest_first = sorted(cat.ROOM_FURNITURE[room.name],
                               key=lambda c: -cat.FURNITURE[c].width * cat.FURNITURE[c].depth)
        for category in biggest_first:
            spot = _place_one(rng, room, cat.FURNITURE[category], door_zones, keep_clear, mine)
            if spot is None:
                logger.debug("no space for a %s in the %s", category, room.name)
                continue
            footprint, facing, approach = spot
            mine.append((footprint, (approach, room.centre)))
            placed.append((category, room.id, footprint, facing))
    names = _furniture_names(placed, rooms)
    result = []
    for index, ((category, room_id, footprint, facing), name) in enumerate(zip(placed, names)):
        kind = cat.FURNITURE[category]
        result.append(Furniture(
            f"furniture:{index}", index, category, name, room_id, footprint, kind.height, facing,
            cat.FURNITURE_COLOURS[category], kind.style, kind.surface, kind.container,
            _slots(footprint, facing, kind)))
    return tuple(result)


def _place_one(rng, room: Room, kind: cat.FurnitureKind, door_zones, keep_clear, mine):
    x0, y0, x1, y1 = room.bounds
    for attempt in range(80):
        side = int(rng.integers(4))
        fx, fy = _SIDES[side]
        along = (x1 - x0) if fy else (y1 - y0)
        if kind.depth > 1.0 and attempt % 2:  # a long bed also fits sideways against a wall
            kind = replace(kind, width=kind.depth, depth=kind.width)
        if kind.width + 0.2 > along:
            continue
        t = rng.uniform(0.05 + kind.width / 2, along - 0.05 - kind.width / 2)
        if fy:  # against the south or north wall
            cx = x0 + t
            fy0 = y0 + 0.02 if fy > 0 else y1 - 0.02 - kind.depth
            footprint = (cx - kind.width / 2, fy0, cx + kind.width / 2, fy0 + kind.depth)
        else:
            cy = y0 + t
            fx0 = x0 + 0.02 if fx > 0 else x1 - 0.02 - kind.depth
            footprint = (fx0, cy - kind.width / 2, fx0 + kind.depth, cy + kind.width / 2)
        footprint = tuple(round(v, 3) for v in footprint)
        centre = ((footprint[0] + footprint[2]) / 2, (footprint[1] + footprint[3]) / 2)
        approach = (centre[0] + fx * (kind.depth / 2 + APPROACH), centre[1] + fy * (kind.depth / 2 + APPROACH))
        if _fits(room, footprint, approach, door_zones, keep_clear, mine):
            return footprint, (fx, fy), approach
    return None


def _fits(room: Room, footprint: Rect, approach: Point, door_zones, keep_clear, mine) -> bool:
    if not room.contains(*approach, margin=0.2):
        return False
    if _rect_circle(footprint, room.centre, CLEAR_RADIUS):
        return False
    if any(_overlap(footprint, zone) for zone in door_zones):
        return False
    grown = _grow(footprint, 0.15)
    for other, segment in mine:
        if _overlap(_grow(other, 0.1), footprint) or _segment_hits(segment, grown):
            return False
        if _segment_hits((approach, room.centre), _grow(other, 0.15)):
            return False
    return not any(_segment_hits(segment, grown) for segment in keep_clear)


def _door_zone(door: Door, room: Room) -> Rect:
    cx, cy = door.centre
    half = door.width / 2 + 0.35
    depth = 1.2
    if door.along_x:
        return (cx - half, cy - depth, cx + half, cy + depth)
    return (cx - depth, cy - half, cx + depth, cy + half)


def _segment_to_centre(point: Point, room: Room) -> tuple[Point, Point]:
    return (point, room.centre)


def _furniture_names(placed, rooms) -> list[str]:
    room_names = {r.id: r.name for r in rooms}
    names = []
    for i, (category, room_id, _, _) in enumerate(placed):
        same = [j for j, p in enumerate(placed) if p[0] == category]
        if len(same) == 1:
            names.append(category)
            continue
        in_room = [j for j in same if placed[j][1] == room_id]
        base = f"{room_names[room_id]} {category}"
        names.append(base if len(in_room) == 1 else f"{base} {in_room.index(i) + 1}")
    return names


def _slots(footprint: Rect, facing: Point, kind: cat.FurnitureKind) -> tuple[Point, ...]:
    x0, y0, x1, y1 = footprint
    if kind.container:
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        return tuple((round(cx, 3), round(cy, 3)) for _ in range(6))
    if kind.surface is None:
        return ()
    along_x = facing[1] != 0
    length = (x1 - x0) if along_x else (y1 - y0)
    n = max(1, min(5, int(length / 0.3)))
    slots = []
    for k in range(n):
        t = (k + 0.5) / n
        if along_x:
            x, y = x0 + t * (x1 - x0), (y0 + y1) / 2
        else:
            x, y = (x0 + x1) / 2, y0 + t * (y1 - y0)
        if kind.style == "sofa":  # on the seat, in front of the back rest
            x, y = x + facing[0] * 0.12, y + facing[1] * 0.12
        slots.append((round(x, 3), round(y, 3)))
    return tuple(slots)


# -------------------------------------------------------------------------------- objects, people

def _objects(rng: np.random.Generator, config: WorldConfig) -> tuple[Object, ...]:
    pairs = [g for g in cat.LOOKALIKES if all(label in cat.OBJECTS for label in g)]
    chosen: list[tuple[str, str]] = []
    for k in rng.permutation(len(pairs))[: config.lookalike_pairs]:
        colour = str(rng.choice(list(cat.COLOURS)))
        chosen.extend((label, colour) for label in pairs[k][:2])
    categories = list(cat.OBJECTS)
    while len(chosen) < config.n_objects:
        category = str(rng.choice(categories))
        used = {c for label, c in chosen if label == category}
        free = [c for c in cat.COLOURS if c not in used]
        if free:
            chosen.append((category, str(rng.choice(free))))
    objects = []
    for index, (category, colour) in enumerate(chosen):
        kind = cat.OBJECTS[category]
        objects.append(Object(f"object:{index}", index, category, colour, f"{colour} {category}",
                              cat.COLOURS[colour], kind.width, kind.height, kind.shape))
    return tuple(objects)


def _initial_placements(rng, objects, furniture, lookalike_pairs: int) -> tuple[Placement, ...]:
    holders = [f for f in furniture if f.holds_objects]
    if objects and not holders:
        raise ValueError("the world has objects but no furniture to hold them; raise n_rooms")
    taken: dict[str, set[int]] = {f.id: set() for f in holders}
    placements = []
    pair_rooms: dict[int, str] = {}
    for obj in objects:
        pair = obj.index // 2 if obj.index < 2 * lookalike_pairs else None
        for _ in range(200):
            surface_first = rng.random() < 0.8
            pool = [f for f in holders if (f.surface is not None) == surface_first] or holders
            f = pool[int(rng.integers(len(pool)))]
            free = [s for s in range(len(f.slots)) if s not in taken[f.id]]
            if not free or (pair is not None and pair_rooms.get(pair) == f.room):
                continue
            break
        else:
            raise ValueError(f"no free slot for {obj.name}: too many objects for the furniture; "
                             f"lower n_objects or raise n_rooms")
        slot = free[int(rng.integers(len(free)))]
        taken[f.id].add(slot)
        if pair is not None:
            pair_rooms[pair] = f.room
        placements.append(Placement(obj.id, f.id, slot))
    return tuple(placements)


def _add_twins(rng: np.random.Generator, objects: tuple[Object, ...], initial: tuple[Placement, ...],
               furniture: tuple[Furniture, ...], config: WorldConfig) -> tuple[tuple[Object, ...], tuple[Placement, ...]]:
    """Append ``config.twin_pairs`` objects, each a copy (label, colour) of an object outside the look-alike
    pairs, on a free slot in a room other than its original's."""
    where = {p.object: p for p in initial}
    room_of = {f.id: f.room for f in furniture}
    taken = {(p.furniture, p.slot) for p in initial}
    holders = [f for f in furniture if f.holds_objects]
    originals = objects[2 * config.lookalike_pairs:]
    objects, initial = list(objects), list(initial)
    for k in rng.permutation(len(originals))[: config.twin_pairs]:
        original = originals[int(k)]
        home = room_of[where[original.id].furniture]
        free = [(f.id, s) for f in holders if f.room != home for s in range(len(f.slots)) if (f.id, s) not in taken]
        if not free:
            raise ValueError(f"no free slot outside the {home} for the twin of the {original.name}: lower "
                             f"twin_pairs or n_objects, or raise n_rooms")
        f, slot = free[int(rng.integers(len(free)))]
        taken.add((f, slot))
        twin = replace(original, id=f"object:{len(objects)}", index=len(objects))
        objects.append(twin)
        initial.append(Placement(twin.id, f, slot))
    return tuple(objects), tuple(initial)


def _people(rng: np.random.Generator, config: WorldConfig) -> tuple[Person, ...]:
    palette = list(cat.COLOURS.values())
    shirts = rng.permutation(len(palette))
    people = []
    for index in range(config.n_people):
        shirt = palette[shirts[index % len(palette)]]
        if config.similar_people and index == 2:  # Carol dresses like Alice
            shirt = tuple(int(np.clip(c + rng.integers(-18, 19), 0, 255)) for c in people[0].shirt)
        female = index % 2 == 0
        people.append(Person(
            f"person:{index}", index, cat.PERSON_NAMES[index], cat.VOICES[index],
            pitch=round(float(rng.uniform(190, 250) if female else rng.uniform(100, 145)), 1),
            shirt=tuple(int(c) for c in shirt),
            trousers=tuple(int(c) for c in rng.integers(20, 120, 3)),
            skin=cat.SKIN[int(rng.integers(len(cat.SKIN)))],
            hair=cat.HAIR[int(rng.integers(len(cat.HAIR)))],
            height=round(float(rng.uniform(1.55, 1.88)), 3),
            speed=round(float(rng.uniform(0.9, 1.3)), 3)))
    return tuple(people)


def _decorations(rng, rooms, doors, furniture) -> tuple[Decoration, ...]:
    result = []
    for room in rooms:
        x0, y0, x1, y1 = room.bounds
        walls = [((x0, y0), (x1, y0), (0.0, 1.0)), ((x0, y1), (x1, y1), (0.0, -1.0)),
                 ((x0, y0), (x0, y1), (1.0, 0.0)), ((x1, y0), (x1, y1), (-1.0, 0.0))]
        for k in rng.permutation(4)[: int(rng.integers(1, 4))]:
            (ax, ay), (bx, by), (nx, ny) = walls[k]
            length = abs(bx - ax) + abs(by - ay)
            width = float(rng.uniform(0.6, 1.3))
            blocked = _blocked_intervals(room, (ax, ay), (nx, ny), doors, furniture)
            for _ in range(20):
                t = float(rng.uniform(0.3 + width / 2, length - 0.3 - width / 2))
                if all(t + width / 2 < lo or t - width / 2 > hi for lo, hi in blocked):
                    break
            else:
                continue
            ux, uy = (1.0, 0.0) if ay == by else (0.0, 1.0)
            base = (ax + nx * 0.01, ay + ny * 0.01)
            start = (base[0] + ux * (t - width / 2), base[1] + uy * (t - width / 2))
            end = (base[0] + ux * (t + width / 2), base[1] + uy * (t + width / 2))
            window = rng.random() < 0.5
            rgb = (235, 235, 230) if window else tuple(int(c) for c in rng.integers(30, 120, 3))
            inner = (170, 210, 240) if window else tuple(int(c) for c in rng.integers(60, 255, 3))
            z0 = float(rng.uniform(1.1, 1.3))
            result.append(Decoration(room.id, "window" if window else "picture", start, end, z0,
                                     z0 + float(rng.uniform(0.5, 0.8)), rgb, inner))
    return tuple(result)


def _blocked_intervals(room, origin, normal, doors, furniture) -> list[tuple[float, float]]:
    along_x = normal[1] != 0
    wall_coord = origin[1] if along_x else origin[0]
    blocked = []
    for d in doors:
        if room.id in d.rooms and d.along_x == along_x and abs((d.centre[1] if along_x else d.centre[0]) - wall_coord) < 1e-6:
            c = (d.centre[0] - origin[0]) if along_x else (d.centre[1] - origin[1])
            blocked.append((c - d.width / 2 - 0.2, c + d.width / 2 + 0.2))
    for f in furniture:
        if f.room != room.id or f.height < 1.0:
            continue
        x0, y0, x1, y1 = f.footprint
        near = (min(abs(y0 - wall_coord), abs(y1 - wall_coord)) if along_x
                else min(abs(x0 - wall_coord), abs(x1 - wall_coord)))
        if near < 0.1:
            lo, hi = ((x0, x1) if along_x else (y0, y1))
            o = origin[0] if along_x else origin[1]
            blocked.append((lo - o - 0.1, hi - o + 0.1))
    return blocked


# ------------------------------------------------------------------------------------- geometry

def _grow(rect: Rect, by: float) -> Rect:
    return (rect[0] - by, rect[1] - by, rect[2] + by, rect[3] + by)


def _overlap(a: Rect, b: Rect) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _rect_circle(rect: Rect, centre: Point, radius: float) -> bool:
    nx = min(max(centre[0], rect[0]), rect[2])
    ny = min(max(centre[1], rect[1]), rect[3])
    return (nx - centre[0]) ** 2 + (ny - centre[1]) ** 2 < radius ** 2


def _segment_hits(segment: tuple[Point, Point], rect: Rect) -> bool:
    """Whether the segment crosses the rectangle (Liang-Barsky clipping)."""
    (ax, ay), (bx, by) = segment
    dx, dy = bx - ax, by - ay
    lo, hi = 0.0, 1.0
    for p, q in ((-dx, ax - rect[0]), (dx, rect[2] - ax), (-dy, ay - rect[1]), (dy, rect[3] - ay)):
        if abs(p) < 1e-12:
            if q < 0:
                return False
            continue
        t = q / p
        if p < 0:
            lo = max(lo, t)
        else:
            hi = min(hi, t)
        if lo > hi:
            return False
    return True


def segment_clear(world: World, a: Point, b: Point, margin: float = 0.1, ignore: Iterable[str] = ()) -> bool:
    """Whether a straight walk from a to b passes no furniture (grown by ``margin``)."""
    skip = set(ignore)
    return not any(_segment_hits((a, b), _grow(f.footprint, margin)) for f in world.furniture if f.id not in skip)


def _check_int(name: str, value, lo: int, hi: int) -> None:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or not lo <= value <= hi:
        raise ValueError(f"WorldConfig.{name}={value!r}: expected an integer in [{lo}, {hi}]")
