"""Options shared by several commands."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import click

from kmodel.cli.stdio import native_output_to_stderr
from kmodel.errors import InputError
from kmodel.objects.manifests import (
    VALIDATION_MODES,
    LoadedObject,
    LoadOptions,
    Skip,
    load_inputs,
)

F = TypeVar("F", bound=Callable[..., Any])


def output_options(formats: Sequence[str], *, default: str = "text") -> Callable[[F], F]:
    """``--output FORMAT`` (among ``formats``), ``--out FILE`` and ``--verbose``."""

    def decorate(func: F) -> F:
        func = click.option(
            "--verbose",
            is_flag=True,
            expose_value=False,
            callback=lambda _ctx, _param, on: native_output_to_stderr() if on else None,
            help="Show what the solvers' native libraries print (on stderr).",
        )(func)
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


def parse_feature_gates(text: str | None, known: Iterable[str]) -> dict[str, bool]:
    """Parse ``Name=true,Other=false`` as the kubelet's ``--feature-gates`` flag does.

    A gate not in ``known`` is refused, as the kubelet refuses an unrecognized one, whether
    or not any pod would read it (a typo must not leave the gate silently off).
    """
    gates: dict[str, bool] = {}
    if not text:
        return gates
    names = sorted(known)
    for item in text.split(","):
        name, sep, value = item.strip().partition("=")
        if not sep or value.lower() not in {"true", "false"}:
            raise InputError(
                f"invalid feature gate {item.strip()!r}: expected Name=true or Name=false",
                path="--feature-gates",
            )
        if name not in names:
            raise InputError(
                f"unknown feature gate {name!r} (known: {', '.join(names)})",
                path="--feature-gates",
            )
        gates[name] = value.lower() == "true"
    return gates


def echo_warning(message: str) -> None:
    """Print a warning line on stderr (``kmodel: warning: ...``)."""
    click.echo(f"kmodel: warning: {message}", err=True)


def validate_option(func: F) -> F:
    """``--validate strict|warn|ignore``: what an unknown field in a manifest is."""
    return click.option(
        "--validate",
        "validate",
        type=click.Choice(list(VALIDATION_MODES)),
        default="strict",
        show_default=True,
        help="Unknown fields in manifests are errors (strict, exit 2), warnings (warn) or "
        "not reported (ignore), as kubectl apply --validate. Wrong types are always errors.",
    )(func)


def manifest_input_options(func: F) -> F:
    """The input options of every command that reads manifests, passed on as ``inputs``.

    ``--validate``, ``--recursive/--no-recursive``, ``--ignore PATTERN`` (repeatable) and
    ``--skip-kinds KIND,...`` become one :class:`kmodel.objects.manifests.LoadOptions`.
    """

    @functools.wraps(func)
    def wrapper(
        *args: Any,  # noqa: ANN401 - click's arguments, passed through
        validate: str,
        recursive: bool,
        ignore: tuple[str, ...],
        skip_kinds: str | None,
        **kwargs: Any,  # noqa: ANN401
    ) -> Any:  # noqa: ANN401
        kinds = frozenset(k.strip() for k in (skip_kinds or "").split(",") if k.strip())
        inputs = LoadOptions(
            validate=validate, recursive=recursive, ignore=ignore, skip_kinds=kinds
        )
        return func(*args, inputs=inputs, **kwargs)

    decorated: Any = validate_option(wrapper)
    decorated = click.option(
        "--recursive/--no-recursive",
        "-R",
        "recursive",
        default=True,
        show_default=True,
        help="Read folders recursively.",
    )(decorated)
    decorated = click.option(
        "--ignore",
        "ignore",
        multiple=True,
        metavar="PATTERN",
        help="Leave out files and folders found in a folder whose name or relative path "
        "matches this glob (repeatable).",
    )(decorated)
    return click.option(  # type: ignore[no-any-return]
        "--skip-kinds",
        "skip_kinds",
        default=None,
        metavar="KIND,...",
        help="Leave out objects of these kinds (counted as skipped).",
    )(decorated)


def load_cli_manifests(
    paths: Sequence[str], inputs: LoadOptions, *, on_skip: Skip | None = None
) -> list[LoadedObject]:
    """Load manifests for a command: warnings and the closing summary line on stderr.

    ``on_skip`` gets each object of a kind not modelled (else it is warned about).

    Raises:
        InputError: every problem of every file, listed (exit code 2).
    """
    result = load_inputs(list(paths), options=inputs, on_warning=echo_warning, on_skip=on_skip)
    click.echo(f"kmodel: summary: {result.summary.line()}", err=True)
    result.raise_errors()
    return result.objects
