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


class StreamInterrupted(SourceError):
    """A live stream stopped delivering part-way (an error, silence past the stall timeout, a clock jump).

    ``at`` is the media time reached (None when nothing was read), ``cause`` the bare reason.
    """

    def __init__(self, uri: str, problem: str, at: float | None = None, cause: str | None = None):
        self.at = at
        self.cause = cause or problem
        super().__init__(uri, problem)

    def __reduce__(self):
        return type(self), (self.uri, self.problem, self.at, self.cause)


class UnknownSource(SourceError, ValueError):
    """No source is registered under that scheme; the message lists the known ones."""
