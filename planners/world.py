"""The world as perception saw it: things, people, furniture and what they did, from the memory's
sightings, heard lines, poses and map (memory/perceived.py), never from anything truer.

Every position first has the odometry's drift taken out, furniture serving as landmarks (planners/drift.py). Object
tracks are joined into things by appearance and named by colour and label ("orange box", planners/identities.py);
their resting places ("stays") are runs of sightings close together; a new resting place elsewhere is a move,
attributed to the person seen with the thing as it was carried in (off), else to the one seen nearest the place then
(short stays are pauses while carried, unless the stays next to them at about the same place make up a resting place
that position noise split); a change of resting place nobody was seen making, the thing never seen on its way, is
none when the two lie within placement error of each other or the thing is found back at the first later (two alike
things); a thing seen carried shortly before its first resting place (a walk from there) was put there, and one gone
from an open piece of furniture (not a container) seen often since without it was
picked up (known only from those views on; nobody saw that pick). A thing that turns up carried at a piece of
furniture, with someone by it, after being out of sight (inside a closed cupboard, or only not looked at) was just
picked up there (seen so when that someone had been in view the seconds before, not only come upon carrying it); one
last seen carried by a container that opens then, and out of sight long after, was put inside it. A put is witnessed
when the thing was seen carried in just before it rested (not only found at rest when the camera came by), a pick
when it was seen carried off just after (its place seen without it says little: a small thing is missed at the edge
of view or behind someone while it still lies there). A thing last seen carried and found at rest later was put down
when its carrier could walk there; one last seen at rest and first seen again carried, taken when its carrier walked
off with it: witnessed when someone was seen at the place then (the thing itself is often out of view while the
person is not). People are tracks clustered by appearance (average linkage, cosine 0.9), named by the voices heard
and by what those voices said they did (planners/naming.py). A person's room entries come from their track over the
map's rooms (planners/entries.py), read across the seams where a walk passes from one cluster's track to another's
(planners/stitch.py); a person lingering by a piece of furniture is a visit (containers are opened in visits).
Furniture by a wall belongs to the room the camera saw it from, near views counting more than views through a
doorway from afar. Everything is cut at a question's time by the callers.

Its parts, each a class of its own: planners/world_base.py (the records Stay, Action and Thing, the tunables,
the world's state and its look-ups), planners/world_moves.py (puts and picks of things),
planners/world_build.py (the building pipeline); here: World, which builds itself on construction."""

from __future__ import annotations

import logging

# Every name planners.world held before its split stays importable from here (noqa F401: re-exported).
from memory import perceived  # noqa: F401
from memory.perceived import Area  # noqa: F401
from planners.addressing import name_lines  # noqa: F401
from planners.drift import Drift, fit_drift  # noqa: F401
from planners.entries import CROSS_DEPTH, Door, Rooms, crossings, doors, entries  # noqa: F401
from planners.identities import name_things  # noqa: F401
from planners.lexicon import Lexicon  # noqa: F401
from planners.naming import Line, Seen, name_by_sight  # noqa: F401
from planners.opens import OpenSpan, open_spans  # noqa: F401
from planners.world_base import (  # noqa: F401
    CARRIED_AFTER_PICK, CARRIED_BEFORE_PUT, CARRIED_GAP, CARRY_SECONDS, CLOSED, DEED_WEIGHT, DEED_WINDOW, FRAGMENT,
    GONE_AFTER, GONE_VIEWS, HANDOVER, HIDDEN_GAP, MIN_SIGHTINGS, MOVE_DISTANCE, NEAR_PERSON, ON_FURNITURE,
    OPENED_AFTER, RESTING_SECONDS, STAY_RADIUS, STAY_SECONDS, STAY_SIGHTINGS, UNSEEN_GAP, VISIT_GAP, VISIT_RADIUS,
    VISIT_SECONDS, WALKING_SPEED, WALL_MARGIN, WATCHED, WATCHED_SECONDS, WITNESS_GAP, Action, Stay, Thing, WorldBase)
from planners.world_build import WorldBuild, _sorted_median  # noqa: F401
from planners.world_moves import WorldMoves, _away, _settled  # noqa: F401

logger = logging.getLogger(__name__)

class World(WorldBuild):
    """Things, people, furniture and actions perceived in a memory (one stream's frame of reference), by
    ``until`` (media seconds) when given: sightings and poses up to it, lines heard that ended by it, the
    world the memory held then (a question at t is answered from this world cut at t)."""

    def __init__(self, store, until: float | None = None, drift: Drift | None = None) -> None:
        super().__init__(store, until, drift)
        self._build()
