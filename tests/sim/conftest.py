"""Small simulated episodes shared by the sim tests (cheap: small frames, low sampling rates)."""

from __future__ import annotations

import pytest

from sim.episode import RenderConfig, simulate
from sim.export import render_episode


@pytest.fixture(scope="session")
def short_episode():
    """Five minutes, 160x120 at 5 fps, every frame sampled for truth."""
    return simulate(11, 5.0, render=RenderConfig(160, 120, fps=5.0, observation_rate=5.0), speech="tones")


@pytest.fixture(scope="session")
def long_truth():
    """Forty minutes sampled once a second at 128x96: enough facts for 30 questions of every type."""
    return simulate(5, 40.0, render=RenderConfig(128, 96, fps=1.0, observation_rate=1.0), speech="tones").truth


@pytest.fixture(scope="session")
def rendered(tmp_path_factory):
    """A 1.5-minute episode written to disk: mp4, bag, truth.json (and a map video)."""
    out = tmp_path_factory.mktemp("episode")
    return render_episode(3, 1.5, out, render=RenderConfig(160, 120, fps=8.0, observation_rate=4.0),
                          speech="tones", map_video=True)
