"""Conformance on a real Docker engine.

These run for real when an engine answers. Without one they skip, saying how to start one,
except when ``CI=true``: there they fail, so CI can never pass without running them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from kmodel.conformance import driver
from kmodel.conformance.driver import EngineError, connect, engine_problem, leftovers
from kmodel.conformance.run import run_conformance
from kmodel.conformance.scenarios import load_scenario, load_scenarios
from tests.helpers.paths import ROOT

SPECS = ROOT / "specs" / "conformance"


@pytest.fixture(scope="module")
def engine() -> Iterator[Any]:
    problem = engine_problem()
    if problem is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but no Docker engine answers: {problem}")
        pytest.skip(f"no Docker engine: {problem}. Start one: sudo .ci/docker-setup")
    client = connect()
    yield client
    client.close()


def nothing_left(client: Any, run_id: str) -> bool:
    return leftovers(client, run_id) == {"containers": [], "networks": [], "volumes": []}


def test_every_scenario_agrees_with_the_model(engine: Any) -> None:
    run_id = f"test-{uuid.uuid4().hex[:8]}"
    results = run_conformance(load_scenarios([SPECS]), jobs=4, run_id=run_id)
    problems = [d.message for r in results for d in r.disagreements]
    assert problems == []
    assert all(r.agrees for r in results)
    assert nothing_left(engine, run_id)


def test_pods_run_unprivileged_with_limits_and_labels(engine: Any) -> None:
    run_id = f"test-{uuid.uuid4().hex[:8]}"
    scenario = load_scenario(SPECS / "two-pods.yaml")
    results = run_conformance([scenario], run_id=run_id, keep=True)
    try:
        containers = engine.containers.list(
            all=True, filters={"label": f"{driver.LABEL_RUN}={run_id}"}
        )
        assert len(containers) == 4  # two sandboxes, two app containers
        for container in containers:
            host = container.attrs["HostConfig"]
            assert host["Privileged"] is False
            assert host["CapDrop"] == ["ALL"]
            assert host["Memory"] > 0
            assert host["PidsLimit"] > 0
            assert not host.get("Binds")
        apps = [c for c in containers if not c.name.endswith("-sandbox")]
        assert all(c.attrs["HostConfig"]["NetworkMode"].startswith("container:") for c in apps)
        ips = {r.engine[-1].status["podIP"] for r in results for _ in [0]}
        assert all(ips)
    finally:
        driver.remove_run(engine, run_id)
    assert nothing_left(engine, run_id)


def test_an_exception_mid_run_leaves_nothing_behind(
    engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id = f"test-{uuid.uuid4().hex[:8]}"

    def explode(*_args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(driver.EngineRun, "_probe", explode)
    with pytest.raises(RuntimeError, match="boom"):
        run_conformance([load_scenario(SPECS / "shared-volume.yaml")], run_id=run_id)
    assert nothing_left(engine, run_id)


def test_a_timeout_leaves_nothing_behind(engine: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    run_id = f"test-{uuid.uuid4().hex[:8]}"
    monkeypatch.setattr(driver, "SETUP_MARGIN", -2)  # the deadline passes during the run
    with pytest.raises(EngineError, match="overran"):
        run_conformance([load_scenario(SPECS / "run-forever.yaml")], run_id=run_id)
    assert nothing_left(engine, run_id)


def _default_sigint() -> None:
    """In the child before exec: SIGINT at its default, as a terminal's Ctrl-C finds it.

    A shell starts a background command (``make test &`` in a script, many CI runners) with
    SIGINT ignored; the child would inherit that and Python would never raise
    KeyboardInterrupt, so the run would finish normally instead of being interrupted. kmodel
    keeps an inherited SIG_IGN on purpose (POSIX convention: whoever ignored it wanted it so;
    SIGTERM still interrupts), so the test, which plays the user at a terminal, resets it.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_an_interrupted_run_leaves_nothing_behind(engine: Any, signum: int) -> None:
    run_id = f"test-{uuid.uuid4().hex[:8]}"
    command = [
        sys.executable,
        "-m",
        "kmodel",
        "conform",
        "--run-id",
        run_id,
        str(SPECS / "run-forever.yaml"),
        str(SPECS / "shared-volume.yaml"),
    ]
    with subprocess.Popen(
        command,
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_default_sigint,  # noqa: PLW1509  # no threads run in the test process here
    ) as process:
        try:
            deadline = time.monotonic() + 30
            while not leftovers(engine, run_id)["containers"]:
                assert process.poll() is None, process.communicate()[1]
                assert time.monotonic() < deadline, "the run never started a container"
                time.sleep(0.1)
            assert leftovers(engine, run_id)["networks"]
            process.send_signal(signum)
            _, stderr = process.communicate(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
                driver.remove_run(engine, run_id)
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr
    assert nothing_left(engine, run_id)
