"""The built-in answerer: no LLM, rules over the perceived world (planners/world.py) and the events.

It recognises the question forms of the simulator's generator and the common time phrases,
resolves things and people by name, answers from what perception logged before the moment the
question is asked, and says "I don't know" (with the closest evidence) rather than guessing: of
two events asked about in order, when only one was recognised, the order is not known.

Its parts, each a class of its own on planners/answer_base.py (the entry, the rules table, evidence, the
resolution of names): planners/answer_where.py (where things are, when things happened),
planners/answer_who.py (who did or said what), planners/answer_counts.py (counts, durations, order,
listings); their module-level helpers in planners/answer_helpers.py.
"""

from __future__ import annotations

# Every name planners.builtin held before its split stays importable from here (noqa F401: re-exported).
from planners.answer import UNKNOWN_TEXT, Answer, Evidence  # noqa: F401
from planners.answer_base import _T, SPOKEN_MATCH, WORLDS, AnswererBase, logger  # noqa: F401
from planners.answer_counts import CountAnswers
from planners.answer_helpers import (  # noqa: F401
    _CONFUSABLE, PICK_SECONDS, _bare_colour, _bare_kind, _best, _clean, _one_per_handling, _seen_first, _spoken_to,
    _words)
from planners.answer_where import SAID_AT, SPOKE_NEAR, WhereAnswers
from planners.answer_who import WHAT_SAID_MATCH, WhoAnswers  # noqa: F401
from planners.lexicon import ARTICLES, COMMON, Lexicon  # noqa: F401
from planners.seen import sightings_of, wanted  # noqa: F401
from planners.time_phrases import clock_seconds, parse_time
from planners.world import HANDOVER, VISIT_GAP, VISIT_RADIUS, WALKING_SPEED, Action, World  # noqa: F401


class BuiltinAnswerer(WhereAnswers, WhoAnswers, CountAnswers):
    """Answers questions over one memory store; ``world`` is rebuilt by the caller when memory grows.

    Its rules, tried in this order: where and when, who and what was said, counts and the rest."""

    RULES = WhereAnswers.RULES + WhoAnswers.RULES + CountAnswers.RULES


__all__ = ["BuiltinAnswerer", "parse_time"]
