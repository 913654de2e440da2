"""The properties ``kmodel verify`` proves, and how they are written.

In a verify file or a spec's ``verify:`` list, or as ``--property`` (YAML text)::

    - schedulable
    - spread: {deployment: web, across: zone, min: 2}       # across: node | zone | <label>
    - survives: {lose: zone, count: 1, keep: pdb}            # keep: pdb (default) | all
    - capacity_headroom: {deployment: web, extra: 2}

``deployment`` names a Deployment or ReplicaSet (``name`` in ``default``, or ``ns/name``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from kmodel.cluster.topology import HOSTNAME_LABEL, domain_key
from kmodel.errors import InputError

__all__ = ["PROPERTY_KINDS", "Property", "parse_property"]

PROPERTY_KINDS: Final = ("schedulable", "spread", "survives", "capacity_headroom")
_FIELDS: Final[Mapping[str, tuple[frozenset[str], frozenset[str]]]] = {
    # kind -> (required, allowed)
    "schedulable": (frozenset(), frozenset()),
    "spread": (
        frozenset({"deployment", "across", "min"}),
        frozenset({"deployment", "across", "min"}),
    ),
    "survives": (frozenset({"lose"}), frozenset({"lose", "count", "keep"})),
    "capacity_headroom": (frozenset({"deployment", "extra"}), frozenset({"deployment", "extra"})),
}


@dataclass(frozen=True)
class Property:
    """One property to prove.

    Attributes:
        kind: ``schedulable``, ``spread``, ``survives`` or ``capacity_headroom``.
        deployment: ``namespace/name`` of the Deployment or ReplicaSet (spread, headroom).
        key: the topology label of the domains (spread: ``across``; survives: ``lose``).
        minimum: spread's ``min`` (domains).
        count: survives' ``count`` (domains lost at once).
        extra: capacity_headroom's ``extra`` (replicas).
        keep: survives' ``keep``: ``pdb`` (each PDB's desired healthy pods, all replicas where
            no PDB covers a controller) or ``all``.
        where: where it was written (file and field path), for messages.
    """

    kind: str
    deployment: str | None = None
    key: str | None = None
    minimum: int = 0
    count: int = 1
    extra: int = 0
    keep: str = "pdb"
    where: str = ""

    @property
    def name(self) -> str:
        """A short, stable name (JUnit test case names, file names)."""
        key = _short(self.key or "")
        if self.kind == "spread":
            return f"spread {self.deployment} across {key} min {self.minimum}"
        if self.kind == "survives":
            many = f" x{self.count}" if self.count != 1 else ""
            return f"survives losing {key}{many} keep {self.keep}"
        if self.kind == "capacity_headroom":
            return f"capacity_headroom {self.deployment} extra {self.extra}"
        return "schedulable"

    @property
    def slug(self) -> str:
        """The name as a file-name part."""
        return "".join(c if c.isalnum() or c in "-." else "-" for c in self.name).strip("-")


def _short(key: str) -> str:
    return {HOSTNAME_LABEL: "node", "topology.kubernetes.io/zone": "zone"}.get(key, key)


def _integer(value: object, path: str, file: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InputError(f"must be an integer >= {minimum}, got {value!r}", file=file, path=path)
    return value


def _string(value: object, path: str, file: str) -> str:
    if not isinstance(value, str) or not value:
        raise InputError(f"must be a non-empty string, got {value!r}", file=file, path=path)
    return value


def parse_property(raw: object, *, file: str, path: str) -> Property:
    """Read one property (see the module docstring).

    Raises:
        InputError: an unknown kind or field, a missing or mistyped field (file and path named).
    """
    body: object
    if isinstance(raw, str):
        kind, body = raw, {}
    elif isinstance(raw, Mapping) and len(raw) == 1:
        kind, body = next(iter(raw.items()))
        body = {} if body is None else body
    else:
        raise InputError(
            f"expected a property name or a mapping with one key ({', '.join(PROPERTY_KINDS)})",
            file=file,
            path=path,
        )
    if kind not in _FIELDS:
        raise InputError(
            f"unknown property {kind!r} (known: {', '.join(PROPERTY_KINDS)})", file=file, path=path
        )
    path = f"{path}.{kind}"
    if not isinstance(body, Mapping):
        raise InputError("must be a mapping", file=file, path=path)
    required, allowed = _FIELDS[kind]
    for name in body:
        if name not in allowed:
            known = ", ".join(sorted(allowed)) or "none"
            raise InputError(f"unknown field (known: {known})", file=file, path=f"{path}.{name}")
    for name in sorted(required - set(body)):
        raise InputError("required field missing", file=file, path=f"{path}.{name}")
    deployment = None
    if "deployment" in body:
        deployment = _string(body["deployment"], f"{path}.deployment", file)
        deployment = deployment if "/" in deployment else f"default/{deployment}"
    where = f"{file}: {path}"
    if kind == "spread":
        return Property(
            kind,
            deployment=deployment,
            key=domain_key(_string(body["across"], f"{path}.across", file)),
            minimum=_integer(body["min"], f"{path}.min", file, 1),
            where=where,
        )
    if kind == "survives":
        keep = body.get("keep", "pdb")
        if keep not in {"pdb", "all"}:
            raise InputError(f"must be pdb or all, got {keep!r}", file=file, path=f"{path}.keep")
        return Property(
            kind,
            key=domain_key(_string(body["lose"], f"{path}.lose", file)),
            count=_integer(body.get("count", 1), f"{path}.count", file, 1),
            keep=str(keep),
            where=where,
        )
    if kind == "capacity_headroom":
        return Property(
            kind,
            deployment=deployment,
            extra=_integer(body["extra"], f"{path}.extra", file, 1),
            where=where,
        )
    return Property(kind, where=where)
