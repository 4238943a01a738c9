"""Errors a source raises: one clear message naming the input and what is wrong."""

from __future__ import annotations


class SourceError(Exception):
    """A source cannot be opened or read. ``str(err)`` names the input and the problem."""

    def __init__(self, uri: str, problem: str):
        self.uri = uri
        self.problem = problem
        super().__init__(f"{uri}: {problem}")

    def __reduce__(self):
        # pickled by (uri, problem), not by the formatted message: errors cross process boundaries
        return type(self), (self.uri, self.problem)
