"""The evaluation report: ``report.json`` for scripts (stable top-level keys) and ``report.md`` for people.

Every metric key is always present; a metric that cannot be measured yet is ``null`` and
``not_measurable[key]`` says why. The Markdown shows those as "n/a (why)".
"""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import Any, Callable

logger = logging.getLogger(__name__)

STABLE_KEYS = ("boundary_f1", "boundary_precision", "boundary_recall", "entity_bcubed_f1", "qa_accuracy",
               "qa_accuracy_by_type", "ingest_rtf", "query_p50_ms", "query_p99_ms")
NO_REASONER = "not measured: no answerer was asked (--answerer none)"
NO_ENTITIES = "undefined: the simulated detectors saw no entity"
JSON_NAME = "report.json"
MARKDOWN_NAME = "report.md"

_OVERALL = (  # (key, label, formatter)
    ("boundary_f1", "boundary F1", "ratio"),
    ("boundary_precision", "boundary precision", "ratio"),
    ("boundary_recall", "boundary recall", "ratio"),
    ("entity_bcubed_f1", "entity clustering B³ F1", "ratio"),
    ("qa_accuracy", "QA accuracy", "ratio"),
    ("ingest_rtf", "ingest real-time factor (media s / wall s)", "rtf"),
    ("query_p50_ms", "query latency p50", "ms"),
    ("query_p99_ms", "query latency p99", "ms"),
)


def empty_metrics(types: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """Every stable key, unmeasured: null, with accuracy per type listing every type."""
    metrics: dict[str, Any] = {key: None for key in STABLE_KEYS}
    metrics["qa_accuracy_by_type"] = {t: None for t in types}
    return metrics


def baseline_margins(metrics: dict, baselines: dict[str, dict]) -> dict | None:
    """The answerer's accuracy less the best baseline's, overall and per type (each type's best);
    ``baselines`` maps a name to ``{"overall": accuracy, "per_type": {type: accuracy}}``."""
    if metrics.get("qa_accuracy") is None or not baselines:
        return None
    best = max(baselines, key=lambda n: (baselines[n]["overall"] is not None, baselines[n]["overall"] or 0.0))
    per_type = {}
    for t, acc in metrics["qa_accuracy_by_type"].items():
        values = {n: b["per_type"].get(t) for n, b in baselines.items() if b["per_type"].get(t) is not None}
        if acc is None or not values:
            per_type[t] = None
            continue
        name = max(values, key=lambda n: values[n])
        per_type[t] = {"best": name, "best_accuracy": values[name], "margin": acc - values[name]}
    overall = baselines[best]["overall"]
    return {"best": best, "best_accuracy": overall,
            "margin": None if overall is None else metrics["qa_accuracy"] - overall, "per_type": per_type}


def write_report(report: dict, out_dir: str | Path) -> dict[str, Path]:
    """Write ``report.json`` and ``report.md`` into ``out_dir``; returns their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    missing = [key for key in STABLE_KEYS if key not in report]
    if missing:
        raise ValueError(f"report lacks the stable key(s) {missing}; every report carries {list(STABLE_KEYS)}")
    json_path, md_path = out / JSON_NAME, out / MARKDOWN_NAME
    json_path.write_text(json.dumps(_jsonable(report), indent=2, allow_nan=False) + "\n")
    md_path.write_text(render_markdown(report))
    logger.info("report written: %s, %s", json_path, md_path)
    return {"json": json_path, "markdown": md_path}


def render_markdown(report: dict) -> str:
    """The report as Markdown: overall metrics, then the suite's tables."""
    parts = [_header(report), _overall(report)]
    if report.get("boundary_by_kind"):
        parts.append(_kinds(report["boundary_by_kind"]))
    parts.append(_types(report))
    if report.get("baselines"):
        parts.append(_baselines(report))
    if report.get("suite") == "sim":
        parts.append(_sim_episodes(report.get("episodes", [])))
    elif report.get("suite") == "m3bench":
        parts.append(_videos(report))
    if report.get("notes"):
        parts.append("## Notes\n\n" + "\n".join(f"- {n}" for n in report["notes"]) + "\n")
    return "\n".join(parts)


# ---------------------------------------------------------------------------------------- parts

def _header(report: dict) -> str:
    settings = {k: report[k] for k in ("profile", "seeds", "minutes", "noise", "qa_file", "videos_dir", "limit",
                                        "tolerance_s", "answerer") if report.get(k) is not None}
    lines = [f"# mnemo evaluation: {report.get('suite', '?')}", ""]
    lines += [f"- {k}: {_plain(v)}" for k, v in settings.items()]
    speech = report.get("speech")
    if speech:
        lines.append(f"- speech (vad {speech['vad']}, recogniser {speech['asr']}, voices {speech['voices']}; audio "
                     f"{', '.join(speech['audio'])}): the world hears {speech['world_hears']}; "
                     f"{speech['utterances_with_words']} lines with words stored of {speech['lines_in_earshot']} "
                     "said in earshot")
    if report.get("retrieval"):
        lines.append(f"- query latency times {report['retrieval']}")
    if report.get("machine"):
        m = report["machine"]
        load = m.get("load_average_before")
        lines.append(f"- machine: {m.get('cpus')} CPUs, torch threads {m.get('torch_threads')}, load average "
                     f"before the run {'n/a' if load is None else f'{load:.2f}'}")
    return "\n".join(lines) + "\n"


def _overall(report: dict) -> str:
    reasons = report.get("not_measurable", {})
    rows = [(label, _value(report.get(key), kind, reasons.get(key))) for key, label, kind in _OVERALL]
    return "## Overall\n\n" + _table(("metric", "value"), rows)


def _kinds(by_kind: dict) -> str:
    rows = [(kind, c["true"], c["counted"], c["found"], _fmt(c["recall"], "ratio")) for kind, c in by_kind.items()]
    return ("## Boundaries by kind\n\nOnly changes the camera could see are scored (see "
            "`mnemo.evaluation.boundaries`).\n\n"
            + _table(("kind", "true", "visible (scored)", "found", "recall"), rows))


def _types(report: dict) -> str:
    counts = report.get("questions", {}).get("by_type", {})
    accuracy = report.get("qa_accuracy_by_type") or {}
    reason = report.get("not_measurable", {}).get("qa_accuracy_by_type")
    types = list(dict.fromkeys(list(accuracy) + list(counts)))
    rows = [(t, counts.get(t, 0), _value(accuracy.get(t), "ratio", reason)) for t in types]
    return "## Questions by type\n\n" + _table(("type", "questions", "accuracy"), rows)


def _baselines(report: dict) -> str:
    """The answerer beside every baseline per type, and its margin over the best baseline."""
    baselines, margin = report["baselines"], report.get("baseline_margin") or {}
    accuracy = report.get("qa_accuracy_by_type") or {}
    counts = report.get("questions", {}).get("by_type", {})
    answered = report.get("qa_accuracy") is not None
    head = ("type", "questions", "answerer", *baselines, "best baseline", "margin over the best baseline")
    rows = []
    for t in dict.fromkeys(list(accuracy) + list(counts)):
        m = (margin.get("per_type") or {}).get(t) or {}
        best = _best(baselines, lambda b: b["per_type"].get(t))
        rows.append((t, counts.get(t, 0), _fmt(accuracy.get(t), "ratio") if answered else "n/a",
                     *(_fmt(b["per_type"].get(t), "ratio") for b in baselines.values()), best,
                     _signed(m.get("margin"))))
    best = _best(baselines, lambda b: b["overall"])
    rows.append(("**overall**", sum(counts.values()), _fmt(report.get("qa_accuracy"), "ratio"),
                 *(_fmt(b["overall"], "ratio") for b in baselines.values()), best, _signed(margin.get("margin"))))
    return ("## Answerer and baselines\n\nThe same questions of the same memories, graded the same way "
            "(`mnemo.evaluation.baselines`; uniform is the expected accuracy of a uniform guess of the right "
            "kind). Margin: the answerer less the best baseline of each row.\n\n" + _table(head, rows))


def baseline_rows(report: dict) -> list[tuple[str, str]]:
    """(measure, value) rows for a terminal summary: each baseline's overall accuracy and the best one
    beside the answerer's; none when the report has no baselines."""
    baselines = report.get("baselines") or {}
    if not baselines:
        return []
    rows = [("baselines", ", ".join(f"{n}: {_fmt(b['overall'], 'ratio')}" for n, b in baselines.items()))]
    best = _best(baselines, lambda b: b["overall"])
    margin = (report.get("baseline_margin") or {}).get("margin")
    rows.append(("best baseline", f"{best} {_fmt(baselines[best]['overall'], 'ratio')}"
                 + (f" (answerer {_signed(margin)})" if margin is not None else "") if best else "n/a"))
    return rows


def _best(baselines: dict, value: Callable[[dict], float | None]) -> str:
    scored = {n: value(b) for n, b in baselines.items() if value(b) is not None}
    return max(scored, key=lambda n: scored[n]) if scored else ""


def _signed(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.3f}"


def _sim_episodes(episodes: list[dict]) -> str:
    head = ("seed", "minutes", "events", "predicted", "true (visible)", "matched", "P", "R", "F1", "RTF",
            "p50 ms", "p99 ms", "questions", "plot")
    rows = []
    for e in episodes:
        b, q = e["boundaries"], e["latency"]
        rows.append((e["seed"], f"{e['duration'] / 60:.1f}", e["events"], b["predicted"], b["true"], b["matched"],
                     _fmt(b["precision"], "ratio"), _fmt(b["recall"], "ratio"), _fmt(b["f1"], "ratio"),
                     _fmt(e["ingest"]["rtf"], "rtf"), _fmt(q["p50_ms"], "ms"), _fmt(q["p99_ms"], "ms"),
                     e["questions"]["total"], _link(e.get("plot"))))
    return "## Episodes\n\n" + _table(head, rows)


def _videos(report: dict) -> str:
    v = report.get("videos", {})
    summary = ", ".join(f"{k}: {v[k]}" for k in ("listed", "found", "ingested", "missing", "failed") if k in v)
    head = ("video", "status", "questions", "minutes", "events", "RTF", "p50 ms", "p99 ms", "note")
    rows = []
    for e in report.get("episodes", []):
        q = e.get("latency") or {}
        minutes = f"{e['duration'] / 60:.1f}" if e.get("duration") is not None else ""
        rows.append((e["video_id"], e["status"], e["questions"], minutes, _plain(e.get("events")),
                     _fmt(e.get("rtf"), "rtf"), _fmt(q.get("p50_ms"), "ms"), _fmt(q.get("p99_ms"), "ms"),
                     e.get("reason", "")))
    return f"## Videos\n\n{summary}\n\n" + _table(head, rows)


# ------------------------------------------------------------------------------------- helpers

_FORMATS: dict[str, Callable[[float], str]] = {
    "ratio": lambda x: f"{x:.3f}",
    "rtf": lambda x: f"{x:.1f}×",
    "ms": lambda x: f"{x:.1f} ms",
}


def _fmt(value: Any, kind: str) -> str:
    if value is None:
        return "n/a"
    return _FORMATS[kind](float(value))


def _value(value: Any, kind: str, reason: str | None) -> str:
    if value is None:
        return f"n/a ({reason})" if reason else "n/a"
    return _fmt(value, kind)


def _link(path: str | None) -> str:
    """A link to a file beside report.md (the plots are written there)."""
    return f"[{Path(path).name}]({Path(path).name})" if path else ""


def _plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


def _table(head: tuple, rows: list[tuple]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _jsonable(value: Any) -> Any:
    """Plain JSON values: paths as strings, tuples as lists, non-finite floats as null."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return _jsonable(value.item())
    return value
