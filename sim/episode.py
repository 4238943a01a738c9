"""An episode: a world, its scenario, and the truth of what the camera saw, for one seed.

``simulate`` plans the episode and renders only the sampled frames it needs to know what was in
view (no video is written); ``sim.export.render_episode`` renders every frame and writes the
media. Both sample the same frames with the same renderer, so their truth is the same.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, replace

from sim.render import Renderer, RenderedFrame
from sim.scenario import Scenario, ScenarioConfig, SceneState, build_scenario
from sim.truth import Observation, Seen, Truth, build_truth
from sim.world import World, WorldConfig, build_world

logger = logging.getLogger(__name__)

WALL_CLOCK = 1_704_096_000.0  # 2024-01-01T08:00:00Z: the UNIX time given to media time 0


@dataclass(frozen=True)
class RenderConfig:
    """How the camera is sampled."""

    width: int = 320  # frame width, pixels
    height: int = 240  # frame height, pixels
    fps: float = 10.0  # video frames per second
    observation_rate: float = 5.0  # frames per second whose content goes into truth (rounded to divide fps)
    min_pixels: int | None = None  # pixels an entity needs to count as in view; None = 0.01% of the frame, at least 4

    def __post_init__(self) -> None:
        for name in ("width", "height"):
            value = getattr(self, name)
            if not isinstance(value, int) or not 16 <= value <= 4096 or value % 2:
                raise ValueError(f"RenderConfig.{name}={value!r}: expected an even number of pixels in [16, 4096]")
        if not 0.5 <= self.fps <= 120:
            raise ValueError(f"RenderConfig.fps={self.fps!r}: expected frames per second in [0.5, 120]")
        if not 0 < self.observation_rate <= self.fps:
            raise ValueError(f"RenderConfig.observation_rate={self.observation_rate!r}: expected a rate in (0, fps={self.fps}]")
        if self.min_pixels is not None and (not isinstance(self.min_pixels, int) or self.min_pixels < 1):
            raise ValueError(f"RenderConfig.min_pixels={self.min_pixels!r}: expected None or a positive integer")

    @property
    def observation_every(self) -> int:
        """Every how many frames one is sampled for truth."""
        return max(1, int(round(self.fps / self.observation_rate)))

    @property
    def actual_observation_rate(self) -> float:
        return self.fps / self.observation_every

    def frame_count(self, duration: float) -> int:
        return int(math.floor(duration * self.fps + 1e-9))


@dataclass(frozen=True, eq=False)
class Episode:
    world: World
    scenario: Scenario
    truth: Truth
    render: RenderConfig


def plan(seed: int, minutes: float | None = None, world: WorldConfig | None = None,
         scenario: ScenarioConfig | None = None) -> tuple[World, Scenario]:
    """The world and scenario for a seed; ``minutes`` overrides the scenario's duration."""
    scenario = scenario or ScenarioConfig()
    if minutes is not None:
        if not (isinstance(minutes, (int, float)) and 0 < minutes <= 7 * 24 * 60):
            raise ValueError(f"minutes={minutes!r}: expected a positive number of minutes (at most a week)")
        scenario = replace(scenario, duration=float(minutes) * 60.0)
    home = build_world(seed, world)
    return home, build_scenario(home, scenario, seed)


def simulate(seed: int, minutes: float | None = None, *, world: WorldConfig | None = None,
             scenario: ScenarioConfig | None = None, render: RenderConfig | None = None,
             speech: str = "auto") -> Episode:
    """Plan an episode and work out its truth without writing media."""
    from sim.audio import AudioTrack

    render = render or RenderConfig()
    home, plan_ = plan(seed, minutes, world, scenario)
    renderer = Renderer(home, render.width, render.height)
    every = render.observation_every
    observations = [observe(renderer, plan_.state_at(i / render.fps), render, frame=None)
                    for i in range(0, render.frame_count(plan_.duration), every)]
    mode = AudioTrack(plan_, speech).mode
    truth = build_truth(plan_, observations, width=render.width, height=render.height, fps=render.fps,
                        observation_rate=render.actual_observation_rate, speech=mode, wall_clock=WALL_CLOCK)
    return Episode(home, plan_, truth, render)


def observe(renderer: Renderer, state: SceneState, render: RenderConfig,
            frame: RenderedFrame | None = None) -> Observation:
    """What is in view at ``state``: entities with boxes, pixel counts, positions and distances."""
    frame = frame if frame is not None else renderer.render(state)
    positions = _positions(renderer.world, state)
    ax, ay, _ = state.agent
    seen = []
    for v in renderer.visible(frame, render.min_pixels):
        x, y = positions[v.entity]
        seen.append(Seen(v.entity, v.box, v.pixels, (round(x, 4), round(y, 4)), round(math.hypot(x - ax, y - ay), 4)))
    seen.sort(key=lambda s: s.entity)
    return Observation(state.time, tuple(seen))


def _positions(world: World, state: SceneState) -> dict[str, tuple[float, float]]:
    positions = {f.id: f.centre for f in world.furniture}
    positions.update({o.id: (o.x, o.y) for o in state.objects})
    positions.update({p.id: (p.x, p.y) for p in state.people})
    return positions
