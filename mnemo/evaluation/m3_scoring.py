"""Grading free-text answers against an M3-Bench reference answer: by rule, or by an LLM judge.

M3-Bench's answers are short English texts ("Coffee.", "Yes.", "Two.", "Yoga gets her relaxed.").
The reference's form decides the rule (``form_of``):

- ``yes_no``: the reference starts with yes or no; the answer must say the same (a bool value, or
  a text starting with yes/no);
- ``count``: the reference is a number (digits or a number word up to twenty); the answer must
  name the same number;
- ``text``: anything else; the answer is correct when it holds at least ``KEYWORD_RECALL`` of the
  reference's content words (lower-cased, a plural "s" dropped, stop words left out): keyword
  overlap, lenient to extra words, strict to missing ones.

"I don't know" (``None``) is never correct. With an OpenAI-compatible endpoint, ``LLMJudge`` asks
the model whether the answer means the same as the reference; when the endpoint fails or says
neither yes nor no, the rule grades that answer and the report counts the fallbacks.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

import requests

logger = logging.getLogger(__name__)

KEYWORD_RECALL = 0.5  # share of the reference's content words a text answer must hold
_NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
                 "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
                 "twenty")
NUMBERS = {w: i for i, w in enumerate(_NUMBER_WORDS)}
STOP_WORDS = frozenset("""a an the and or but of to in on at by for with from into onto over under about as is are
was were be been being it its this that these those there here he she they them his her their him i you we our
your my me do does did has have had not no yes so very just also than then because since while what which who
whom whose when where why how some any all each every one""".split())
_WORD = re.compile(r"[a-z0-9]+")
_YES_NO = re.compile(r"^\W*(yes|no)\b", re.I)


def words(text: str) -> list[str]:
    """Lower-case alphanumeric words of ``text``."""
    return _WORD.findall(text.lower())


def content_words(text: str) -> set[str]:
    """The words that carry meaning: stop words left out, a plural "s" dropped ("mangoes" -> "mangoe")."""
    return {_singular(w) for w in words(text) if w not in STOP_WORDS}


def _singular(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def number_in(text: str) -> int | None:
    """The first number a text names (digits or a word up to twenty); None when it names none."""
    for w in words(text):
        if w.isdigit():
            return int(w)
        if w in NUMBERS:
            return NUMBERS[w]
    return None


def form_of(reference: str) -> str:
    """How a reference answer is graded: ``yes_no``, ``count`` (a number alone) or ``text``."""
    if _YES_NO.match(reference):
        return "yes_no"
    tokens = words(reference)
    if len(tokens) == 1 and number_in(tokens[0]) is not None:
        return "count"
    return "text"


def as_text(value: Any) -> str | None:
    """An answer's value as the text to grade: bools as yes/no, numbers as digits; None stays None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def grade(reference: str, answer: str | None) -> bool:
    """Whether ``answer`` (None: "I don't know") is right by the rule of the reference's form."""
    if answer is None or not answer.strip():
        return False
    form = form_of(reference)
    if form == "yes_no":
        said = _YES_NO.match(answer)
        return bool(said) and said.group(1).lower() == _YES_NO.match(reference).group(1).lower()
    if form == "count":
        return number_in(answer) == number_in(reference)
    wanted = content_words(reference)
    if not wanted:
        return set(words(reference)) <= set(words(answer))
    return len(wanted & content_words(answer)) / len(wanted) >= KEYWORD_RECALL


def uniform_expected(reference: str, max_count: int = 5) -> float:
    """The expected score of a uniform guess of the reference's form: 1/2 for yes/no, 1/(max_count+1)
    for a count in 0..max_count, 0 for free text (no finite set of answers to draw from)."""
    form = form_of(reference)
    if form == "yes_no":
        return 0.5
    if form == "count":
        n = number_in(reference)
        return 1.0 / (max_count + 1) if n is not None and 0 <= n <= max_count else 0.0
    return 0.0


@dataclass(frozen=True)
class JudgeConfig:
    """Where the judging model is."""

    url: str  # base URL of an OpenAI-compatible API, e.g. http://localhost:8000/v1
    model: str  # model name as the server knows it
    key: str | None = None  # bearer token, when the server wants one
    timeout_s: float = 30.0  # per request

    def __post_init__(self) -> None:
        if not re.match(r"^https?://", self.url or ""):
            raise ValueError(f"JudgeConfig.url={self.url!r}: expected an http(s) URL of an OpenAI-compatible API")
        if not self.model:
            raise ValueError("JudgeConfig.model is empty: name the model the server serves")
        if self.timeout_s <= 0:
            raise ValueError(f"JudgeConfig.timeout_s={self.timeout_s!r}: expected seconds > 0")


JUDGE_PROMPT = ("You grade answers to questions about a video. Reply with one word: yes if the candidate "
                "answer means the same as the reference answer (extra detail is fine, a different or missing "
                "fact is not), no otherwise.")


class LLMJudge:
    """Grades by asking a model; falls back to ``grade`` (and counts it) when the model gives no verdict."""

    def __init__(self, config: JudgeConfig, session: requests.Session | None = None) -> None:
        self.config = config
        self.session = session or requests.Session()
        self.asked = 0
        self.fallbacks = 0

    def __call__(self, question: str, reference: str, answer: str | None) -> bool:
        if answer is None or not answer.strip():
            return False
        self.asked += 1
        try:
            verdict = self._ask(question, reference, answer)
        except (requests.RequestException, ValueError, LookupError, TypeError) as err:
            verdict = None
            logger.warning("LLM judge at %s failed (%s); graded by keywords", self.config.url, err)
        if verdict is None:
            self.fallbacks += 1
            return grade(reference, answer)
        return verdict

    def _ask(self, question: str, reference: str, answer: str) -> bool | None:
        body = {"model": self.config.model, "temperature": 0.0, "messages": [
            {"role": "system", "content": JUDGE_PROMPT},
            {"role": "user", "content": f"Question: {question}\nReference answer: {reference}\n"
                                        f"Candidate answer: {answer}\nSame meaning?"}]}
        headers = {"Authorization": f"Bearer {self.config.key}"} if self.config.key else {}
        url = self.config.url.rstrip("/") + "/chat/completions"
        response = self.session.post(url, json=body, headers=headers, timeout=self.config.timeout_s)
        if response.status_code != 200:
            raise ValueError(f"HTTP {response.status_code} from {url}")
        content = response.json()["choices"][0]["message"]["content"]
        said = _YES_NO.match(content or "")
        if not said:
            logger.warning("LLM judge said neither yes nor no: %r", str(content)[:80])
            return None
        return said.group(1).lower() == "yes"
