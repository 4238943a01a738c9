"""``mnemo eval``: measure a profile on the simulator's episodes or on an M3-Bench-style QA benchmark.

    from mnemo.evaluation import run_sim_suite, run_m3bench, write_report

    report = run_sim_suite([1, 2, 3], minutes=10, profile="lite", out_dir="out/eval")
    report["boundary_f1"], report["query_p50_ms"], report["not_measurable"]

Both suites write ``report.json`` (stable top-level keys, see ``report.STABLE_KEYS``), ``report.md``
and one PNG per episode into ``out_dir``, and return the report. Modules, one noun each:
``boundaries`` (matching against the truth), ``latency`` (timed retrieval), ``plot``, ``report``,
``entities`` (B-cubed, for when entities are in memory), ``sim_suite``, ``m3bench``, ``workspace``
(fresh memories).
"""

from mnemo.evaluation.m3bench import QAFileError, load_qa_file, run_m3bench
from mnemo.evaluation.report import STABLE_KEYS, write_report
from mnemo.evaluation.sim_suite import DEFAULT_MINUTES, DEFAULT_SEEDS, run_sim_suite

__all__ = ["DEFAULT_MINUTES", "DEFAULT_SEEDS", "QAFileError", "STABLE_KEYS", "load_qa_file", "run_m3bench",
           "run_sim_suite", "write_report"]
