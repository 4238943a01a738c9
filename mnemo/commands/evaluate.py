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
    suite: str = typer.Option("sim", "--suite", help="sim (simulated episodes), embodied (robot tasks after a lived episode) or m3bench (a QA file + videos)."),
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
    answerer: str = typer.Option("builtin", "--answerer", help="sim: builtin (default), llm (the model at "
                                 "--llm-url answers, with tools over memory) or none (skip QA)."),
    llm_url: Optional[str] = typer.Option(None, "--llm-url", help="An OpenAI-compatible API: sim with --answerer "
                                          "llm, the answering model; m3bench, the judge (default: graded by rule)."),
    llm_model: Optional[str] = typer.Option(None, "--llm-model", help="The model's name at --llm-url."),
    llm_key: Optional[str] = typer.Option(None, "--llm-key", envvar="MNEMO_LLM_KEY", help="Bearer token of the API."),
    budget: int = typer.Option(40, "--budget", min=2, help="embodied: robot steps per task, for every method."),
    as_json: bool = JsonOpt,
) -> None:
    """Measure a profile: segmentation, entities, QA accuracy (built-in answerer), speed."""
    from mnemo.config import load_profile
    from mnemo.evaluation import DEFAULT_MINUTES, DEFAULT_SEEDS, run_m3bench, run_sim_suite

    load_profile(profile)  # a bad profile fails before any work
    with err.status(f"evaluating the {suite} suite with profile {profile} ..."):
        if suite == "sim":
            chosen = _seeds(seeds) or list(DEFAULT_SEEDS)
            if wording not in ("dev", "heldout"):
                raise UserError(f"--wording {wording!r}: expected dev or heldout")
            report = run_sim_suite(chosen, minutes or DEFAULT_MINUTES, profile, out_dir, work_dir, noise=noise,
                                   answerer=_sim_answerer(answerer, llm_url, llm_model, llm_key), wording=wording)
        elif suite == "embodied":
            from mnemo.evaluation.embodied import DEFAULT_MINUTES as EMBODIED_MINUTES
            from mnemo.evaluation.embodied import EmbodiedSettings, run_embodied_suite

            settings = EmbodiedSettings(minutes=minutes or EMBODIED_MINUTES, profile=profile, budget=budget)
            report = run_embodied_suite(_seeds(seeds) or list(DEFAULT_SEEDS), out_dir, work_dir, settings)
            if not as_json:
                _print_embodied(report, out_dir)
                return
        elif suite == "m3bench":
            if qa is None or videos is None:
                raise UserError("the m3bench suite needs --qa FILE and --videos DIR")
            report = run_m3bench(qa, videos, profile, out_dir, limit=limit, work_dir=work_dir,
                                 judge=_judge(llm_url, llm_model, llm_key))
        else:
            raise UserError(f"unknown suite {suite!r}; available: sim, embodied, m3bench")
    if as_json:
        out.print_json(json.dumps(report, default=str))
        return
    _print_eval(report, out_dir)


def _sim_answerer(name: str, url: str | None, model: str | None, key: str | None):
    """The answerer --answerer names for the sim suite: the built-in one, the LLM at --llm-url, or none."""
    from mnemo.evaluation.sim_suite import LLMSuiteAnswerer, builtin_answerer

    if name == "builtin":
        return builtin_answerer
    if name == "none":
        return None
    if name != "llm":
        raise UserError(f"--answerer {name!r}: expected builtin, llm or none")
    if not (url and model):
        raise UserError("--answerer llm needs --llm-url URL and --llm-model NAME")
    from planners.llm import LLMConfig

    try:
        return LLMSuiteAnswerer(LLMConfig(url=url, model=model, key=key))
    except ValueError as error:
        raise UserError(str(error)) from error


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


def _print_embodied(report: dict, out_dir: Path) -> None:
    table = Table(title=f"embodied tasks ({out_dir / 'report.json'}), {report['budget_steps']} steps each")
    for column in ("method", "tasks", "success", "SPL", "steps", "goals from memory"):
        table.add_column(column, justify="right")
    for method, s in report["methods"].items():
        share = s.get("goals_from_memory_share")
        table.add_row(method, str(s["tasks"]), f"{s['success']:.3f}", f"{s['spl']:.3f}", f"{s['steps']:.1f}",
                      "n/a" if share is None else f"{share:.2f}")
    out.print(table)
