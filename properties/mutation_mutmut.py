"""``mutmut run``, without its clean-test rerun right after a full stats run.

mutmut runs the whole test command on the faithful model twice before the first mutant: its
stats run (which tests call which function, how long each takes; it stops unless every test
passes) and then a clean run of the tests the chosen mutants need. Under the ``ci`` profile
each is tens of minutes, and the examples are derandomized, so right after a full stats run of
the same code the clean run can only repeat its answer: it is skipped then. When the stats
come from an earlier run (a re-run of mutants by name after a change), the clean run still
checks that the faithful model passes their tests.

Usage (``properties/mutation_run.py`` calls it): ``python -m properties.mutation_mutmut
[--max-children N] [NAME...]``, the arguments of ``mutmut run``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any


def main(arguments: list[str]) -> None:
    """``mutmut run`` with ``arguments``; the clean run is skipped after a full stats run."""
    import mutmut.__main__ as mutmut_main  # noqa: PLC0415 (the mutation extra only)

    full_stats_run = False
    collect = mutmut_main.run_stats_collection
    make_runner = mutmut_main.get_mutant_runner

    def run_stats_collection(runner: Any, tests: Iterable[str] | None = None) -> None:
        nonlocal full_stats_run
        collect(runner, tests)
        full_stats_run = full_stats_run or not tests

    def get_mutant_runner(max_workers: int = 1) -> Any:
        runner = make_runner(max_workers)
        clean = runner.run_clean_tests

        def run_clean_tests(tests: Iterable[str]) -> int:
            if full_stats_run:
                sys.stdout.write("    skipped: the stats run just passed these tests\n")
                return 0
            return int(clean(tests))

        runner.run_clean_tests = run_clean_tests
        return runner

    mutmut_main.run_stats_collection = run_stats_collection
    mutmut_main.get_mutant_runner = get_mutant_runner
    mutmut_main.cli(["run", *arguments])


if __name__ == "__main__":
    main(sys.argv[1:])
