"""Query latency: time the retrieval call a reasoner makes, ``Memory.search(text=question, k=5)``.

The first search of a freshly opened memory loads (or rebuilds) its vector indexes; it is timed
on its own (``first_query_ms``) so that p50/p99 describe a warm memory, as a service sees it.
"""

from __future__ import annotations

import logging
import os
import platform
import sys
import time
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np

from mnemo.api import Memory

logger = logging.getLogger(__name__)

SEARCH_K = 5  # hits per query: what the reasoner will retrieve per question
RETRIEVAL_CALL = f"Memory.search(text=question, k={SEARCH_K}), the retrieval call the reasoner will use"


@dataclass
class QueryTiming:
    """Wall-clock times of the searches of one memory."""

    latencies_ms: list[float] = field(default_factory=list)  # warm searches, one per question
    first_query_ms: float | None = None  # the cold first search (index load), not in latencies_ms
    hits: list[int] = field(default_factory=list)  # hits returned per warm search

    def summary(self) -> dict:
        return {"queries": len(self.latencies_ms), **percentiles(self.latencies_ms),
                "first_query_ms": self.first_query_ms,
                "mean_hits": float(np.mean(self.hits)) if self.hits else None}


def percentiles(latencies_ms: Sequence[float]) -> dict:
    """p50 and p99 in milliseconds (None for no queries)."""
    if not len(latencies_ms):
        return {"p50_ms": None, "p99_ms": None}
    values = np.asarray(latencies_ms, dtype=float)
    return {"p50_ms": float(np.percentile(values, 50)), "p99_ms": float(np.percentile(values, 99))}


def timed_search(memory: Memory, text: str, k: int = SEARCH_K) -> tuple[float, int]:
    """(milliseconds, number of hits) of one text search."""
    started = time.perf_counter()
    hits = memory.search(text=text, k=k)
    return (time.perf_counter() - started) * 1000.0, len(hits)


def time_searches(memory: Memory, texts: Iterable[str], k: int = SEARCH_K) -> QueryTiming:
    """Search every text once; the first search warms the memory and is kept apart."""
    timing = QueryTiming()
    texts = list(texts)
    if not texts:
        return timing
    timing.first_query_ms, _ = timed_search(memory, texts[0], k)
    for text in texts:
        ms, n = timed_search(memory, text, k)
        timing.latencies_ms.append(ms)
        timing.hits.append(n)
    return timing


def load_average() -> float | None:
    """The 1-minute load average (None where the OS has none): other work skews timings."""
    try:
        return os.getloadavg()[0]
    except (OSError, AttributeError):
        return None


def machine(load_before: float | None = None) -> dict:
    """Where the figures were measured: timings mean little without it."""
    torch = sys.modules.get("torch")
    return {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count(),
            "torch_threads": torch.get_num_threads() if torch is not None else None,
            "load_average_before": load_before}
