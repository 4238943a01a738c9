"""``mnemo eval``: measure a profile on the simulator's episodes or an M3-Bench QA file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from mnemo.commands.app import JsonOpt, UserError, app, err, out


@app.command("eval")
def evaluate(
    suite: str = typer.Option("sim", "--suite", help="sim (simulated episodes) or m3bench (a QA file + videos)."),
    seeds: str = typer.Option("", "--seeds", help="Comma-separated episode seeds (sim), e.g. 1,2,3."),
    minutes: Optional[float] = typer.Option(None, "--minutes", min=0.1, help="Episode length in minutes (sim; default 20: EVAL.md wants 30 questions of every type)."),
    profile: str = typer.Option("lite", "--profile", "-p", help="Profile to ingest with; sim: the episodes' audio "
                                "goes through its speech stack (lite recognises no words: standard does)."),
    noise: str = typer.Option("default", "--noise", help="Simulated perception noise: default or clean (debug)."),
    wording: str = typer.Option("dev", "--wording", help="sim: the phrasings of questions and people's lines: dev "
                                "(the answerer's development set) or heldout (a set it never saw)."),
    qa: Optional[Path] = typer.Option(None, "--qa", help="An M3-Bench-format QA file (m3bench suite)."),
    videos: Optional[Path] = typer.Option(None, "--videos", help="Folder of the QA file's videos (m3bench suite)."),
    limit: Optional[int] = typer.Option(None, "--limit", min=1, help="At most this many videos (m3bench)."),
    out_dir: Path = typer.Option(Path("out/eval"), "--out", help="Where report.json, report.md and plots go."),
    work_dir: Optional[Path] = typer.Option(None, "--work", help="Where episodes and memories go (reused)."),
    answerer: str = typer.Option("builtin", "--answerer", help="sim: builtin (default) or none (skip QA)."),
    llm_url: Optional[str] = typer.Option(None, "--llm-url", help="m3bench: an OpenAI-compatible API whose model "
                                          "judges the answers (default: graded by rule)."),
    llm_model: Optional[str] = typer.Option(None, "--llm-model", help="m3bench: the judging model's name."),
    llm_key: Optional[str] = typer.Option(None, "--llm-key", envvar="MNEMO_LLM_KEY", help="Bearer token of the API."),
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

            if wording not in ("dev", "heldout"):
                raise UserError(f"--wording {wording!r}: expected dev or heldout")
            report = run_sim_suite(chosen, minutes or DEFAULT_MINUTES, profile, out_dir, work_dir, noise=noise,
                                   answerer=builtin_answerer if answerer == "builtin" else None, wording=wording)
        elif suite == "m3bench":
            if qa is None or videos is None:
                raise UserError("the m3bench suite needs --qa FILE and --videos DIR")
            report = run_m3bench(qa, videos, profile, out_dir, limit=limit, work_dir=work_dir,
                                 judge=_judge(llm_url, llm_model, llm_key))
        else:
            raise UserError(f"unknown suite {suite!r}; available: sim, m3bench")
    if as_json:
        out.print_json(json.dumps(report, default=str))
        return
    _print_eval(report, out_dir)


def _judge(url: str | None, model: str | None, key: str | None):
    """The LLM judge that --llm-url and --llm-model name; None when neither is given."""
    if url is None and model is None:
        return None
    if not (url and model):
        raise UserError("an LLM judge needs both --llm-url URL and --llm-model NAME")
    from mnemo.evaluation.m3_scoring import JudgeConfig, LLMJudge

    try:
        return LLMJudge(JudgeConfig(url, model, key))
    except ValueError as error:
        raise UserError(str(error)) from error


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
    if report.get("profile"):
        table.add_row("profile", str(report["profile"]))
    if report.get("speech"):
        table.add_row("the world hears", str(report["speech"]["world_hears"]))
    if report.get("answerer"):
        table.add_row("answerer", str(report["answerer"]))
    for measure, value in baseline_rows(report):
        table.add_row(measure, value)
    out.print(table)
