"""stdout carries the command's document and nothing else, whatever native libraries print."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.helpers.paths import ROOT
from tests.helpers.placement import as_yaml, deployment, node

SPECS = ROOT / "specs"

#: Native writes of every kind: C stdio (buffered when not a terminal), raw descriptors.
NATIVE = textwrap.dedent(
    """
    import ctypes, os, sys
    from kmodel.cli.stdio import protected_stdio
    with protected_stdio(verbose={verbose}):
        ctypes.CDLL(None).printf(b"native printf\\n")
        os.write(1, b"native fd1\\n")
        os.write(2, b"native fd2\\n")
        print("the document")
        print("a message", file=sys.stderr)
    print("after")
    """
)


def python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # our own interpreter
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def test_native_output_reaches_neither_stream_and_python_output_both():
    done = python(NATIVE.format(verbose=False))
    assert done.stdout == "the document\nafter\n"
    assert done.stderr == "a message\n"


def test_verbose_sends_native_output_to_stderr_only():
    done = python(NATIVE.format(verbose=True))
    assert done.stdout == "the document\nafter\n"
    for line in ("native printf", "native fd1", "native fd2", "a message"):
        assert line in done.stderr


def kmodel(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # our own interpreter and module
        [sys.executable, "-m", "kmodel", *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def two_node_types(tmp_path: Path) -> Path:
    """Three Deployments on two node types: objective ``placed`` solves it with HiGHS."""
    objects = [node(f"a-{k}", cpu="4", memory="8Gi", price=3) for k in range(4)]
    objects += [node(f"b-{k}", cpu="8", memory="16Gi", price=5) for k in range(3)]
    objects += [
        deployment("web", 5, cpu="1500m", memory="2Gi"),
        deployment("api", 3, cpu="700m", memory="3Gi"),
        deployment("job", 4, cpu="300m", memory="5Gi"),
    ]
    path = tmp_path / "cluster.yaml"
    path.write_text(as_yaml(*objects), encoding="utf-8")
    return path


def test_pack_json_is_the_only_output_although_highs_prints_its_banner(tmp_path):
    cluster = two_node_types(tmp_path)
    verbose = kmodel("pack", cluster, "--objective", "placed", "-o", "json", "--verbose")
    assert "Running HiGHS" in verbose.stderr  # HiGHS was reached and printed its banner
    assert json.loads(verbose.stdout)["status"] == "optimal"
    quiet = kmodel("pack", cluster, "--objective", "placed", "-o", "json")
    assert quiet.returncode == 0, quiet.stderr
    assert json.loads(quiet.stdout)["status"] == "optimal"
    assert "HiGHS" not in quiet.stderr


@pytest.mark.parametrize(
    ("args", "codes"),
    [
        (("explain", SPECS / "placement" / "unplaceable.yaml"), {1}),  # Z3's unsat core
        (("status", SPECS / "pods"), {0}),
        (("check", SPECS / "pdb-blocks-drain.yaml", "--examples", "2", "--max-steps", "3"), {0, 1}),
        (
            (
                "strategies",
                SPECS / "strategies" / "web-release.yaml",
                "--examples",
                "1",
                "--max-steps",
                "2",
            ),
            {0, 1},
        ),
        (("conform", SPECS / "conformance" / "always-exit-zero.yaml"), {0, 3}),
    ],
    ids=["explain", "status", "check", "strategies", "conform"],
)
def test_every_json_command_writes_one_document(tmp_path, args, codes):
    extra = ("--traces", tmp_path / "traces") if args[0] in {"check", "strategies"} else ()
    done = kmodel(*args, *extra, "-o", "json")
    assert done.returncode in codes, done.stderr
    if args[0] == "conform" and done.returncode == 3:  # no container engine here
        assert done.stdout == ""
        return
    assert isinstance(json.loads(done.stdout), dict)
