"""``mnemo sim``: the simulated home (render episodes with ground truth)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from mnemo.commands.app import UserError, app, err, out


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
