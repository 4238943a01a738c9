"""``mnemo ingest``: sources into a memory, resumable, with progress, live-stream options and clean stops."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import List, Optional

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from mnemo.commands.app import MemoryOpt, app, err, memory_profile, print_summary
from mnemo.errors import user_message


@app.command()
def ingest(
    sources: List[str] = typer.Argument(..., help="Video files, URLs (rtsp/http/udp), devices, image folders or "
                                        "ROS bags (.bag, .mcap, ROS 2 bag folders)."),
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
    topic: List[str] = typer.Option([], "--topic", help="ROS bags: KIND=/topic overrides the topic picked by type "
                                    "(image, pose, text; repeat for several), e.g. --topic image=/cam/image_raw."),
    caption_url: Optional[str] = typer.Option(None, "--caption-url", envvar="MNEMO_CAPTION_URL",
                                              help="Caption keyframes with an OpenAI-compatible vision API, e.g. "
                                              "http://localhost:8000/v1 (bearer token from MNEMO_CAPTION_KEY)."),
    caption_model: Optional[str] = typer.Option(None, "--caption-model", envvar="MNEMO_CAPTION_MODEL",
                                                help="The vision model's name (with --caption-url)."),
) -> None:
    """Ingest sources into a memory (resumable: re-running continues where it stopped).

    Live streams are read at their own pace and continue earlier sessions on the wall clock;
    Ctrl-C or SIGTERM commits what was seen (a second Ctrl-C aborts at once).
    """
    import mnemo
    from mnemo.config import load_profile
    from mnemo.runtime.control import IngestControl
    from streams.live import LiveOptions

    from mnemo.sources import parse_topics, source_streams

    chosen = load_profile(profile or memory_profile(memory)).with_sampling(fps=fps, keyframes_only=keyframes_only)
    chosen = with_captioner(chosen, caption_url, caption_model)
    topics = parse_topics(topic)
    if use_ray or address:
        from mnemo.commands.job import ingest_on_ray

        expanded, failed = [], 0
        for source in sources:
            try:
                expanded += source_streams(source, topics)
            except Exception as error:  # noqa: BLE001 - a bad item is reported and the batch goes on
                failed += _report_error(error)
        code = ingest_on_ray(expanded, memory, chosen, address, quiet) if expanded else 2
        raise typer.Exit(code or (1 if failed else 0))
    control = IngestControl(live=LiveOptions(reconnect=reconnect, reconnect_for=reconnect_for, stall=stall,
                                             max_lag=max_lag))
    failures, code = 0, 0
    with mnemo.open(memory, profile=chosen, create=True) as mem, _stop_on_signals(control) as signalled:
        mem.lock_writer()  # a second writer is refused before models load
        mem.encoders  # load models before the first progress bar
        reports = []
        for source in sources:
            if control.stopping:
                break
            try:
                streams = source_streams(source, topics)
            except Exception as error:  # noqa: BLE001 - a bad item is reported and the batch goes on
                failures += _report_error(error)
                continue
            for stream in streams:
                if control.stopping:
                    break
                try:
                    report = _ingest_one(mem, stream, quiet, control)
                except Exception as error:  # noqa: BLE001 - a bad item is reported and the batch goes on
                    failures += _report_error(error)
                    continue
                reports.append(report)
                code = code or _ending_status(report, signalled)
        if control.stopping and not code:  # stopped before a source began
            code = 128 + signalled[0] if signalled else 130
        print_summary(reports)
    if failures:
        raise typer.Exit(2 if not reports else 1)
    if code:
        raise typer.Exit(code)


def with_captioner(profile, url: str | None, model: str | None):
    """The profile with its captioner's url and model replaced by --caption-url and --caption-model."""
    if url is None and model is None:
        return profile
    import dataclasses

    from mnemo.commands.app import UserError

    current = profile.captioner
    if not (url or current.url) or not (model or current.model):
        raise UserError("captions need both --caption-url URL and --caption-model NAME "
                        "(or a captioner section in the profile)")
    try:
        captioner = dataclasses.replace(current, url=url or current.url, model=model or current.model)
    except ValueError as error:
        raise UserError(f"--caption-url/--caption-model: {error}") from error
    return dataclasses.replace(profile, captioner=captioner)


def _report_error(error: Exception) -> int:
    """Print a bad source's one-line message (re-raise a bug); returns 1, a failure."""
    message = user_message(error)
    if message is None:
        raise error
    err.print(f"[red]error[/]: {escape(message)}", highlight=False, soft_wrap=True)
    return 1


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
        lag_text = f"lag p50 {lag['p50']:.1f} s, p99 {lag['p99']:.1f} s, max {lag['max']:.1f} s" if lag else \
            "no frames analysed"
        stale = f" ({report.stale} stale)" if report.stale else ""
        line += f"; {lag_text}; {report.dropped} frames dropped{stale}; {len(report.gaps)} gap(s)"
    return line


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
