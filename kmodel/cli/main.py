"""Entry point of the ``kmodel`` command: one group, one sub-command per verb of ``design.md``.

Every command shares the exit codes of :mod:`kmodel.errors`: 0 all good, 1 a finding, 2 bad
input or usage, 3 an internal error. Errors are one line on stderr, never a traceback (set
``KMODEL_DEBUG=1`` to see one for an internal error).
"""

from __future__ import annotations

import os
import sys
import traceback

import click

from kmodel import __version__
from kmodel.cli.check import check, replay
from kmodel.cli.conform import conform
from kmodel.cli.pack import explain, pack
from kmodel.cli.status import status
from kmodel.cli.strategies import strategies
from kmodel.errors import EXIT_INTERNAL, KmodelError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kmodel")
def cli() -> None:
    """Check Kubernetes behaviour before it reaches a cluster."""


cli.add_command(status)
cli.add_command(check)
cli.add_command(replay)
cli.add_command(pack)
cli.add_command(explain)
cli.add_command(conform)
cli.add_command(strategies)


def main(argv: list[str] | None = None) -> None:
    """Run the command line (the ``kmodel`` console script) and exit with its code."""
    try:
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
