"""``kmodel status``: the phase and conditions the kubelet would report for each Pod."""

from __future__ import annotations

import click

from kmodel.cli.options import (
    load_cli_manifests,
    manifest_input_options,
    output_options,
    parse_feature_gates,
)
from kmodel.objects.defaults import set_defaults
from kmodel.objects.fields import mapping_at, read_path
from kmodel.objects.manifests import LoadOptions
from kmodel.report.output import write_output
from kmodel.report.status import PodStatusReport, render_status
from kmodel.semantics.pods import FEATURE_GATES, api_pod_phase, pod_conditions
from kmodel.semantics.printers import print_pod, unbound_pod_status


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@output_options(["text", "json", "markdown"])
@manifest_input_options
@click.option(
    "--feature-gates",
    default=None,
    metavar="NAME=BOOL,...",
    help="Kubelet feature gates: ContainerRestartRules, RestartAllContainersOnContainerExits, "
    "PodReadyToStartContainersCondition (all off by default).",
)
def status(
    paths: tuple[str, ...],
    output: str,
    out: str | None,
    feature_gates: str | None,
    inputs: LoadOptions,
) -> None:
    """Print the phase and conditions the kubelet would report for each Pod in PATHS.

    PATHS are YAML or JSON files (multi-document, `kind: List`, or `kubectl get -o yaml`
    output), folders of them (recursively), or - for standard input. Pods are defaulted as
    the API server would (restartPolicy Always); their status (containerStatuses,
    initContainerStatuses, conditions) is what the kubelet reads. Beside phase and
    conditions, STATUS, READY and RESTARTS are derived as `kubectl get pods` derives them. A
    Pod without spec.nodeName is not bound: no kubelet reports on it, so it keeps the API
    server's and the scheduler's status (Pending; PodScheduled=False SchedulingGated for a Pod
    with scheduling gates). Other objects are named, one line each, as not covered.
    """
    gates = parse_feature_gates(feature_gates, FEATURE_GATES)
    not_covered: list[str] = []

    def skip(line: str) -> None:
        click.echo(f"kmodel: warning: {line}", err=True)
        not_covered.append(line)

    objects = load_cli_manifests(paths, inputs, on_skip=lambda skipped: skip(str(skipped)))
    reports: list[PodStatusReport] = []
    for obj in objects:
        if obj.kind != "Pod":
            skip(f"{obj.source}: skipping {obj.label}: kmodel status reports Pods only")
            continue
        pod = set_defaults(obj.body)
        node = read_path(pod, "spec.nodeName") or None
        if node is None:
            phase, conditions = unbound_pod_status(pod)
        else:
            phase = api_pod_phase(pod, feature_gates=gates)
            conditions = pod_conditions(pod, phase=phase, feature_gates=gates)
        # kubectl reads the status the API would hold: the reported phase and conditions.
        reported = {**pod, "status": {**mapping_at(pod, "status"), "phase": phase}}
        reported["status"]["conditions"] = conditions
        row = print_pod(reported)
        reports.append(
            PodStatusReport(
                namespace=obj.namespace or "default",
                name=obj.name,
                file=obj.source.file,
                document=obj.source.document,
                node=node,
                phase=phase,
                ready=row.ready,
                status=row.status,
                restarts=row.restarts,
                conditions=conditions,
            )
        )
    write_output(render_status(reports, output, not_modelled=not_covered), out)
