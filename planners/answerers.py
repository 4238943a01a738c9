"""Answerers by name: the built-in ones and those other packages register.

``builtin`` (rules over the perceived world, no LLM) and ``llm`` (an OpenAI-compatible endpoint) are
answered by ``mnemo.reasoner.Reasoner`` itself. Any other answerer is one class and one line::

    @register_answerer("count")
    class CountAnswerer:
        def __init__(self, store, retriever): ...
        def answer(self, question: str, at: float | None) -> Answer: ...

``Memory.ask(question, answerer="count")`` and ``mnemo ask --answerer count`` then use it. The
factory is called once per reasoner with the memory's ``MemoryStore`` (read-only) and its
``planners.retrieval.Retriever``; its ``answer`` must use only what was stored about times before
``at`` (None: the whole memory).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Protocol

from perception.errors import UnknownComponent
from perception.registry import Registry
from planners.answer import Answer

if TYPE_CHECKING:
    from memory.store import MemoryStore
    from planners.retrieval import Retriever

BUILTIN_ANSWERERS = ("builtin", "llm")  # answered by mnemo.reasoner.Reasoner itself


class Answerer(Protocol):
    """Answers a question as asked at media time ``at`` (None: now), with evidence."""

    def answer(self, question: str, at: float | None) -> Answer: ...


AnswererFactory = Callable[..., Answerer]  # (store, retriever, **options) -> Answerer

_REGISTRY: Registry[Answerer] = Registry("answerer")


def register_answerer(name: str) -> Callable[[AnswererFactory], AnswererFactory]:
    """Decorator registering an answerer class (or factory) under ``name``."""
    if name in BUILTIN_ANSWERERS:
        raise ValueError(f"answerer {name!r} is built in; built-ins: {', '.join(BUILTIN_ANSWERERS)}")
    return _REGISTRY.register(name)


def create_answerer(name: str, store: "MemoryStore", retriever: "Retriever", **options) -> Answerer:
    """Build the registered answerer ``name``; unknown names raise UnknownComponent listing the known."""
    if name in BUILTIN_ANSWERERS or name not in _REGISTRY.names():
        raise UnknownComponent(f"unknown answerer {name!r}; available: {', '.join(list_answerers())}"
                               if name not in BUILTIN_ANSWERERS else
                               f"answerer {name!r} is built in: ask the reasoner for it")
    return _REGISTRY.create(name, store=store, retriever=retriever, **options)


def list_answerers() -> list[str]:
    """The built-in answerers and the registered ones, sorted."""
    return sorted(set(BUILTIN_ANSWERERS) | set(_REGISTRY.names()))
