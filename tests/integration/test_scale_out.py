"""Scale-out: a real Dask scheduler and workers, a real Redis, shards and ``kmodel merge``.

The services are started here on free localhost ports (``redis-server`` from Debian's package,
installed by ``.ci/services-setup``; ``dask scheduler`` and ``dask worker`` from the venv). Outside
CI a missing ``redis-server`` skips its tests with the reason; under CI=true it fails them.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from kmodel.cli.scale import parse_shard, shard
from kmodel.errors import EXIT_FINDING, EXIT_INPUT, EXIT_INTERNAL, InputError
from tests.helpers.paths import ROOT

BIN = Path(sys.executable).parent
SPECS = ROOT / "specs"
#: Quick specs, each with a finding.
QUICK = ["pdb-blocks-drain.yaml", "rollout-max-unavailable.yaml", "zonal-volume-zone-outage.yaml"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for_port(port: int, process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{what} exited with {process.returncode} before listening on {port}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    pytest.fail(f"{what} did not listen on {port} within 60 s")


def need(program: str, path: str | None) -> str:
    if path is None:
        reason = f"{program} is not installed (bash .ci/services-setup installs it)"
        if os.environ.get("CI"):
            pytest.fail(f"under CI=true: {reason}")
        pytest.skip(reason)
    return path


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class DaskCluster:
    """A ``dask-scheduler`` and named ``dask-worker`` processes on localhost."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.workers: dict[str, subprocess.Popen[bytes]] = {}
        self.scheduler = subprocess.Popen(  # the venv's own `dask scheduler`
            [BIN / "dask", "scheduler", "--host", "127.0.0.1", "--port", str(self.port),
             "--no-dashboard"],
            cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for_port(self.port, self.scheduler, "dask-scheduler")

    def add_worker(self, name: str) -> None:
        self.workers[name] = subprocess.Popen(  # the venv's own `dask worker`
            [BIN / "dask", "worker", self.address, "--name", name, "--nthreads", "1",
             "--nworkers", "1", "--no-dashboard", "--no-nanny"],
            cwd=self.folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip

    def wait_for_workers(self, count: int) -> None:
        from distributed import Client  # noqa: PLC0415  # only these tests need it

        with Client(self.address, timeout=30) as client:
            client.wait_for_workers(count, timeout=60)

    def close(self) -> None:
        for worker in self.workers.values():
            stop(worker)
        stop(self.scheduler)


@pytest.fixture
def dask_cluster(tmp_path: Path) -> Iterator[DaskCluster]:
    cluster = DaskCluster(tmp_path)
    try:
        for name in ("w1", "w2"):
            cluster.add_worker(name)
        cluster.wait_for_workers(2)
        yield cluster
    finally:
        cluster.close()


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = need("redis-server", shutil.which("redis-server"))
    port = free_port()
    folder = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(  # Debian's redis-server, on a free port, nothing persisted
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(folder)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for_port(port, process, "redis-server")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        stop(process)


def kmodel(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # our own interpreter and module
        [sys.executable, "-m", "kmodel", *map(str, args)],
        cwd=cwd, capture_output=True, text=True, check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip


def check_json(
    folder: Path, *options: str | Path, specs: list[str] = QUICK, examples: int | None = 10
) -> tuple[int, dict[str, object], dict[str, bytes]]:
    """One ``kmodel check`` into ``folder``: exit code, JSON, trace bytes by file name.

    ``examples`` None keeps the spec's own.
    """
    effort = ["--examples", str(examples)] if examples else []
    done = kmodel(
        "check", *(SPECS / s for s in specs), *effort, "-o", "json",
        "--out", folder / "check.json", "--traces", folder / "traces", *options,
    )  # fmt: skip
    assert done.returncode in {0, EXIT_FINDING}, done.stderr
    data = json.loads((folder / "check.json").read_text(encoding="utf-8"))
    traces = {p.name: p.read_bytes() for p in sorted((folder / "traces").glob("*.json"))}
    return done.returncode, data, traces


def without_trace_folders(data: object) -> object:
    """The JSON with each finding's trace path cut to its file name (folders differ by run)."""
    text = json.dumps(data)
    loaded = json.loads(text)
    for spec in loaded["specs"]:
        for finding in spec["findings"]:
            finding["trace"] = Path(finding["trace"]).name
    return loaded


@pytest.fixture(scope="module")
def local_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, object, dict[str, bytes]]:
    folder = tmp_path_factory.mktemp("local")
    code, data, traces = check_json(folder, "--database", folder / "examples")
    assert traces, "the quick specs have findings"
    return code, without_trace_folders(data), traces


# ----------------------------------------------------------------- Dask


def test_a_dask_cluster_gives_the_same_findings_and_traces_as_one_process(
    dask_cluster: DaskCluster, local_run: tuple[int, object, dict[str, bytes]], tmp_path: Path
) -> None:
    code, data, traces = check_json(
        tmp_path, "--scheduler", dask_cluster.address, "--database", tmp_path / "examples"
    )
    assert (code, without_trace_folders(data), traces) == local_run


def test_the_scheduler_address_may_come_from_the_environment(
    dask_cluster: DaskCluster, local_run: tuple[int, object, dict[str, bytes]], tmp_path: Path
) -> None:
    os.environ["KMODEL_DASK_SCHEDULER"] = dask_cluster.address
    try:
        done = kmodel("check", SPECS / QUICK[0], "--examples", "10", "-o", "json",
                      "--traces", tmp_path, "--database", tmp_path / "examples")  # fmt: skip
    finally:
        del os.environ["KMODEL_DASK_SCHEDULER"]
    assert done.returncode == EXIT_FINDING, done.stderr
    with socket.create_connection(("127.0.0.1", dask_cluster.port)):
        pass  # still up: the run used it (a missing one fails, see below)


def test_an_unreachable_scheduler_is_bad_input(tmp_path: Path) -> None:
    done = kmodel("check", SPECS / QUICK[0], "--scheduler", f"tcp://127.0.0.1:{free_port()}",
                  "--traces", tmp_path)  # fmt: skip
    assert done.returncode == EXIT_INPUT, done.stderr
    assert "cannot reach the Dask scheduler" in done.stderr
    assert "Traceback" not in done.stderr


def _processing_worker(address: str, timeout: float = 120) -> str:
    """The name of a worker running a kmodel unit (waits until one does)."""
    from distributed import Client  # noqa: PLC0415  # only these tests need it

    with Client(address, timeout=30) as client:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            busy = [w for w, keys in client.processing().items() if keys]
            names = {a: i["name"] for a, i in client.scheduler_info()["workers"].items()}
            if busy and busy[0] in names:  # a worker may be busy a moment before it is listed
                return str(names[busy[0]])
            time.sleep(0.1)
    pytest.fail("no worker started a unit")


def test_a_worker_killed_mid_run_loses_nothing(
    dask_cluster: DaskCluster, local_run: tuple[int, object, dict[str, bytes]], tmp_path: Path
) -> None:
    run = subprocess.Popen(  # our own interpreter and module
        [sys.executable, "-m", "kmodel", "check", *(SPECS / s for s in QUICK), "--examples",
         "10", "-o", "json", "--out", tmp_path / "check.json", "--traces", tmp_path / "traces",
         "--scheduler", dask_cluster.address, "--database", tmp_path / "examples"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    victim = _processing_worker(dask_cluster.address)
    dask_cluster.workers[victim].send_signal(signal.SIGKILL)
    _, stderr = run.communicate(timeout=600)
    assert dask_cluster.workers[victim].wait(timeout=10) == -signal.SIGKILL
    assert run.returncode == EXIT_FINDING, stderr
    data = json.loads((tmp_path / "check.json").read_text(encoding="utf-8"))
    traces = {p.name: p.read_bytes() for p in sorted((tmp_path / "traces").glob("*.json"))}
    assert (run.returncode, without_trace_folders(data), traces) == local_run


def test_a_scheduler_that_goes_away_ends_with_exit_3_and_what_finished(
    dask_cluster: DaskCluster, tmp_path: Path
) -> None:
    run = subprocess.Popen(  # our own interpreter and module
        [sys.executable, "-m", "kmodel", "check", *(SPECS / s for s in QUICK), "--examples",
         "2000", "-o", "json", "--out", tmp_path / "check.json", "--traces", tmp_path,
         "--scheduler", dask_cluster.address, "--database", tmp_path / "examples"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    _processing_worker(dask_cluster.address)
    dask_cluster.scheduler.kill()
    _, stderr = run.communicate(timeout=300)
    assert run.returncode == EXIT_INTERNAL, stderr
    assert "the Dask scheduler went away" in stderr
    assert "Traceback" not in stderr
    data = json.loads((tmp_path / "check.json").read_text(encoding="utf-8"))
    assert len(data["specs"]) < len(QUICK)  # what finished (a unit of 2000 examples did not)


# ----------------------------------------------------------------- the example database


def test_a_finding_stored_in_redis_is_replayed_first_by_the_next_run(
    redis_url: str, tmp_path: Path
) -> None:
    # The spec whose finding takes the longest search of the bundled ones.
    spec = ["no-anti-affinity-node-crash.yaml"]
    cold_started = time.perf_counter()
    _, cold, cold_traces = check_json(
        tmp_path / "cold", "--database", redis_url, specs=spec, examples=None
    )
    cold_seconds = time.perf_counter() - cold_started
    warm_started = time.perf_counter()
    _, warm, warm_traces = check_json(
        tmp_path / "warm", "--database", redis_url, specs=spec, examples=None
    )
    warm_seconds = time.perf_counter() - warm_started
    assert cold_traces  # the spec has a finding
    assert warm_traces == cold_traces  # the same shortest trace, byte for byte
    (cold_spec,), (warm_spec,) = cold["specs"], warm["specs"]  # type: ignore[index]
    assert warm_spec["findings"] == [
        {**f, "trace": f["trace"].replace("cold", "warm")} for f in cold_spec["findings"]
    ]
    # Replayed, not searched for: far fewer examples (the other invariant's search is the same).
    assert warm_spec["examples"] < cold_spec["examples"]
    print(f"time to report: cold {cold_seconds:.1f} s, warm {warm_seconds:.1f} s")  # noqa: T201


def test_a_changed_spec_does_not_take_the_old_examples_as_its_own(
    redis_url: str, tmp_path: Path
) -> None:
    original = SPECS / "pdb-blocks-drain.yaml"
    data = yaml.safe_load(original.read_text(encoding="utf-8"))
    data["description"] = "the same spec, changed"
    changed = tmp_path / "changed.yaml"
    changed.write_text(yaml.safe_dump(data), encoding="utf-8")
    for run in ("first", "second"):
        done = kmodel("check", original, "--examples", "10", "-o", "json", "--out",
                      tmp_path / f"{run}.json", "--traces", tmp_path / run,
                      "--database", redis_url)  # fmt: skip
        assert done.returncode == EXIT_FINDING, done.stderr
    done = kmodel("check", changed, "--examples", "10", "-o", "json", "--out",
                  tmp_path / "changed.json", "--traces", tmp_path / "changed",
                  "--database", redis_url)  # fmt: skip
    assert done.returncode == EXIT_FINDING, done.stderr
    examples = {
        run: json.loads((tmp_path / f"{run}.json").read_text(encoding="utf-8"))["specs"][0][
            "examples"
        ]
        for run in ("first", "second", "changed")
    }
    # Same findings all three times; only the original's second run replays stored examples.
    assert examples["second"] < examples["first"] == examples["changed"]


def test_a_bad_redis_address_is_bad_input(tmp_path: Path) -> None:
    done = kmodel("check", SPECS / QUICK[0], "--database", f"redis://127.0.0.1:{free_port()}/0",
                  "--traces", tmp_path)  # fmt: skip
    assert done.returncode == EXIT_INPUT, done.stderr
    assert "cannot use Redis" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_default_database_is_a_folder_under_kmodel(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text((SPECS / QUICK[0]).read_text(encoding="utf-8"), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "KMODEL_DATABASE"}
    done = subprocess.run(  # our own interpreter and module
        [sys.executable, "-m", "kmodel", "check", "spec.yaml", "--examples", "5"],
        cwd=tmp_path, capture_output=True, text=True, check=False,
        env={**env, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert done.returncode == EXIT_FINDING, done.stderr
    assert any((tmp_path / ".kmodel" / "examples").iterdir())


# ----------------------------------------------------------------- shards and merge


@pytest.mark.parametrize("count", [1, 2, 3, 5, 8])
def test_shards_cover_every_unit_exactly_once(count: int) -> None:
    units = [f"specs/{n}.yaml" for n in "abcdefg"]
    durations = {"specs/a.yaml": 30.0, "specs/b.yaml": 1.0, "specs/c.yaml": 12.0}
    for recorded in (None, durations):
        shares = [shard(units, k, count, durations=recorded) for k in range(1, count + 1)]
        assert sorted(u for share in shares for u in share) == sorted(units)
        assert all(share == [u for u in units if u in share] for share in shares)  # in order


def test_shards_balance_recorded_cost_not_count() -> None:
    units = ["long", "m1", "m2", "s1", "s2"]
    durations = {"long": 10.0, "m1": 4.0, "m2": 4.0, "s1": 1.0, "s2": 1.0}
    assert shard(units, 1, 2, durations=durations) == ["long"]  # 10 s against 4 + 4 + 1 + 1
    assert shard(units, 2, 2, durations=durations) == ["m1", "m2", "s1", "s2"]
    assert shard(units, 1, 2) == ["long", "m2", "s2"]  # by count: three and two
    assert shard(units, 2, 2) == ["m1", "s1"]


@pytest.mark.parametrize("text", ["0/2", "3/2", "1", "a/b", "1/0"])
def test_a_bad_shard_is_bad_input(text: str) -> None:
    with pytest.raises(InputError, match="expected K/N"):
        parse_shard(text)


def test_shards_merge_to_the_result_of_one_run(
    local_run: tuple[int, object, dict[str, bytes]], tmp_path: Path
) -> None:
    traces = tmp_path / "traces"
    results = []
    for index in (1, 2):
        folder = tmp_path / f"shard{index}"
        folder.mkdir()
        done = kmodel(
            "check", *(SPECS / s for s in QUICK), "--examples", "10", "--shard", f"{index}/2",
            "-o", "json", "--out", folder / "check.json", "--traces", traces,
            "--database", folder / "examples", "--record-durations", tmp_path / "durations.json",
        )  # fmt: skip
        assert done.returncode in {0, EXIT_FINDING}, done.stderr
        results.append(folder / "check.json")
    checked = [
        s["spec"] for r in results for s in json.loads(r.read_text(encoding="utf-8"))["specs"]
    ]
    assert sorted(checked) == sorted(f"{SPECS / s}" for s in QUICK)
    recorded = json.loads((tmp_path / "durations.json").read_text(encoding="utf-8"))["specs"]
    assert sorted(recorded) == sorted(checked)
    done = kmodel("merge", *results, "-o", "json", "--out", tmp_path / "merged.json")
    code, data, trace_files = local_run
    assert done.returncode == code, done.stderr
    merged = json.loads((tmp_path / "merged.json").read_text(encoding="utf-8"))
    assert without_trace_folders(merged) == data
    assert {p.name: p.read_bytes() for p in sorted(traces.glob("*.json"))} == trace_files
    junit = kmodel("merge", *results, "-o", "junit")
    assert junit.returncode == code
    assert junit.stdout.count("<testcase") == sum(len(s["invariants"]) for s in merged["specs"])


def test_merge_refuses_two_shards_that_checked_the_same_spec(tmp_path: Path) -> None:
    done = kmodel("check", SPECS / QUICK[2], "--examples", "5", "-o", "json", "--out",
                  tmp_path / "one.json", "--traces", tmp_path)  # fmt: skip
    assert done.returncode == EXIT_FINDING, done.stderr
    done = kmodel("merge", tmp_path / "one.json", tmp_path / "one.json")
    assert done.returncode == EXIT_INPUT
    assert "checked by two shards" in done.stderr


def test_merge_of_a_file_that_is_not_a_result_is_bad_input(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"specs": [{"spec": "x"}]}', encoding="utf-8")
    done = kmodel("merge", bad)
    assert done.returncode == EXIT_INPUT
    assert f"{bad}: specs[0]" in done.stderr


# ----------------------------------------------------------------- units: one spec, seed ranges

#: One spec split into four units of five examples (its findings come from several ranges).
SPLIT = ["--examples", "20", "--unit-examples", "5"]
SPLIT_SPECS = ["pdb-blocks-drain.yaml", "rollout-max-unavailable.yaml"]


def split_check(folder: Path, *options: str | Path) -> tuple[int, object, dict[str, bytes]]:
    code, data, traces = check_json(
        folder, *SPLIT, "--database", folder / "examples", *options, specs=SPLIT_SPECS,
        examples=None,
    )  # fmt: skip
    return code, without_trace_folders(data), traces


#: Units by seed range only, and by invariant and seed range.
SPLITS = {"ranges": (), "invariants": ("--split-invariants",)}


@pytest.fixture(scope="module", params=sorted(SPLITS))
def local_split_run(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[tuple[str, ...], tuple[int, object, dict[str, bytes]]]:
    split = SPLITS[request.param]
    run = split_check(tmp_path_factory.mktemp("split"), *split)
    assert run[2], "the split specs have findings"
    return split, run


def test_one_spec_split_into_units_on_a_dask_cluster_gives_the_local_result(
    dask_cluster: DaskCluster,
    local_split_run: tuple[tuple[str, ...], tuple[int, object, dict[str, bytes]]],
    tmp_path: Path,
) -> None:
    split, local = local_split_run
    assert split_check(tmp_path, *split, "--scheduler", dask_cluster.address) == local


def test_shards_of_split_specs_cover_every_unit_once_and_merge_to_the_local_result(
    local_split_run: tuple[tuple[str, ...], tuple[int, object, dict[str, bytes]]],
    tmp_path: Path,
) -> None:
    split, (code, data, traces) = local_split_run
    shards = []
    for index in (1, 2, 3):
        folder = tmp_path / f"shard{index}"
        done = kmodel(
            "check", *(SPECS / s for s in SPLIT_SPECS), *SPLIT, *split, "--shard", f"{index}/3",
            "-o", "json", "--out", folder / "check.json", "--traces", tmp_path / "traces",
            "--database", folder / "examples",
        )  # fmt: skip
        assert done.returncode in {0, EXIT_FINDING}, done.stderr
        shards.append(folder / "check.json")
    units = [
        (spec["spec"], unit["invariant"], unit["range"])
        for file in shards
        for spec in json.loads(file.read_text(encoding="utf-8"))["specs"]
        for unit in spec["units"]
    ]
    assert len(units) == len(set(units))  # no unit twice
    # Every range each result needs ran (a shard skips only ranges after the last one needed).
    for spec, invariant in {(s, i) for s, i, _ in units}:
        ranges = sorted(r for s, i, r in units if (s, i) == (spec, invariant))
        assert ranges == list(range(len(ranges)))
    assert len(units) > len(SPLIT_SPECS)  # really split
    merged = kmodel("merge", *shards, "-o", "json", "--out", tmp_path / "merged.json",
                    "--traces", tmp_path / "merged")  # fmt: skip
    assert merged.returncode == code, merged.stderr
    assert (
        without_trace_folders(json.loads((tmp_path / "merged.json").read_text(encoding="utf-8")))
        == data
    )
    assert {p.name: p.read_bytes() for p in sorted((tmp_path / "merged").glob("*.json"))} == traces
    missing = kmodel("merge", *shards[1:], "-o", "json")
    assert missing.returncode == EXIT_INPUT
    assert "were not checked by any shard" in missing.stderr
