"""Kubernetes objects: quantities, manifest loading and validation, defaulting."""

from kmodel.objects.manifests import (
    MAX_FILE_BYTES,
    LoadedObject,
    LoadOptions,
    LoadResult,
    Source,
    load_inputs,
    load_manifests,
    load_text,
)
from kmodel.objects.quantity import (
    format_quantity,
    milli_value,
    parse_quantity,
    quantity_in_model_units,
    value,
)
from kmodel.objects.validate import MODELLED_KINDS

__all__ = [
    "MAX_FILE_BYTES",
    "MODELLED_KINDS",
    "LoadOptions",
    "LoadResult",
    "LoadedObject",
    "Source",
    "format_quantity",
    "load_inputs",
    "load_manifests",
    "load_text",
    "milli_value",
    "parse_quantity",
    "quantity_in_model_units",
    "value",
]
