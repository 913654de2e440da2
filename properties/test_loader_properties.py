"""Property: whatever text it is given, the loader returns objects or raises InputError.

Never a bare KeyError, TypeError, RecursionError or a YAML exception, and never a half-valid
object: what it returns has a modelled kind, a name, the right scope and a JSON-clean body.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kmodel.errors import InputError
from kmodel.objects.known_fields import KIND_ROOTS, STRUCTS
from kmodel.objects.manifests import LoadedObject, load_text
from kmodel.objects.validate import MODELLED_KINDS
from tests.helpers.paths import FIXTURES

# Bounded so the whole module runs in a few seconds; a global profile can raise it later.
LOADER_PROFILE = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

MANIFESTS = FIXTURES / "manifests"
VALID_TEXT = (
    (MANIFESTS / "all-kinds.yaml").read_text()
    + "---\n"
    + (MANIFESTS / "pod-get-output.yaml").read_text()
)
VALID_DOCUMENTS = [doc for doc in yaml.safe_load_all(VALID_TEXT) if doc is not None]

QUANTITY_GARBAGE = st.sampled_from(
    ["1.2.3", "-1", "-500m", "1Qi", "", " ", "1e", "e3", "1e400", "0x10", "Infinity", "1..5", "+"]
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | QUANTITY_GARBAGE
)
JSON_LIKE = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


def dump_all(documents: list[Any]) -> str:
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump_all(documents, Dumper=dumper)


def check_result(objects: list[LoadedObject]) -> None:
    for obj in objects:
        spec = MODELLED_KINDS[obj.kind]
        assert obj.name
        assert (obj.namespace is not None) == spec.namespaced
        assert isinstance(obj.body, dict)
        json.dumps(obj.body, allow_nan=True)


def load_or_input_error(text: str, *, document: int | None = None) -> None:
    failure: InputError | None = None
    try:
        objects = load_text(text, file="generated.yaml", on_warning=lambda _: None)
    except InputError as error:
        failure = error
    if failure is None:
        check_result(objects)
    else:
        # Every problem collected names the file (and the mutated document, if known).
        for problem in failure.problems or (failure,):
            assert not problem.problems
            assert problem.file == "generated.yaml"
            if document is not None:
                assert problem.document == document
            assert str(problem).startswith("generated.yaml: ")


def paths_of(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside nested dicts and lists."""
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found.extend(paths_of(item, (*prefix, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(paths_of(item, (*prefix, index)))
    return found


def mutate(document: Any, path: tuple[Any, ...], action: str, garbage: Any) -> Any:
    if not path:
        return garbage
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if action == "drop":
        del parent[last]
    elif action == "replace":
        parent[last] = garbage
    elif action == "wrap":
        parent[last] = [parent[last]]
    elif action == "stringify":
        parent[last] = str(parent[last])
    return document


@pytest.mark.parametrize(
    "index", range(len(VALID_DOCUMENTS)), ids=[doc["kind"] for doc in VALID_DOCUMENTS]
)
@settings(LOADER_PROFILE, max_examples=40)
@given(data=st.data())
def test_mutated_valid_manifests_load_or_raise_input_error(index: int, data: st.DataObject) -> None:
    document = copy.deepcopy(VALID_DOCUMENTS[index])
    for _ in range(data.draw(st.integers(min_value=1, max_value=3), label="mutations")):
        path = data.draw(st.sampled_from(paths_of(document)), label="path")
        action = data.draw(st.sampled_from(["drop", "replace", "wrap", "stringify"]))
        garbage = data.draw(JSON_LIKE, label="garbage")
        document = mutate(document, path, action, garbage)
    # A valid neighbour first, so errors must name document 1.
    load_or_input_error(dump_all([VALID_DOCUMENTS[0], document]), document=1)


@LOADER_PROFILE
@given(documents=st.lists(JSON_LIKE, max_size=3))
def test_random_documents_load_or_raise_input_error(documents: list[Any]) -> None:
    load_or_input_error(dump_all(documents))


@LOADER_PROFILE
@given(
    kind=st.sampled_from(sorted(MODELLED_KINDS)),
    api_version=st.sampled_from(["v1", "apps/v1", "policy/v1"]),
    metadata=JSON_LIKE,
    spec=JSON_LIKE,
    status=JSON_LIKE,
)
def test_random_bodies_of_modelled_kinds(
    kind: str, api_version: str, metadata: Any, spec: Any, status: Any
) -> None:
    body = {
        "apiVersion": api_version,
        "kind": kind,
        "metadata": metadata,
        "spec": spec,
        "status": status,
    }
    load_or_input_error(dump_all([body]))
    load_or_input_error(json.dumps({"apiVersion": "v1", "kind": "List", "items": [body]}))


YAML_PIECES = st.sampled_from(
    [
        "apiVersion: v1\n",
        "kind: Pod\n",
        "kind: List\n",
        "items:\n",
        "metadata: {name: web}\n",
        "spec:\n",
        "  containers:\n",
        "  - name: app\n",
        "    image: nginx\n",
        "    resources: {requests: {cpu: 1.2.3}}\n",
        "---\n",
        "- ",
        "&a ",
        "*a ",
        "[",
        "]",
        "{",
        "}",
        ": ",
        "? ",
        "!!binary ",
        "!!python/object ",
        "|\n",
        '"',
        "'",
        "\t",
        "#",
        "<<: *a\n",
        "%YAML 1.1\n",
    ]
)


@LOADER_PROFILE
@given(pieces=st.lists(YAML_PIECES | st.text(max_size=6), max_size=25))
def test_yaml_ish_text_loads_or_raises_input_error(pieces: list[str]) -> None:
    load_or_input_error("".join(pieces))


@LOADER_PROFILE
@given(data=st.data())
def test_character_edits_of_valid_text(data: st.DataObject) -> None:
    text = VALID_TEXT
    for _ in range(data.draw(st.integers(min_value=1, max_value=4), label="edits")):
        position = data.draw(st.integers(min_value=0, max_value=len(text)), label="position")
        deleted = data.draw(st.integers(min_value=0, max_value=5), label="deleted")
        inserted = data.draw(st.text(max_size=4) | YAML_PIECES, label="inserted")
        text = text[:position] + inserted + text[position + deleted :]
    load_or_input_error(text)


def typed_mappings(value: Any, type_name: str, path: str = "") -> list[tuple[str, Any, bool]]:
    """Every mapping in a valid document with its field path and whether it is a struct.

    Read from the upstream field table (data): a struct has fixed fields, a map (labels,
    ``data``, resource lists) takes any key.
    """
    found: list[tuple[str, Any, bool]] = []
    if type_name.startswith("[]") and isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(typed_mappings(item, type_name[2:], f"{path}[{index}]"))
    elif type_name.startswith("{}") and isinstance(value, dict):
        found.append((path, value, False))
    elif type_name in STRUCTS and isinstance(value, dict):
        found.append((path, value, True))
        for key, item in value.items():
            child = f"{path}.{key}" if path else key
            found.extend(typed_mappings(item, STRUCTS[type_name][key], child))
    return found


@pytest.mark.parametrize(
    "index", range(len(VALID_DOCUMENTS)), ids=[doc["kind"] for doc in VALID_DOCUMENTS]
)
@settings(LOADER_PROFILE, max_examples=30)
@given(data=st.data())
def test_a_key_added_to_a_struct_is_the_one_unknown_field(index: int, data: st.DataObject) -> None:
    """kubectl --validate=strict: a new key in a struct is an unknown field, reported at its
    path and only there; a new key in a map (labels, data, requests) is not a field at all."""
    document = copy.deepcopy(VALID_DOCUMENTS[index])
    mappings = typed_mappings(document, KIND_ROOTS[document["kind"]])
    path, mapping, is_struct = data.draw(st.sampled_from(mappings), label="mapping")
    key = data.draw(st.from_regex(r"x[a-z]{0,6}Zq", fullmatch=True), label="key")
    mapping[key] = "added"
    problems: tuple[InputError, ...] = ()
    try:
        load_text(dump_all([document]), file="added.yaml", validate="strict")
    except InputError as error:
        problems = error.problems or (error,)
    unknown = [(p.path, p.message) for p in problems if p.message.startswith("unknown field")]
    if is_struct:
        # Unknown fields stop the object's validation, so it is the only problem.
        assert len(problems) == 1
        assert [(where, message.split(" (")[0]) for where, message in unknown] == [
            (f"{path}.{key}" if path else key, f'unknown field "{key}"')
        ]
        assert load_text(dump_all([document]), file="added.yaml", validate="ignore")
    else:
        # A map entry is no field; the API server's own rules may still refuse its key or value.
        assert unknown == []
