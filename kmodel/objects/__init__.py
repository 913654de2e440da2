"""Kubernetes objects: quantities, typed manifest shapes, and the manifest loader."""

from kmodel.objects.quantity import (
    format_quantity,
    milli_value,
    parse_quantity,
    quantity_in_model_units,
    value,
)

__all__ = [
    "format_quantity",
    "milli_value",
    "parse_quantity",
    "quantity_in_model_units",
    "value",
]
