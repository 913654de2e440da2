"""The HPA in specs and manifests: the load input, the load action, API validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from kmodel.errors import InputError
from kmodel.explore.spec import load_spec
from tests.helpers.paths import ROOT

SPEC = ROOT / "specs" / "hpa-scale-up-during-rollout.yaml"


def _variant(tmp_path: Path, old: str, new: str) -> Path:
    text = SPEC.read_text()
    assert old in text
    target = tmp_path / "spec.yaml"
    (tmp_path / "workloads").mkdir()
    (tmp_path / "workloads" / "web.yaml").write_text(
        (SPEC.parent / "workloads" / "web.yaml").read_text()
    )
    target.write_text(text.replace(old, new))
    return target


def test_bundled_spec_loads_its_load_and_action() -> None:
    spec = load_spec(SPEC)
    load = spec.scenario.config.loads["default/web"]
    assert load.points == ((0, 300),)
    assert load.spread
    levels = next(a for a in spec.scenario.user_actions if a.kind == "load")
    assert [a.level for a in levels.actions()] == [1500, 100]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("old", "new", "path", "message"),
    [
        ("web: {total: 300m}", "api: {total: 300m}", "load.api", "no HorizontalPodAutoscaler"),
        ("web: {total: 300m}", "web: {total: lots}", "load.web.total", "lots"),
        ("web: {total: 300m}", "web: {total: 1, perPod: 2}", "load.web", "exactly one"),
        (
            "web: {total: 300m}",
            "web: {perPod: [{at: 5, value: 1}, {at: 5, value: 2}]}",
            "load.web.perPod[1].at",
            "later",
        ),
        ("levels: [1500m, 100m]", "levels: [-1]", "actions[1].load.levels[0]", "negative"),
        ("maxReplicas: 8", "maxReplicas: 2", "spec.maxReplicas", "minReplicas"),
        ("averageUtilization: 50", "averageUtilization: 0", "averageUtilization", "greater"),
    ],
)
def test_bad_input_names_the_field(
    tmp_path: Path, old: str, new: str, path: str, message: str
) -> None:
    with pytest.raises(InputError) as caught:
        load_spec(_variant(tmp_path, old, new))
    text = str(caught.value)
    assert path in text
    assert message in text
