"""The JSON Schema of each of kmodel's own file formats, generated from the format's model.

``make schemas`` (``python -m kmodel.cli.schemas``) writes ``schemas/<format>.schema.json`` and
the README's generated tables (each format's keys, and the fault, user action and component
tables of :mod:`kmodel.cluster`);
``--check`` only compares, and ``tests/cover/test_schemas.py`` fails when a committed schema differs
from its model, so the published schemas cannot drift. Editors read them through
``# yaml-language-server: $schema=...`` (README, "Specs").
"""

from __future__ import annotations

import importlib
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

__all__ = [
    "REGISTRY_TABLES",
    "SCHEMAS",
    "SCHEMA_FOLDER",
    "key_table",
    "main",
    "registry_table",
    "render",
]

#: Each format's schema file stem and its model (``module:class``).
SCHEMAS: Final = {
    "check-spec": "kmodel.explore.spec_format:CheckSpecFormat",
    "strategies-spec": "kmodel.strategies.spec_format:StrategiesSpecFormat",
    "conformance-scenario": "kmodel.conformance.scenario_format:ConformanceScenarioFormat",
    "trace": "kmodel.explore.trace_format:TraceFormat",
}
#: Where the schemas are published, in the repository.
SCHEMA_FOLDER: Final = Path(__file__).resolve().parents[2] / "schemas"
_DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"
#: A generated key table in the README: ``<!-- keys: NAME -->``, the table, ``<!-- end keys -->``.
_KEY_TABLE: Final = re.compile(r"(<!-- keys: ([a-z-]+) -->)\n.*?(<!-- end keys -->)", re.DOTALL)


def _schema_generator() -> type:
    """Pydantic's generator, without a ``title`` on every field (the key says it)."""
    from pydantic.json_schema import GenerateJsonSchema  # noqa: PLC0415 (pydantic is lazy)

    class WithoutFieldTitles(GenerateJsonSchema):
        def field_title_should_be_set(self, schema: object) -> bool:
            return False

    return WithoutFieldTitles


def render(name: str) -> str:
    """The JSON Schema of the format ``name`` (a key of :data:`SCHEMAS`), as the file holds it."""
    module, _, attribute = SCHEMAS[name].partition(":")
    model = getattr(importlib.import_module(module), attribute)
    schema = {
        "$schema": _DIALECT,
        "$id": f"{name}.schema.json",
        **model.model_json_schema(schema_generator=_schema_generator()),
    }
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def registry_table(name: str) -> str:
    """A Markdown table of one of the cluster's tables: ``faults``, ``actions`` or ``components``.

    Read from :data:`kmodel.cluster.faults.FAULTS`, :data:`kmodel.cluster.user_actions.USER_ACTIONS`
    and :data:`kmodel.cluster.components.COMPONENTS`, the tables exploration reads.
    """
    from kmodel.cluster.components import COMPONENTS  # noqa: PLC0415 (only when writing docs)
    from kmodel.cluster.faults import FAULTS  # noqa: PLC0415
    from kmodel.cluster.user_actions import USER_ACTIONS  # noqa: PLC0415

    if name == "faults":
        rows = [f"| `{f.kind}` | `{f.action.name}` | {f.summary} |" for f in FAULTS]
        header = "| fault | in traces | what happens |"
    elif name == "actions":
        rows = []
        for kind in USER_ACTIONS:
            keys = ", ".join(
                f"`{field.alias or key}`" for key, field in kind.params.model_fields.items()
            )
            rows.append(f"| `{kind.kind}` | {keys} | {kind.summary} |")
        header = "| action | keys | what it does |"
    else:
        rows = [
            f"| `{c.name}` | {'yes' if c.informer else 'no'} | {c.summary} |" for c in COMPONENTS
        ]
        header = (
            "| component | reads through a shared informer (`watch_*` faults, "
            "`controller_restart`) | steps |"
        )
    return "\n".join([header, "|---|---|---|", *rows]) + "\n"


#: The README's generated tables of the cluster's registries (see :func:`registry_table`).
REGISTRY_TABLES: Final = ("faults", "actions", "components")


def key_table(name: str) -> str:
    """A Markdown table of every key of the format ``name``, from its model's descriptions.

    Nested keys are dotted (``release.image``), list items bracketed (``strategies[].name``);
    the README holds the strategies spec's between ``<!-- keys: strategies-spec -->`` markers.
    """
    schema = json.loads(render(name))
    definitions = schema.get("$defs", {})
    rows: list[str] = []

    def resolve(node: dict[str, Any]) -> list[dict[str, Any]]:
        """The object schemas a property may hold (through $ref, anyOf, oneOf and items)."""
        if "$ref" in node:
            return [definitions[node["$ref"].rpartition("/")[2]]]
        found = []
        for option in [*node.get("anyOf", ()), *node.get("oneOf", ())]:
            found.extend(resolve(option))
        return found

    def walk(node: dict[str, Any], prefix: str) -> None:
        for key, prop in node.get("properties", {}).items():
            default = json.dumps(prop["default"]) if "default" in prop else "see below"
            if key in node.get("required", ()):
                default = "required"
            meaning = str(prop.get("description", "")).replace("<", "&lt;")
            rows.append(f"| `{prefix}{key}` | {default} | {meaning} |")
            items = prop.get("items")
            if isinstance(items, dict):
                for inner in resolve(items):
                    walk(inner, f"{prefix}{key}[].")
            for inner in resolve(prop):
                walk(inner, f"{prefix}{key}.")

    walk(schema, "")
    unique = list(dict.fromkeys(rows))
    return "\n".join(["| key | default | meaning |", "|---|---|---|", *unique]) + "\n"


def _readme_with_tables(text: str) -> str:
    """The README with each ``<!-- keys: NAME -->`` ... ``<!-- end keys -->`` table rendered."""

    def table(match: re.Match[str]) -> str:
        name = match.group(2)
        rendered = registry_table(name) if name in REGISTRY_TABLES else key_table(name)
        return f"{match.group(1)}\n{rendered}{match.group(3)}"

    return _KEY_TABLE.sub(table, text)


def main(argv: Sequence[str] | None = None) -> int:
    """Write every schema into :data:`SCHEMA_FOLDER` (``--check``: only compare; 1 if stale)."""
    check = "--check" in (sys.argv[1:] if argv is None else argv)
    stale = []
    for name in SCHEMAS:
        target = SCHEMA_FOLDER / f"{name}.schema.json"
        text = render(name)
        if target.is_file() and target.read_text(encoding="utf-8") == text:
            continue
        stale.append(target)
        if not check:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    readme = SCHEMA_FOLDER.parent / "README.md"
    if readme.is_file():
        text = readme.read_text(encoding="utf-8")
        if _readme_with_tables(text) != text:
            stale.append(readme)
            if not check:
                readme.write_text(_readme_with_tables(text), encoding="utf-8")
    for target in stale:
        print(f"{'out of date' if check else 'wrote'}: {target}")  # noqa: T201 (a dev command)
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
