"""One PNG per episode: the surprise z-score over media time, predicted and true boundaries.

Drawn with matplotlib's object API on an Agg canvas: no pyplot, no global backend switch.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Sequence

logger = logging.getLogger(__name__)

PREDICTED_COLOUR = "tab:blue"
TRUE_COLOUR = "tab:red"
UNSEEN_COLOUR = "0.6"  # grey: true changes the camera could not see (not scored)
CURVE_COLOUR = "0.2"


def plot_episode(path: str | Path, trace: Sequence[tuple[float, float]], predicted: Sequence[float],
                 true: Sequence[float], unseen: Sequence[float] = (), title: str = "",
                 tolerance: float | None = None) -> Path:
    """Write the episode's plot to ``path`` (PNG) and return the path."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure = Figure(figsize=(12, 4), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot(1, 1, 1)
    _curve(axes, trace)
    _lines(axes, true, TRUE_COLOUR, "-", 1.6, "true boundary (visible)")
    _lines(axes, unseen, UNSEEN_COLOUR, ":", 1.0, "true change, not visible (not scored)")
    _lines(axes, predicted, PREDICTED_COLOUR, "--", 1.2, "predicted boundary (event start)")
    axes.set_xlabel("media time (s)")
    axes.set_ylabel("surprise (z-score)")
    suffix = f" (match tolerance ±{tolerance:g} s)" if tolerance is not None else ""
    axes.set_title(f"{title}{suffix}")
    if axes.get_legend_handles_labels()[0]:
        axes.legend(loc="upper right", fontsize="small")
    axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, format="png")
    logger.info("plot written: %s", path)
    return path


def _curve(axes, trace: Sequence[tuple[float, float]]) -> None:
    points = [(t, z) for t, z in trace if math.isfinite(t) and math.isfinite(z)]
    if points:
        times, zs = zip(*points)
        axes.plot(times, zs, color=CURVE_COLOUR, linewidth=0.8, label="surprise z-score")
    else:
        axes.text(0.5, 0.5, "no surprise trace", transform=axes.transAxes, ha="center")


def _lines(axes, times: Sequence[float], colour: str, style: str, width: float, label: str) -> None:
    for i, t in enumerate(times):
        axes.axvline(t, color=colour, linestyle=style, linewidth=width, label=label if i == 0 else None)
