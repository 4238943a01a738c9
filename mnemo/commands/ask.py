"""mnemo ask: questions over memory, answered with evidence (issue #7)."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from mnemo.commands.app import JsonOpt, MemoryOpt, UserError, app, err, out


@app.command("ask")
def ask(question: str = typer.Argument(..., help="The question, e.g. \"where is the red mug now?\""),
        memory: Path = MemoryOpt,
        at: Optional[str] = typer.Option(None, "--at", help="Media time the question is asked at: seconds or "
                                         "[hh:]mm:ss (default: the end of memory)."),
        answerer: str = typer.Option("builtin", "--answerer", help="builtin, or llm (needs --llm-url/--llm-model)."),
        llm_url: Optional[str] = typer.Option(None, "--llm-url", envvar="MNEMO_LLM_URL",
                                              help="OpenAI-compatible base URL, e.g. http://localhost:8000/v1."),
        llm_model: Optional[str] = typer.Option(None, "--llm-model", envvar="MNEMO_LLM_MODEL", help="Model name."),
        llm_key: Optional[str] = typer.Option(None, "--llm-key", envvar="MNEMO_LLM_KEY", help="API key, if any."),
        llm_images: int = typer.Option(0, "--llm-images", min=0, help="llm: send the keyframes of up to N events "
                                       "the model's tools returned, after each tool round (a vision model)."),
        as_json: bool = JsonOpt) -> None:
    """Answer a question over a memory, with evidence (events, times, keyframes) and a confidence."""
    import mnemo

    when = _time(at)
    with mnemo.open(memory) as mem:
        if answerer == "llm":
            if not (llm_url and llm_model):
                raise UserError("--answerer llm needs --llm-url and --llm-model (or MNEMO_LLM_URL, MNEMO_LLM_MODEL)")
            from planners.llm import LLMAnswerer, LLMConfig

            mem.reasoner.llm = LLMAnswerer(LLMConfig(url=llm_url, model=llm_model, key=llm_key,
                                                      images=llm_images))
        try:
            answer = mem.ask(question, at=when, answerer=answerer)
        except ValueError as exc:
            raise UserError(str(exc)) from exc
    if as_json:
        out.print_json(json.dumps(answer.to_dict(), default=str))
        return
    out.print(f"[bold]{answer.text}[/bold]  (confidence {answer.confidence:.2f}, {answer.answerer})")
    if answer.evidence:
        table = Table(title="evidence")
        for column in ("event", "stream", "start", "end", "score", "note", "keyframe"):
            table.add_column(column)
        for e in answer.evidence:
            table.add_row(str(e.event), e.stream, f"{e.start:.1f}", f"{e.end:.1f}", f"{e.score:.2f}", e.note,
                          e.keyframe or "")
        out.print(table)
    else:
        err.print("no evidence")


def _time(text: str | None) -> float | None:
    if text is None:
        return None
    from planners.time_phrases import clock_seconds

    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        if not (math.isfinite(seconds) and seconds >= 0):
            raise UserError(f"--at {text!r}: expected a time of 0 s or more")
        return seconds
    seconds = clock_seconds(text) if text.count(":") == 2 else clock_seconds("0:" + text)
    if seconds is not None and any(float(part) >= 60 for part in re.findall(r"\d+(?:\.\d+)?", text)[1:]):
        raise UserError(f"--at {text!r}: minutes and seconds must be below 60")
    if seconds is None:
        raise UserError(f"--at {text!r}: expected seconds or [hh:]mm:ss")
    return seconds
