"""The ``mnemo`` command line: ingest, events, search, profiles, demo."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="mnemo: ingest long videos into a memory you can search and question.")
out = Console()
err = Console(stderr=True)

MemoryOpt = typer.Option(..., "--memory", "-m", help="Memory directory.")
JsonOpt = typer.Option(False, "--json", help="Print JSON instead of a table.")


class UserError(Exception):
    """An error the user can fix; printed as one line, exit status 2."""


def main() -> None:
    """Entry point: run the app, turning known errors into one clear line and a non-zero exit."""
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # no weight-loading bars from transformers
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    try:
        code = app(standalone_mode=False)  # click returns Exit codes instead of raising them here
    except (typer.Exit, SystemExit) as done:
        code = done.exit_code if isinstance(done, typer.Exit) else done.code
        sys.exit(code or 0)
    except KeyboardInterrupt:
        err.print("[yellow]interrupted[/]: committed events are kept; run the same command again to resume")
        sys.exit(130)
    except Exception as error:  # noqa: BLE001 - the CLI's last line of defence
        message = _user_message(error)
        if message is None:
            raise
        if not message.strip():  # `mnemo` alone: the help was shown, nothing went wrong
            sys.exit(0)
        err.print(f"[red]error[/]: {escape(message)}", highlight=False, markup=True, soft_wrap=True)
        sys.exit(2)
    sys.exit(code if isinstance(code, int) else 0)


def _user_message(error: BaseException) -> str | None:
    """The one-line message for errors a user can act on, None for bugs (shown with a traceback)."""
    import click

    from memory.entities import EntityForgotten, EntityNotFound
    from memory.store import StoreError
    from mnemo.errors import ConfigError, MemoryNotFound
    from perception.errors import UnknownComponent, WeightsUnavailable
    from streams.errors import SourceError

    # bad options and arguments: click's own, and those of the click typer vendors (typer >= 0.29)
    if isinstance(error, (click.exceptions.ClickException, typer.TyperException)) and hasattr(error, "format_message"):
        return error.format_message()
    if isinstance(error, EntityNotFound):  # a KeyError: str() would quote it
        return error.args[0] if error.args else "no such entity"
    known = (UserError, SourceError, ConfigError, MemoryNotFound, StoreError, WeightsUnavailable,
             UnknownComponent, FileNotFoundError, FileExistsError, ValueError, EntityForgotten)
    return str(error) if isinstance(error, known) else None


@app.callback()
def _configure(verbose: int = typer.Option(0, "--verbose", "-v", count=True, help="-v info, -vv debug.")) -> None:
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(message)s", datefmt="[%X]",
                        handlers=[RichHandler(console=err, show_path=verbose > 1, markup=False)])


@app.command()
def ingest(
    sources: List[str] = typer.Argument(..., help="Video files, URLs (rtsp/http/udp), devices or image folders."),
    memory: Path = MemoryOpt,
    profile: Optional[str] = typer.Option(None, "--profile", "-p", help="Profile name (standard, lite, full, "
                                          "test) or YAML path; default: the memory's own, else standard."),
    fps: Optional[float] = typer.Option(None, help="Frames analysed per second (overrides the profile)."),
    keyframes_only: Optional[bool] = typer.Option(None, "--keyframes-only/--all-frames",
                                                  help="Decode only keyframes (fast)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
    use_ray: bool = typer.Option(False, "--ray", help="Run the stages as Ray actors (same events as inline)."),
    address: Optional[str] = typer.Option(None, "--address", help="Ray cluster to join ('auto': the local "
                                          "`ray start` one); default: start one in this process."),
    reconnect: bool = typer.Option(True, "--reconnect/--no-reconnect", help="Live streams (URLs, devices): "
                                   "reconnect with backoff when the stream drops or ends."),
    reconnect_for: float = typer.Option(60.0, "--reconnect-for", help="Seconds of failed reconnect attempts "
                                        "before giving up ('inf': never)."),
    stall: float = typer.Option(5.0, "--stall", help="Seconds without data that count as a dropped live stream."),
    max_lag: float = typer.Option(2.0, "--max-lag", help="Seconds a live stream's analysis may fall behind "
                                  "its live edge before frames are thinned."),
) -> None:
    """Ingest sources into a memory (resumable: re-running continues where it stopped).

    Live streams are read at their own pace and continue earlier sessions on the wall clock;
    Ctrl-C or SIGTERM commits what was seen (a second Ctrl-C aborts at once).
    """
    import mnemo
    from mnemo.config import load_profile
    from mnemo.runtime.control import IngestControl
    from streams.live import LiveOptions

    chosen = load_profile(profile or _memory_profile(memory)).with_sampling(fps=fps, keyframes_only=keyframes_only)
    if use_ray or address:
        from mnemo.commands.job import ingest_on_ray

        raise typer.Exit(ingest_on_ray(sources, memory, chosen, address, quiet))
    control = IngestControl(live=LiveOptions(reconnect=reconnect, reconnect_for=reconnect_for, stall=stall,
                                             max_lag=max_lag))
    failures, code = 0, 0
    with mnemo.open(memory, profile=chosen, create=True) as mem, _stop_on_signals(control) as signalled:
        mem.encoders  # load models before the first progress bar
        reports = []
        for source in sources:
            if control.stopping:
                break
            try:
                report = _ingest_one(mem, source, quiet, control)
            except Exception as error:  # noqa: BLE001 - a bad item is reported and the batch goes on
                message = _user_message(error)
                if message is None:
                    raise
                err.print(f"[red]error[/]: {escape(message)}", highlight=False, soft_wrap=True)
                failures += 1
                continue
            reports.append(report)
            code = code or _ending_status(report, signalled)
        if control.stopping and not code:  # stopped before a source began
            code = 128 + signalled[0] if signalled else 130
        _print_summary(reports)
    if failures:
        raise typer.Exit(2 if not reports else 1)
    if code:
        raise typer.Exit(code)


@contextlib.contextmanager
def _stop_on_signals(control):
    """Ctrl-C and SIGTERM stop the ingest cleanly (what was seen is committed); a second one aborts."""
    import signal

    names = {signal.SIGINT: "interrupted (Ctrl-C)", signal.SIGTERM: "terminated (SIGTERM)"}
    received: list[int] = []

    def handler(signum, _frame) -> None:
        if control.stopping:  # the second signal: abort now, losing at most the open event
            err.print("[red]aborted[/]: the events committed before are kept; the one being formed is lost")
            raise KeyboardInterrupt
        received.append(signum)
        control.stop(names[signum])
        err.print(f"[yellow]{names[signum]}[/]: committing what was seen (Ctrl-C again to abort)")

    try:
        previous = {number: signal.signal(number, handler) for number in names}
    except ValueError:  # not the main thread: no signal handling
        previous = {}
    try:
        yield received
    finally:
        for number, old in previous.items():
            signal.signal(number, old)


def _ending_status(report, signalled: list[int]) -> int:
    """Print how a source ended (live streams, stops); the exit status it asks for (0: as asked)."""
    from mnemo.runtime.control import COMPLETE, LOST, STOPPED

    if report.live or report.ending != COMPLETE:
        err.print(escape(_ending_line(report)), highlight=False, soft_wrap=True)
    if report.ending == STOPPED:
        return 128 + signalled[0] if signalled else 130
    return 1 if report.ending == LOST else 0


def _ending_line(report) -> str:
    """One line: how the ingest of a source ended, what was committed, and for a live stream its lag."""
    line = f"{report.uri}: {report.ending}"
    if report.end_reason:
        line += f" ({report.end_reason})"
    line += f"; {report.events} events committed"
    if report.live:
        lag = report.lag
        lag_text = f"lag p50 {lag['p50']:.1f} s, p99 {lag['p99']:.1f} s" if lag else "no frames analysed"
        line += f"; {lag_text}; {report.dropped} frames dropped; {len(report.gaps)} gap(s)"
    return line


def _memory_profile(memory: Path) -> str:
    """The profile an existing memory was built with (so that a re-run resumes alike), else the default."""
    from mnemo.api import DEFAULT_PROFILE
    from mnemo.memories import recorded_profile

    return recorded_profile(memory) or DEFAULT_PROFILE


def _ingest_one(mem, source: str, quiet: bool, control=None):
    columns = [TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[media]}"),
               TimeElapsedColumn(), TimeRemainingColumn()]
    with Progress(*columns, console=err, disable=quiet, transient=False) as bar:
        task = bar.add_task(Path(source).name or source, total=None, media="")

        def progress(done: float, total: float | None) -> None:
            bar.update(task, completed=done, total=total, media=f"{done:7.1f}s" + _live_text(control))

        report = mem.ingest(source, progress=progress, control=control)
        if report.skipped:
            bar.update(task, description=f"{Path(source).name} (already ingested)")
    return report


def _live_text(control) -> str:
    """The progress line's live part: lag behind the live edge, frames dropped, connection state."""
    status = control.status if control is not None else None
    if status is None or status.state == "starting":
        return ""
    lag = f"lag {status.lag:4.1f}s" if status.lag is not None else "lag    -"
    state = "" if status.state == "connected" else f"  {status.state}"
    return f"  {lag}  dropped {status.dropped}  gaps {status.gaps}{state}"


def _print_summary(reports) -> None:
    if not reports:
        return
    table = Table(title="ingest summary")
    for column in ("source", "stream", "media s", "events", "frames", "wall s", "x real time", "note"):
        table.add_column(column, justify="right" if column not in ("source", "stream", "note") else "left")
    for r in reports:
        note = "already ingested" if r.skipped else (f"resumed at {r.resumed_from:.1f}s" if r.resumed_from else "")
        table.add_row(r.uri, r.stream, f"{r.media_seconds:.1f}", str(r.events), str(r.frames),
                      f"{r.wall_seconds:.1f}", f"{r.realtime_factor:.1f}", note)
    out.print(table)


@app.command()
def events(memory: Path = MemoryOpt, stream: Optional[str] = typer.Option(None, help="Only this stream id."),
           as_json: bool = JsonOpt) -> None:
    """List the events of a memory."""
    import mnemo

    with mnemo.open(memory) as mem:
        rows = [_event_dict(e) for e in mem.events(stream=stream)]
        gaps = _live_gaps(mem.store.streams(), stream)
    if as_json:
        out.print_json(json.dumps(rows))
        return
    table = Table(title=f"{len(rows)} events in {memory}")
    for column in ("id", "stream", "start", "end", "keyframe", "text"):
        table.add_column(column, overflow="fold")
    for row in sorted(rows + gaps, key=lambda r: (r["stream"], r["start"], "id" in r)):
        if "id" not in row:  # a live stream's gap: no media between two events
            table.add_row("-", row["stream"], _clock(row["start"]), _clock(row["end"]), "",
                          f"(gap: {row['reason']})", style="dim")
            continue
        table.add_row(str(row["id"]), row["stream"], _clock(row["start"]), _clock(row["end"]),
                      row["keyframe"] or "", row["text"][:80])
    out.print(table)


def _live_gaps(streams: list[dict], only: str | None) -> list[dict]:
    """The gaps live streams recorded (a drop and reconnect, or between sessions), as table rows."""
    return [{"stream": s["id"], "start": start, "end": end, "reason": reason}
            for s in streams if only is None or s["id"] == only
            for start, end, reason in (s["info"].get("extra") or {}).get("gaps", [])]


def _event_dict(event) -> dict:
    return {"id": event.id, "stream": event.stream, "start": round(event.start, 3), "end": round(event.end, 3),
            "keyframe": event.keyframes[0].path if event.keyframes else None,
            "keyframes": [k.path for k in event.keyframes], "text": event.text,
            "surprise": round(event.surprise, 3)}


@app.command()
def transcript(memory: Path = MemoryOpt, stream: Optional[str] = typer.Option(None, help="Only this stream id."),
               voice: Optional[str] = typer.Option(None, help="Only this voice, e.g. voice:3."),
               as_json: bool = JsonOpt) -> None:
    """Who said what when: speech segments with their voice and text."""
    import mnemo

    with mnemo.open(memory) as mem:
        rows = [_utterance_dict(u) for u in mem.transcript(stream=stream, voice=voice)]
    if as_json:
        out.print_json(json.dumps(rows))
        return
    table = Table(title=f"{len(rows)} utterances in {memory}")
    for column in ("start", "end", "speaker", "text", "origin"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(_clock(row["start"]), _clock(row["end"]), row["speaker"] or "?", row["text"], row["origin"])
    out.print(table)


def _utterance_dict(u) -> dict:
    return {"start": round(u.start, 3), "end": round(u.end, 3), "speaker": u.voice, "text": u.text,
            "stream": u.stream, "event": u.event_id, "origin": u.origin, "language": u.language,
            "words": [{"word": w, "start": round(a, 3), "end": round(b, 3), "probability": round(p, 3)}
                      for w, a, b, p in u.words]}


@app.command()
def search(
    text: Optional[str] = typer.Argument(None, help="What to look for."),
    memory: List[Path] = typer.Option(..., "--memory", "-m", help="Memory directory (repeat to search several)."),
    image: Optional[Path] = typer.Option(None, "--image", help="Find moments that look like this image."),
    k: int = typer.Option(5, "--k", "-k", min=1, help="How many results."),
    as_json: bool = JsonOpt,
) -> None:
    """Search one or several memories by text and/or image."""
    import mnemo

    if text is None and image is None:
        raise UserError("search needs a text query or --image PATH")
    memories = [memory] if isinstance(memory, Path) else list(memory)
    if len(memories) > 1:
        from mnemo.multi import search_many

        found = search_many(memories, text=text, image=image, k=k)
        hits, where = [f.hit for f in found], [f.memory for f in found]
    else:
        with mnemo.open(memories[0]) as mem:
            hits, where = mem.search(text=text, image=image, k=k), []
    if as_json:
        rows = [h.to_dict() for h in hits]
        for row, directory in zip(rows, where):
            row["memory"] = directory
        out.print_json(json.dumps(rows))
        return
    table = Table(title=f"results for {text or image!s}")
    for column in ("#", "id", "start", "end", "score", "keyframe", "text") + (("memory",) if where else ()):
        table.add_column(column, overflow="fold")
    for rank, h in enumerate(hits, 1):
        table.add_row(str(rank), str(h.event), _clock(h.start), _clock(h.end), f"{h.score:.3f}",
                      h.keyframe or "", h.text[:80], *([where[rank - 1]] if where else []))
    out.print(table)


@app.command("entities")
def list_entities(memory: Path = MemoryOpt, kind: Optional[str] = typer.Option(None, help="person, face, voice or object."),
                  as_json: bool = JsonOpt) -> None:
    """The people, faces, voices and objects a memory knows."""
    import mnemo

    with mnemo.open(memory) as mem:
        rows = mem.entities.entities(kind=kind)
    if as_json:
        out.print_json(json.dumps(rows))
        return
    table = Table(title=f"{len(rows)} entities in {memory}")
    for column in ("entity", "kind", "name", "first seen", "last seen", "appearances", "streams"):
        table.add_column(column, overflow="fold")
    for row in rows:
        name = "(forgotten)" if row["forgotten"] else (row["name"] or "")
        table.add_row(row["ref"], row["kind"], name, _maybe_clock(row["first_seen"]), _maybe_clock(row["last_seen"]),
                      str(row["appearances"]), ", ".join(row["streams"]))
    out.print(table)


@app.command("entity")
def show_entity(entity: str = typer.Argument(..., help="entity:7 or 7."), memory: Path = MemoryOpt,
                as_json: bool = JsonOpt) -> None:
    """One entity and its timeline: every appearance with stream, time span, box and event."""
    import mnemo

    with mnemo.open(memory) as mem:
        about, timeline = mem.entities.entity(entity), mem.entities.timeline(entity)
    if as_json:
        out.print_json(json.dumps({**about, "timeline": timeline}))
        return
    title = f"{about['ref']} ({about['kind']}{', ' + about['name'] if about['name'] else ''})"
    table = Table(title=title)
    for column in ("start", "end", "stream", "event", "box"):
        table.add_column(column)
    for row in timeline:
        table.add_row(_clock(row["start"]), _clock(row["end"]), row["stream"], str(row["event"] or ""),
                      "" if row["box"] is None else " ".join(f"{v:.0f}" for v in row["box"]))
    out.print(table)


@app.command("name")
def name_entity(entity: str = typer.Argument(..., help="entity:7 or 7."),
                name: str = typer.Argument(..., help="The name, e.g. Alice."), memory: Path = MemoryOpt) -> None:
    """Name an entity (a user's name wins over names read from subtitles or transcripts)."""
    import mnemo

    with mnemo.open(memory) as mem:
        mem.entities.name(entity, name, source="user")
        about = mem.entities.entity(entity)
    out.print(f"{about['ref']} is now {about['name']!r}")


@app.command("merge")
def merge_entities(a: str = typer.Argument(..., help="The entity that stays."),
                   b: str = typer.Argument(..., help="The entity merged into it."), memory: Path = MemoryOpt) -> None:
    """Make two entities one: appearances, gallery and names move to the first."""
    import mnemo

    with mnemo.open(memory) as mem:
        survivor = mem.entities.merge(a, b)
        about = mem.entities.entity(survivor)
    out.print(f"merged {b} into {about['ref']} ({about['appearances']} appearances)")


@app.command("forget")
def forget_entity(entity: str = typer.Argument(..., help="entity:7 or 7."), memory: Path = MemoryOpt,
                  yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation.")) -> None:
    """Delete an entity's biometric data (face/voice vectors, crops, thumbnails) and its name everywhere."""
    import mnemo

    if not yes and sys.stdin.isatty() and not typer.confirm(f"forget {entity} for good?"):
        raise typer.Exit(1)
    with mnemo.open(memory) as mem:
        report = mem.forget(entity)
    out.print(f"forgot entity:{report.entity}: {report.gallery} vectors, {report.crops} crops, "
              f"{report.appearance_keyframes + report.event_keyframes} images, names {list(report.names) or '-'}; "
              f"verified: nothing of it is left")


def _maybe_clock(seconds: float | None) -> str:
    return "" if seconds is None else _clock(seconds)


@app.command("eval")
def evaluate(
    suite: str = typer.Option("sim", "--suite", help="sim (simulated episodes) or m3bench (a QA file + videos)."),
    seeds: str = typer.Option("", "--seeds", help="Comma-separated episode seeds (sim), e.g. 1,2,3."),
    minutes: Optional[float] = typer.Option(None, "--minutes", min=0.1, help="Episode length in minutes (sim; default 20: EVAL.md wants 30 questions of every type)."),
    profile: str = typer.Option("lite", "--profile", "-p", help="Profile to ingest with (lite until the simulator's "
                                "speech goes through the real speech stack: issue #26)."),
    noise: str = typer.Option("default", "--noise", help="Simulated perception noise: default or clean (debug)."),
    qa: Optional[Path] = typer.Option(None, "--qa", help="An M3-Bench-format QA file (m3bench suite)."),
    videos: Optional[Path] = typer.Option(None, "--videos", help="Folder of the QA file's videos (m3bench suite)."),
    limit: Optional[int] = typer.Option(None, "--limit", min=1, help="At most this many videos (m3bench)."),
    out_dir: Path = typer.Option(Path("out/eval"), "--out", help="Where report.json, report.md and plots go."),
    work_dir: Optional[Path] = typer.Option(None, "--work", help="Where episodes and memories go (reused)."),
    answerer: str = typer.Option("builtin", "--answerer", help="sim: builtin (default) or none (skip QA)."),
    as_json: bool = JsonOpt,
) -> None:
    """Measure a profile: segmentation, entities, QA accuracy (built-in answerer), speed."""
    from mnemo.config import load_profile
    from mnemo.evaluation import DEFAULT_MINUTES, DEFAULT_SEEDS, run_m3bench, run_sim_suite

    load_profile(profile)  # a bad profile fails before any work
    with err.status(f"evaluating the {suite} suite with profile {profile} ..."):
        if suite == "sim":
            chosen = _seeds(seeds) or list(DEFAULT_SEEDS)
            if answerer not in ("builtin", "none"):
                raise UserError(f"--answerer {answerer!r}: expected builtin or none")
            from mnemo.evaluation.sim_suite import builtin_answerer

            report = run_sim_suite(chosen, minutes or DEFAULT_MINUTES, profile, out_dir, work_dir, noise=noise,
                                   answerer=builtin_answerer if answerer == "builtin" else None)
        elif suite == "m3bench":
            if qa is None or videos is None:
                raise UserError("the m3bench suite needs --qa FILE and --videos DIR")
            report = run_m3bench(qa, videos, profile, out_dir, limit=limit, work_dir=work_dir)
        else:
            raise UserError(f"unknown suite {suite!r}; available: sim, m3bench")
    if as_json:
        out.print_json(json.dumps(report, default=str))
        return
    _print_eval(report, out_dir)


def _seeds(text: str) -> list[int]:
    try:
        return [int(part) for part in text.replace(" ", "").split(",") if part]
    except ValueError as error:
        raise UserError(f"--seeds must be comma-separated integers, got {text!r}") from error


def _print_eval(report: dict, out_dir: Path) -> None:
    from mnemo.evaluation import STABLE_KEYS
    from mnemo.evaluation.report import baseline_rows

    table = Table(title=f"evaluation ({out_dir / 'report.md'})")
    table.add_column("measure")
    table.add_column("value", justify="right")
    reasons = report.get("not_measurable", {})
    for key in STABLE_KEYS:
        value = report.get(key)
        if isinstance(value, dict):
            value = ", ".join(f"{k}: {'n/a' if v is None else f'{v:.2f}'}" for k, v in value.items())
        elif value is None:
            value = f"n/a ({reasons.get(key, 'not measurable yet')})"
        elif isinstance(value, float):
            value = f"{value:.3f}"
        table.add_row(key, str(value))
    if report.get("answerer"):
        table.add_row("answerer", str(report["answerer"]))
    for measure, value in baseline_rows(report):
        table.add_row(measure, value)
    out.print(table)


@app.command("memories")
def list_memories(root: Path = typer.Argument(Path("."), help="Where to look (three levels down)."),
                  as_json: bool = JsonOpt) -> None:
    """The memories under a folder, with their streams, events, media hours and size."""
    from mnemo.memories import describe, find_memories

    rows = [describe(d) for d in find_memories(root)]
    if as_json:
        out.print_json(json.dumps(rows))
        return
    table = Table(title=f"{len(rows)} memories under {root}")
    for column in ("memory", "streams", "events", "media", "size"):
        table.add_column(column, justify="left" if column == "memory" else "right")
    for row in rows:
        table.add_row(row["directory"], str(row["streams"]), str(row["events"]), f"{row['media_seconds'] / 3600:.2f} h",
                      f"{row['bytes'] / 2**20:.1f} MB")
    out.print(table)


@app.command("export")
def export(memory: Path = MemoryOpt, archive: Path = typer.Option(..., "--out", help="The snapshot file (.tar.gz).")) -> None:
    """Snapshot a memory into one file (consistent even while it is being ingested into)."""
    from mnemo.memories import export_memory

    manifest = export_memory(memory, archive)
    out.print(f"exported {manifest['events']} events of {manifest['streams']} streams to {archive}")


@app.command("import")
def import_(archive: Path = typer.Argument(..., help="A snapshot made by mnemo export."),
            memory: Path = typer.Option(..., "--memory", "-m", help="The new memory directory.")) -> None:
    """Unpack a snapshot into a new memory directory (indexes and thumbnails are rebuilt on use)."""
    from mnemo.memories import import_memory

    manifest = import_memory(archive, memory)
    out.print(f"imported {manifest['events']} events of {manifest['streams']} streams into {memory}")


sim_app = typer.Typer(no_args_is_help=True, help="The simulated home: render episodes with ground truth.")
app.add_typer(sim_app, name="sim")


@sim_app.command("render")
def sim_render(
    seed: int = typer.Option(0, "--seed", help="World and scenario seed (same seed, same episode)."),
    minutes: float = typer.Option(10.0, "--minutes", min=0.1, help="Length of the episode in sim minutes."),
    out_dir: Path = typer.Option(..., "--out", help="Directory for the mp4, the ROS 2 bag and truth.json."),
    fps: float = typer.Option(10.0, "--fps", min=1.0, help="Video frame rate."),
    width: int = typer.Option(320, "--width", min=64),
    height: int = typer.Option(240, "--height", min=48),
    speech: str = typer.Option("auto", "--speech", help="auto (espeak-ng when installed), espeak or tones."),
    bag: bool = typer.Option(True, "--bag/--no-bag", help="Also write a ROS 2 bag."),
    map_video: bool = typer.Option(False, "--map", help="Also write a top-down map video."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an episode already in --out."),
) -> None:
    """Render a simulated episode: mp4 (H.264 + audio + subtitles), ROS 2 bag, truth.json."""
    from sim import RenderConfig, render_episode

    if speech not in ("auto", "espeak", "tones"):
        raise UserError(f"--speech must be auto, espeak or tones, got {speech!r}")
    with err.status(f"rendering {minutes:g} min of seed {seed} ..."):
        files = render_episode(seed, minutes, out_dir, render=RenderConfig(width=width, height=height, fps=fps),
                               speech=speech, bag=bag, map_video=map_video, overwrite=overwrite)
    table = Table(title=f"episode seed {seed}, {minutes:g} min ({files.frames} frames in {files.render_seconds:.1f} s)")
    table.add_column("file")
    table.add_column("what")
    for path, what in ((files.video, "video: H.264 + AAC" + (" + mov_text subtitles" if files.subtitle_stream else "")),
                       (files.subtitles, "sidecar subtitles"), (files.bag, "ROS 2 bag: image, odometry, tf"),
                       (files.map_video, "top-down map video"), (files.truth, "ground truth")):
        if path is not None:
            table.add_row(str(path), what)
    out.print(table)
    if files.speech != "espeak":
        err.print("note: espeak-ng is not installed, so people speak in tones (apt-get install espeak-ng)")


@app.command()
def profiles() -> None:
    """List the shipped profiles."""
    from mnemo.config import list_profiles, load_profile

    table = Table(title="profiles")
    for column in ("name", "frame encoder", "text embedder", "fps", "fallback"):
        table.add_column(column)
    for name in list_profiles():
        p = load_profile(name)
        table.add_row(name, str(p.frame_encoder.name), str(p.text_embedder.name), str(p.sampling.fps),
                      str(p.fallback or ""))
    out.print(table)


@app.command()
def demo(out_dir: Path = typer.Option(Path("out/demo"), "--out", help="Where the sample and its memory go."),
         query: str = typer.Option("where are Alice's keys", "--query", help="The search to run at the end."),
         question: str = typer.Option("Where did Alice leave her keys?", "--question",
                                      help="The question to ask at the end.")) -> None:
    """Make the embedded sample video, ingest it (standard profile), print events, a search and an answer."""
    from mnemo.commands.ask import ask as ask_command
    from mnemo.sample import can_speak, make_sample

    # the lines are spoken where espeak-ng is installed (and recognised by the standard profile's
    # whisper); elsewhere they come as subtitles
    sample = make_sample(out_dir, speech=True, subtitles=not can_speak())
    how = "spoken (espeak-ng)" if sample.spoken else "subtitled"
    err.print(f"sample video: {sample.video} ({len(sample.scenes)} scenes, cuts at {list(sample.cuts)} s, "
              f"lines {how})")
    memory = out_dir / "memory"
    ingest([str(sample.video)], memory=memory, profile=None, fps=None, keyframes_only=None, quiet=False,
           use_ray=False, address=None, reconnect=False, reconnect_for=60.0, stall=5.0, max_lag=2.0)
    events(memory=memory, stream=None, as_json=False)
    search(text=query, memory=memory, image=None, k=3, as_json=False)
    ask_command(question=question, memory=memory, at=None, answerer="builtin", llm_url=None, llm_model=None,
                llm_key=None, as_json=False)


def _clock(seconds: float) -> str:
    minutes, secs = divmod(seconds, 60)
    return f"{int(minutes):d}:{secs:06.3f}"


from mnemo.commands import ask as _ask, graph as _graph, job as _job, models as _models, serve as _serve  # noqa: E402,F401,E501  (they register commands)

if __name__ == "__main__":
    main()
