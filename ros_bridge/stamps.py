"""Live header stamps to one stream's media time, through clock jumps.

A live ROS graph's clock can jump back: a looped ``rosbag play -l``, a restarted simulation, a robot
whose clock was reset. Each jump back starts a new *epoch* of the stamp clock: its first stamp is
placed just after the media time already reached (``GAP`` later), so the memory stays one timeline
(with a gap where the clock jumped) instead of stamps that repeat. Each topic keeps to the epoch its
messages belong to: a message of the old epoch that arrives after another topic has jumped is still
placed in the old epoch, and a topic joins the new epoch when its stamps come into the new epoch's span.
A stamp that goes back less than ``jump`` seconds on its own topic is out of order, not a jump.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

NS = 1_000_000_000
UNIX_STAMPS = 10**18  # stamps above this many ns are UNIX time (2001 on), below: simulation time


def stamp_ns(stamp) -> int:
    """Nanoseconds of a ROS time as rosbags (``sec``, ``nanosec``) or rospy (``secs``, ``nsecs``) spell it."""
    if hasattr(stamp, "nanosec"):
        return int(stamp.sec) * NS + int(stamp.nanosec)
    return int(stamp.secs) * NS + int(stamp.nsecs)


@dataclass
class Epoch:
    """One stretch of the stamp clock without a jump back."""

    base: int  # its first stamp, ns
    media: float  # media time of ``base``, seconds
    newest: int  # the latest stamp seen in it, ns

    def at(self, stamp: int) -> float:
        return self.media + (stamp - self.base) / NS


@dataclass(frozen=True)
class Jump:
    """The clock jumped back: media time from ``time`` to ``end`` holds nothing."""

    time: float  # media time reached before the jump
    end: float  # media time of the new epoch's first stamp
    back: float  # seconds the stamps went back


class StampClock:
    """Media time (s) of header stamps (ns) per topic; thread-safe (callbacks of several topics call it)."""

    GAP = 0.5  # seconds of media time between the last time reached and a new epoch

    def __init__(self, jump: float = 1.0, join: float = 2.0):
        self.jump_ns = int(jump * NS)  # a stamp this far behind its topic's last is a jump back, not disorder
        self.join_ns = int(join * NS)  # how far outside a new epoch's span a topic's stamp may join it
        self.epochs: list[Epoch] = []
        self.position = 0.0  # media time an earlier session reached: the first epoch starts after it
        self.wall_clock: float | None = None  # UNIX time of media time 0 when stamps are UNIX time
        self.reached = float("-inf")  # the latest media time handed out
        self._topics: dict[str, tuple[int, int]] = {}  # topic -> (its epoch, its latest stamp)
        self._lock = threading.Lock()

    def media(self, topic: str, stamp: int) -> tuple[float, Jump | None]:
        """(media time of ``stamp`` on ``topic``, the jump it started or None)."""
        with self._lock:
            jump = None
            if not self.epochs:
                self._first(stamp)
            current = len(self.epochs) - 1
            index, last = self._topics.get(topic, (current, stamp))
            if index < current and self._fits(self.epochs[current], stamp):
                index, last = current, stamp  # this topic reached the new epoch
            elif stamp < last - self.jump_ns:
                jump = self._new_epoch(stamp, last)
                index, last = len(self.epochs) - 1, stamp
            epoch = self.epochs[index]
            epoch.newest = max(epoch.newest, stamp)
            self._topics[topic] = (index, max(last, stamp))
            time = epoch.at(stamp)
            self.reached = max(self.reached, time)
            return time, jump

    def _fits(self, epoch: Epoch, stamp: int) -> bool:
        return epoch.base - self.join_ns <= stamp <= epoch.newest + self.join_ns

    def _first(self, stamp: int) -> None:
        """The first epoch: on the stream's wall clock when stamps are UNIX time, else after ``position``."""
        if stamp > UNIX_STAMPS:
            if self.wall_clock is None:
                self.wall_clock = stamp / NS - (self.position + self.GAP if self.position > 0 else 0.0)
            media = max(stamp / NS - self.wall_clock, self.position + self.GAP if self.position > 0 else 0.0)
        else:
            media = self.position + self.GAP if self.position > 0 else 0.0
        self.epochs.append(Epoch(stamp, media, stamp))

    def _new_epoch(self, stamp: int, last: int) -> Jump:
        start = self.reached + self.GAP
        self.epochs.append(Epoch(stamp, start, stamp))
        return Jump(self.reached, start, (last - stamp) / NS)
