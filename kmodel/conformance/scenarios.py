"""Conformance scenarios: Pod manifests, a window, and the model's expectation.

A scenario file (``specs/conformance/*.yaml``) holds several YAML documents:

* one or more ``v1`` Pods, validated by :func:`kmodel.objects.manifests.load_text`. Their
  containers use the ``busybox`` image and a command the model can read (see
  :func:`program_for`): ``["sh", "-c", SCRIPT]`` or a plain argument list;
* exactly one ``kmodel.dev/v1alpha1`` ``ConformanceScenario`` document, last in the file::

      apiVersion: kmodel.dev/v1alpha1
      kind: ConformanceScenario
      metadata: {name: crash-loop}
      spec:
        window: 8                      # seconds observed: wall on the engine, logical in the model
        replace: [{pod: web, at: 3}]   # optional: delete the pod at second 3 and create it again
      expect: {...}                    # written by the model: kmodel conform --update-expect

The ``expect`` block is never written by hand: ``kmodel conform --update-expect`` runs the model
and rewrites it (everything from the ``expect:`` line to the end of the file), and a test checks
that the committed blocks still equal what the model computes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import yaml

from kmodel.cluster.model import Program
from kmodel.conformance.scenario_format import MAX_WINDOW, ConformanceScenarioFormat
from kmodel.errors import InputError
from kmodel.internal.formats import parse_format
from kmodel.objects.defaults import set_defaults
from kmodel.objects.fields import list_at, mapping_at
from kmodel.objects.manifests import SkippedObject, load_text, parse_yaml, read_text_file

__all__ = [
    "MAX_WINDOW",
    "SCENARIO_API_VERSION",
    "SCENARIO_KIND",
    "Replacement",
    "Scenario",
    "load_scenario",
    "load_scenarios",
    "probe_file",
    "program_for",
    "scenario_from_text",
    "text_with_expectation",
]

SCENARIO_API_VERSION: Final = "kmodel.dev/v1alpha1"
SCENARIO_KIND: Final = "ConformanceScenario"
#: A sleep at least this long (or ``sleep infinity``) runs until the container is killed.
FOREVER_SLEEP: Final = 3600

#: Commands assumed to take no time and to succeed: their effect (a file written, a message
#: sent) is what the scenario checks, through the exit code of the container that waits for it.
_EFFECTS: Final = frozenset(
    {
        "echo",
        "printf",
        "cat",
        "grep",
        "wget",
        "nc",
        "mkdir",
        "cp",
        "ls",
        "hostname",
        "ip",
        "true",
        "test",
        "[",
        "wc",
        "touch",
        "rm",
        ":",
    }
)
#: Servers that run in the foreground until killed.
_SERVERS: Final = (re.compile(r"^httpd\b.*\s-f\b"), re.compile(r"^nc\b.*\s-l[a-z]*k"))
_ASSIGNMENT: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=\S*$")
#: The comment line that opens the generated ``expect:`` block.
EXPECT_HEADER: Final = (
    "# expect: what the model predicts; written by `kmodel conform --update-expect`, not by hand."
)
#: The run-counter idiom: ``[ $(wc -l < FILE) -gt K ] || exit C`` fails the first K runs.
_RUN_COUNTER: Final = re.compile(r"^\[ \$\(wc -l < (\S+)\) -gt (\d+) \]$")


@dataclass(frozen=True)
class Replacement:
    """Delete pod ``pod`` at second ``at`` and create it again (it gets a new UID)."""

    pod: str
    at: int


@dataclass
class Scenario:
    """One conformance scenario.

    Attributes:
        name: ``metadata.name`` of the scenario document.
        file: the file it was loaded from.
        pods: the Pods, defaulted (restartPolicy, namespace), in file order.
        window: seconds to observe.
        replacements: pods deleted and created again during the window.
        expect: the model's expectation as recorded in the file (may be empty or stale).
        text: the file text (to rewrite the ``expect`` block).
    """

    name: str
    file: str
    pods: list[dict[str, Any]]
    window: int
    replacements: list[Replacement] = field(default_factory=list)
    expect: dict[str, Any] = field(default_factory=dict)
    text: str = ""

    def programs(self) -> dict[tuple[str, str], Program]:
        """The model program of every container, by (pod name, container name)."""
        result: dict[tuple[str, str], Program] = {}
        for index, pod in enumerate(self.pods):
            spec = mapping_at(pod, "spec")
            for key in ("initContainers", "containers"):
                for position, container in enumerate(spec.get(key) or []):
                    path = f"pods[{index}].spec.{key}[{position}]"
                    try:
                        program = program_for(container)
                    except InputError as error:
                        raise error.located(
                            file=self.file, obj=f"Pod/{pod['metadata']['name']}", path_prefix=path
                        ) from None
                    result[(pod["metadata"]["name"], container["name"])] = program
        return result


def _split_statements(script: str) -> list[tuple[str, str]]:
    """Split a shell script at top-level ``;``, newlines, ``&&`` and ``||``.

    Returns (operator before the statement, statement) pairs; ``while``/``until`` loops stay one
    statement. Quotes and ``$( )`` are respected.
    """
    parts: list[tuple[str, str]] = []
    current: list[str] = []
    operator = ";"
    quote = ""
    depth = 0
    i = 0
    while i < len(script):
        char = script[i]
        pair = script[i : i + 2]
        if quote:
            current.append(char)
            if char == quote:
                quote = ""
        elif char in {"'", '"'}:
            quote = char
            current.append(char)
        elif char == "(":
            depth += 1
            current.append(char)
        elif char == ")":
            depth -= 1
            current.append(char)
        elif depth == 0 and pair in {"&&", "||"}:
            parts.append((operator, "".join(current).strip()))
            current, operator = [], pair
            i += 2
            continue
        elif depth == 0 and char in {";", "\n"}:
            parts.append((operator, "".join(current).strip()))
            current, operator = [], ";"
        else:
            current.append(char)
        i += 1
    if quote or depth:
        raise InputError("unbalanced quotes or parentheses in the script", path="command")
    parts.append((operator, "".join(current).strip()))
    merged: list[tuple[str, str]] = []
    loop: list[str] = []
    loop_operator = ";"
    nesting = 0
    for op, statement in parts:
        if not statement:
            continue
        first = statement.split()[0]
        if first in {"while", "until", "for"}:
            if nesting == 0:
                loop_operator = op
            nesting += 1
        if nesting:
            loop.append(statement)
            if first == "done" or statement.endswith(" done"):
                nesting -= 1
                if nesting == 0:
                    merged.append((loop_operator, "; ".join(loop)))
                    loop = []
            continue
        merged.append((op, statement))
    if nesting:
        raise InputError("a while/until loop has no matching done", path="command")
    return merged


#: Exec probe commands that always succeed.
_ALWAYS_PASSES: Final = (["true"], [":"])


def probe_file(container: Mapping[str, Any], *, probe_field: str = "readinessProbe") -> str | None:
    """The file an exec probe checks (``cat F``, ``test -f F``, ``[ -f F ]``)."""
    probe = container.get(probe_field) or {}
    command = list(list_at(probe, "exec.command"))
    if len(command) == 3 and command[:2] in (["sh", "-c"], ["/bin/sh", "-c"]):
        command = str(command[2]).split()
    if len(command) == 2 and command[0] == "cat":
        return str(command[1])
    if len(command) == 3 and command[0] == "test" and command[1] in {"-f", "-e"}:
        return str(command[2])
    if len(command) == 4 and command[0] == "[" and command[1] in {"-f", "-e"}:
        return str(command[2])
    return None


def _probe_files(container: Mapping[str, Any]) -> dict[str, str | None]:
    """The liveness and startup probes of a container, by field, with the file each checks.

    None for a probe that always passes (``true``); a probe the model cannot read is an error.
    """
    files: dict[str, str | None] = {}
    for probe_field in ("livenessProbe", "startupProbe"):
        probe = container.get(probe_field)
        if not probe:
            continue
        command = [str(p) for p in list_at(probe, "exec.command")]
        if command in _ALWAYS_PASSES:
            files[probe_field] = None
            continue
        file = probe_file(container, probe_field=probe_field)
        if file is None:
            raise InputError(
                "the model reads exec probes that check a file (cat F, test -f F, [ -f F ]) "
                "or always pass (true)",
                path=f"{probe_field}.exec.command",
            )
        files[probe_field] = file
    return files


def _probe_program(
    files: Mapping[str, str | None], touched: Mapping[str, int], removed: Mapping[str, int]
) -> dict[str, Any]:
    """Program fields for liveness and startup probes from when their files appear and go.

    The startup probe passes once its file exists (``starts_after``); the liveness probe must
    pass from then on, until its file is removed (``liveness_fails_after``; a liveness file
    never created fails at once).
    """
    if not files:
        return {}
    # The container's PID 1 (sh, sleep, httpd) ignores SIGTERM: a probe kill ends with SIGKILL.
    fields: dict[str, Any] = {"stops_after": None}
    starts_after: int | None = 0
    if "startupProbe" in files:
        file = files["startupProbe"]
        starts_after = 0 if file is None else touched.get(file)
        if file is not None and file in removed:
            raise InputError(
                f"rm {file}: the model's startup probe passes for good once it passes",
                path="command",
            )
    fields["starts_after"] = starts_after
    if "livenessProbe" in files and files["livenessProbe"] is not None:
        file = files["livenessProbe"]
        if file not in touched:
            fields["liveness_fails_after"] = 0
        else:
            if touched[file] > (starts_after or 0):
                raise InputError(
                    f"touch {file} at {touched[file]}s: the model's liveness probe passes from "
                    "the container's start (or its startup probe's file) on",
                    path="command",
                )
            fields["liveness_fails_after"] = removed.get(file)
    return fields


def _sleep_seconds(argument: str) -> int | None:
    """Whole seconds of ``sleep ARG``; None for ``infinity`` or a sleep that outlasts any run."""
    if argument == "infinity":
        return None
    try:
        seconds = float(argument)
    except ValueError:
        raise InputError(f"sleep {argument!r}: not a number of seconds", path="command") from None
    if seconds >= FOREVER_SLEEP:
        return None
    if seconds != math.floor(seconds) or seconds < 0:
        raise InputError(
            f"sleep {argument}: the model counts whole seconds; use a whole number outside loops",
            path="command",
        )
    return int(seconds)


def program_for(container: Mapping[str, Any]) -> Program:
    """Read a busybox container's command as a model :class:`Program`.

    The command is ``["sh", "-c", SCRIPT]`` or a plain argument list (one statement). The script
    is read statement by statement, keeping the elapsed time:

    * ``sleep N`` adds N seconds; ``sleep infinity``, a sleep of an hour or more,
      ``while true; do ...; done``, ``httpd -f`` and ``nc -lk`` run until killed;
    * ``exit N`` ends the run with N (the end of the script is ``exit 0``);
    * ``until COND; do ...; done`` waits for something another container does: no time;
    * ``touch F`` / ``rm F`` of the file the readiness probe checks make the probe pass / fail
      from that second on; for the startup probe's file, ``touch`` is when it has started
      (``starts_after``); the liveness probe's file must exist from then on, and ``rm`` of it is
      when the container stops answering (``liveness_fails_after``). Containers run ``sh`` as
      PID 1, which ignores SIGTERM (``stops_after`` None: a probe kill ends with SIGKILL);
    * ``[ $(wc -l < FILE) -gt K ] || exit C`` (after ``echo run >> FILE`` on an emptyDir): the
      first K runs exit with C;
    * other commands in a fixed list (``echo``, ``cat``, ``grep``, ``wget``, ``mkdir``, ...) and
      variable assignments take no time and succeed.

    Anything else raises :class:`InputError`, so a scenario never runs a command the model
    silently misreads.
    """
    command = [str(part) for part in list_at(container, "command")]
    command += [str(part) for part in list_at(container, "args")]
    if not command:
        raise InputError("a conformance container needs a command", path="command")
    if len(command) == 3 and command[0] in {"sh", "/bin/sh"} and command[1] == "-c":
        statements = _split_statements(command[2])
    else:
        statements = [(";", " ".join(command))]
    probed = probe_file(container)
    has_probe = bool(container.get("readinessProbe"))
    probe_command = list(list_at(container, "readinessProbe.exec.command"))
    always_ready = probe_command in _ALWAYS_PASSES
    probe_files = _probe_files(container)
    watched = {f for f in probe_files.values() if f is not None}
    touched: dict[str, int] = {}
    removed: dict[str, int] = {}
    elapsed = 0
    ready_after: int | None = 0 if (not has_probe or always_ready) else None
    unready_after: int | None = None
    exit_codes: tuple[int, ...] = ()
    exits_after: int | None = None
    index = 0
    while index < len(statements):
        operator, statement = statements[index]
        words = statement.split()
        head = words[0]
        index += 1
        if operator == "||":
            continue  # the left side succeeded (the model assumes effects succeed)
        counter = _RUN_COUNTER.match(statement)
        if counter:
            follow = statements[index] if index < len(statements) else None
            exit_match = follow and follow[0] == "||" and re.fullmatch(r"exit (\d+)", follow[1])
            if not exit_match:
                raise InputError(
                    f"run counter {statement!r} must be followed by '|| exit N'", path="command"
                )
            exit_codes = (int(exit_match.group(1)),) * int(counter.group(2))
            exits_after = elapsed
            index += 1
            continue
        if head == "exit":
            code = words[1] if len(words) > 1 else "0"
            if not code.isdigit():
                raise InputError(f"exit {code!r}: not an exit code", path="command")
            return Program(
                run_for=elapsed,
                exit_code=int(code),
                ready_after=ready_after,
                exit_codes=exit_codes,
                exits_after=exits_after,
                unready_after=unready_after,
                **_probe_program(probe_files, touched, removed),
            )
        if head == "sleep" and len(words) == 2:
            seconds = _sleep_seconds(words[1])
            if seconds is None:
                break
            elapsed += seconds
            continue
        if head == "while" and words[1:2] in (["true;"], [":;"], ["true"], [":"]):
            break
        if head == "until":
            continue
        if any(server.match(statement) for server in _SERVERS):
            break
        if head in {"touch", "rm"}:
            for file in watched.intersection(words[1:]):
                (touched if head == "touch" else removed).setdefault(file, elapsed)
        if head == "touch" and probed is not None and probed in words[1:]:
            ready_after = elapsed if ready_after is None else min(ready_after, elapsed)
            continue
        if head == "rm" and probed is not None and probed in words[1:]:
            unready_after = elapsed
            continue
        if head in _EFFECTS or _ASSIGNMENT.match(head):
            continue
        raise InputError(f"cannot read {statement!r} as a model program", path="command")
    else:
        return Program(
            run_for=elapsed,
            exit_code=0,
            ready_after=ready_after,
            exit_codes=exit_codes,
            exits_after=exits_after,
            unready_after=unready_after,
            **_probe_program(probe_files, touched, removed),
        )
    return Program(
        run_for=None,
        ready_after=ready_after,
        exit_codes=exit_codes,
        exits_after=exits_after,
        unready_after=unready_after,
        **_probe_program(probe_files, touched, removed),
    )


def _scenario_document(text: str, file: str) -> tuple[int, Mapping[str, Any]]:
    # The manifests' hardened loader: no repeated key (a second `expect:` would win silently).
    documents = [
        (index, document)
        for index, document in parse_yaml(text, file=file)
        if isinstance(document, Mapping) and document.get("kind") == SCENARIO_KIND
    ]
    if len(documents) != 1:
        raise InputError(
            f"a scenario file needs exactly one {SCENARIO_KIND} document, found {len(documents)}",
            file=file,
        )
    return documents[0]


def _refuse_unless_scenario(skipped: SkippedObject) -> None:
    """The scenario document is no manifest; any other kind the model does not know is an error."""
    if skipped.kind != SCENARIO_KIND:
        raise InputError(
            f"{skipped.reason}: a scenario runs Pods only",
            file=skipped.source.file,
            document=skipped.source.document,
            obj=skipped.label,
            path="kind",
        )


def scenario_from_text(
    text: str,
    *,
    file: str = "<string>",
    validate: str = "strict",
    on_warning: Callable[[str], None] | None = None,
) -> Scenario:
    """Parse a scenario file's text.

    ``validate`` is the Pods' ``--validate`` mode; ``on_warning`` gets what it relaxes.

    Raises:
        InputError: invalid Pods, a missing or malformed scenario document, an unknown pod in
            ``replace``, or a command the model cannot read.
    """
    index, document = _scenario_document(text, file)
    objects = load_text(
        text,
        file=file,
        validate=validate,
        on_warning=on_warning,
        on_skip=_refuse_unless_scenario,
    )
    for obj in objects:
        if obj.kind != "Pod":  # nothing but Pods runs on the engine: never drop one silently
            raise InputError(
                f"a scenario runs Pods only, not {obj.kind}",
                file=file,
                document=obj.source.document,
                obj=obj.label,
                path="kind",
            )
    pods = [set_defaults(o.body) for o in objects]
    try:
        declared = parse_format(ConformanceScenarioFormat, document, file=file)
    except InputError as error:
        raise error.located(document=index) from None
    name = declared.metadata.name

    def invalid(message: str, path: str | None = None) -> InputError:
        return InputError(
            message, file=file, document=index, obj=f"{SCENARIO_KIND}/{name}", path=path
        )

    if not pods:
        raise invalid("a scenario needs at least one Pod document")
    names = [p["metadata"].get("name") for p in pods]
    if len(set(names)) != len(names):
        raise invalid("pod names must be unique in a scenario")
    window = declared.spec.window
    replacements: list[Replacement] = []
    for position, item in enumerate(declared.spec.replace or ()):
        path = f"spec.replace[{position}]"
        if item.pod not in names:
            raise invalid(f"must name one of the pods {names}", f"{path}.pod")
        if not item.at < window:
            raise invalid("must be a second inside the window", f"{path}.at")
        replacements.append(Replacement(pod=item.pod, at=item.at))
    expect = declared.expect or {}
    scenario = Scenario(
        name=name,
        file=file,
        pods=pods,
        window=window,
        replacements=replacements,
        expect=dict(expect),
        text=text,
    )
    scenario.programs()  # every command must be readable before anything runs
    return scenario


def load_scenario(
    path: str | Path,
    *,
    validate: str = "strict",
    on_warning: Callable[[str], None] | None = None,
) -> Scenario:
    """Load one scenario file."""
    return scenario_from_text(
        read_text_file(path), file=str(path), validate=validate, on_warning=on_warning
    )


def load_scenarios(
    paths: Sequence[str | Path],
    *,
    validate: str = "strict",
    on_warning: Callable[[str], None] | None = None,
) -> list[Scenario]:
    """Load scenario files and folders of them (``*.yaml`` directly inside), in order."""
    scenarios: list[Scenario] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            scenarios.extend(
                load_scenario(p, validate=validate, on_warning=on_warning)
                for p in sorted(path.glob("*.yaml"))
            )
        elif path.exists():
            scenarios.append(load_scenario(path, validate=validate, on_warning=on_warning))
        else:
            raise InputError("no such file or directory", file=str(path))
    names = [s.name for s in scenarios]
    for name in names:
        if names.count(name) > 1:
            raise InputError(f"two scenarios are named {name!r}")
    return scenarios


def text_with_expectation(scenario: Scenario, expect: Mapping[str, Any]) -> str:
    """The scenario file's text with its ``expect:`` block replaced by ``expect``.

    The block (and its header comment) must be the last thing in the file, inside the scenario
    document, which is the last document; everything before it is kept byte for byte.
    """
    lines = scenario.text.splitlines(keepends=True)
    cut = len(lines)
    for index, line in enumerate(lines):
        if line.rstrip("\n") == EXPECT_HEADER or line.startswith("expect:"):
            cut = index
            break
    head = "".join(lines[:cut])
    if head and not head.endswith("\n"):
        head += "\n"
    block = yaml.safe_dump({"expect": dict(expect)}, sort_keys=False, width=100)
    return f"{head}{EXPECT_HEADER}\n{block}"
