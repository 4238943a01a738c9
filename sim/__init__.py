"""The simulated home: a world whose truth is known, to test every layer and measure memory quality.

    from sim import render_episode, simulate, load_truth, SimPerception, generate_questions, score

    files = render_episode(seed=1, minutes=10, out_dir="out/sim1")      # mp4 + ROS 2 bag + truth.json
    truth = load_truth(files.truth)                                     # or simulate(1, 10).truth
    perception = SimPerception(truth)                                   # noisy detections and transcripts
    questions = generate_questions(truth, seed=0, per_type=30)          # time-causal, exact answers
    score(questions[0], "kitchen")                                      # 1.0 or 0.0 (text: share of key words)

Modules, one noun each: ``world`` (the home) with its ``catalogue``; ``scenario`` (the timeline),
``lines`` (what people say), ``agent`` (the camera's path), ``navigation`` and ``trajectory``;
``render`` (camera frames and id buffer), ``shapes``, ``topdown`` (the map); ``audio`` (speech or
tones); ``truth`` (truth.json); ``episode`` (plan and observe); ``export`` and ``bag`` (mp4, ROS 2
bag); ``noise`` (the sim perception backend); ``questions`` (questions, answers, scoring).
"""

from sim.audio import AudioTrack, espeak_available
from sim.episode import Episode, RenderConfig, plan, simulate
from sim.export import EpisodeFiles, mov_text_supported, render_episode
from sim.noise import Detection, NoiseConfig, Odometry, SimPerception, TranscriptSegment, word_error_rate
from sim.questions import ANSWER_TYPES, QUESTION_TYPES, Evidence, Question, generate_questions, score
from sim.render import Renderer
from sim.topdown import render_map
from sim.scenario import Scenario, ScenarioConfig, build_scenario
from sim.truth import SCHEMA, Truth, load_truth
from sim.world import World, WorldConfig, build_world

__all__ = [
    "ANSWER_TYPES", "QUESTION_TYPES", "SCHEMA", "AudioTrack", "Detection", "Episode", "EpisodeFiles", "Evidence",
    "NoiseConfig", "Odometry", "Question", "RenderConfig", "Renderer", "Scenario", "ScenarioConfig", "SimPerception",
    "TranscriptSegment", "Truth", "World", "WorldConfig", "build_scenario", "build_world", "espeak_available",
    "generate_questions", "load_truth", "mov_text_supported", "plan", "render_episode", "render_map", "score",
    "simulate", "word_error_rate",
]
