"""Load Kubernetes manifests (YAML or JSON) into validated objects.

Accepts what ``kubectl apply -f`` accepts and what ``kubectl get -o yaml`` prints:

* multi-document YAML (``---``); empty documents are skipped but still counted, so document
  indexes are the 0-based positions of the documents in the file;
* ``kind: List`` and typed lists such as ``PodList`` (their ``items``; items of a typed list may
  omit ``apiVersion`` and ``kind``, as the API server's list responses do). An item keeps the
  document index of its list, :attr:`Source.item` holds its index, and errors name it in the
  field path (``items[3].spec.containers[0].name``). Lists inside lists are refused;
* server-populated fields (``metadata.managedFields``, ``uid``, ``resourceVersion``,
  ``creationTimestamp``, ``status``...) are kept in the body; validation reads only what the
  model uses;
* JSON, which is YAML.

The kinds the model knows are in :data:`kmodel.objects.validate.MODELLED_KINDS`; objects of any
other kind (Ingress, a CRD...) are skipped and reported through ``on_warning``, never printed.

Validation is the API server's with ``--validate=strict`` (:class:`LoadOptions`): every field is
checked against the known fields of its type (:mod:`kmodel.objects.field_check`; an unknown
field names the closest known one), then the object is validated as on create
(:mod:`kmodel.objects.validate`), and an object defined twice is refused. Every problem of every
file is collected and raised as one :class:`kmodel.errors.InputError` listing them all.

Repositories are read as they are: directories recursively, ``-`` as standard input, and a
file that is not a manifest (``package.json``, a chart's ``values.yaml``, an unrendered Helm
template) skipped with a warning instead of failing the load (:func:`load_inputs`).

Parsing is ``yaml.safe_load_all`` semantics (a ``SafeLoader``-style loader) made stricter in
the ways the Go YAML library kubectl uses is strict:

* files over :data:`MAX_FILE_BYTES` (32 MiB) are refused before anything is read or parsed;
* documents nested deeper than :data:`MAX_NESTING_DEPTH` are refused;
* alias expansion is bounded with the rule of ``gopkg.in/yaml`` (``allowedAliasRatio``), so an
  alias bomb ("billion laughs") is refused with ``document contains excessive aliasing``
  before anything is expanded; an alias that contains itself is refused too;
* a key repeated in one mapping is refused (``mapping key "x" already defined at line N``);
* unquoted timestamps, base-60 numbers (``10:30``) and ``=`` stay strings, as the Go library
  resolves them when decoding into JSON;
  values JSON cannot hold (``!!binary``, ``!!set``, explicit ``!!timestamp``) are refused;
  non-string keys are turned into strings as ``sigs.k8s.io/yaml`` does.

Every problem is an :class:`kmodel.errors.InputError` naming the file, the document index, the
object and the field path; on any error nothing is returned.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Final

import yaml
from yaml.composer import Composer, ComposerError
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import Resolver
from yaml.scanner import Scanner

from kmodel.errors import InputError, join_path
from kmodel.objects.field_check import FieldProblem, check_fields
from kmodel.objects.validate import MODELLED_KINDS

__all__ = [
    "MANIFEST_SUFFIXES",
    "MAX_FILE_BYTES",
    "MAX_NESTING_DEPTH",
    "STDIN_NAME",
    "VALIDATION_MODES",
    "LoadOptions",
    "LoadResult",
    "LoadSummary",
    "LoadedObject",
    "SkippedObject",
    "Source",
    "load_inputs",
    "load_manifests",
    "load_text",
    "manifest_files",
    "parse_yaml",
    "read_json_file",
    "read_text_file",
]

#: Files (and texts) larger than this are refused before parsing.
MAX_FILE_BYTES = 32 * 1024 * 1024
#: Deepest nesting of mappings and sequences accepted in a document.
MAX_NESTING_DEPTH = 200
#: The files a directory argument contributes (recursively unless told not to, sorted).
MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")

Warn = Callable[[str], None]


@dataclass(frozen=True)
class Source:
    """Where an object came from.

    Attributes:
        file: the file path as given (or ``"<string>"`` for :func:`load_text`).
        document: the 0-based index of the YAML document in the file.
        item: the index in ``items`` when the document is a ``List``, else None.
    """

    file: str
    document: int
    item: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}: document {self.document}"
        return where if self.item is None else f"{where}: items[{self.item}]"


@dataclass(frozen=True)
class LoadedObject:
    """A validated object of a modelled kind.

    Attributes:
        kind: the ``kind`` (``"Pod"``, ``"Deployment"``...).
        name: ``metadata.name``.
        namespace: ``metadata.namespace``, ``"default"`` when absent, None for the
            cluster-scoped kinds (Node, PersistentVolume).
        body: the whole object as written (a fresh plain dict; server-populated fields kept,
            nothing defaulted).
        source: where it came from.
    """

    kind: str
    name: str
    namespace: str | None
    body: dict[str, Any]
    source: Source

    @property
    def label(self) -> str:
        """``Kind/name`` or ``Kind/namespace/name``, as errors name objects."""
        return _object_label(self.kind, self.namespace, self.name)


@dataclass(frozen=True)
class SkippedObject:
    """An object of a kind the model does not know, skipped by the loader.

    Attributes:
        kind: its ``kind``.
        api_version: its ``apiVersion``.
        name: ``metadata.name`` (None when absent).
        namespace: ``metadata.namespace`` as written (None when absent).
        source: where it came from.
    """

    kind: str
    api_version: str
    name: str | None
    namespace: str | None
    source: Source

    @property
    def label(self) -> str:
        """``Kind/name`` or ``Kind/namespace/name``, as errors name objects."""
        return _object_label(self.kind, self.namespace, self.name)

    @property
    def reason(self) -> str:
        """Why it was skipped, in words."""
        return f"kind {self.kind} ({self.api_version}) is not modelled"

    def __str__(self) -> str:
        return f"{self.source}: skipping {self.label}: {self.reason}"


#: Called with each skipped object (by default, its warning line goes to the ``Warn`` sink).
Skip = Callable[[SkippedObject], None]


def _object_label(kind: str, namespace: str | None, name: str | None) -> str:
    if not name:
        return kind
    return f"{kind}/{name}" if namespace is None else f"{kind}/{namespace}/{name}"


# ---------------------------------------------------------------- YAML parsing

_MERGE_TAG = "tag:yaml.org,2002:merge"


#: Implicit YAML 1.1 types that gopkg.in/yaml.v2's ``resolve`` (kubectl's decoder) leaves
#: strings: timestamps when decoding into JSON, and ``=`` (``!!value``, which no safe
#: constructor builds: kube-prometheus's CRDs list ``- =`` as an enum value).
_GO_STRING_TAGS: Final = frozenset({"tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:value"})


class _Resolver(Resolver):
    """The YAML 1.1 resolver narrowed to what gopkg.in/yaml.v2 ``resolve`` resolves.

    Besides the tags above, the Go library has no base-60 numbers ("purposefully not
    supported"): ``10:30`` and ``8080:80`` stay strings, where PyYAML reads 37800 and 484880.
    """

    # PyYAML's resolver table is a class attribute by design; this copy is never mutated.
    yaml_implicit_resolvers = {  # noqa: RUF012
        first: [(tag, regexp) for tag, regexp in resolvers if tag not in _GO_STRING_TAGS]
        for first, resolvers in Resolver.yaml_implicit_resolvers.items()
    }

    def resolve(self, kind: type[Node], value: str, implicit: tuple[bool, bool]) -> str:
        # No type the Go library resolves has a colon in its plain form: only base 60 does.
        if kind is ScalarNode and implicit[0] and ":" in value:
            return str(self.DEFAULT_SCALAR_TAG)
        return str(super().resolve(kind, value, implicit))  # type: ignore[no-untyped-call]


class _GuardedComposer(Composer):
    """A composer that bounds nesting depth (Python's own composer is recursive).

    It also notes whether the document defined an anchor (``anchored``): without one it has no
    alias (an alias to an undefined anchor is an error), so its nodes form a tree.
    """

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.anchored = False

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        self.depth += 1
        try:
            if self.depth > MAX_NESTING_DEPTH:
                mark = self.peek_event().start_mark  # type: ignore[attr-defined]
                raise ComposerError(None, None, f"exceeded max depth of {MAX_NESTING_DEPTH}", mark)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1
            # The composer forgets its anchors at the document's end: note them on the way out.
            self.anchored = self.anchored or bool(self.anchors)


class _StrictSafeConstructor(SafeConstructor):
    """``SafeConstructor`` that refuses a key repeated within one mapping."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[tuple[str, str], int] = {}
        for key_node, _ in node.value:
            if key_node.tag == _MERGE_TAG or not isinstance(key_node, ScalarNode):
                continue
            identity = (key_node.tag, key_node.value)
            if identity in seen:
                raise ConstructorError(
                    None,
                    None,
                    f'mapping key "{key_node.value}" already defined at line {seen[identity] + 1}',
                    key_node.start_mark,
                )
            seen[identity] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


class _PurePythonLoader(
    Reader, Scanner, Parser, _GuardedComposer, _StrictSafeConstructor, _Resolver
):
    """Pure-Python events, composed and constructed with the guards above."""

    def __init__(self, text: str) -> None:
        Reader.__init__(self, text)
        Scanner.__init__(self)
        Parser.__init__(self)
        _GuardedComposer.__init__(self)
        _StrictSafeConstructor.__init__(self)
        _Resolver.__init__(self)


_Loader: type[_PurePythonLoader | _LibyamlLoader] = _PurePythonLoader
if yaml.__with_libyaml__:  # pragma: no branch - pyyaml wheels ship libyaml
    from yaml._yaml import CParser

    class _LibyamlLoader(_GuardedComposer, CParser, _StrictSafeConstructor, _Resolver):
        """libyaml events composed and constructed in Python with the guards above.

        libyaml is several times faster than the Python scanner and accepts tabs in JSON.
        """

        def __init__(self, text: str) -> None:
            CParser.__init__(self, text)
            _GuardedComposer.__init__(self)
            _StrictSafeConstructor.__init__(self)
            _Resolver.__init__(self)

    _Loader = _LibyamlLoader


# gopkg.in/yaml.v2 decode.go: alias_ratio_range_low / _high and allowedAliasRatio.
_ALIAS_RATIO_RANGE_LOW = 400_000
_ALIAS_RATIO_RANGE_HIGH = 4_000_000


def _allowed_alias_ratio(decode_count: int) -> float:
    """Mirrors gopkg.in/yaml.v2 decode.go ``allowedAliasRatio``."""
    if decode_count <= _ALIAS_RATIO_RANGE_LOW:
        return 0.99
    if decode_count >= _ALIAS_RATIO_RANGE_HIGH:
        return 0.10
    span = _ALIAS_RATIO_RANGE_HIGH - _ALIAS_RATIO_RANGE_LOW
    return 0.99 - 0.89 * (decode_count - _ALIAS_RATIO_RANGE_LOW) / span


def _check_aliasing(root: Node) -> None:
    """Refuse alias bombs and self-containing anchors without expanding anything.

    PyYAML composes an alias as a second reference to the anchored node, so the document is a
    graph. Each node is visited once; the expanded size of a subtree is memoised, so the
    ``decodeCount`` and ``aliasCount`` that ``gopkg.in/yaml.v2`` would reach are computed in
    time linear in the text.
    """
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    alias_count = 0

    def expanded_size(node: Node) -> int:
        nonlocal alias_count
        on_path.add(id(node))
        children: list[Node] = []
        if isinstance(node, SequenceNode):
            children = list(node.value)
        elif isinstance(node, MappingNode):
            children = [part for pair in node.value for part in pair]
        size = 1
        for child in children:
            if id(child) in on_path:
                raise ComposerError(None, None, "anchor value contains itself", child.start_mark)
            if id(child) in sizes:
                # A second reference to a node: an alias, expanded by every consumer.
                alias_count += sizes[id(child)]
                size += sizes[id(child)]
            else:
                size += expanded_size(child)
        on_path.discard(id(node))
        sizes[id(node)] = size
        return size

    decode_count = expanded_size(root)
    if (
        alias_count > 100
        and decode_count > 1000
        and alias_count / decode_count > _allowed_alias_ratio(decode_count)
    ):
        raise ComposerError(None, None, "document contains excessive aliasing", root.start_mark)


def _json_key(key: object) -> str:
    """Turn a YAML key into a JSON key as ``sigs.k8s.io/yaml`` does."""
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    if isinstance(key, int | float):
        return repr(key)
    raise InputError(f"unsupported mapping key of type {type(key).__name__}: {key!r}")


def _to_json_like(value: object, depth: int = 0) -> Any:  # noqa: ANN401 - JSON-like data
    """A fresh copy of ``value`` made of dict, list, str, int, float, bool and None only.

    Copying also un-shares what aliases shared, so objects never alias each other.
    """
    if depth > MAX_NESTING_DEPTH:
        raise InputError(f"exceeded max depth of {MAX_NESTING_DEPTH}")
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, list):
        return [_to_json_like(item, depth + 1) for item in value]
    if isinstance(value, dict):
        return {_json_key(key): _to_json_like(item, depth + 1) for key, item in value.items()}
    raise InputError(
        f"unsupported YAML value of type {type(value).__name__} (only JSON-compatible values are "
        "allowed in a manifest)"
    )


def _yaml_error_message(exc: yaml.YAMLError) -> str:
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        mark = exc.problem_mark
        message = f"invalid YAML at line {mark.line + 1}, column {mark.column + 1}: {exc.problem}"
        if exc.context:
            message += f" ({exc.context}"
            if exc.context_mark is not None:
                context = exc.context_mark
                message += f" at line {context.line + 1}, column {context.column + 1}"
            message += ")"
        return message
    return f"invalid YAML: {exc}"


def _parse_documents(text: str, file: str) -> list[tuple[int, Any]]:
    """Parse every document of ``text``: ``(document index, JSON-like value)`` pairs."""
    _check_size(_text_size(text, file), file)
    documents: list[tuple[int, Any]] = []
    loader = _Loader(text)
    index = 0
    node: Node | None = None
    try:
        while loader.check_node():
            loader.anchored = False
            node = loader.get_node()
            data = None
            if node is not None:
                if loader.anchored:
                    # Without an anchor the document is a tree: nothing to expand or cyclic.
                    _check_aliasing(node)
                data = loader.construct_document(node)
            documents.append((index, _to_json_like(data)))
            node = None
            index += 1
    except yaml.YAMLError as exc:
        mark = exc.problem_mark if isinstance(exc, yaml.MarkedYAMLError) else None
        path = _path_of_mark(node, mark.index) if node is not None and mark is not None else None
        raise InputError(
            _yaml_error_message(exc), file=file, document=index, path=path or None
        ) from None
    except InputError as exc:
        raise exc.located(file=file, document=index) from None
    finally:
        loader.dispose()
    return documents


def _path_of_mark(root: Node, index: int) -> str | None:
    """The field path of the key that starts at character ``index`` (a repeated key), if any."""
    pending: list[tuple[Node, str]] = [(root, "")]
    seen: set[int] = set()
    while pending:
        node, path = pending.pop()
        if id(node) in seen:  # an alias: already walked
            continue
        seen.add(id(node))
        if isinstance(node, MappingNode):
            for key, value in node.value:
                key_path = join_path(path, str(key.value)) if isinstance(key, ScalarNode) else path
                if key.start_mark.index == index:
                    return key_path
                pending.append((value, key_path))
        elif isinstance(node, SequenceNode):
            pending.extend((item, f"{path}[{i}]") for i, item in enumerate(node.value))
    return None


def _text_size(text: str, file: str) -> int:
    if len(text) > MAX_FILE_BYTES:  # at least one byte per character: no need to encode
        return len(text)
    try:
        return len(text.encode("utf-8"))
    except UnicodeEncodeError as exc:
        raise InputError(f"text is not valid Unicode: {exc.reason}", file=file) from None


def _check_size(size: int, file: str) -> None:
    if size > MAX_FILE_BYTES:
        raise InputError(
            f"file is {size} bytes, over the {MAX_FILE_BYTES}-byte limit for a manifest file",
            file=file,
        )


def parse_yaml(text: str, *, file: str) -> list[tuple[int, Any]]:
    """Parse every document of a YAML (or JSON) text with the hardened loader.

    The one parser for manifests and for kmodel's own formats (specs, conformance scenarios,
    strategies specs): size and depth limits, no alias bombs, a repeated key refused.

    Returns:
        ``(document index, JSON-like value)`` pairs; an empty document is ``None``.

    Raises:
        InputError: naming the file and document.
    """
    return _parse_documents(text, file)


def read_text_file(path: str | os.PathLike[str]) -> str:
    """Read a UTF-8 file, refusing one over :data:`MAX_FILE_BYTES` before reading it.

    Raises:
        InputError: naming the file (cannot be read, too large, not UTF-8).
    """
    return _read_file(Path(path))


def _refuse_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise InputError(f'invalid JSON: key "{key}" repeated in one object')
        result[key] = value
    return result


def read_json_file(path: str | os.PathLike[str]) -> Any:  # noqa: ANN401 - JSON data
    """Read a JSON file of kmodel's own (a trace) with the manifests' limits.

    JSON is read by a JSON parser (YAML 1.1 would read ``1e-05`` as a string), with the same
    guards as :func:`parse_yaml`: the size limit, the nesting depth limit and a key repeated in
    one object refused (``json`` keeps the last one silently).

    Raises:
        InputError: naming the file (and the line and column of a syntax error).
    """
    file = str(path)
    text = _read_file(Path(path))
    try:
        data = json.loads(text, object_pairs_hook=_refuse_repeated_keys)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"line {exc.lineno}, column {exc.colno}: invalid JSON: {exc.msg}", file=file
        ) from None
    except RecursionError:
        raise InputError(f"exceeded max depth of {MAX_NESTING_DEPTH}", file=file) from None
    except InputError as exc:
        raise exc.located(file=file) from None
    try:
        return _to_json_like(data)
    except InputError as exc:
        raise exc.located(file=file) from None


# ---------------------------------------------------------------- options and results

#: ``--validate`` values, as ``kubectl apply --validate``: unknown fields are errors
#: (``strict``), warnings (``warn``) or not reported (``ignore``).
VALIDATION_MODES: Final = ("strict", "warn", "ignore")


@dataclass(frozen=True)
class LoadOptions:
    """How manifests are found and validated (the shared input options of the CLI).

    Attributes:
        validate: one of :data:`VALIDATION_MODES`. Only unknown fields are relaxed: a value
            of the wrong type, or one the API server refuses, is always an error.
        recursive: read directories recursively (else only the files directly inside).
        ignore: glob patterns; a file or directory found inside a directory argument is left
            out when its name or its path relative to that argument matches one.
        skip_kinds: kinds left out (counted as skipped in the summary), as kubeconform's
            ``-skip``.
    """

    validate: str = "strict"
    recursive: bool = True
    ignore: tuple[str, ...] = ()
    skip_kinds: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        """Refuse an unknown validation mode."""
        if self.validate not in VALIDATION_MODES:
            raise InputError(
                f"must be one of {', '.join(VALIDATION_MODES)}, not {self.validate!r}",
                path="--validate",
            )


@dataclass
class LoadSummary:
    """What a load went through, for the closing summary line.

    Attributes:
        files: files read (skipped ones included).
        skipped_files: files that are not manifests (reported one by one, not failed).
        objects: objects found in the manifests (every kind).
        valid: objects of modelled kinds that passed validation.
        invalid: objects refused (each reported as an error).
        skipped: objects of a kind in ``skip_kinds``.
        not_modelled: objects of kinds the model does not know (reported one by one).
    """

    files: int = 0
    skipped_files: int = 0
    objects: int = 0
    valid: int = 0
    invalid: int = 0
    skipped: int = 0
    not_modelled: int = 0

    def line(self) -> str:
        """``5 files (1 skipped), 9 objects: 6 valid, 1 invalid, 1 skipped, 1 not modelled``."""
        files = f"{self.files} file{'s' if self.files != 1 else ''}"
        if self.skipped_files:
            files += f" ({self.skipped_files} skipped)"
        objects = f"{self.objects} object{'s' if self.objects != 1 else ''}"
        return (
            f"{files}, {objects}: {self.valid} valid, {self.invalid} invalid, "
            f"{self.skipped} skipped, {self.not_modelled} not modelled"
        )


@dataclass
class LoadResult:
    """Everything a load found: the valid objects, every error, and the counts."""

    objects: list[LoadedObject] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    summary: LoadSummary = field(default_factory=LoadSummary)

    def raise_errors(self) -> None:
        """Raise one :class:`InputError` listing every error, if there is any."""
        if self.errors:
            raise InputError.collected(self.errors)


@dataclass
class _Loading:
    """The state of one load: options, warning sink and what was found so far."""

    options: LoadOptions
    warn: Warn
    skip_sink: Skip | None = None
    result: LoadResult = field(default_factory=LoadResult)
    seen: dict[tuple[str, str | None, str], Source] = field(default_factory=dict)

    def skip(self, skipped: SkippedObject) -> None:
        """Report an object of a kind not modelled (to ``skip_sink``, else as a warning)."""
        if self.skip_sink is not None:
            self.skip_sink(skipped)
        else:
            self.warn(str(skipped))

    def error(self, error: InputError) -> None:
        self.result.errors.append(error)


# ---------------------------------------------------------------- objects


def _type_meta(body: Mapping[str, Any], path: str) -> tuple[str, str]:
    """``apiVersion`` and ``kind``, both required non-empty strings."""
    result: list[str] = []
    for field_name in ("apiVersion", "kind"):
        value = body.get(field_name)
        field_path = f"{path}.{field_name}" if path else field_name
        if value is None or value == "":
            raise InputError("Required value", path=field_path)
        if not isinstance(value, str):
            raise InputError(
                f"must be a string, not {type(value).__name__} {value!r}", path=field_path
            )
        result.append(value)
    return result[0], result[1]


def _metadata_string(body: Mapping[str, Any], field_name: str) -> str | None:
    metadata = body.get("metadata")
    value = metadata.get(field_name) if isinstance(metadata, Mapping) else None
    return value if isinstance(value, str) and value else None


def _check_api_version(api_version: str, supported: tuple[str, ...]) -> None:
    if api_version not in supported:
        quoted = ", ".join(f'"{version}"' for version in supported)
        raise InputError(
            f'Unsupported value: "{api_version}": supported values: {quoted}', path="apiVersion"
        )


def _list_items(document: Mapping[str, Any]) -> list[Any]:
    """The ``items`` of a list document; a list inside a list is refused."""
    items = document.get("items")
    if items is None:
        return []
    if not isinstance(items, list):
        raise InputError(f"must be a list, not {type(items).__name__}", path="items")
    for index, item in enumerate(items):
        kind = item.get("kind") if isinstance(item, dict) else None
        if isinstance(kind, str) and kind.endswith("List") and "items" in item:
            raise InputError("a List inside a List is not supported", path=f"items[{index}]")
    return items


def _field_errors(
    kind: str, body: Mapping[str, Any], state: _Loading, where: str
) -> list[FieldProblem]:
    """Strict field validation: the problems that are errors; warns of the relaxed ones."""
    errors: list[FieldProblem] = []
    for problem in check_fields(kind, body):
        if not problem.unknown or state.options.validate == "strict":
            errors.append(problem)
        elif state.options.validate == "warn":
            state.warn(f"{where}: {problem.path}: {problem.message}")
    return errors


def _validated(
    body: dict[str, Any], *, source: Source, path: str, state: _Loading
) -> LoadedObject | None:
    """Validate one object of a modelled kind; None after recording its errors."""
    api_version, kind = _type_meta(body, path)
    spec = MODELLED_KINDS[kind]
    name = _metadata_string(body, "name")
    namespace = (_metadata_string(body, "namespace") or "default") if spec.namespaced else None
    label = _object_label(kind, namespace, name)

    def located(exc: InputError) -> InputError:
        return exc.located(
            file=source.file, document=source.document, obj=label, path_prefix=path or None
        )

    try:
        _check_api_version(api_version, spec.api_versions)
    except InputError as exc:
        state.error(located(exc))
        return None
    problems = _field_errors(kind, body, state, f"{source}: {label}")
    for problem in problems:
        state.error(located(InputError(problem.message, path=problem.path or None)))
    if problems:
        return None
    try:
        spec.validate(body)
    except InputError as exc:
        state.error(located(exc))
        return None
    assert name is not None  # noqa: S101 - validation requires metadata.name
    return LoadedObject(kind=kind, name=name, namespace=namespace, body=body, source=source)


def _load_object(
    body: object,
    *,
    source: Source,
    path: str,
    state: _Loading,
    default_type: tuple[str, str] | None = None,
) -> None:
    """Validate one object and record it (or its errors) in ``state``."""
    summary = state.result.summary
    summary.objects += 1
    if not isinstance(body, dict):
        shape = "a list" if isinstance(body, list) else type(body).__name__
        summary.invalid += 1
        state.error(
            InputError(
                f"must be a mapping (an object with apiVersion and kind), not {shape}",
                file=source.file,
                document=source.document,
                path=path or None,
            )
        )
        return
    if default_type is not None:
        body.setdefault("apiVersion", default_type[0])
        body.setdefault("kind", default_type[1])
    try:
        api_version, kind = _type_meta(body, path)
    except InputError as exc:
        summary.invalid += 1
        state.error(exc.located(file=source.file, document=source.document))
        return
    name = _metadata_string(body, "name")
    if kind in state.options.skip_kinds:
        summary.skipped += 1
        return
    if kind not in MODELLED_KINDS:
        summary.not_modelled += 1
        namespace = _metadata_string(body, "namespace")
        state.skip(SkippedObject(kind, api_version, name, namespace, source))
        return
    loaded = _validated(body, source=source, path=path, state=state)
    if loaded is None:
        summary.invalid += 1
        return
    identity = (loaded.kind, loaded.namespace, loaded.name)
    first = state.seen.get(identity)
    if first is not None:
        # The API server refuses the second create of an object (AlreadyExists).
        summary.invalid += 1
        state.error(
            InputError(
                f"duplicate object: {loaded.label} is already defined at {first}",
                file=source.file,
                document=source.document,
                obj=loaded.label,
            )
        )
        return
    state.seen[identity] = source
    summary.valid += 1
    state.result.objects.append(loaded)


def _is_list_document(document: Mapping[str, Any]) -> bool:
    """``kind: List``, or a typed list such as ``PodList`` (a ``*List`` kind with ``items``)."""
    kind = document.get("kind")
    if not isinstance(kind, str):
        return False
    return kind == "List" or (kind.endswith("List") and "items" in document)


def _load_document(document: object, *, file: str, index: int, state: _Loading) -> None:
    """Record the objects of one document: itself, or the items of a list."""
    if document is None:
        return
    if not isinstance(document, dict) or not _is_list_document(document):
        _load_object(document, source=Source(file, index), path="", state=state)
        return
    try:
        api_version, kind = _type_meta(document, "")
        items = _list_items(document)
    except InputError as exc:
        state.error(exc.located(file=file, document=index))
        return
    # A typed list (PodList) may leave kind and apiVersion out of its items.
    default_type = None if kind == "List" else (api_version, kind.removesuffix("List"))
    for item_index, item in enumerate(items):
        _load_object(
            item,
            source=Source(file, index, item_index),
            path=f"items[{item_index}]",
            state=state,
            default_type=default_type,
        )


# ---------------------------------------------------------------- files

#: Template actions only an unrendered Helm chart holds: Helm's objects and functions. A rendered
#: manifest may hold Go templates of its own (Prometheus rules, Alertmanager's ``{{ template
#: "slack.title" . }}`` in a ConfigMap), so ``{{`` alone, or Go's own actions, are not enough.
_HELM_ACTION = re.compile(
    r"\{\{-?\s*(?:\.Values|\.Release|\.Chart|\.Capabilities|\.Files|\.Template"
    r"|include\b|toYaml\b|tpl\b)"
)
_HELM_HINT = (
    "skipped: an unrendered Helm template ({{ ... }}); render it first: "
    "helm template RELEASE CHART | kmodel ... -"
)


#: kustomize's own files (``kustomization.yaml``: ``Kustomization``, ``Component``) are no
#: Kubernetes objects; they name the resources and patches ``kubectl kustomize`` combines.
_KUSTOMIZE_GROUP = "kustomize.config.k8s.io/"
_KUSTOMIZE_HINT = (
    "skipped: a kustomize file ({kinds}); the files beside it are read as written, not as "
    "kustomize combines them: render it first: kubectl kustomize DIR | kmodel ... -"
)


def _kustomize_kinds(documents: list[tuple[int, Any]]) -> list[str]:
    """The kinds of a file whose every object is kustomize's own (else empty)."""
    objects = [d for _, d in documents if d is not None]
    if not objects or not all(
        isinstance(d, dict) and str(d.get("apiVersion", "")).startswith(_KUSTOMIZE_GROUP)
        for d in objects
    ):
        return []
    return list(dict.fromkeys(str(d.get("kind")) for d in objects))


def _looks_like_manifest(documents: list[tuple[int, Any]]) -> bool:
    """Whether any document is a mapping with a ``kind`` (``Chart.yaml`` has no ``kind``)."""
    return any(isinstance(document, dict) and "kind" in document for _, document in documents)


def _load_file_text(text: str, file: str, state: _Loading) -> None:
    """Load one file's text; a file that is not a manifest is skipped with a warning."""
    summary = state.result.summary
    summary.files += 1
    if _HELM_ACTION.search(text):
        summary.skipped_files += 1
        state.warn(f"{file}: {_HELM_HINT}")
        return
    try:
        documents = _parse_documents(text, file)
    except InputError as exc:
        if "{{" in text:
            summary.skipped_files += 1
            state.warn(f"{file}: {_HELM_HINT} ({exc.message})")
        else:
            state.error(exc)
        return
    if kinds := _kustomize_kinds(documents):
        summary.skipped_files += 1
        state.warn(f"{file}: {_KUSTOMIZE_HINT.format(kinds=', '.join(kinds))}")
        return
    if not _looks_like_manifest(documents):
        summary.skipped_files += 1
        if any(document is not None for _, document in documents):
            state.warn(f"{file}: skipped: not a Kubernetes manifest (no document has a kind)")
        else:
            # Said, not silent: `helm template ... | kmodel pack nodes.yaml -` with a failing
            # helm hands over nothing, and "0 pods, optimal" would read as a result.
            state.warn(f"{file}: skipped: no objects (the file is empty)")
        return
    for index, document in documents:
        _load_document(document, file=file, index=index, state=state)


def _ignore(_message: str) -> None:
    """The default warning sink."""


def load_text(
    text: str,
    *,
    file: str = "<string>",
    on_warning: Warn | None = None,
    validate: str = "strict",
    on_skip: Skip | None = None,
) -> list[LoadedObject]:
    """Load and validate every object in a YAML or JSON text.

    Args:
        text: one or more YAML documents (JSON is YAML).
        file: the name used in errors, warnings and :class:`Source`.
        on_warning: called with one line per skipped object (a kind the model does not know)
            and per unknown field under ``validate="warn"``.
        validate: one of :data:`VALIDATION_MODES`.
        on_skip: called with each skipped object instead of ``on_warning``.

    Returns:
        The objects in document order (list items in item order).

    Raises:
        InputError: every problem (size, YAML syntax, shape, unknown fields, validation,
            duplicates), each naming the file, document, object and field path. Nothing is
            returned on error.
    """
    if not isinstance(text, str):
        raise InputError(f"manifest text must be a string, not {type(text).__name__}", file=file)
    state = _Loading(LoadOptions(validate=validate), on_warning or _ignore, on_skip)
    for index, document in _parse_documents(text, file):
        _load_document(document, file=file, index=index, state=state)
    state.result.raise_errors()
    return state.result.objects


def _read_file(path: Path) -> str:
    file = str(path)
    try:
        with path.open("rb") as handle:
            # Checked on the open file, before reading, so a huge file costs nothing.
            _check_size(os.fstat(handle.fileno()).st_size, file)
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", file=file) from None
    return _decode(data, file)


def _decode(data: bytes, file: str) -> str:
    """UTF-8, or UTF-16 with its byte order mark, as kubectl reads files and standard input.

    Mirrors cli-runtime ``FileVisitor``'s ``unicode.BOMOverride(unicode.UTF8.NewDecoder())``:
    a UTF-8 mark is dropped and a UTF-16 one (what Windows PowerShell's ``>`` writes) selects
    UTF-16 in its byte order.
    """
    _check_size(len(data), file)  # the file may have grown, or be a pipe
    encoding = "utf-16" if data[:2] in {b"\xff\xfe", b"\xfe\xff"} else "utf-8-sig"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        name = "UTF-16" if encoding == "utf-16" else "UTF-8"
        raise InputError(
            f"not {name} text: invalid byte at offset {exc.start}", file=file
        ) from None


#: The name standard input gets in errors, warnings and sources.
STDIN_NAME: Final = "<stdin>"


def _ignored(relative: PurePosixPath, patterns: tuple[str, ...]) -> bool:
    return any(
        fnmatch.fnmatchcase(relative.name, pattern) or fnmatch.fnmatchcase(str(relative), pattern)
        for pattern in patterns
    )


def _expand(path: Path, options: LoadOptions, warn: Warn) -> list[Path]:
    """A file, or the manifest files inside a directory (recursively unless told), sorted."""
    if not path.is_dir():
        if not path.exists():
            raise InputError("no such file or directory", file=str(path))
        return [path]
    files: list[Path] = []
    for folder, subfolders, names in os.walk(path):
        here = Path(folder)
        relative = PurePosixPath(here.relative_to(path).as_posix())
        if options.recursive:
            subfolders[:] = sorted(
                d for d in subfolders if not _ignored(relative / d, options.ignore)
            )
        else:
            subfolders[:] = []
        files.extend(
            here / name
            for name in names
            if Path(name).suffix.lower() in MANIFEST_SUFFIXES
            and not _ignored(relative / name, options.ignore)
            # A dangling symlink is kept, so that reading it fails as kubectl's does (a link
            # to a folder is among os.walk's folders, not here).
            and ((here / name).is_file() or (here / name).is_symlink())
        )
    files.sort()
    if not files:
        warn(f"{path}: no {', '.join(MANIFEST_SUFFIXES)} files in this directory")
    return files


def manifest_files(path: str | os.PathLike[str]) -> list[Path]:
    """The files a path argument contributes: itself, or a folder's manifest files.

    As :func:`load_inputs` finds them with its default options (recursively, sorted), for a
    command that reads some files itself before loading the rest.

    Raises:
        InputError: the path does not exist.
    """
    return _expand(Path(path), LoadOptions(), _ignore)


def load_inputs(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    options: LoadOptions | None = None,
    on_warning: Warn | None = None,
    on_skip: Skip | None = None,
) -> LoadResult:
    """Load and validate every object in the given files and directories, collecting errors.

    A directory contributes its ``*.yaml``, ``*.yml`` and ``*.json`` files, recursively
    unless ``options.recursive`` is False, in sorted path order; ``-`` is standard input.
    Files are read in the order given. A file that is not a manifest (no document with
    ``kind``, an empty file, or an unrendered Helm template) is skipped with a warning.
    Every error of every file is collected; an object defined twice (same kind, namespace and
    name) is refused with both locations.

    Args:
        paths: one path or several.
        options: validation and discovery options (:class:`LoadOptions`).
        on_warning: called with one line per skipped file, object of a kind not modelled,
            empty directory, or (``validate="warn"``) unknown field.
        on_skip: called with each object of a kind not modelled instead of ``on_warning``.

    Returns:
        The valid objects, the errors and the counts; :meth:`LoadResult.raise_errors` raises.
    """
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    elif not isinstance(paths, Iterable):
        raise InputError(f"paths must be a path or a list of paths, not {type(paths).__name__}")
    state = _Loading(options or LoadOptions(), on_warning or _ignore, on_skip)
    for raw in paths:
        if not isinstance(raw, str | os.PathLike):
            raise InputError(f"a path must be a string, not {type(raw).__name__}")
        if str(raw) == "-":
            text = _decode(sys.stdin.buffer.read(MAX_FILE_BYTES + 1), STDIN_NAME)
            _load_file_text(text, STDIN_NAME, state)
            continue
        try:
            files = _expand(Path(raw), state.options, state.warn)
        except InputError as exc:
            state.error(exc)
            continue
        for file in files:
            try:
                text = _read_file(file)
            except InputError as exc:
                state.result.summary.files += 1
                state.error(exc)
                continue
            _load_file_text(text, str(file), state)
    return state.result


def load_manifests(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    on_warning: Warn | None = None,
    options: LoadOptions | None = None,
    on_skip: Skip | None = None,
) -> list[LoadedObject]:
    """Load and validate every object in the given files and directories.

    :func:`load_inputs`, raising its errors.

    Returns:
        All objects, file by file, in document order.

    Raises:
        InputError: every problem, each naming the file, document, object and field path.
    """
    result = load_inputs(paths, options=options, on_warning=on_warning, on_skip=on_skip)
    result.raise_errors()
    return result.objects
