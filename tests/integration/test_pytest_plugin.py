"""The pytest plugin: ``pytest --kmodel-specs`` runs kmodel specs as test items."""

from __future__ import annotations

import copy
import importlib.metadata
import subprocess
import sys
from typing import Any
from xml.etree import ElementTree as ET

import pytest
import yaml

from tests.helpers.paths import ROOT
from tests.helpers.specs import PASSING_SPEC

pytest_plugins = ["pytester"]


PASSING: dict[str, Any] = PASSING_SPEC


def spec(**changes: Any) -> str:
    """:data:`PASSING` with top-level keys replaced, as YAML."""
    return yaml.safe_dump({**copy.deepcopy(PASSING), **changes})


#: The surge of a rollout makes three live pods; this asks for all three to stay available
#: with maxUnavailable 100%, which a rollout breaks at once.
BREAKING = spec(
    name="breaks",
    expect="pass",
    workloads=[
        {
            **PASSING["workloads"][0],
            "spec": {
                **PASSING["workloads"][0]["spec"],
                "strategy": {
                    "type": "RollingUpdate",
                    "rollingUpdate": {"maxUnavailable": "100%", "maxSurge": 0},
                },
            },
        }
    ],
    invariants=[{"min_available": {"deployment": "web", "count": 2}}],
    explore={"examples": 30, "maxSteps": 8, "seed": 0, "ticks": [5]},
)


@pytest.fixture
def plugin_args(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Load the plugin explicitly, whether or not its entry point is installed."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    return ["-p", "kmodel.pytest_plugin", "-p", "no:cacheprovider"]


def test_without_the_option_the_plugin_does_nothing(
    pytester: pytest.Pytester, plugin_args: list[str]
) -> None:
    pytester.makefile(".yaml", tiny=spec())
    pytester.makepyfile("def test_plain():\n    assert True\n")
    result = pytester.runpytest(*plugin_args, "-v")
    result.assert_outcomes(passed=1)
    result.stdout.no_fnmatch_line("*tiny.yaml*")


def test_one_item_per_spec_honouring_expect(
    pytester: pytest.Pytester, plugin_args: list[str]
) -> None:
    pytester.makefile(
        ".yaml", tiny=spec(), expected=BREAKING.replace("expect: pass", "expect: violation")
    )
    result = pytester.runpytest(*plugin_args, "--kmodel-specs", ".", "-v")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*expected.yaml::expected PASSED*", "*tiny.yaml::tiny PASSED*"])


def test_violation_fails_with_the_trace_text(
    pytester: pytest.Pytester, plugin_args: list[str]
) -> None:
    pytester.makefile(".yaml", breaks=BREAKING)
    result = pytester.runpytest(*plugin_args, "--kmodel-specs", "breaks.yaml")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*breaks.yaml: 1 invariant(s) violated (seed 0)",
            "counterexample for min_available (*steps):",
            "*1. *user rolls out image example/web:2 to default/web",
            "*=> min_available violated: deployment default/web has * available pods, fewer than 2",
        ]
    )
    # The story, not a Python traceback of the plugin.
    result.stdout.no_fnmatch_line("*def runtest*")
    result.stdout.no_fnmatch_line("*KmodelSpecFailed*")


def test_expected_violation_that_does_not_happen_fails(
    pytester: pytest.Pytester, plugin_args: list[str]
) -> None:
    pytester.makefile(".yaml", tiny=spec(expect="violation"))
    result = pytester.runpytest(*plugin_args, "--kmodel-specs", "tiny.yaml")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*tiny.yaml: the spec expects a violation, but every invariant held (*seed 0)*"]
    )


def test_bad_spec_fails_with_file_and_field_path(
    pytester: pytest.Pytester, plugin_args: list[str]
) -> None:
    pytester.makefile(".yaml", bad=spec(faults={"disk_full": 1}))
    result = pytester.runpytest(*plugin_args, "--kmodel-specs", "bad.yaml")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["bad spec: *bad.yaml: faults.disk_full: unknown fault kind*"])


def test_missing_spec_path_is_a_usage_error(
    pytester: pytest.Pytester, plugin_args: list[str]
) -> None:
    result = pytester.runpytest(*plugin_args, "--kmodel-specs", "nowhere")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--kmodel-specs: nowhere: no such file or directory*"])


def test_traces_profile_and_keyword_selection(
    pytester: pytest.Pytester, plugin_args: list[str]
) -> None:
    pytester.makefile(".yaml", tiny=spec(), breaks=BREAKING)
    traces = pytester.path / "traces"
    result = pytester.runpytest(
        *plugin_args,
        "--kmodel-specs",
        ".",
        "--kmodel-traces",
        str(traces),
        "--kmodel-profile",
        "dev",
        "--junitxml",
        "junit.xml",
    )
    result.assert_outcomes(passed=1, failed=1)
    assert [p.name for p in traces.iterdir()] == ["breaks.min_available.json"]
    result.stdout.fnmatch_lines(["*trace saved to *breaks.min_available.json*"])
    junit = ET.parse(pytester.path / "junit.xml")  # noqa: S314  # written by pytest just now
    properties = {
        (case.get("name"), p.get("name")): int(p.get("value") or 0)
        for case in junit.iter("testcase")
        for p in case.iter("property")
    }
    # The dev profile (kmodel.profiles) asks for more examples than the spec's own 8.
    assert properties[("tiny", "kmodel_examples")] > PASSING["explore"]["examples"]

    only = pytester.runpytest(*plugin_args, "--kmodel-specs", ".", "-k", "tiny")
    only.assert_outcomes(passed=1, deselected=1)


def test_plugin_imports_cheaply() -> None:
    probe = (
        "import sys, kmodel.pytest_plugin; "
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in {'hypothesis', 'z3', "
        "'networkx', 'matplotlib', 'click'} or m.startswith(('kmodel.explore', 'kmodel.cluster')));"
        "print(heavy)"
    )
    done = subprocess.run(  # our own interpreter
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert done.stdout.strip() == "[]"


def test_entry_point_is_registered() -> None:
    points = importlib.metadata.entry_points(group="pytest11")
    ours = [p for p in points if p.value == "kmodel.pytest_plugin"]
    if not ours:
        pytest.skip(
            "the pytest11 entry point is not installed yet (pip install -e . after adding it)"
        )
    assert ours[0].name == "kmodel"
