"""Names for voices from what is said: people are addressed by name, and the one addressed answers.

A diariser labels voices ("voice:2"), it does not know names. Conversation does: a line that opens
by calling someone by name ("Maria, have you got a minute?", "Hi Maria.", "Thanks, Maria.") is most
often answered by them, so the next line in another voice soon after is a vote for that voice being
called so; the voice that said the name is a vote against (people do not call themselves by name).
Votes over the lines heard so far are summed and names given one to one, most votes first, to
voices with at least MIN_VOTES. A name a user gave (or a self-introduction the registry read)
comes first; this only names the voices nobody named.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Iterable, Mapping

ANSWER_S = 8.0  # seconds after an addressing line within which the next other voice answers it
MIN_VOTES = 1.0  # net votes a voice needs to take a name (one answer, nothing against)
VOICE_LABEL = re.compile(r"^voice:\d+$")
GREETINGS = r"(?:hi|hello|hey|thanks|thank you|sorry|morning|good morning|good evening|excuse me|oh|ok|okay)"
VOCATIVE = re.compile(rf"^\s*(?:{GREETINGS}[,\s]+)?([A-Z][a-z]+)\s*[,.!?]", re.IGNORECASE)
NOT_NAMES = frozenset({
    "yes", "no", "yeah", "nope", "ok", "okay", "well", "so", "sure", "right", "now", "please", "sorry", "oh",
    "hmm", "um", "uh", "great", "good", "fine", "thanks", "hi", "hello", "hey", "alright", "really", "wait",
    "look", "listen", "then", "also", "and", "but", "maybe", "perhaps", "actually", "anyway", "indeed", "true",
    "exactly", "agreed", "cheers", "bye", "goodbye", "morning", "evening", "night", "here", "there", "what",
    "why", "how", "when", "where", "who", "everyone", "everybody", "guys", "folks", "sir", "madam", "dear",
})


def addressed(text: str) -> str | None:
    """The name a line opens by calling someone (capitalised as said), or None."""
    m = VOCATIVE.match(text or "")
    if not m:
        return None
    name = m.group(1)
    if name.lower() in NOT_NAMES or not name[0].isupper():
        return None
    return name


def votes(lines: Iterable[tuple[float, float, str, str]]) -> dict[tuple[str, str], float]:
    """(voice, name) -> net votes, from lines (start, end, text, voice) in time order."""
    lines = sorted(lines, key=lambda line: line[0])
    tally: dict[tuple[str, str], float] = defaultdict(float)
    for i, (start, end, text, voice) in enumerate(lines):
        name = addressed(text)
        if name is None or not voice:
            continue
        tally[(voice, name)] -= 1.0
        for later in lines[i + 1:]:
            if later[0] > end + ANSWER_S:
                break
            if later[3] and later[3] != voice:
                tally[(later[3], name)] += 1.0
                break
    return dict(tally)


def voice_names(lines: Iterable[tuple[float, float, str, str]], taken: Mapping[str, str] | None = None) -> dict[str, str]:
    """Voice label -> name for the voices that conversation names, one to one. ``taken``: voices
    already named (by a user or an introduction), whose voices and names are not given again."""
    taken = dict(taken or {})
    used_voices, used_names = set(taken), {n.lower() for n in taken.values()}
    out: dict[str, str] = {}
    ranked = sorted(votes(lines).items(), key=lambda item: (-item[1], item[0]))
    for (voice, name), count in ranked:
        if count < MIN_VOTES or voice in used_voices or name.lower() in used_names:
            continue
        out[voice] = name
        used_voices.add(voice)
        used_names.add(name.lower())
    return out


def name_lines(lines: list[tuple[float, float, str, str]]) -> list[tuple[float, float, str, str]]:
    """The lines with their diarised voice labels replaced by the names conversation gives them
    (voices it does not name, and speakers that are names already, stay as they are)."""
    labelled = [line for line in lines if VOICE_LABEL.match(line[3] or "")]
    if not labelled:
        return lines
    names = voice_names(lines, {sp: sp for _, _, _, sp in lines if sp and not VOICE_LABEL.match(sp)})
    return [(s, e, t, names.get(sp, sp)) for s, e, t, sp in lines]
