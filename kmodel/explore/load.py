"""The ``load`` section of a spec and the ``load`` user action (HorizontalPodAutoscaler input).

::

    load:
      web:                                  # an HPA among the workloads (or namespace/name)
        total: 1500m                        # spread over the target's Ready pods
      api:
        perPod: [{at: 0, value: 200m}, {at: 120, value: 800m}]   # a series per Ready pod
    actions:
      - load: {hpa: web, levels: [600m, 3]} # exploration may switch to one of these levels

The format is declared in :mod:`kmodel.explore.spec_format` (``LoadEntry``, ``LoadParams``);
this module checks what needs the workloads and turns values into milli-values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from kmodel.cluster.components.hpa import Load
from kmodel.errors import InputError
from kmodel.objects.quantity import milli_value, parse_quantity

if TYPE_CHECKING:
    from kmodel.explore.spec import SpecReader
    from kmodel.explore.spec_format import LoadEntry

__all__ = ["hpa_names", "milli_of", "read_loads"]


def hpa_names(objects: Sequence[Mapping[str, Any]]) -> set[str]:
    """``namespace/name`` of every HorizontalPodAutoscaler among the objects."""
    return {
        f"{o['metadata'].get('namespace', 'default')}/{o['metadata']['name']}"
        for o in objects
        if o.get("kind") == "HorizontalPodAutoscaler"
    }


def _hpa_ref(reader: SpecReader, name: str, path: str, hpas: set[str]) -> str:
    key = name if "/" in name else f"default/{name}"
    if key not in hpas:
        raise reader.error(path, f"no HorizontalPodAutoscaler {name!r} among the workloads")
    return key


def milli_of(reader: SpecReader, value: object, path: str) -> int:
    """A quantity as a milli-value, not negative (errors name ``path``)."""
    try:
        amount = milli_value(parse_quantity(value))
    except InputError as error:
        raise reader.error(path, error.message) from None
    if amount < 0:
        raise reader.error(path, "must not be negative")
    return amount


def _series(reader: SpecReader, value: Any, path: str) -> tuple[tuple[int, int], ...]:  # noqa: ANN401  # a quantity or the parsed points
    if not isinstance(value, list):
        return ((0, milli_of(reader, value, path)),)
    points: list[tuple[int, int]] = []
    for index, point in enumerate(value):
        item_path = f"{path}[{index}]"
        if points and point.at <= points[-1][0]:
            raise reader.error(f"{item_path}.at", "must be later than the previous point")
        points.append((point.at, milli_of(reader, point.value, f"{item_path}.value")))
    if not points:
        raise reader.error(path, "needs at least one point")
    return tuple(points)


def read_loads(
    reader: SpecReader, section: Mapping[str, LoadEntry], hpas: set[str]
) -> dict[str, Load]:
    """The ``load`` section: a :class:`Load` per HPA key."""
    loads: dict[str, Load] = {}
    for name, entry in section.items():
        path = f"load.{name}"
        key = _hpa_ref(reader, name, path, hpas)
        if entry.total is not None:
            loads[key] = Load(_series(reader, entry.total, f"{path}.total"), spread=True)
        else:
            loads[key] = Load(_series(reader, entry.per_pod, f"{path}.perPod"), spread=False)
    return loads
