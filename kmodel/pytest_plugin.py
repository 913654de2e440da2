"""pytest plugin: ``pytest --kmodel-specs specs/`` checks kmodel specs inside a test suite.

Registered through the ``pytest11`` entry point, so it loads in every pytest run of a project
that has kmodel installed; without ``--kmodel-specs`` it does nothing, and loading it imports
only pytest, the standard library and the profile table (:mod:`kmodel.profiles`); kmodel's
explorer and Hypothesis load when a spec runs.

Each spec file becomes one test item, ``<spec path>::<spec name>``, that explores the spec as
``kmodel check`` does (the same search, seed and traces). The item honours the spec's
``expect:``:

* ``expect: violation``: passes when an invariant is violated, fails when none is;
* ``expect: pass`` or no ``expect``: passes when every invariant holds, and otherwise fails
  with the counterexample traces as ``kmodel check`` prints them.

A bad spec fails its item with the file, the field path and what is wrong.

Options:
    --kmodel-specs PATH...   spec files, or folders of ``*.yaml``/``*.yml`` (repeatable).
    --kmodel-profile NAME    a profile of :mod:`kmodel.profiles` (default: each spec's ``explore``).
    --kmodel-traces DIR      write each counterexample trace as JSON to DIR.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pytest

from kmodel.profiles import PROFILES

if TYPE_CHECKING:
    from _pytest._code.code import TerminalRepr

__all__ = ["KmodelSpecFailed", "KmodelSpecFile", "KmodelSpecItem"]


class KmodelSpecFailed(Exception):  # noqa: N818  # reads as "the spec failed" in reports
    """A spec did not give the outcome it should; the message is the rendered story."""


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add the ``--kmodel-*`` options."""
    group = parser.getgroup("kmodel", "kmodel specs (kmodel check inside pytest)")
    group.addoption(
        "--kmodel-specs",
        action="extend",
        nargs="+",
        default=None,
        metavar="PATH",
        help="Check these kmodel spec files or folders of them, one test item per spec.",
    )
    group.addoption(
        "--kmodel-profile",
        choices=list(PROFILES),
        default=None,
        help="Exploration effort (default: each spec's explore block).",
    )
    group.addoption(
        "--kmodel-traces",
        default=None,
        metavar="DIR",
        help="Write counterexample traces (JSON) to DIR.",
    )


def _spec_files(raw_paths: list[str], root: Path) -> list[Path]:
    """The spec files named, or found (not recursively) in the folders named."""
    found: list[Path] = []
    for raw in raw_paths:
        path = Path(raw) if Path(raw).is_absolute() else root / raw
        if path.is_dir():
            found.extend(sorted(p for p in path.iterdir() if p.suffix in {".yaml", ".yml"}))
        elif path.is_file():
            found.append(path)
        else:
            message = f"--kmodel-specs: {raw}: no such file or directory"
            raise pytest.UsageError(message)
    return found


_SPECS_KEY: Final = pytest.StashKey[frozenset[Path]]()


def pytest_configure(config: pytest.Config) -> None:
    """With ``--kmodel-specs``, add the specs to what pytest collects."""
    raw = config.getoption("kmodel_specs", default=None)
    if not raw:
        return
    specs = _spec_files(raw, Path.cwd())
    config.stash[_SPECS_KEY] = frozenset(p.resolve() for p in specs)
    # Collected like test files, so -k, --collect-only and the counts all see them.
    config.args.extend(str(p) for p in specs)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> KmodelSpecFile | None:
    """A spec named by ``--kmodel-specs`` becomes a :class:`KmodelSpecFile`."""
    if file_path.resolve() in parent.config.stash.get(_SPECS_KEY, frozenset()):
        return KmodelSpecFile.from_parent(parent, path=file_path)
    return None


class KmodelSpecFile(pytest.File):
    """A spec file; its one item is named after the file (the spec is read when it runs)."""

    def collect(self) -> Iterator[KmodelSpecItem]:
        """The spec's single test item."""
        yield KmodelSpecItem.from_parent(self, name=self.path.stem)


class KmodelSpecItem(pytest.Item):
    """Explore one spec and judge the outcome by its ``expect:``."""

    def runtest(self) -> None:
        """Load and explore the spec; raise :class:`KmodelSpecFailed` on the wrong outcome."""
        # Heavy imports (Hypothesis, the model) only once a spec actually runs.
        from dataclasses import replace  # noqa: PLC0415

        from kmodel.errors import InputError  # noqa: PLC0415
        from kmodel.explore.search import explore  # noqa: PLC0415
        from kmodel.explore.spec import load_spec  # noqa: PLC0415
        from kmodel.explore.trace import make_trace  # noqa: PLC0415
        from kmodel.report.check import render_trace_text  # noqa: PLC0415

        try:
            spec = load_spec(self.path)
        except InputError as error:
            message = f"bad spec: {error}"
            raise KmodelSpecFailed(message) from None
        options = spec.options
        profile = self.config.getoption("kmodel_profile")
        if profile is not None:
            chosen = PROFILES[profile]
            options = replace(
                options,
                examples=chosen.examples,
                max_steps=chosen.max_steps,
                shrink=chosen.shrink,
            )
        spec = replace(spec, options=options)
        counts = {"examples": 0, "steps": 0}

        def progress(examples: int, steps: int) -> None:
            counts.update(examples=examples, steps=steps)

        traces = [
            make_trace(spec, f) for f in explore(spec.scenario, options=options, progress=progress)
        ]
        self.user_properties.extend(
            [("kmodel_examples", counts["examples"]), ("kmodel_steps", counts["steps"])]
        )
        folder = self.config.getoption("kmodel_traces")
        stories = []
        for trace in traces:
            story = f"counterexample for {trace.invariant} ({len(trace.steps)} steps):\n"
            story += render_trace_text(trace)
            if folder:
                safe = trace.invariant.replace(":", "_").replace("/", "_")
                target = Path(folder) / f"{self.path.stem}.{safe}.json"  # as kmodel check names it
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(trace.dumps(), encoding="utf-8")
                story += f"\n     trace saved to {target} (kmodel replay {target})"
            stories.append(story)
        if spec.expect == "violation":
            if not traces:
                message = (
                    f"{spec.path}: the spec expects a violation, but every invariant held "
                    f"({counts['examples']} examples, {counts['steps']} steps, "
                    f"seed {options.seed}): {', '.join(spec.invariant_names)}"
                )
                raise KmodelSpecFailed(message)
            return
        if traces:
            header = f"{spec.path}: {len(traces)} invariant(s) violated (seed {options.seed})"
            raise KmodelSpecFailed("\n".join([header, *stories]))

    def repr_failure(
        self,
        excinfo: pytest.ExceptionInfo[BaseException],
        style: Any = None,  # noqa: ANN401  # pytest's own signature
    ) -> str | TerminalRepr:
        """The rendered trace instead of a Python traceback."""
        if isinstance(excinfo.value, KmodelSpecFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        """Where the item comes from, for pytest's reports."""
        return self.path, None, f"kmodel spec {self.name}"
