"""Drift taken out with furniture as landmarks, against the drift that was put in."""

from __future__ import annotations

import numpy as np
import pytest

from planners.drift import Drift, fit_drift


def _drifting_sightings(seed: int):
    """Twelve pieces of furniture seen from a camera whose frame drifts by a random walk (about a metre over
    ten minutes), positions noisy by 0.15 m; returns sightings and the true drift function."""
    rng = np.random.default_rng(seed)
    pieces = [("chair" if i % 2 else "desk", rng.uniform(0, 12), rng.uniform(0, 8)) for i in range(12)]
    knots = np.arange(0.0, 601.0, 30.0)
    walk = np.cumsum(rng.normal(0, 0.25, (len(knots), 2)), axis=0)
    walk -= walk[0]

    def drift(t):
        return np.interp(t, knots, walk[:, 0]), np.interp(t, knots, walk[:, 1])

    rows = []
    for t in np.arange(0.0, 600.0, 0.5):
        for label, x, y in [pieces[i] for i in rng.choice(len(pieces), 2, replace=False)]:
            ex, ey = drift(t)
            rows.append((float(t), label, x - ex + rng.normal(0, 0.15), y - ey + rng.normal(0, 0.15)))
    return rows, drift


@pytest.mark.parametrize("seed", range(4))
def test_drift_recovered_from_landmarks(seed):
    rows, drift = _drifting_sightings(seed)
    fitted = fit_drift(rows)
    times = np.arange(60.0, 600.0, 10.0)
    dx, dy = fitted.at(times)
    ex, ey = drift(times)
    residual = np.hypot(dx - ex, dy - ey)
    before = np.hypot(ex, ey)
    assert residual.mean() < 0.3 and residual.mean() < 0.5 * before.mean()


def test_no_furniture_no_correction():
    dx, dy = fit_drift([]).at([0.0, 100.0])
    assert list(dx) == [0.0, 0.0] and list(dy) == [0.0, 0.0]
    assert Drift().at([5.0])[0][0] == 0.0


@pytest.mark.parametrize("until", [0.0, 123.4, 377.0, 599.5])
def test_drift_fitted_up_to_a_time_is_the_whole_fit_cut_there(until):
    """fit_drift is online: fitted from the sightings up to t, it is the whole fit's knots up to t (what a
    world cut at t takes instead of fitting again), and it moves no position before t."""
    rows, _ = _drifting_sightings(5)
    whole, cut = fit_drift(rows), fit_drift([r for r in rows if r[0] <= until])
    assert whole.until(until).times.tolist() == cut.times.tolist()
    assert whole.until(until).dxs.tolist() == cut.dxs.tolist() and whole.until(until).dys.tolist() == cut.dys.tolist()
    times = np.linspace(0.0, until, 50)
    assert [a.tolist() for a in whole.until(until).at(times)] == [a.tolist() for a in cut.at(times)]
