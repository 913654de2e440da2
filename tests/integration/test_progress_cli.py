"""Long commands show their progress on a terminal's stderr; stdout keeps only the document."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import yaml

from tests.helpers.paths import ROOT
from tests.helpers.placement import as_yaml, deployment, node
from tests.helpers.specs import STRATEGIES_SPEC


def on_a_terminal(*args: str | Path) -> tuple[str, str]:
    """Run ``kmodel`` with stderr on a pseudo-terminal and stdout on a pipe: (stdout, stderr)."""
    leader, follower = pty.openpty()
    with subprocess.Popen(  # our own interpreter and module
        [sys.executable, "-m", "kmodel", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=follower,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "160"},
    ) as process:
        os.close(follower)
        seen = bytearray()
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal closes when the command exits
                break
            if not chunk:
                break
            seen += chunk
        stdout = process.stdout.read() if process.stdout else b""
        assert process.wait() == 0, seen.decode(errors="replace")
    os.close(leader)
    return stdout.decode(), seen.decode(errors="replace")


def test_strategies_shows_its_cases_on_the_terminal_and_json_on_stdout(tmp_path):
    small = dict(STRATEGIES_SPEC, strategies=STRATEGIES_SPEC["strategies"][:1])
    spec = tmp_path / "small.yaml"
    spec.write_text(yaml.safe_dump(small), encoding="utf-8")
    out, err = on_a_terminal(
        "strategies", spec, "-o", "json", "--examples", "1", "--max-steps", "2",
        "--traces", tmp_path / "traces",
    )  # fmt: skip
    assert [s["name"] for s in json.loads(out)["strategies"]] == ["surge"]
    assert "strategies" in err
    assert "surge / " in err
    assert "\r" not in out


def test_pack_shows_its_phases_on_the_terminal_and_json_on_stdout(tmp_path):
    cluster = tmp_path / "cluster.yaml"
    cluster.write_text(as_yaml(node("n1"), node("n2"), deployment("web", 3)), encoding="utf-8")
    out, err = on_a_terminal("pack", cluster, "-o", "json")
    assert json.loads(out)["nodes_used"] == 1
    assert "--timeout 10 s" in err
    assert "\r" not in out


def test_without_a_terminal_stderr_has_no_progress(tmp_path):
    cluster = tmp_path / "cluster.yaml"
    cluster.write_text(as_yaml(node("n1"), deployment("web", 1)), encoding="utf-8")
    done = subprocess.run(  # our own interpreter and module
        [sys.executable, "-m", "kmodel", "pack", str(cluster), "-o", "json"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert json.loads(done.stdout)["nodes_used"] == 1
    assert "timeout" not in done.stderr
