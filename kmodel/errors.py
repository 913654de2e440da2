"""The errors kmodel raises, in one place.

Every error a user can cause derives from :class:`KmodelError`. Bad input is an
:class:`InputError`: it names the file, the document index, the object and the field path,
so the command line can print one precise line and exit with code 2, never a traceback.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "EXIT_FINDING",
    "EXIT_INPUT",
    "EXIT_INTERNAL",
    "EXIT_OK",
    "FindingError",
    "IncompleteError",
    "InputError",
    "KmodelError",
]

#: Exit codes, the same for every command (see ``design.md``).
EXIT_OK = 0
EXIT_FINDING = 1
EXIT_INPUT = 2
EXIT_INTERNAL = 3


class KmodelError(Exception):
    """Base class of every error kmodel raises on purpose."""

    exit_code: int = EXIT_INTERNAL
    #: How the command line labels the message (``kmodel: error: ...``).
    label: str = "error"


class FindingError(KmodelError):
    """A finding (exit code 1): an invariant violated, a pod that cannot be placed, a disagreement.

    Raised after the command's output has been written; the message is a one-line summary.
    """

    exit_code = EXIT_FINDING
    label = "finding"


class IncompleteError(KmodelError):
    """Work that stopped without an answer (exit code 3): a solver timeout, an unknown result.

    The message says what was proven so far.
    """

    exit_code = EXIT_INTERNAL
    label = "incomplete"


class InputError(KmodelError):
    """Bad input: a manifest, spec, option or configuration that kmodel refuses.

    Attributes:
        message: what is wrong, e.g. ``invalid quantity "1.2.3"``.
        file: the file it came from, if any.
        document: the 0-based index of the YAML document in that file, if any.
        obj: the object, as ``Kind/name`` or ``Kind/namespace/name``, if known.
        path: the field path inside the object, e.g. ``spec.containers[1].image``.
        problems: when several problems were collected (every error of every file), each of
            them; the message then only counts them.
    """

    exit_code = EXIT_INPUT

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        document: int | None = None,
        obj: str | None = None,
        path: str | None = None,
        problems: Sequence[InputError] = (),
    ) -> None:
        self.message = message
        self.file = file
        self.document = document
        self.obj = obj
        self.path = path
        self.problems = tuple(problems)
        super().__init__(str(self))

    @classmethod
    def collected(cls, errors: Sequence[InputError]) -> InputError:
        """One error for several: the error itself when there is one, else all of them listed."""
        if len(errors) == 1:
            return errors[0]
        return cls(f"{len(errors)} problems in the input:", problems=errors)

    def located(
        self,
        *,
        file: str | None = None,
        document: int | None = None,
        obj: str | None = None,
        path_prefix: str | None = None,
    ) -> InputError:
        """Return a copy that also carries the outer location (filled in as the error rises)."""
        if self.problems:
            return InputError.collected(
                [
                    p.located(file=file, document=document, obj=obj, path_prefix=path_prefix)
                    for p in self.problems
                ]
            )
        path = self.path
        if path_prefix:
            path = join_path(path_prefix, path) if path else path_prefix
        return InputError(
            self.message,
            file=self.file if self.file is not None else file,
            document=self.document if self.document is not None else document,
            obj=self.obj if self.obj is not None else obj,
            path=path,
        )

    def __str__(self) -> str:
        if self.problems:
            return self.message + "".join(f"\n  {problem}" for problem in self.problems)
        parts: list[str] = []
        if self.file is not None:
            parts.append(self.file)
        if self.document is not None:
            parts.append(f"document {self.document}")
        if self.obj is not None:
            parts.append(self.obj)
        if self.path:
            parts.append(self.path)
        parts.append(self.message)
        return ": ".join(parts)


def join_path(prefix: str, rest: str) -> str:
    """Join two field paths: ``spec`` + ``containers[0]`` gives ``spec.containers[0]``."""
    if not prefix:
        return rest
    if not rest:
        return prefix
    return prefix + rest if rest.startswith("[") else f"{prefix}.{rest}"
