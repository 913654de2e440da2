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

Parsing is ``yaml.safe_load_all`` semantics (a ``SafeLoader``-style loader) made stricter in
the ways the Go YAML library kubectl uses is strict:

* files over :data:`MAX_FILE_BYTES` (32 MiB) are refused before anything is read or parsed;
* documents nested deeper than :data:`MAX_NESTING_DEPTH` are refused;
* alias expansion is bounded with the rule of ``gopkg.in/yaml`` (``allowedAliasRatio``), so an
  alias bomb ("billion laughs") is refused with ``document contains excessive aliasing``
  before anything is expanded; an alias that contains itself is refused too;
* a key repeated in one mapping is refused (``mapping key "x" already defined at line N``);
* unquoted timestamps stay strings (the Go library does the same when decoding into JSON);
  values JSON cannot hold (``!!binary``, ``!!set``, explicit ``!!timestamp``) are refused;
  non-string keys are turned into strings as ``sigs.k8s.io/yaml`` does.

Every problem raises :class:`kmodel.errors.InputError` naming the file, the document index, the
object and the field path; the first problem stops the load and nothing is returned.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer, ComposerError
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import Resolver
from yaml.scanner import Scanner

from kmodel.errors import InputError
from kmodel.objects.validate import MODELLED_KINDS

__all__ = [
    "MANIFEST_SUFFIXES",
    "MAX_FILE_BYTES",
    "MAX_NESTING_DEPTH",
    "LoadedObject",
    "SkippedObject",
    "Source",
    "load_manifests",
    "load_text",
]

#: Files (and texts) larger than this are refused before parsing.
MAX_FILE_BYTES = 32 * 1024 * 1024
#: Deepest nesting of mappings and sequences accepted in a document.
MAX_NESTING_DEPTH = 200
#: The files a directory argument contributes (not recursive, in sorted order).
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

    def __str__(self) -> str:
        return f"{self.source}: skipping {self.label}: {self.reason}"

    @property
    def reason(self) -> str:
        """Why it was skipped, in words."""
        return f"kind {self.kind} ({self.api_version}) is not modelled"


#: Called with each skipped object (by default, its warning line goes to the ``Warn`` sink).
Skip = Callable[[SkippedObject], None]


def _object_label(kind: str, namespace: str | None, name: str | None) -> str:
    if not name:
        return kind
    return f"{kind}/{name}" if namespace is None else f"{kind}/{namespace}/{name}"


# ---------------------------------------------------------------- YAML parsing

_MERGE_TAG = "tag:yaml.org,2002:merge"


class _Resolver(Resolver):
    """The YAML 1.1 resolver without implicit timestamps (they stay strings, as in Go)."""

    # PyYAML's resolver table is a class attribute by design; this copy is never mutated.
    yaml_implicit_resolvers = {  # noqa: RUF012
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in Resolver.yaml_implicit_resolvers.items()
    }


class _GuardedComposer(Composer):
    """A composer that bounds nesting depth (Python's own composer is recursive)."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        self.depth += 1
        try:
            if self.depth > MAX_NESTING_DEPTH:
                mark = self.peek_event().start_mark  # type: ignore[attr-defined]
                raise ComposerError(None, None, f"exceeded max depth of {MAX_NESTING_DEPTH}", mark)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


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
    try:
        while loader.check_node():
            node = loader.get_node()
            data = None
            if node is not None:
                _check_aliasing(node)
                data = loader.construct_document(node)
            documents.append((index, _to_json_like(data)))
            index += 1
    except yaml.YAMLError as exc:
        raise InputError(_yaml_error_message(exc), file=file, document=index) from None
    except InputError as exc:
        raise exc.located(file=file, document=index) from None
    finally:
        loader.dispose()
    return documents


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


# ---------------------------------------------------------------- objects


def _type_meta(body: Mapping[str, Any], path: str) -> tuple[str, str]:
    """``apiVersion`` and ``kind``, both required non-empty strings."""
    result: list[str] = []
    for field in ("apiVersion", "kind"):
        value = body.get(field)
        field_path = f"{path}.{field}" if path else field
        if value is None or value == "":
            raise InputError("Required value", path=field_path)
        if not isinstance(value, str):
            raise InputError(
                f"must be a string, not {type(value).__name__} {value!r}", path=field_path
            )
        result.append(value)
    return result[0], result[1]


def _metadata_string(body: Mapping[str, Any], field: str) -> str | None:
    metadata = body.get("metadata")
    value = metadata.get(field) if isinstance(metadata, Mapping) else None
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


def _load_object(
    body: object,
    *,
    source: Source,
    path: str,
    skip: Skip,
    default_type: tuple[str, str] | None = None,
) -> LoadedObject | None:
    """Validate one object; None (after a warning) if its kind is not modelled."""
    if not isinstance(body, dict):
        shape = "a list" if isinstance(body, list) else type(body).__name__
        raise InputError(
            f"must be a mapping (an object with apiVersion and kind), not {shape}",
            path=path or None,
        )
    if default_type is not None:
        body.setdefault("apiVersion", default_type[0])
        body.setdefault("kind", default_type[1])
    api_version, kind = _type_meta(body, path)
    name = _metadata_string(body, "name")
    spec = MODELLED_KINDS.get(kind)
    if spec is None:
        namespace = _metadata_string(body, "namespace")
        skip(SkippedObject(kind, api_version, name, namespace, source))
        return None
    namespace = (_metadata_string(body, "namespace") or "default") if spec.namespaced else None
    label = _object_label(kind, namespace, name)
    try:
        _check_api_version(api_version, spec.api_versions)
        spec.validate(body)
    except InputError as exc:
        raise exc.located(obj=label, path_prefix=path or None) from None
    assert name is not None  # noqa: S101 - validation requires metadata.name
    return LoadedObject(kind=kind, name=name, namespace=namespace, body=body, source=source)


def _is_list_document(document: Mapping[str, Any]) -> bool:
    """``kind: List``, or a typed list such as ``PodList`` (a ``*List`` kind with ``items``)."""
    kind = document.get("kind")
    if not isinstance(kind, str):
        return False
    return kind == "List" or (kind.endswith("List") and "items" in document)


def _objects_in(document: object, *, file: str, index: int, skip: Skip) -> list[LoadedObject]:
    if not isinstance(document, dict) or not _is_list_document(document):
        loaded = _load_object(document, source=Source(file, index), path="", skip=skip)
        return [] if loaded is None else [loaded]
    api_version, kind = _type_meta(document, "")
    # A typed list (PodList) may leave kind and apiVersion out of its items.
    default_type = None if kind == "List" else (api_version, kind.removesuffix("List"))
    objects: list[LoadedObject] = []
    for item_index, item in enumerate(_list_items(document)):
        loaded = _load_object(
            item,
            source=Source(file, index, item_index),
            path=f"items[{item_index}]",
            skip=skip,
            default_type=default_type,
        )
        if loaded is not None:
            objects.append(loaded)
    return objects


def _objects_from_document(
    document: object, *, file: str, index: int, skip: Skip
) -> list[LoadedObject]:
    """The objects of one document: itself, or the items of a list."""
    if document is None:
        return []
    try:
        return _objects_in(document, file=file, index=index, skip=skip)
    except InputError as exc:
        raise exc.located(file=file, document=index) from None


def _ignore(_message: str) -> None:
    """The default warning sink."""


def load_text(
    text: str,
    *,
    file: str = "<string>",
    on_warning: Warn | None = None,
    on_skip: Skip | None = None,
) -> list[LoadedObject]:
    """Load and validate every object in a YAML or JSON text.

    Args:
        text: one or more YAML documents (JSON is YAML).
        file: the name used in errors, warnings and :class:`Source`.
        on_warning: called with one line per skipped object (a kind the model does not know).
        on_skip: called with each skipped object instead (then ``on_warning`` is not).

    Returns:
        The objects in document order (list items in item order).

    Raises:
        InputError: the first problem (size, YAML syntax, shape, validation), naming the file,
            document, object and field path. Nothing is returned on error.
    """
    if not isinstance(text, str):
        raise InputError(f"manifest text must be a string, not {type(text).__name__}", file=file)
    warn = on_warning or _ignore
    skip = on_skip or (lambda skipped: warn(str(skipped)))
    objects: list[LoadedObject] = []
    for index, document in _parse_documents(text, file):
        objects.extend(_objects_from_document(document, file=file, index=index, skip=skip))
    return objects


def _read_file(path: Path) -> str:
    file = str(path)
    try:
        with path.open("rb") as handle:
            # Checked on the open file, before reading, so a huge file costs nothing.
            _check_size(os.fstat(handle.fileno()).st_size, file)
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", file=file) from None
    _check_size(len(data), file)  # the file may have grown, or be a pipe
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text: invalid byte at offset {exc.start}", file=file) from None


def _expand(path: Path, warn: Warn) -> list[Path]:
    """A file, or the manifest files directly inside a directory, sorted by name."""
    if path.is_dir():
        files = sorted(
            child
            for child in path.iterdir()
            if child.suffix.lower() in MANIFEST_SUFFIXES and child.is_file()
        )
        if not files:
            warn(f"{path}: no {', '.join(MANIFEST_SUFFIXES)} files in this directory")
        return files
    if not path.exists():
        raise InputError("no such file or directory", file=str(path))
    return [path]


def load_manifests(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    on_warning: Warn | None = None,
    on_skip: Skip | None = None,
) -> list[LoadedObject]:
    """Load and validate every object in the given files and directories.

    A directory contributes its ``*.yaml``, ``*.yml`` and ``*.json`` files (not its
    sub-directories), in sorted order; files are read in the order given.

    Args:
        paths: one path or several.
        on_warning: called with one line per skipped object or empty directory.
        on_skip: called with each skipped object instead (empty directories still warn).

    Returns:
        All objects, file by file, in document order.

    Raises:
        InputError: the first problem, naming the file, document, object and field path.
    """
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    elif not isinstance(paths, Iterable):
        raise InputError(f"paths must be a path or a list of paths, not {type(paths).__name__}")
    warn = on_warning or _ignore
    objects: list[LoadedObject] = []
    for raw in paths:
        if not isinstance(raw, str | os.PathLike):
            raise InputError(f"a path must be a string, not {type(raw).__name__}")
        for file in _expand(Path(raw), warn):
            objects.extend(
                load_text(_read_file(file), file=str(file), on_warning=warn, on_skip=on_skip)
            )
    return objects
