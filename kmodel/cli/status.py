"""``kmodel status``: the phase and conditions the kubelet would report for each Pod."""

from __future__ import annotations

import click

from kmodel.cli.options import output_options, parse_feature_gates
from kmodel.objects.defaults import default_pod
from kmodel.objects.manifests import load_manifests
from kmodel.report.output import write_output
from kmodel.report.status import PodStatusReport, render_status
from kmodel.semantics.pods import api_pod_phase, pod_conditions


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@output_options(["text", "json", "markdown"])
@click.option(
    "--feature-gates",
    default=None,
    metavar="NAME=BOOL,...",
    help="Kubelet feature gates: ContainerRestartRules, RestartAllContainersOnContainerExits, "
    "PodReadyToStartContainersCondition (all off by default).",
)
def status(paths: tuple[str, ...], output: str, out: str | None, feature_gates: str | None) -> None:
    """Print the phase and conditions the kubelet would report for each Pod in PATHS.

    PATHS are YAML or JSON files (multi-document, `kind: List`, or `kubectl get -o yaml`
    output) or folders of them. Pods are defaulted as the API server would (restartPolicy
    Always); their status (containerStatuses, initContainerStatuses, conditions) is what the
    kubelet reads. Other kinds are ignored.
    """
    gates = parse_feature_gates(feature_gates)
    objects = load_manifests(
        paths, on_warning=lambda msg: click.echo(f"kmodel: warning: {msg}", err=True)
    )
    reports: list[PodStatusReport] = []
    for obj in objects:
        if obj.kind != "Pod":
            continue
        pod = default_pod(obj.body)
        phase = api_pod_phase(pod, feature_gates=gates)
        reports.append(
            PodStatusReport(
                namespace=obj.namespace or "default",
                name=obj.name,
                file=obj.source.file,
                document=obj.source.document,
                phase=phase,
                conditions=pod_conditions(pod, phase, feature_gates=gates),
            )
        )
    write_output(render_status(reports, output), out)
