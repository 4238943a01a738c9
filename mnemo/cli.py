"""The ``mnemo`` command line: the entry point that runs the app of mnemo/commands/.

The app, its shared options and helpers live in mnemo/commands/app.py; each command lives in the
module of mnemo/commands/ named by what it does. They are imported here in the order ``mnemo --help``
lists them (Typer lists commands in the order they register).
"""

from __future__ import annotations

import os
import sys

import typer
from rich.markup import escape

from mnemo.commands import (  # noqa: F401  (importing a command module registers its commands)
    ingest, browse, entities, evaluate, memories, demo, ask, plan, graph, job, models, serve, sim, ros1, ros2,
)
from mnemo.commands.app import JsonOpt, MemoryOpt, app, err, out
from mnemo.errors import UserError, user_message

__all__ = ["JsonOpt", "MemoryOpt", "UserError", "app", "err", "main", "out"]


def main() -> None:
    """Entry point: run the app, turning known errors into one clear line and a non-zero exit."""
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # no weight-loading bars from transformers
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    try:
        code = app(standalone_mode=False)  # click returns Exit codes instead of raising them here
    except (typer.Exit, SystemExit) as done:
        code = done.exit_code if isinstance(done, typer.Exit) else done.code
        sys.exit(code or 0)
    except KeyboardInterrupt:
        err.print("[yellow]interrupted[/]: committed events are kept; run the same command again to resume")
        sys.exit(130)
    except Exception as error:  # noqa: BLE001 - the CLI's last line of defence
        message = user_message(error)
        if message is None:
            raise
        if not message.strip():  # `mnemo` alone: the help was shown, nothing went wrong
            sys.exit(0)
        err.print(f"[red]error[/]: {escape(message)}", highlight=False, markup=True, soft_wrap=True)
        sys.exit(2)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
