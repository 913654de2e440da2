"""The published JSON Schemas (``schemas/``) are what the format models generate: no drift."""

from __future__ import annotations

import json

import pytest

from kmodel.cli.schemas import SCHEMA_FOLDER, SCHEMAS, _readme_with_tables, key_table, main, render


@pytest.mark.parametrize("name", list(SCHEMAS))
def test_every_key_is_documented(name: str) -> None:
    schema = json.loads(render(name))
    for definition in [schema, *schema["$defs"].values()]:
        for key, prop in definition.get("properties", {}).items():
            assert prop.get("description"), f"{key} has no description"


@pytest.mark.parametrize("name", list(SCHEMAS))
def test_the_published_schema_is_the_models(name: str) -> None:
    published = (SCHEMA_FOLDER / f"{name}.schema.json").read_text(encoding="utf-8")
    assert published == render(name), f"run `make schemas`: schemas/{name}.schema.json is stale"


def test_check_mode_reports_a_stale_schema(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr("kmodel.cli.schemas.SCHEMA_FOLDER", tmp_path)
    assert main(["--check"]) == 1  # nothing written yet
    assert main([]) == 0
    assert main(["--check"]) == 0
    first = tmp_path / f"{next(iter(SCHEMAS))}.schema.json"
    first.write_text(first.read_text(encoding="utf-8").replace("etcd", "ETCD"), encoding="utf-8")
    assert main(["--check"]) == 1


def test_the_check_spec_schema_is_strict() -> None:
    schema = json.loads(render("check-spec"))
    assert schema["additionalProperties"] is False
    assert "cluster" in schema["required"]
    pool = schema["$defs"]["NodePool"]
    assert pool["additionalProperties"] is False
    assert pool["properties"]["count"] == {
        "default": 1,
        "description": "how many nodes",
        "minimum": 1,
        "type": "integer",
    }


def test_the_readme_documents_every_strategies_key_from_the_model() -> None:
    readme = (SCHEMA_FOLDER.parent / "README.md").read_text(encoding="utf-8")
    assert _readme_with_tables(readme) == readme, "run `make schemas`: README key table is stale"
    table = key_table("strategies-spec")
    assert table in readme
    for key in ("release.image", "strategies[].maxSurge", "strategies[].dnsTtl", "window"):
        assert f"| `{key}` |" in table
