"""Entry point of the ``kmodel`` command: one group, one sub-command per verb of ``design.md``.

Every command shares the exit codes of :mod:`kmodel.errors`: 0 all good, 1 a finding, 2 bad
input or usage, 3 an internal error. Errors are one line on stderr, never a traceback (set
``KMODEL_DEBUG=1`` to see one for an internal error).
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback
from typing import Final

import click

from kmodel.cli.stdio import protected_stdio
from kmodel.errors import EXIT_INTERNAL, KmodelError

#: Each command and where it lives (``module:attribute``), in the order ``--help`` lists them.
#: A command's module is imported only when that command runs: the placement engine (scipy,
#: HiGHS, Z3) and Hypothesis take a second or more to import, which ``status`` and
#: ``--version`` never need (``tests/integration/test_startup.py`` guards it).
COMMANDS: Final = {
    "status": "kmodel.cli.status:status",
    "check": "kmodel.cli.check:check",
    "replay": "kmodel.cli.check:replay",
    "pack": "kmodel.cli.pack:pack",
    "explain": "kmodel.cli.pack:explain",
    "conform": "kmodel.cli.conform:conform",
    "strategies": "kmodel.cli.strategies:strategies",
    "verify": "kmodel.cli.verify:verify_command",
    "merge": "kmodel.cli.merge:merge",
}


class LazyGroup(click.Group):
    """A click group that imports a command's module when the command is looked up."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command, in :data:`COMMANDS` order."""
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """Import and return the command named ``cmd_name`` (None if there is none)."""
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, _, attribute = target.partition(":")
        command = getattr(importlib.import_module(module), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{target} is not a click command")
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kmodel", prog_name="kmodel")
def cli() -> None:
    """Check Kubernetes behaviour before it reaches a cluster."""


def main(argv: list[str] | None = None) -> None:
    """Run the command line (the ``kmodel`` console script) and exit with its code."""
    try:
        with protected_stdio():  # stdout carries the command's document only
            code = cli.main(args=argv, prog_name="kmodel", standalone_mode=False)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.ClickException as usage:
        usage.show()
        sys.exit(usage.exit_code)
    except click.exceptions.Abort:
        click.echo("kmodel: interrupted", err=True)
        sys.exit(130)
    except KmodelError as error:
        click.echo(f"kmodel: {error.label}: {error}", err=True)
        sys.exit(error.exit_code)
    except Exception as error:  # noqa: BLE001  # the last line of defence: exit 3, one line
        if os.environ.get("KMODEL_DEBUG"):
            traceback.print_exc()
        click.echo(
            f"kmodel: internal error: {type(error).__name__}: {error} "
            "(set KMODEL_DEBUG=1 for a traceback)",
            err=True,
        )
        sys.exit(EXIT_INTERNAL)
    sys.exit(code if isinstance(code, int) else 0)
