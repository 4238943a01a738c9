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
THRESHOLD_COLOUR = "tab:orange"
LINEAR_LIMIT = 20.0  # |z| beyond which the y axis turns symmetric-logarithmic (surprise spikes are huge)


def plot_episode(path: str | Path, trace: Sequence[tuple[float, float]], predicted: Sequence[float],
                 true: Sequence[float], unseen: Sequence[float] = (), title: str = "",
                 tolerance: float | None = None, threshold: float | None = None) -> Path:
    """Write the episode's plot to ``path`` (PNG) and return the path; ``threshold`` is the z-score
    above which the segmenter proposes a boundary (its ``gamma``)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure = Figure(figsize=(12, 4), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot(1, 1, 1)
    _curve(axes, trace)
    if threshold is not None:
        axes.axhline(threshold, color=THRESHOLD_COLOUR, linestyle=":", linewidth=1.0,
                     label=f"proposal threshold (z > {threshold:g})")
    _lines(axes, true, TRUE_COLOUR, "-", 1.6, "true boundary (visible)")
    _lines(axes, unseen, UNSEEN_COLOUR, ":", 1.0, "true change, not visible (not scored)")
    _lines(axes, predicted, PREDICTED_COLOUR, "--", 1.2, "predicted boundary (event start)")
    axes.set_xlabel("media time (s)")
    axes.set_ylabel(_y_scale(axes, trace))
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


def _y_scale(axes, trace: Sequence[tuple[float, float]]) -> str:
    """Symmetric-log y axis when spikes would flatten the rest of the curve; the axis label."""
    zs = [z for _, z in trace if math.isfinite(z)]
    if not zs or max(abs(z) for z in zs) <= LINEAR_LIMIT:
        return "surprise (z-score)"
    axes.set_yscale("symlog", linthresh=LINEAR_LIMIT / 2, linscale=2.0)
    axes.set_ylim(min(min(zs) - 1.0, -1.0), max(zs) * 1.5)
    return "surprise (z-score, symlog)"


def _lines(axes, times: Sequence[float], colour: str, style: str, width: float, label: str) -> None:
    for i, t in enumerate(times):
        axes.axvline(t, color=colour, linestyle=style, linewidth=width, label=label if i == 0 else None)
