"""CLI commands kept apart from mnemo/cli.py, one module per capability.

Each module decorates its functions with ``mnemo.cli.app.command(...)``; mnemo/cli.py imports
them at its end so that they register. They may use cli's helpers (MemoryOpt, JsonOpt, out, err,
UserError).
"""
