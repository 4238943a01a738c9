"""Names for voices from what is said: people introduce themselves, are addressed by name, and the one
addressed answers.

A diariser labels voices ("voice:2"), it does not know names. Conversation does: a line that calls
someone by name, at its start ("Maria, have you got a minute?", "Hi there, Maria.") or its end ("Could
you help me, Maria?"), is said to the one the speaker is talking with: the voice it answers, when it
follows another voice's line at once (within REPLY_S: "Hello Bob." - "Hi, Alice."), and the voice that
answers it, the next line in another voice soon after (within ANSWER_S). The vote for being called so
goes to these; when both exist and differ it is split between them, so that one exchange alone names
nobody and a name is given where cues agree (the same voice answers and is answered, or is called so
in two exchanges). The voice that said the name is a vote against (people do not call themselves by
name). A self-introduction ("I'm Maria", "my name is Maria") is a strong vote for its own voice. A
recogniser spells a name it hears as best it can ("Carol", "Carl", "Karol", "Carlo"): names alike in
spelling or sound are read as one, the way the memory already spells it (a user's name) or else the
way it was heard most (of those heard as often, the spelling most alike to the others). Votes over the
lines heard so far are summed and names given one to one, most votes first, to voices with at least
MIN_VOTES. A name a user gave (or a self-introduction the registry read) comes first; this only names
the voices nobody named.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter, defaultdict
from typing import Iterable, Mapping

from memory.entity_naming import introduced_names

ANSWER_S = 8.0  # seconds after an addressing line within which the next other voice answers it
GREETING_WORDS = 4  # a line of at most this many words, with a name at both ends, is a greeting ending in the name
REPLY_S = 1.5  # seconds after another voice's line within which a line calling a name answers that voice
MIN_VOTES = 1.0  # net votes a voice needs to take a name (one answer, nothing against)
INTRODUCTION_VOTES = 2.0  # a self-introduction outweighs one answer given to another voice
SAME_NAME = 0.75  # difflib ratio from which two spellings (with one first letter) are one name misheard
VOICE_LABEL = re.compile(r"^voice:\d+$")
# words that may stand before a vocative ("Hi there, Maria", "Thank you, Maria", "Excuse me Maria")
OPENERS = (r"(?:hi|hello|hey|thanks|thank you|sorry|morning|good morning|good afternoon|good evening|good night|"
           r"excuse me|oh|ok|okay|well|listen|look|so|right|yes|yeah|no|please|dear|here you are|here you go|"
           r"there you go|bye|goodbye|see you)")
_NAME = r"([A-Z][a-z]+(?:-[A-Z][a-z]+)?)"
VOCATIVE = re.compile(rf"^\s*(?:{OPENERS}[,.!\s]+)*(?:there[,\s]+)?{_NAME}\s*(?:[,.!?]|$)", re.IGNORECASE)
VOCATIVE_END = re.compile(rf",\s*(?:{OPENERS}[,\s]+)?{_NAME}\s*[.!?]*\s*$", re.IGNORECASE)
# a short line ending in a capitalised word, no comma before it: a greeting whose opener the recogniser
# misheard or wrote without a comma ("The Low Carol." for "Hello Carol.") - unless a word before it makes the
# name what is spoken of ("Ask Bob.", "It's Bob.", "Where's Bob?", "I saw Bob.")
VOCATIVE_TAIL = re.compile(r"^\W*((?:[A-Za-z']+[,\s]+){1,%d})([A-Z][a-z]+)\W*$" % (GREETING_WORDS - 1))
SPOKEN_OF = frozenset(
    "i i'm im you he she it it's its we they is was are were be am ask tell call to for with and or by at from of "
    "about than in on into onto under inside near behind where where's who who's what what's that that's this saw see "
    "seen met meet find found like love "
    "know knew told asked called named my your his her our their not no".split())
NOT_NAMES = frozenset({
    "yes", "no", "yeah", "nope", "ok", "okay", "well", "so", "sure", "right", "now", "please", "sorry", "oh",
    "hmm", "um", "uh", "great", "good", "fine", "thanks", "hi", "hello", "hey", "alright", "really", "wait",
    "look", "listen", "then", "also", "and", "but", "maybe", "perhaps", "actually", "anyway", "indeed", "true",
    "exactly", "agreed", "cheers", "bye", "goodbye", "morning", "evening", "night", "here", "there", "what",
    "why", "how", "when", "where", "who", "everyone", "everybody", "guys", "folks", "sir", "madam", "dear",
    "today", "tomorrow", "yesterday", "tonight", "again", "too", "though", "thank", "you", "me", "it", "this",
    "that", "please", "first", "later", "soon", "together", "instead", "definitely", "certainly", "of", "course",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february", "march",
    "april", "may", "june", "july", "august", "september", "october", "november", "december", "i", "we", "they",
    "mom", "mum", "mommy", "mummy", "dad", "daddy", "mother", "father", "grandma", "grandpa", "granny", "honey",
    "darling", "sweetie", "buddy", "mate", "son", "love", "boss", "guy", "man", "kid", "kids", "team", "all",
    "done", "coming", "perfect", "absolutely", "nice", "cool", "wow", "welcome", "excellent", "wonderful", "lovely",
    "brilliant", "awesome", "gladly", "noted", "understood", "careful", "quick", "hurry", "stop", "come", "go",
})


def addressed(text: str) -> str | None:
    """The name a line calls someone by, at its start or its end (capitalised as heard), or None."""
    text = (text or "").replace("\u2019", "'")
    if len(re.findall(r"[A-Za-z']+", text)) < 2:
        return None  # a word alone ("Coming!", "Done.") is an answer more often than a call
    found = []
    for pattern in (VOCATIVE, VOCATIVE_END):
        m = pattern.search(text)
        if m and m.group(1).lower() not in NOT_NAMES and m.group(1)[0].isupper():
            found.append(m.group(1))
    if len(found) == 2 and len(re.findall(r"[A-Za-z']+", text)) <= GREETING_WORDS:
        return found[1]  # a greeting misheard ("Hello, Ned, Bob."): the name ends it, a misheard word comes first
    return found[0] if found else _tail_vocative(text)


def _tail_vocative(text: str) -> str | None:
    """The capitalised word ending a short line with no comma before it ("The Low Carol." heard for "Hello
    Carol."), when no word before it makes it a name spoken of and the line introduces nobody."""
    m = VOCATIVE_TAIL.match(text)
    if not m or m.group(2).lower() in NOT_NAMES or introduced_names(text):
        return None
    before = {w.lower() for w in re.findall(r"[A-Za-z']+", m.group(1))}
    return None if before & SPOKEN_OF else m.group(2)


def same_name(a: str, b: str) -> bool:
    """Whether two heard spellings are one name (case aside, or alike in spelling or sound from one first
    sound: "Carol", "Carl", "Carroll", "Karol"); voice labels are no names."""
    if not a or not b or VOICE_LABEL.match(a) or VOICE_LABEL.match(b):
        return False
    a, b = sound(a), sound(b)
    return a == b or (a[0] == b[0] and difflib.SequenceMatcher(None, a, b).ratio() >= SAME_NAME)


_SOUNDS = ((r"^ch(?=r)", "k"), (r"ph", "f"), (r"ck", "k"), (r"c(?=[aouklrt]|$)", "k"), (r"q", "k"),
           (r"c(?=[eiy])", "s"), (r"z", "s"), (r"x", "ks"), (r"(?<=.)y", "i"), (r"(?<=.)h", ""), (r"(.)\1", r"\1"))


def sound(name: str) -> str:
    """A name as it sounds, roughly, in English spelling: one letter for one sound ("Karol" and "Carol"
    -> "karol", "Philip" -> "filip"), doubled letters once; what a recogniser varies when it spells a name."""
    key = name.lower()
    for pattern, repl in _SOUNDS:
        key = re.sub(pattern, repl, key)
    return key or name.lower()


def canonical(heard: Iterable[str], known: Iterable[str] = ()) -> dict[str, str]:
    """Each heard spelling -> the name it stands for: a known name (a user's) it is alike to, else the
    spelling heard most often among those alike to it (the first heard, on a tie)."""
    heard = list(heard)
    counts = Counter(heard)
    order = {name: i for i, name in reversed(list(enumerate(heard)))}
    alike = {n: sum(difflib.SequenceMatcher(None, sound(n), sound(m)).ratio() * counts[m] for m in counts if m != n)
             for n in counts}  # of spellings heard as often, the one most alike to the rest stands for them
    ranked = list(dict.fromkeys(list(known) + sorted(counts, key=lambda n: (-counts[n], -alike[n], order[n]))))
    group = list(range(len(ranked)))  # spellings alike, joined transitively (Carl ~ Carol ~ Carroll)
    for i in range(len(ranked)):
        for j in range(i):
            if same_name(ranked[i], ranked[j]):
                keep, drop = sorted((group[i], group[j]))  # a group is named by its first ranked spelling
                group = [keep if g == drop else g for g in group]
    return {name: ranked[group[ranked.index(name)]] for name in counts}


def votes(lines: Iterable[tuple[float, float, str, str]], known: Iterable[str] = ()) -> dict[tuple[str, str], float]:
    """(voice, name) -> net votes, from lines (start, end, text, voice) in time order; names spelt as
    ``canonical`` reads them against the ``known`` names."""
    lines = sorted(lines, key=lambda line: line[0])
    called = [addressed(text) for _, _, text, _ in lines]
    introduced = [introduced_names(text, own=True)[:1] for _, _, text, _ in lines]
    spelt = canonical([n for n in called if n] + [n for names in introduced for n in names], known)
    tally: dict[tuple[str, str], float] = defaultdict(float)
    for i, (start, end, text, voice) in enumerate(lines):
        if not voice:
            continue
        for name in introduced[i]:
            tally[(voice, spelt[name])] += INTRODUCTION_VOTES
        if called[i] is None:
            continue
        name = spelt[called[i]]
        tally[(voice, name)] -= 1.0
        partners = [p for p in (_answered(lines, i), _answering(lines, i)) if p]
        for partner in partners:
            tally[(partner, name)] += 1.0 / len(partners)  # split when the two differ; whole when they agree
    return dict(tally)


def _answered(lines: list[tuple[float, float, str, str]], i: int) -> str | None:
    """The voice line i answers: that of the line just before it, when another's and ended within REPLY_S."""
    if i == 0:
        return None
    start, voice = lines[i][0], lines[i][3]
    before = lines[i - 1]
    return before[3] if before[3] and before[3] != voice and start - before[1] <= REPLY_S else None


def _answering(lines: list[tuple[float, float, str, str]], i: int) -> str | None:
    """The voice answering line i: the next line in another voice begun within ANSWER_S of its end."""
    end, voice = lines[i][1], lines[i][3]
    for later in lines[i + 1:]:
        if later[0] > end + ANSWER_S:
            return None
        if later[3] and later[3] != voice:
            return later[3]
    return None


def voice_names(lines: Iterable[tuple[float, float, str, str]], taken: Mapping[str, str] | None = None) -> dict[str, str]:
    """Voice label -> name for the voices that conversation names, one to one. ``taken``: voices
    already named (by a user or an introduction), whose voices and names are not given again."""
    taken = dict(taken or {})
    used_voices = set(taken)
    used_names = list(taken.values())
    out: dict[str, str] = {}
    ranked = sorted(votes(lines, known=used_names).items(), key=lambda item: (-item[1], item[0]))
    for (voice, name), count in ranked:
        if count < MIN_VOTES or voice in used_voices or any(same_name(name, n) for n in used_names):
            continue
        out[voice] = name
        used_voices.add(voice)
        used_names.append(name)
    return out


def name_lines(lines: list[tuple[float, float, str, str]]) -> list[tuple[float, float, str, str]]:
    """The lines with their diarised voice labels replaced by the names conversation gives them
    (voices it does not name, and speakers that are names already, stay as they are)."""
    labelled = [line for line in lines if VOICE_LABEL.match(line[3] or "")]
    if not labelled:
        return lines
    names = voice_names(lines, {sp: sp for _, _, _, sp in lines if sp and not VOICE_LABEL.match(sp)})
    return [(s, e, t, names.get(sp, sp)) for s, e, t, sp in lines]
