"""``mnemo ros1``: a live ROS 1 node that writes a memory from a robot's topics and answers questions
over it (``~events``, ``~ask`` -> ``~answer``, ``~goal``; see docs/ros.md)."""

from __future__ import annotations

import contextlib
import logging
import signal
from pathlib import Path
from typing import List, Optional

import typer
from rich.markup import escape

from mnemo.commands.app import MemoryOpt, app, err, memory_profile
from mnemo.errors import UserError

logger = logging.getLogger(__name__)

LIVE_KINDS = ("image", "pose", "text")  # --topic kinds the live node reads


@app.command("ros1")
def ros1(
    memory: Path = MemoryOpt,
    profile: Optional[str] = typer.Option(None, "--profile", "-p", help="Profile name (standard, lite, full, test) "
                                          "or YAML path; default: the memory's own, else standard."),
    topic: List[str] = typer.Option([], "--topic", help="KIND=/topic overrides the topic picked by type (image, "
                                    "pose, text; text=none, pose=none read none), e.g. --topic image=/cam/image_raw."),
    node_name: str = typer.Option("mnemo", "--node-name", help="The node's name (its topics: /NAME/events, ...)."),
    max_lag: float = typer.Option(2.0, "--max-lag", help="Seconds the analysis may fall behind the newest frame "
                                  "before frames are thinned."),
    wait: float = typer.Option(60.0, "--wait", help="Seconds to wait for a camera topic to be published."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress line."),
) -> None:
    """Run a ROS 1 node: remember the robot's camera, poses and text topics live; publish each committed
    event on ~events; answer JSON questions from ~ask on ~answer. Ctrl-C, SIGTERM or `rosnode kill`
    commit what was seen and stop."""
    import mnemo
    from mnemo.config import load_profile
    from mnemo.runtime.control import IngestControl
    from mnemo.sources import parse_topics
    from ros_bridge import ros1 as bridge
    from streams.live import LiveOptions

    try:
        overrides = parse_topics(topic)
        control = IngestControl(live=LiveOptions(max_lag=max_lag))
    except ValueError as error:
        raise UserError(str(error)) from error
    unread = sorted(set(overrides) - set(LIVE_KINDS))
    if unread:
        raise UserError(f"--topic {unread[0]}=...: not read live yet (live kinds: {', '.join(LIVE_KINDS)}); "
                        "record a bag and `mnemo ingest` it for audio and detections")
    chosen = load_profile(profile or memory_profile(memory))
    try:
        bridge.init_node(node_name)
    except bridge.RosUnavailable as error:
        raise UserError(str(error)) from error
    ros = bridge.rospy()
    ros.on_shutdown(lambda: control.stop("ROS shutdown (rosnode kill or the master's request)"))
    with _stop_on_signals(control) as signalled, mnemo.open(memory, profile=chosen, create=True) as mem:
        mem.encoders  # load the models before the first frame
        answers = Answers(memory, chosen, mem.encoders)
        interface = bridge.Ros1Interface(answers.answer, answers.new_events, prepare=answers.open,
                                         finish=answers.close)
        try:
            found = bridge.find_topics(overrides, wait, own=interface.names, stopping=lambda: control.stopping)
            err.print(f"ros1: node {ros.get_name()} reading {found.camera}"
                      f"{f', poses {found.pose}' if found.pose else ''}"
                      f"{', text ' + ', '.join(found.texts) if found.texts else ''}; questions on "
                      f"{ros.get_name()}/ask", highlight=False)
            report = mem.ingest(found.uri(), control=control, progress=None if quiet else _progress(control))
        finally:
            interface.close()
    from mnemo.commands.ingest import _ending_line

    err.print(escape(_ending_line(report)) + f"; {interface.published} events published", highlight=False,
              soft_wrap=True)
    if not ros.is_shutdown():
        ros.signal_shutdown("mnemo ros1 stopped")
    if signalled:  # as `mnemo ingest`: 130 after Ctrl-C, 143 after SIGTERM; 0 after `rosnode kill`
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
        """The Answer JSON (what ``mnemo ask --json`` prints) of ``{"question", "at"}``."""
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
