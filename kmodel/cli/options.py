"""Options shared by several commands."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

from kmodel.errors import InputError

F = TypeVar("F", bound=Callable[..., Any])


def output_options(formats: Sequence[str], default: str = "text") -> Callable[[F], F]:
    """``--output FORMAT`` (among ``formats``) and ``--out FILE``."""

    def decorate(func: F) -> F:
        func = click.option(
            "--out",
            "out",
            type=click.Path(dir_okay=False, writable=True),
            default=None,
            help="Write the output to FILE (atomically) instead of stdout.",
        )(func)
        return click.option(
            "--output",
            "-o",
            "output",
            type=click.Choice(list(formats)),
            default=default,
            show_default=True,
            help="Output format.",
        )(func)

    return decorate


def parse_feature_gates(text: str | None) -> dict[str, bool]:
    """Parse ``Name=true,Other=false`` as the kubelet's ``--feature-gates`` flag does."""
    gates: dict[str, bool] = {}
    if not text:
        return gates
    for item in text.split(","):
        name, sep, value = item.strip().partition("=")
        if not sep or value.lower() not in {"true", "false"}:
            raise InputError(
                f"invalid feature gate {item.strip()!r}: expected Name=true or Name=false",
                path="--feature-gates",
            )
        gates[name] = value.lower() == "true"
    return gates
