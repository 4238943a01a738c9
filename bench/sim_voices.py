"""What the standard profile's speech stack makes of a simulated episode's sound, line by line.

    python bench/sim_voices.py --seeds 1,2 [--minutes 20] [--profile standard] [--out /tmp/sim-voices]

For each seed, the lines said in the robot's earshot are rendered as the suite's mp4 carries them
(``sim.audio.AudioTrack``: espeak-ng, a voice per person, quieter with distance and through doors),
written as a WAV and ingested audio-only (``mnemo.open(...).ingest``: VAD, voices, recognition, the
end-of-stream re-clustering). Prints each stored line beside the line said (matched by overlap), the
name it calls someone by, the people x voices table, and the names conversation gives the voices
(``planners.addressing.voice_names`` over every line): voices named right, named wrong (of them, the
right person's name misspelt: alike in sound, ``planners.addressing.same_name``) and left unnamed. A memory
already in ``--out`` is reused (its lines re-read, not re-heard): naming can be re-measured in seconds.
Seeds 16-19 and 30-37 are held out: do not run them while developing.
"""

from __future__ import annotations

import argparse
import collections
import sys
import wave
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import mnemo  # noqa: E402
from memory.spoken import spoken  # noqa: E402
from planners.addressing import addressed, same_name, voice_names  # noqa: E402
from sim.audio import RATE, AudioTrack  # noqa: E402
from sim.episode import plan  # noqa: E402


def _wav(path: Path, samples: np.ndarray) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(RATE)
        w.writeframes((np.clip(samples, -1, 1) * 32767).astype(np.int16).tobytes())


def run(seed: int, minutes: float, profile: str, out: Path) -> tuple[int, int, int, int]:
    """(named right, named, voices, named with the right person's name misspelt) of one seed, after printing
    its lines."""
    world, scenario = plan(seed, minutes)
    names = {p.id: p.name for p in world.people}
    heard = [u for u in scenario.utterances if u.heard]
    audio = out / f"episode-{seed}.wav"
    memory_dir = out / f"memory-{seed}"
    with mnemo.open(memory_dir, profile=profile, create=not memory_dir.exists()) as memory:
        if not memory.store.utterances():
            _wav(audio, AudioTrack(scenario, "espeak").render(0.0, scenario.duration))
            memory.ingest(str(audio))
        lines = [(a, b, text, voice) for _, a, b, text, voice in spoken(memory.store)]
    who: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for a, b, text, voice in lines:
        said = max(heard, key=lambda u: min(b, u.end) - max(a, u.start)) if heard else None
        person = names[said.speaker] if said and min(b, said.end) > max(a, said.start) else "?"
        who[voice][person] += 1
        print(f"{a:7.1f} {voice:8s} {person:6s} | {said.text if person != '?' else ''} => {text} "
              f"[calls: {addressed(text)}]")
    given = voice_names(lines)
    right = sum(1 for voice, name in given.items() if who[voice].most_common(1)[0][0] == name)
    misspelt = sum(1 for voice, name in given.items()
                   if who[voice].most_common(1)[0][0] != name and same_name(who[voice].most_common(1)[0][0], name))
    print(f"seed {seed}: {len(lines)} lines stored of {len(heard)} in earshot; people x voices "
          f"{ {v: dict(c) for v, c in who.items()} }; names {given}: {right} right of {len(given)} named, "
          f"{len(who)} voices")
    return right, len(given), len(who), misspelt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="1,2")
    parser.add_argument("--minutes", type=float, default=20.0)
    parser.add_argument("--profile", default="standard")
    parser.add_argument("--out", type=Path, default=Path("/tmp/sim-voices"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    totals = [run(int(s), args.minutes, args.profile, args.out) for s in args.seeds.split(",")]
    right, named, voices, misspelt = (sum(t[i] for t in totals) for i in range(4))
    print(f"voices named right: {right}, wrong: {named - right} (the right person misspelt: {misspelt}), "
          f"unnamed: {voices - named}, of {voices} voices")


if __name__ == "__main__":
    main()
