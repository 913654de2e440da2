"""The cluster model explored with Hypothesis: generated clusters, workloads and interleavings.

Clusters of 1-6 nodes over 1-3 zones run 1-3 Deployments (each behind a Service, some with a
PodDisruptionBudget) while components step in any order, users roll out, scale, roll back and
drain, and faults happen within a budget. Some Deployments have startup and liveness probes,
and their later images start slowly (within the startup probe's budget), so probes run under
the same faults. Some clusters also run a StatefulSet (OrderedReady or Parallel, any
maxUnavailable and partition) that users roll out and scale.

Each example also switches on a random subset of FEATURES (swarm testing: a feature left out
cannot crowd out the others): tight 2-cpu nodes, a tainted node that one Deployment
tolerates, init containers and sidecars, readiness probes with slow and mixed readiness,
bare OnFailure and Never pods whose programs exit (and which users may force-delete), a
zonal PersistentVolume, relists (dropped watches), kubelets whose watches lag (or drop,
with relists) and which restart, traffic (clients send requests to the Services through
kube-proxy), a CronJob starting a Job (indexed or not) every minute whose pods run to
completion, and an HPA on the first Deployment whose load users raise and drop
(``job_not_failed`` is left out: failing is a Job's right, not a bug). Every safety
invariant of the catalogue is checked after each step, and at the end faults stop, the
components settle and the cluster must be eventually stable (except on tight nodes, where
pods may rightly stay Pending). ``target()`` steers towards full nodes and unready pods.
REACH counts how often each feature and each invariant's precondition was reached
(``tests/quality/test_quality_reach.py`` prints it).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from hypothesis import Phase, settings, target
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule

from kmodel.cluster.actions import Action
from kmodel.cluster.components.hpa import Load
from kmodel.cluster.model import ClusterConfig, Program
from kmodel.explore.determinism import seed_only_draws
from kmodel.explore.run import Run, Scenario, UserAction
from kmodel.invariants import CATALOGUE, MinAvailable, Violation
from kmodel.objects.quantity import parse_quantity
from properties import tracekit
from tests.helpers import zones as zone_helpers
from tests.helpers.scheduling import make_deployment

IMAGES = ["registry.example.com/app:1", "registry.example.com/app:2", "registry.example.com/app:3"]
INIT_IMAGE = "registry.example.com/init:1"
SIDECAR_IMAGE = "registry.example.com/proxy:1"
JOB_IMAGE = "registry.example.com/task:1"
FAILING_IMAGE = "registry.example.com/task-fails:1"
WORK_IMAGE = "registry.example.com/work:1"
FLAKY_IMAGE = "registry.example.com/flaky:1"

#: The features an example may switch on (swarm testing: a random subset per example).
FEATURES = (
    "tight",
    "tainted",
    "init",
    "readiness",
    "bare_pods",
    "zonal_pv",
    "relists",
    "kubelet_watches",
    "traffic",
    "jobs",
    "autoscaled",
)

#: Examples run, each feature switched on, and each invariant's precondition met (by name).
REACH: Counter[str] = Counter()


def node(name: str, zone: str, cpu: str = "16") -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": {"kubernetes.io/hostname": name, "topology.kubernetes.io/zone": zone},
        },
        "status": {
            "allocatable": {"cpu": cpu, "memory": "64Gi", "pods": "110"},
            "capacity": {"cpu": cpu, "memory": "64Gi", "pods": "110"},
        },
    }


#: A startup probe that gives a container 60 s to start, and a liveness probe held off until.
STARTUP_PROBE = {"httpGet": {"path": "/", "port": 80}, "periodSeconds": 10, "failureThreshold": 6}
LIVENESS_PROBE = {"httpGet": {"path": "/", "port": 80}, "periodSeconds": 10, "failureThreshold": 1}
READINESS_PROBE = {"httpGet": {"path": "/", "port": 80}, "periodSeconds": 5}
TAINT = {"key": "dedicated", "value": "db", "effect": "NoSchedule"}


def deployment(
    name: str,
    replicas: int,
    surge: object,
    unavailable: object,
    *,
    probes: bool = False,
    readiness: bool = False,
    init: bool = False,
    tolerates: bool = False,
    cpu: str = "100m",
) -> dict:
    strategy = {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavailable},
    }
    container = {
        "name": "app",
        "image": IMAGES[0],
        "resources": {"requests": {"cpu": cpu, "memory": "64Mi"}},
    }
    if probes:
        container["startupProbe"] = STARTUP_PROBE
        container["livenessProbe"] = LIVENESS_PROBE
    if readiness:
        container["readinessProbe"] = READINESS_PROBE
    body = make_deployment(name, replicas, [container], strategy=strategy)
    pod_spec = body["spec"]["template"]["spec"]
    if init:  # an init container that runs to completion, then a sidecar (restartPolicy Always)
        pod_spec["initContainers"] = [
            {"name": "setup", "image": INIT_IMAGE},
            {"name": "proxy", "image": SIDECAR_IMAGE, "restartPolicy": "Always"},
        ]
    if tolerates:
        pod_spec["tolerations"] = [{**TAINT, "operator": "Equal"}]
    return body


def bare_pod(name: str, image: str, policy: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "restartPolicy": policy,
            "containers": [
                {
                    "name": "task",
                    "image": image,
                    "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}},
                }
            ],
        },
    }


def cron_job(*, indexed: bool, policy: str) -> dict:
    """A CronJob starting a Job every minute: two completions, two pods at a time, exit 0."""
    job_spec: dict = {
        "completions": 2,
        "parallelism": 2,
        "template": {
            "spec": {
                "restartPolicy": "Never",
                "containers": [
                    {
                        "name": "work",
                        "image": WORK_IMAGE,
                        "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}},
                    }
                ],
            }
        },
    }
    if indexed:
        job_spec["completionMode"] = "Indexed"
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "batch", "namespace": "default"},
        "spec": {
            "schedule": "* * * * *",
            "concurrencyPolicy": policy,
            "jobTemplate": {"spec": job_spec},
        },
    }


def autoscaler(deployment: str) -> dict:
    """An HPA on a Deployment's cpu (50 % of request), 2 to 5 replicas, scale-down window 60 s."""
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": deployment, "namespace": "default"},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": deployment},
            "minReplicas": 2,
            "maxReplicas": 5,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {"type": "Utilization", "averageUtilization": 50},
                    },
                }
            ],
            "behavior": {"scaleDown": {"stabilizationWindowSeconds": 60}},
        },
    }


def zonal_volume(zone: str) -> list[dict]:
    """A PersistentVolume in ``zone``, its claim and a Recreate Deployment that mounts it."""
    volume = zone_helpers.zonal_volume(f"data-{zone}", zone)
    claim = zone_helpers.claim("data")
    container = {
        "name": "db",
        "image": IMAGES[0],
        "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}},
    }
    body = make_deployment("store", 1, [container], strategy={"type": "Recreate"})
    body["spec"]["template"]["spec"]["volumes"] = [
        {"name": "data", "persistentVolumeClaim": {"claimName": "data"}}
    ]
    return [volume, claim, body]


def service(name: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"selector": {"app": name}, "ports": [{"port": 80}]},
    }


def pdb(name: str) -> dict:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": name}}},
    }


def stateful_set(replicas: int, policy: str, partition: int, max_unavailable: object) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "db", "namespace": "default"},
        "spec": {
            "serviceName": "db",
            "replicas": replicas,
            "podManagementPolicy": policy,
            "updateStrategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"partition": partition, "maxUnavailable": max_unavailable},
            },
            "selector": {"matchLabels": {"app": "db"}},
            "template": {
                "metadata": {"labels": {"app": "db"}},
                "spec": {
                    "containers": [
                        {
                            "name": "db",
                            "image": IMAGES[0],
                            "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}},
                        }
                    ]
                },
            },
        },
    }


fence_posts = st.sampled_from([(1, 0), (0, 1), ("25%", "25%"), (2, 1), ("50%", 0), (0, "100%")])


def scenarios() -> st.SearchStrategy[Scenario]:
    """The generated scenarios alone (for callers that plant their own bugs, see benchmarks)."""
    return featured_scenarios().map(lambda generated: generated[0])


@st.composite
def featured_scenarios(draw: st.DrawFn) -> tuple[Scenario, frozenset[str]]:
    """A generated cluster and what may happen to it, with the features switched on."""
    features = draw(st.frozensets(st.sampled_from(FEATURES)), label="features")
    zones = ["a", "b", "c"][: draw(st.integers(1, 3))]
    count = draw(st.integers(1, 6))
    tight = "tight" in features
    nodes = [
        node(f"node-{i + 1}", zones[i % len(zones)], "2" if tight else "16") for i in range(count)
    ]
    # A tainted node needs two others for the pods that do not tolerate it (a crash takes one).
    tainted = "tainted" in features and count > 2
    if tainted:
        nodes[0]["spec"] = {"taints": [TAINT]}
        nodes[0]["metadata"]["labels"]["dedicated"] = "db"
    objects: list[dict] = [*nodes]
    users: list[UserAction] = []
    programs: dict[str, Program] = {}
    for i in range(draw(st.integers(1, 3))):
        name = f"app{i}"
        surge, unavailable = draw(fence_posts)
        replicas = draw(st.integers(1, 4))
        probes = draw(st.booleans())
        body = deployment(
            name,
            replicas,
            surge,
            unavailable,
            probes=probes,
            readiness="readiness" in features and draw(st.booleans()),
            init="init" in features and draw(st.booleans()),
            tolerates=tainted and i == 0,
            cpu=draw(st.sampled_from(["300m", "700m"])) if tight else "100m",
        )
        objects += [body, service(name)]
        if draw(st.booleans()):
            objects.append(pdb(name))
        users += [
            UserAction(
                "rollout", {"deployment": name, "container": "app", "images": IMAGES[1:]}, 2
            ),
            UserAction("scale", {"deployment": name, "replicas": [0, 2, 5]}, 1),
            UserAction("rollback", {"deployment": name}, 1),
        ]
        if "traffic" in features:  # clients send requests through kube-proxy at any time
            users.append(UserAction("requests", {"service": f"default/{name}"}, None))
    if draw(st.booleans()):
        objects.append(
            stateful_set(
                draw(st.integers(1, 3)),
                draw(st.sampled_from(["OrderedReady", "Parallel"])),
                draw(st.integers(0, 2)),
                draw(st.sampled_from([1, 2, "50%"])),
            )
        )
        users += [
            UserAction(
                "rollout", {"statefulset": "default/db", "container": "db", "images": IMAGES[1:]}, 2
            ),
            UserAction("scale", {"statefulset": "default/db", "replicas": [0, 2, 4]}, 1),
        ]
    if "bare_pods" in features:
        # OnFailure: fails once, then succeeds; Never: fails for good.
        objects += [
            bare_pod("task-onfailure", JOB_IMAGE, "OnFailure"),
            bare_pod("task-never", FAILING_IMAGE, "Never"),
        ]
        programs[JOB_IMAGE] = Program(run_for=draw(st.sampled_from([5, 20])), exit_codes=(1,))
        programs[FAILING_IMAGE] = Program(run_for=draw(st.sampled_from([5, 20])), exit_code=1)
        # Force-deleted while they may run: their kubelets must stop them (HandlePodCleanups).
        users.append(
            UserAction("delete", {"pods": ["task-onfailure", "task-never"], "force": True}, 1)
        )
    if "readiness" in features:  # a bare pod whose readiness probe starts failing for good
        flaky = bare_pod("flaky", FLAKY_IMAGE, "Always")
        flaky["spec"]["containers"][0]["readinessProbe"] = READINESS_PROBE
        objects.append(flaky)
        programs[FLAKY_IMAGE] = Program(unready_after=draw(st.sampled_from([10, 30])))
    if "jobs" in features:
        policy = draw(st.sampled_from(["Allow", "Forbid"]))
        objects.append(cron_job(indexed=draw(st.booleans()), policy=policy))
        programs[WORK_IMAGE] = Program(run_for=draw(st.sampled_from([5, 20, 90])))
    loads: dict[str, Load] = {}
    if "autoscaled" in features:  # app0's load may rise past its pods' requests, and fall
        objects.append(autoscaler("app0"))
        loads["default/app0"] = Load(((0, draw(st.sampled_from([30, 150]))),))
        users.append(UserAction("load", {"hpa": "default/app0", "levels": [600, 20]}, 2))
    # A zonal volume needs two nodes in its zone (a crash may take one); no drain then.
    zonal = "zonal_pv" in features and count >= 2 * len(zones)
    if zonal:
        objects += zonal_volume(zones[0])
    if count > 2 and not zonal:  # a drain and a crash together still leave a node to run on
        users.append(UserAction("drain", {"nodes": [nodes[0]["metadata"]["name"]]}, 1))
    faults: dict[str, int | None] = {
        "container_crash": 2,
        "controller_restart": 1,
        "watch_delay": 1,
    }
    if "relists" in features:
        faults["watch_drop"] = 1
    if "kubelet_watches" in features:
        faults["kubelet_watch_delay"] = 1
        faults["kubelet_restart"] = 1
        if "relists" in features:
            faults["kubelet_watch_drop"] = 1
    if count > 1:
        faults["node_crash"] = 1
        faults["kubelet_partition"] = 1
    invariants = [
        cls()
        for cls in CATALOGUE.values()
        if cls is not MinAvailable
        and cls.name not in {"drains_complete", "job_not_failed"}
        and not (tight and cls.name == "eventually_stable")
    ]
    # Later images start slowly, within the startup probe's 60 s (without a startup probe,
    # the containers have no liveness probe either: a slow start only delays readiness).
    for image in IMAGES[1:]:
        programs[image] = Program(starts_after=draw(st.sampled_from([0, 15, 45])))
    if "readiness" in features:  # mixed readiness: the first image's pods get Ready late
        programs[IMAGES[0]] = Program(ready_after=draw(st.sampled_from([0, 10, 40])))
    if "init" in features:
        programs[INIT_IMAGE] = Program(run_for=draw(st.sampled_from([1, 10])))
    switched = frozenset(
        f for f in features if (f != "tainted" or tainted) and (f != "zonal_pv" or zonal)
    )
    scenario = Scenario(
        objects=objects,
        faults=faults,
        user_actions=users,
        invariants=invariants,
        config=ClusterConfig(programs=programs, loads=loads),
    )
    return scenario, switched


def upstream_scale_stall(run: Run, message: str) -> bool:
    """The rollout stall upstream's ``sync.go`` has when a Deployment is scaled mid-rollout.

    With maxSurge 0 a rollout first scales the old ReplicaSet down (its desired-replicas
    annotation still says the old size) before the new one gets a replica. If the Deployment is
    then scaled to the old ReplicaSet's current size, every sync is a "scaling event"
    (``isScalingEvent``: an active ReplicaSet's annotation differs from ``spec.replicas``), and
    ``scale`` returns at once (``FindActiveOrLatest`` finds the one active ReplicaSet already at
    that size) without refreshing the annotation: the rollout never resumes. The model mirrors
    upstream, so this is a finding about Kubernetes, not a bug in the model; see
    ``tests/cover/test_cluster.py::test_scaling_mid_rollout_can_stall_a_max_surge_zero_rollout``.
    """
    if "did not finish its rollout" not in message:
        return False
    for d in run.cluster.store.list_objects("Deployment"):
        replicas = d["spec"]["replicas"]
        active = [
            rs
            for rs in run.cluster.store.list_objects(
                "ReplicaSet", namespace=d["metadata"]["namespace"]
            )
            if rs["spec"].get("replicas", 0) > 0
            and rs["metadata"]["ownerReferences"][0]["uid"] == d["metadata"]["uid"]
        ]
        annotations = [
            rs["metadata"].get("annotations", {}).get("deployment.kubernetes.io/desired-replicas")
            for rs in active
        ]
        if (
            len(active) == 1
            and active[0]["spec"]["replicas"] == replicas
            and annotations != [str(replicas)]
        ):
            return True
    return False


def stateful_member_on_a_dead_node(run: Run, message: str) -> bool:
    """A StatefulSet member whose pod is stuck on a crashed machine: never replaced, by design.

    The pod stays in the API (Terminating once evicted) because only its kubelet could confirm
    it stopped, and the controller waits for it to be gone (at most one pod per identity).
    Under ``OrderedReady`` the members above it are then never created either.
    """
    if not message.startswith("statefulset "):
        return False
    store = run.cluster.store
    sts_name = message.removeprefix("statefulset ").partition(" ")[0]
    namespace, _, name = sts_name.partition("/")
    sts = store.get(("StatefulSet", namespace, name)) or {}
    ordered = (sts.get("spec") or {}).get("podManagementPolicy", "OrderedReady") == "OrderedReady"
    missing = message.partition("(not: ")[2].partition(")")[0].split(", ")
    stuck: list[int] = []
    absent: list[int] = []
    for member in missing:
        pod = store.get(("Pod", namespace, member))
        if pod is None:
            absent.append(int(member.rpartition("-")[2]))
            continue
        machine = run.cluster.machines.get(str((pod.get("spec") or {}).get("nodeName")))
        if machine is None or machine.up:
            return False
        stuck.append(int(member.rpartition("-")[2]))
    return bool(stuck) and (not absent or (ordered and min(absent) > min(stuck)))


class ClusterModel(RuleBasedStateMachine):
    """One generated cluster, stepped by Hypothesis; invariants checked after every step.

    A violation is reported with the shortest trace kmodel finds (see ``properties/tracekit``)
    rather than shrunk by Hypothesis (see ``TestClusterModel.settings``).
    """

    run: Run
    chosen: list[Action]
    features: frozenset[str]
    #: The highest pressure seen this example, by target label (``target()`` once each).
    pressure: dict[str, float]

    @initialize(scenario=featured_scenarios())
    def build(self, scenario: Scenario | tuple[Scenario, frozenset[str]]) -> None:
        if isinstance(scenario, tuple):
            scenario, self.features = scenario
        else:  # a subclass drew the scenario itself (benchmarks/finding.py)
            self.features = frozenset()
        self.run = Run(scenario)
        self.chosen = []
        self.pressure = {"fullest node (cpu requested per allocatable)": 0.0, "unready pods": 0.0}
        assert self.run.violations == []

    @precondition(lambda self: bool(self.run.choices()))
    @rule(data=st.data())
    def step(self, data: st.DataObject) -> None:
        choices = self.run.choices()
        action = choices[data.draw(st.integers(0, len(choices) - 1), label="choice")]
        self.chosen.append(action)
        found = self.run.do(action)
        if found:
            self.fail(found)
        self.measure()

    def measure(self) -> None:
        """Note how close this state is to overcommit and to unavailability (for ``target``)."""
        store = self.run.cluster.store
        requested: Counter[str] = Counter()  # cpu cores by node
        unready = 0
        for pod in store.list_objects("Pod"):
            conditions = {
                c["type"]: c["status"] for c in pod.get("status", {}).get("conditions", [])
            }
            if pod.get("status", {}).get("phase") in {"Succeeded", "Failed"}:
                continue
            unready += conditions.get("Ready") != "True"
            if node_name := pod["spec"].get("nodeName"):
                requested[node_name] += sum(
                    float(parse_quantity(c.get("resources", {}).get("requests", {}).get("cpu", 0)))
                    for c in pod["spec"]["containers"]
                )
        fullest = max(
            (
                requested[n["metadata"]["name"]]
                / float(parse_quantity(n["status"]["allocatable"]["cpu"]))
                for n in store.list_objects("Node")
            ),
            default=0.0,
        )
        labels = list(self.pressure)
        self.pressure[labels[0]] = max(self.pressure[labels[0]], fullest)
        self.pressure[labels[1]] = max(self.pressure[labels[1]], float(unready))

    def teardown(self) -> None:
        run = getattr(self, "run", None)
        if run is not None:
            for label, value in self.pressure.items():
                target(value, label=label)
            found = [
                v
                for v in run.finish()
                if not upstream_scale_stall(run, v.message)
                and not stateful_member_on_a_dead_node(run, v.message)
            ]
            REACH.update(["examples", *(f"feature {f}" for f in self.features)])
            REACH.update(f"precondition {name}" for name in run.monitor.history.met)
            if found:
                self.fail(found)

    def fail(self, found: list[Violation]) -> None:
        """Fail with the violations and the shortest trace that violates the first one."""
        messages = [v.message for v in found]
        scenario = self.run.scenario
        # Hypothesis replays the failing example once more to report it (drawing the scenario
        # anew): the same scenario and actions are shortened once.
        key = (
            repr(replace(scenario, invariants=())),
            tuple(invariant.name for invariant in scenario.invariants),
            tuple(self.chosen),
            found[0].invariant,
        )
        if key not in _SHORTENED:
            shortened = tracekit.shorten(
                scenario,
                self.chosen,
                found[0].invariant,
                accept=lambda run, v: not upstream_scale_stall(run, v.message),
            )
            _SHORTENED[key] = (
                "" if shortened is None else tracekit.describe(shortened, len(self.chosen))
            )
        raise AssertionError(f"{messages}\n{_SHORTENED[key]}")


#: Shortened traces by failing run: its scenario (in words), actions and first invariant.
_SHORTENED: dict[tuple[str, tuple[str, ...], tuple[Action, ...], str], str] = {}


class TestClusterModel(ClusterModel.TestCase):
    """The state machine as a test; its draws depend on the seed alone (``seed_only_draws``)."""

    def runTest(self) -> None:  # noqa: N802 (unittest's name)
        with seed_only_draws():
            super().runTest()

    runTest.is_hypothesis_test = True  # type: ignore[attr-defined]
    runTest._hypothesis_state_machine_class = ClusterModel  # type: ignore[attr-defined]


# Hypothesis' shrinker and explainer take minutes here (each attempt settles a cluster): the
# state machine shortens its trace itself, every other setting comes from the loaded profile.
TestClusterModel.settings = settings(
    settings.default,
    phases=[p for p in settings.default.phases if p not in {Phase.shrink, Phase.explain}],
)
