"""``kmodel pack`` and ``kmodel explain``: optimal placement beside the heuristics, and why not.

Exit codes: 0 every pod placed (pack) or placeable (explain); 1 a pod cannot be placed; 2 bad
input; 3 the solver hit the time limit without a proof (the message says what was proven).
"""

from __future__ import annotations

import time
from dataclasses import replace

import click

from kmodel.cli.options import load_cli_manifests, manifest_input_options, output_options
from kmodel.cli.progress import ProgressDisplay
from kmodel.cli.stdio import command_started
from kmodel.errors import FindingError, IncompleteError, InputError, KmodelError
from kmodel.objects.manifests import LoadOptions, SkippedObject
from kmodel.placement.constrained import CONSTRAINED_SHARE, engine_gaps, with_constraints
from kmodel.placement.engine.isolated import BackgroundCall
from kmodel.placement.engine.problem import PackingResult, Status
from kmodel.placement.engine.solve import SolveOptions, solve
from kmodel.placement.explain import explain as explain_conflict
from kmodel.placement.kube_scheduler import HeuristicRun, engine_heuristics, heuristic_runs
from kmodel.placement.manifests import PlacementInput, placement_input
from kmodel.placement.verify import verify_placement
from kmodel.report.output import write_output
from kmodel.report.placement import PackReport, render_explain, render_pack, write_report


def _better_run(
    objective: str,
    runs: list[HeuristicRun],
    unplaced: int,
    nodes_used: int | None,
    cost: int | None,
) -> HeuristicRun | None:
    """The heuristic run strictly better than the solver's packing for ``objective``, if any.

    Fewer unplaced pods first (for ``nodes`` and ``cost`` a packing with pods out is no packing
    at all), then fewer nodes or lower cost.
    """

    def key(out: int, nodes: int | None, price: int | None) -> tuple[int, int]:
        second = price if objective == "cost" else nodes
        return out, (2**62 if second is None else second)

    best = key(unplaced, nodes_used, cost)
    better = [r for r in runs if key(len(r.unplaced), r.nodes_used, r.cost) < best]
    return min(better, key=lambda r: key(len(r.unplaced), r.nodes_used, r.cost), default=None)


def _best_valid_run(
    objective: str, runs: list[HeuristicRun], inp: PlacementInput
) -> HeuristicRun | None:
    """The best heuristic run whose placement keeps every rule the verifier checks."""
    ranked = sorted(
        runs, key=lambda r: (len(r.unplaced), r.cost if objective == "cost" else r.nodes_used)
    )
    return next((r for r in ranked if not verify_placement(inp, r.placement)), None)


#: Pods named in the one-line message when some cannot be placed (the output lists them all).
_NAMED_PODS = 10


def _warn(message: str) -> None:
    click.echo(f"kmodel: warning: {message}", err=True)


def _load(
    paths: tuple[str, ...],
    objective: str,
    inputs: LoadOptions,
    skipped: list[SkippedObject] | None = None,
) -> PlacementInput:
    """The placement input; each object of a kind the model does not know is warned about.

    Skipped objects are also added to ``skipped`` (for the report).
    """

    def skip(obj: SkippedObject) -> None:
        _warn(str(obj))
        if skipped is not None:
            skipped.append(obj)

    objects = load_cli_manifests(paths, inputs, on_skip=skip)
    return placement_input(objects, objective=objective, on_warning=_warn)


def _check_timeout(timeout: float) -> float:
    if not timeout > 0:
        raise InputError(f"must be a positive number of seconds, got {timeout}", path="--timeout")
    return timeout


def _unplaced_reason(inp: PlacementInput, pod: str) -> str:
    group = inp.groups[inp.group_of_pod()[pod]]
    if not group.eligible:
        reasons = sorted({"; ".join(r) for r in group.reasons.values()})
        return "no node passes the scheduler's filters: " + " | ".join(reasons)
    return (
        f"not enough room on the {len(group.eligible)} node(s) it may run on "
        "(run `kmodel explain` for the conflicting constraints)"
    )


# The schedule of --timeout S (from the command's start, where the user's wait begins):
#   solve deadline = start + S - finish estimate,
#   finish estimate = min(_FINISH_SHARE * S, _FINISH_FLOOR + _VERIFY_PER_POD * pods to place),
# so what reading the manifests took comes off the solve, and the verification and the report
# keep their estimate at the end. The per-pod rate is the Z3 verification's, measured on openb
# (5,074 Pods on 1,523 Nodes verify in 2.7 s on a quiet core, about 5 s at load 8), with
# room for load. Verification always runs to the end, even past S: the output then says what
# took the time (a warning, and ``phase_seconds`` in JSON).
_FINISH_FLOOR, _VERIFY_PER_POD, _FINISH_SHARE = 0.5, 0.001, 0.4
#: Seconds past --timeout before the overrun is reported (the report's writing, the exit).
_OVERRUN_GRACE = 1.0


def _finish_estimate(timeout: float, pods: int) -> float:
    """Seconds kept after the solve for the verification and the report (schedule above)."""
    return min(_FINISH_SHARE * timeout, _FINISH_FLOOR + _VERIFY_PER_POD * pods)


def _heuristics(
    inp: PlacementInput, running: BackgroundCall[list[HeuristicRun]], wait: float
) -> list[HeuristicRun]:
    """The heuristics' runs from the background, or FFD and BFD alone when they are late.

    Raises:
        KmodelError: the runs raised (a kmodel bug: exit code 3, not a silent omission).
    """
    done, runs = running.poll(timeout=wait)
    if done and runs is not None:
        return runs
    running.stop()
    if running.error is not None:
        raise KmodelError(
            f"kube-scheduler's heuristic runs failed ({running.error}); this is a kmodel bug, "
            "please report it with the input"
        )
    _warn(
        "kube-scheduler's runs did not finish within --timeout and are not shown (FFD and BFD are)"
    )
    return engine_heuristics(inp)


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option(
    "--objective",
    type=click.Choice(["nodes", "cost", "placed"]),
    default="nodes",
    show_default=True,
    help="Fewest nodes, lowest cost (Node annotation kmodel.dev/price), or most pods placed "
    "by priority.",
)
@click.option(
    "--timeout",
    type=float,
    default=10.0,
    show_default=True,
    help="Seconds for the whole command: reading, heuristics, solve, verification, report.",
)
@output_options(["text", "json", "markdown"])
@manifest_input_options
@click.option(
    "--report",
    "report_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Also write a Markdown/HTML report with a utilisation plot into DIR.",
)
def pack(
    paths: tuple[str, ...],
    *,
    objective: str,
    timeout: float,
    output: str,
    out: str | None,
    report_dir: str | None,
    inputs: LoadOptions,
) -> None:
    """Place the pods in PATHS on the Nodes in PATHS: the optimum beside the heuristics.

    Unbound Pods and the missing replicas of Deployments and ReplicaSets are placed; Pods with
    spec.nodeName stay where they are. The optimum (HiGHS, with its proven bound; checked by
    Z3) is shown beside kube-scheduler's default profile (three scoring strategies), FFD and
    BFD.
    """
    # From the command's start (the console script's entry), where the user's wait begins.
    started = command_started() or time.perf_counter()
    _check_timeout(timeout)
    with ProgressDisplay("reading the manifests") as display:
        budget = f"--timeout {timeout:g} s"

        def phase(text: str) -> None:
            display.update(description=text, detail=budget)

        def solver_progress(step: str, incumbent: int | None, bound: int) -> None:
            best = "none yet" if incumbent is None else str(incumbent)
            phase(f"solving: {step}; best {best}, proven bound {bound}")

        skipped: list[SkippedObject] = []
        inp = _load(paths, objective, inputs, skipped)
        problem = inp.problem()
        read_done = time.perf_counter()
        # --timeout bounds the whole command (the schedule above _finish_estimate): the
        # heuristics run on the second core meanwhile.
        finish = _finish_estimate(timeout, len(inp.pod_names))
        solve_until = started + timeout - finish
        running = BackgroundCall(heuristic_runs, inp)
        try:
            limit = max(0.1, solve_until - time.perf_counter())
            # Rules beyond the engine go to Z3 afterwards: the engine's share gives the bound.
            constrained = bool(engine_gaps(inp))
            share = CONSTRAINED_SHARE if constrained else 1.0
            phase("presolve")
            options = SolveOptions(time_limit=limit * share, progress=solver_progress)
            result = solve(problem, options=options)
            if constrained:
                # Z3 runs while kube-scheduler's runs go on the second core (their packings
                # are the fallback when Z3 finds none in time).
                phase("Z3: spread, pod affinity and host ports")
                seeds = [(run.name, run.placement) for run in engine_heuristics(inp)]
                left = max(0.1, solve_until - time.perf_counter())
                result = with_constraints(inp, result, seeds, time_limit=left)
            phase("kube-scheduler, FFD and BFD")
            runs = _heuristics(inp, running, solve_until - time.perf_counter())
        finally:
            running.stop()
        phase("verifying the placement (Z3)")
        solve_done = time.perf_counter()
        report = _report(inp, objective, result, runs, skipped)
        verify_done = time.perf_counter()
    seconds = {
        "reading": read_done - started,
        "solve": solve_done - read_done,
        "verification": verify_done - solve_done,
    }
    report = replace(report, phase_seconds={k: round(v, 3) for k, v in seconds.items()})
    overrun = verify_done - started - timeout
    if overrun > _OVERRUN_GRACE:
        _warn(
            f"--timeout {timeout:g} s overrun by {overrun:.1f} s: reading the manifests took "
            f"{seconds['reading']:.1f} s, the solve {seconds['solve']:.1f} s and the verification "
            f"of {len(inp.pod_names)} pods {seconds['verification']:.1f} s "
            f"({finish:.1f} s were kept for it and the report)"
        )
    _finish(report, inp, output=output, out=out, report_dir=report_dir, timeout=timeout)


def _value_of(objective: str, run: HeuristicRun) -> int:
    """A heuristic run's value under ``objective`` (nodes, cost or unplaced pods)."""
    if objective == "cost":
        return run.cost
    if objective == "placed":
        return len(run.unplaced)
    return run.nodes_used


def _report(
    inp: PlacementInput,
    objective: str,
    result: PackingResult,
    runs: list[HeuristicRun],
    skipped: list[SkippedObject],
) -> PackReport:
    """The solver's packing (or a better heuristic's past the time limit), verified."""
    placement = inp.decode(result.placement)
    pods = inp.pod_names
    unplaced = {pods[i]: _unplaced_reason(inp, pods[i]) for i in result.unplaced}
    nodes_used, cost = result.nodes_used, result.cost
    method = result.method
    if not result.optimal:
        # Past the time limit the best packing found can be worse than a heuristic's (a trace
        # of thousands of distinct pods): report the best of all, never worse than one shown.
        better = _better_run(objective, runs, len(unplaced), nodes_used, cost)
        if better is not None:
            placement = dict(better.placement)
            unplaced = {pod: _unplaced_reason(inp, pod) for pod in better.unplaced}
            nodes_used, cost = better.nodes_used, better.cost
            method = f"{better.name} (better than the solver's packing); solver: {method}"
            if (
                result.status in {Status.FEASIBLE, Status.UNKNOWN}
                and (objective == "placed" or not better.unplaced)
                and _value_of(objective, better) <= result.lower_bound
            ):
                # The heuristic's packing meets the solver's proven bound: it is optimal.
                result = replace(result, status=Status.OPTIMAL, optimal=True)
    violations = verify_placement(inp, placement)
    if violations:
        # The packer caps topology spread per node but checks its skew only here: the best
        # heuristic packing that keeps every rule stands in for the solver's, and is optimal
        # when it meets the proven bound.
        kept = _best_valid_run(objective, runs, inp)
        if kept is not None:
            method = f"{kept.name} (the solver's packing broke: {violations[0]}); solver: {method}"
            placement = dict(kept.placement)
            unplaced = {pod: _unplaced_reason(inp, pod) for pod in kept.unplaced}
            nodes_used, cost, violations = kept.nodes_used, kept.cost, []
            meets_bound = (objective == "placed" or not kept.unplaced) and _value_of(
                objective, kept
            ) <= result.lower_bound
            result = replace(
                result,
                status=Status.OPTIMAL if meets_bound else Status.FEASIBLE,
                optimal=meets_bound,
            )
    status = result.status.value
    if status == Status.UNKNOWN.value and nodes_used is not None:
        status = Status.FEASIBLE.value
    if violations:
        # The packer does not model per-zone rules; the verifier does. Never call it optimal.
        status = Status.UNKNOWN.value
    return PackReport(
        objective=objective,
        status=status,
        nodes_used=nodes_used,
        cost=cost,
        lower_bound=result.lower_bound,
        optimal=result.optimal and not violations,
        solve_seconds=result.solve_seconds,
        placement=placement,
        unplaced=unplaced,
        heuristics=runs,
        violations=tuple(violations),
        nodes_lower_bound=result.nodes_lower_bound,
        method=method,
        not_placed=dict(inp.held),
        not_modelled=tuple(str(obj) for obj in skipped),
        overhead=inp.overhead,
    )


def _finish(
    report: PackReport,
    inp: PlacementInput,
    *,
    output: str,
    out: str | None,
    report_dir: str | None,
    timeout: float,
) -> None:
    """Write the report; raise what the exit code says (incomplete, or pods not placed)."""
    write_output(render_pack(report, output), out)
    if report_dir is not None:
        write_report(report, inp, report_dir)
    objective, bound = report.objective, report.lower_bound
    if report.violations:
        raise IncompleteError(
            "the optimiser's placement breaks a rule it does not model "
            f"({report.violations[0]}); proven lower bound {bound} ({objective})"
        )
    if report.status in {Status.UNKNOWN.value, Status.FEASIBLE.value}:
        found = "no packing" if report.nodes_used is None else f"best found: {report.nodes_used}"
        raise IncompleteError(
            f"time limit of {timeout:g} s hit: {found} nodes, cost {report.cost}, "
            f"{len(report.unplaced)} unplaced; proven lower bound {bound} ({objective})"
        )
    if report.unplaced:
        names = list(report.unplaced)
        shown = ", ".join(names[:_NAMED_PODS])
        if len(names) > _NAMED_PODS:
            shown += f" and {len(names) - _NAMED_PODS} more (all in the output)"
        raise FindingError(
            f"{len(names)} pod(s) cannot be placed: {shown} (`kmodel explain` shows why)"
        )


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--timeout", type=float, default=30.0, show_default=True, help="Seconds Z3 may take.")
@output_options(["text", "json", "markdown"])
@manifest_input_options
def explain(
    paths: tuple[str, ...], timeout: float, output: str, out: str | None, inputs: LoadOptions
) -> None:
    """Why the pods in PATHS cannot all be placed: a minimal set of conflicting constraints."""
    _check_timeout(timeout)
    skipped: list[SkippedObject] = []
    inp = _load(paths, "nodes", inputs, skipped)
    explanation = explain_conflict(inp, timeout=timeout)
    rendered = render_explain(
        explanation,
        output,
        not_placed=dict(inp.held),
        not_modelled=[str(obj) for obj in skipped],
        overhead=inp.overhead,
    )
    write_output(rendered, out)
    if explanation.status == "conflict":
        raise FindingError(f"cannot place {', '.join(explanation.groups) or 'every pod'}")
    if explanation.status == "unknown":
        raise IncompleteError(f"Z3 could not decide within {timeout:g} s: nothing proven")
