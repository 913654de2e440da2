"""Entry point of the ``kmodel`` command: one group, one sub-command per verb of ``design.md``."""

from __future__ import annotations

import click

from kmodel import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kmodel")
def cli() -> None:
    """Check Kubernetes behaviour before it reaches a cluster."""


def main() -> None:
    """Run the command line (the ``kmodel`` console script)."""
    cli()
