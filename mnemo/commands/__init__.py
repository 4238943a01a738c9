"""The ``mnemo`` CLI's commands, one module per capability.

mnemo/commands/app.py holds the Typer app, the consoles and the shared options; each other module
decorates its functions with ``app.command(...)``. mnemo/cli.py imports them all (which registers
them) and runs the app. A new command is one module here and one name in mnemo/cli.py's import.
"""
