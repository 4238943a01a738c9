"""Errors of the composition layer; each message names the input and what is wrong."""

from __future__ import annotations

import errno
import sqlite3

# a write the storage refused: full disk, file-size limit, quota, read-only folder, permissions
_STORAGE_ERRNOS = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM}


# SQLite's words for the same
_STORAGE_SQLITE = ("database or disk is full", "disk I/O error", "attempt to write a readonly database")


def refused_write(error: BaseException) -> bool:
    """True when ``error`` is storage refusing a write (a full disk, a file-size limit, a read-only folder)."""
    if isinstance(error, OSError):
        return error.errno in _STORAGE_ERRNOS
    return isinstance(error, sqlite3.Error) and any(words in str(error) for words in _STORAGE_SQLITE)


class ConfigError(ValueError):
    """A profile or config file is unknown, unreadable or has a bad key or value."""


class MemoryNotFound(FileNotFoundError):
    """A memory directory named by the user does not exist or holds no mnemo memory."""


class UserError(Exception):
    """An error the user can fix; the CLI prints it as one line with exit status 2."""


def user_message(error: BaseException) -> str | None:
    """The one-line message for errors a user can act on, None for bugs (shown with a traceback).

    Shared by the CLI (one line, exit status 2) and the service's ingest worker (the job's error).
    """
    import click
    import typer

    from memory.entities import EntityForgotten, EntityNotFound
    from memory.store import StoreError
    from perception.errors import UnknownComponent, WeightsUnavailable
    from streams.errors import SourceError

    # bad options and arguments: click's own, and those of the click typer vendors (typer >= 0.29)
    if isinstance(error, (click.exceptions.ClickException, typer.TyperException)) and hasattr(error, "format_message"):
        return error.format_message()
    if isinstance(error, OSError) and error.errno in _STORAGE_ERRNOS:  # a write refused: name the file
        return (f"{error.filename or 'a file'}: {error.strerror}; what was committed is intact: fix it and run "
                "the same command again to resume")
    if isinstance(error, EntityNotFound):  # a KeyError: str() would quote it
        return error.args[0] if error.args else "no such entity"
    known = (UserError, SourceError, ConfigError, MemoryNotFound, StoreError, WeightsUnavailable,
             UnknownComponent, FileNotFoundError, FileExistsError, ValueError, EntityForgotten)
    return str(error) if isinstance(error, known) else None
