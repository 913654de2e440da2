"""``make mutation``: mutmut over the model's components on a deterministic sample of mutants.

Steps: generate every mutant of ``[tool.mutmut] only_mutate`` (the cluster components and the
semantics they call), take a deterministic sample per component file (the ``SAMPLE`` mutants
whose names hash lowest, so a sample stays put while other functions change), run mutmut on
the sample with two workers (``properties/mutation_mutmut.py``; its test selection by
coverage: a mutant runs only the tests that called its function; fastest first, within a CPU
budget per test, see ``properties/mutation_order.py``), and write the
score per component with the surviving mutants' diffs to ``reports/mutation.md``. Mutants
shown equivalent (``tests/quality/equivalent_mutants.txt``) are left out of the score.

Usage: ``python -m properties.mutation_run [--sample N] [--jobs N] [--report FILE] [NAME...]``
(names or globs re-run those mutants only, e.g. the survivors after a new invariant).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

MUTANTS = Path("mutants")
EQUIVALENT = Path("tests/quality/equivalent_mutants.txt")
#: mutmut's exit codes by outcome (``mutmut.stats.status_by_exit_code``), as reported here.
OUTCOMES = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests"}
TIMEOUTS = {36, -24, 24, 152, 255}


def generate() -> dict[str, list[str]]:
    """Every mutant's name, by the file it mutates (mutmut's own generation, in-process)."""
    import mutmut.__main__ as mutmut_main  # noqa: PLC0415 (the mutation extra only)

    MUTANTS.mkdir(exist_ok=True)
    mutmut_main.copy_src_dir()
    mutmut_main.copy_also_copy_files()
    mutmut_main.create_mutants(2)
    return _recorded()


def _recorded() -> dict[str, list[str]]:
    """The mutants generated, by file, of the files the configuration mutates now."""
    from mutmut.configuration import config  # noqa: PLC0415 (the mutation extra only)

    by_file = {}
    for meta in sorted(MUTANTS.rglob("*.py.meta")):
        path = str(meta.relative_to(MUTANTS)).removesuffix(".meta")
        if config().should_mutate(path):
            by_file[path] = sorted(json.loads(meta.read_text())["exit_code_by_key"])
    return by_file


def sample(names: list[str], size: int) -> list[str]:
    """The ``size`` names whose SHA-256 is lowest: deterministic, stable under other edits."""
    return sorted(names, key=lambda n: hashlib.sha256(n.encode()).hexdigest())[:size]


def equivalent() -> dict[str, str]:
    """The mutants shown equivalent, with why (``name  reason`` lines, ``#`` comments)."""
    found = {}
    for line in EQUIVALENT.read_text().splitlines() if EQUIVALENT.exists() else []:
        if line.strip() and not line.startswith("#"):
            name, _, why = line.partition(" ")
            found[name] = why.strip()
    return found


def outcome(code: int | None) -> str:
    """mutmut's exit code in words."""
    if code is None:
        return "not checked"
    return "timeout" if code in TIMEOUTS else OUTCOMES.get(code, "suspicious")


def results(by_file: dict[str, list[str]]) -> dict[str, str]:
    """Each mutant's outcome as mutmut recorded it."""
    found = {}
    for path in by_file:
        meta = json.loads((MUTANTS / f"{path}.meta").read_text())
        for name, code in meta["exit_code_by_key"].items():
            found[name] = outcome(code)
    return found


def report(
    chosen: dict[str, list[str]], outcomes: dict[str, str], equivalents: dict[str, str]
) -> str:
    """The score per component file, then every survivor's diff (``mutmut show``)."""
    lines = [
        "| component | sampled | killed | timeout | survived | equivalent | no tests | score |",
        "|---|---|---|---|---|---|---|---|",
    ]
    survivors = []
    totals: Counter[str] = Counter()
    for path, names in chosen.items():
        counts = Counter("equivalent" if n in equivalents else outcomes[n] for n in names)
        counts["sampled"] = len(names)
        totals.update(counts)
        survivors += [n for n in names if outcomes[n] == "survived" and n not in equivalents]
        lines.append(_row(path.removeprefix("kmodel/").removesuffix(".py"), counts))
    lines.append(_row("**all**", totals))
    lines += ["", f"Surviving mutants ({len(survivors)}):", ""]
    for name in survivors:
        shown = subprocess.run(
            [sys.executable, "-m", "mutmut", "show", name],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        lines += [f"### {name}", "", "```diff", shown.strip(), "```", ""]
    return "\n".join(lines) + "\n"


def _row(label: str, counts: Counter[str]) -> str:
    judged = counts["killed"] + counts["timeout"] + counts["survived"]
    score = f"{100 * (counts['killed'] + counts['timeout']) / judged:.0f} %" if judged else "-"
    cells = [counts[k] for k in ("sampled", "killed", "timeout", "survived", "equivalent")]
    return f"| {label} | {' | '.join(map(str, cells))} | {counts['no tests']} | {score} |"


def main() -> None:
    """Generate, sample, run mutmut, report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=2, help="mutants per component file")
    parser.add_argument("--jobs", type=int, default=2, help="mutmut's parallel workers")
    parser.add_argument("--report", type=Path, default=Path("reports/mutation.md"))
    parser.add_argument("--report-only", action="store_true", help="report what mutmut recorded")
    parser.add_argument("names", nargs="*", help="re-run these mutants (names or globs) only")
    args = parser.parse_args()
    by_file = _recorded() if args.report_only else generate()
    chosen = {path: sample(names, args.sample) for path, names in by_file.items() if names}
    equivalents = equivalent()
    wanted = args.names or [n for names in chosen.values() for n in names if n not in equivalents]
    print(
        f"{sum(map(len, chosen.values()))} mutants sampled ({args.sample} per file) of "
        f"{sum(map(len, by_file.values()))} in {len(chosen)} files",
        flush=True,
    )
    if not args.report_only:
        subprocess.run(
            [
                *(sys.executable, "-m", "properties.mutation_mutmut"),
                *("--max-children", str(args.jobs), *wanted),
            ],
            check=False,
        )
    text = report(chosen, results(by_file), equivalents)
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(text)
    print(text.partition("\n\nSurviving")[0])


if __name__ == "__main__":
    main()
