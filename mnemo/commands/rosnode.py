"""What ``mnemo ros1`` and ``mnemo ros2`` share: a live node that writes a memory from a robot's topics and
answers questions over it (``~events``, ``~ask`` -> ``~answer``, ``~goal``; see docs/ros.md). The
transport (rospy, or DDS) is a :class:`Transport`; only ros_bridge/ knows ROS."""

from __future__ import annotations

import contextlib
import logging
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Sequence

import typer
from rich.markup import escape

from mnemo.commands.app import err, memory_profile
from mnemo.errors import UserError

# the options both live nodes take (mnemo ros1, mnemo ros2)
ProfileOpt = typer.Option(None, "--profile", "-p", help="Profile name (standard, lite, full, test) or YAML path; "
                          "default: the memory's own, else standard.")
TopicOpt = typer.Option([], "--topic", help="KIND=/topic overrides the topic picked by type (image, pose, text, "
                        "audio, detections; KIND=none reads none), e.g. --topic image=/cam/image_raw.")
NodeNameOpt = typer.Option("mnemo", "--node-name", help="The node's name (its topics: /NAME/events, ...).")
MaxLagOpt = typer.Option(1.0, "--max-lag", help="Seconds a frame may be behind the newest frame when its analysis "
                         "ends: older frames are skipped (the newest always analysed) and batches thinned to keep it.")
WaitOpt = typer.Option(60.0, "--wait", help="Seconds to wait for a camera topic to be published.")
QuietOpt = typer.Option(False, "--quiet", "-q", help="No progress line.")

logger = logging.getLogger(__name__)

LIVE_KINDS = ("image", "pose", "text", "audio", "detections")  # --topic kinds the live nodes read


@dataclass
class Transport:
    """How one ROS carries the node."""

    name: str  # "ros1", "ros2": the command's name, in its messages
    scheme: str  # the stream URIs' scheme
    join: Callable[[str, Callable[[str], None]], None]  # (node name, stop): joins the graph; UserError with the fix
    interface: Callable[..., object]  # (answer, events, prepare=, finish=) -> a ros_bridge.node.NodeInterface
    find_topics: Callable[..., object]  # (overrides, wait, own=, stopping=) -> ros_bridge.node.Topics
    node: Callable[[], str]  # the node's resolved name
    leave: Callable[[], None]  # leaves the graph at the end


def run_node(transport: Transport, memory: Path, profile: Optional[str], topic: Sequence[str], node_name: str,
             max_lag: float, wait: float, quiet: bool, control=None) -> None:
    """Run a live node until it is stopped; exits 130/143 after SIGINT/SIGTERM."""
    import mnemo
    from mnemo.config import load_profile
    from mnemo.runtime.control import IngestControl
    from mnemo.sources import parse_topics
    from streams.live import LiveOptions

    try:
        overrides = parse_topics(topic)
        control = control or IngestControl(live=LiveOptions(max_lag=max_lag))
    except ValueError as error:
        raise UserError(str(error)) from error
    unread = sorted(set(overrides) - set(LIVE_KINDS))
    if unread:
        raise UserError(f"--topic {unread[0]}=...: not read live yet (live kinds: {', '.join(LIVE_KINDS)}); "
                        "record a bag and `mnemo ingest` it")
    chosen = load_profile(profile or memory_profile(memory))
    transport.join(node_name, control.stop)
    try:
        with _stop_on_signals(control) as signalled, mnemo.open(memory, profile=chosen, create=True) as mem:
            mem.encoders  # load the models before the first frame
            answers = Answers(memory, chosen, mem.encoders)
            interface = transport.interface(answers.answer, answers.new_events, prepare=answers.open,
                                            finish=answers.close)
            try:
                found = transport.find_topics(overrides, wait, own=interface.names, stopping=lambda: control.stopping)
                err.print(f"{transport.name}: node {transport.node()} reading {found.camera}"
                          f"{f', poses {found.pose}' if found.pose else ''}"
                          f"{', text ' + ', '.join(found.texts) if found.texts else ''}"
                          f"{f', audio {found.audio}' if found.audio else ''}"
                          f"{f', detections {found.detections}' if found.detections else ''}; questions on "
                          f"{transport.node()}/ask", highlight=False)
                report = mem.ingest(found.uri(transport.scheme), control=control,
                                    progress=None if quiet else _progress(control))
            finally:
                interface.close()
    finally:
        transport.leave()
    from mnemo.commands.ingest import _ending_line

    err.print(escape(_ending_line(report)) + f"; {interface.published} events published", highlight=False,
              soft_wrap=True)
    if signalled:  # as `mnemo ingest`: 130 after Ctrl-C, 143 after SIGTERM; 0 after a shutdown request
        raise typer.Exit(128 + signalled[0])


class Answers:
    """What the node's worker thread reads: a read-only view of the memory opened in that thread (SQLite
    connections belong to their thread), sharing the writer's encoders."""

    def __init__(self, directory: Path, profile, encoders):
        self.directory, self.profile, self.encoders = directory, profile, encoders
        self.memory = None
        self.last_id = 0  # the newest event published
        self.last_end = 0.0

    def open(self) -> None:
        import mnemo

        self.memory = mnemo.open(self.directory, profile=self.profile, readonly=True)
        self.memory.use_encoders(self.encoders)
        ids = self.memory.store.event_ids()
        self.last_id = ids[-1] if ids else 0  # events of earlier sessions are not news

    def close(self) -> None:
        if self.memory is not None:
            self.memory.close()

    def answer(self, request: dict) -> dict:
        """The Answer JSON (what ``mnemo ask --json`` prints) of ``{"question", "at"}``; the Plan JSON (what
        ``mnemo plan --json`` prints) of ``{"plan", "at"}``."""
        if "plan" in request:
            return self.memory.plan(request["plan"], at=request.get("at")).to_dict()
        return self.memory.ask(request["question"], at=request.get("at")).to_dict()

    def new_events(self) -> list[dict]:
        """The events committed since the last call, as JSON-ready dicts."""
        from planners.answer import pose_dict

        store = self.memory.store
        ids = [i for i in store.event_ids(start=max(0.0, self.last_end - 1e3)) if i > self.last_id]
        found = []
        for event_id in sorted(ids):
            event = store.event(event_id)
            keyframe = event.keyframes[0] if event.keyframes else None
            seen = keyframe.time if keyframe is not None else (event.start + event.end) / 2
            found.append({"id": event_id, "stream": event.stream, "start": round(event.start, 3),
                          "end": round(event.end, 3), "text": event.text, "surprise": round(float(event.surprise), 3),
                          "keyframe": str(store.keyframe_path(event_id, 0)) if keyframe is not None else None,
                          "pose": pose_dict(store.pose_at(event.stream, seen))})
            self.last_id, self.last_end = event_id, max(self.last_end, event.end)
        return found


def _progress(control):
    from mnemo.commands.ingest import _live_text

    def show(done: float, total: float | None) -> None:
        logger.debug("media %.1f s%s", done, _live_text(control))

    return show


@contextlib.contextmanager
def _stop_on_signals(control):
    """Ctrl-C and SIGTERM stop the node cleanly (what was seen is committed); a second one aborts."""
    names = {signal.SIGINT: "interrupted (Ctrl-C)", signal.SIGTERM: "terminated (SIGTERM)"}
    received: list[int] = []

    def handler(signum, _frame) -> None:
        if control.stopping:
            err.print("[red]aborted[/]: the events committed before are kept; the one being formed is lost")
            raise KeyboardInterrupt
        received.append(signum)
        control.stop(names[signum])
        err.print(f"[yellow]{names[signum]}[/]: committing what was seen (Ctrl-C again to abort)")

    previous = {number: signal.signal(number, handler) for number in names}
    try:
        yield received
    finally:
        for number, old in previous.items():
            signal.signal(number, old)
