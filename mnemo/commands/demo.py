"""``mnemo profiles`` and ``mnemo demo`` (the embedded sample, ingested and questioned)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from mnemo.commands.app import app, err, out
from mnemo.commands.browse import events, search
from mnemo.commands.ingest import ingest


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
    from mnemo.commands.ask import ask as ask_command  # here: `ask` registers after `demo` (the help's order)
    from mnemo.sample import can_speak, make_sample

    # the lines are spoken where espeak-ng is installed (and recognised by the standard profile's
    # whisper); elsewhere they come as subtitles
    sample = make_sample(out_dir, speech=True, subtitles=not can_speak())
    how = "spoken (espeak-ng)" if sample.spoken else "subtitled"
    err.print(f"sample video: {sample.video} ({len(sample.scenes)} scenes, cuts at {list(sample.cuts)} s, "
              f"lines {how})")
    memory = out_dir / "memory"
    ingest([str(sample.video)], memory=memory, profile=None, fps=None, keyframes_only=None, quiet=False,
           use_ray=False, address=None, reconnect=False, reconnect_for=60.0, stall=5.0, max_lag=2.0, topic=[],
           caption_url=None, caption_model=None)
    events(memory=memory, stream=None, as_json=False)
    search(text=query, memory=memory, image=None, k=3, as_json=False)
    ask_command(question=question, memory=memory, at=None, answerer="builtin", llm_url=None, llm_model=None,
                llm_key=None, llm_images=0, as_json=False)
