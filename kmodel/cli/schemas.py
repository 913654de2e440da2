"""The JSON Schema of each of kmodel's own file formats, generated from the format's model.

``make schemas`` (``python -m kmodel.cli.schemas``) writes ``schemas/<format>.schema.json``;
``--check`` only compares, and ``tests/test_schemas.py`` fails when a committed schema differs
from its model, so the published schemas cannot drift. Editors read them through
``# yaml-language-server: $schema=...`` (README, "Specs").
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Final

__all__ = ["SCHEMAS", "SCHEMA_FOLDER", "main", "render"]

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
    for target in stale:
        print(f"{'out of date' if check else 'wrote'}: {target}")  # noqa: T201 (a dev command)
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
