"""Run the benchmarks: ``python -m benchmarks placement [--quick] [--timeout S] [--data DIR]``,
``python -m benchmarks model [--steps N] [--seed S] [--examples E]``,
``python -m benchmarks startup [--runs N]``, ``python -m benchmarks verify [--sizes 30,100,300]``
``python -m benchmarks finding [--profile ci] [--mutant NAME]`` or
``python -m benchmarks scale [--examples N] [--workers 1,2,4] [SPEC...]`` or
``python -m benchmarks constrained [--sizes 3,5,7,10] [--timeout S]``."""

from __future__ import annotations

import sys

from benchmarks import constrained, finding, model, placement, scale, startup, verify

BENCHMARKS = {
    "placement": placement.main,
    "model": model.main,
    "startup": startup.main,
    "verify": verify.main,
    "finding": finding.main,
    "scale": scale.main,
    "constrained": constrained.main,
}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    name = "placement"
    if args and not args[0].startswith("-"):
        name, args = args[0], args[1:]
    if name not in BENCHMARKS:
        print(f"unknown benchmark {name!r}; known: {', '.join(BENCHMARKS)}", file=sys.stderr)
        return 2
    return BENCHMARKS[name](args)


if __name__ == "__main__":
    sys.exit(main())
