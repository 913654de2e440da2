"""kmodel: an executable formal model of Kubernetes, and the tools to check it.

The public API is re-exported here; private machinery lives in :mod:`kmodel.internal`. The
quantity functions are imported on first use, so ``import kmodel`` (and ``kmodel --version``)
does not load the manifest loader. ``__version__`` is read from the installed package's metadata
(the one place it is written is pyproject.toml).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kmodel.errors import InputError, KmodelError

if TYPE_CHECKING:
    from kmodel.objects import parse_quantity, quantity_in_model_units

__all__ = ["InputError", "KmodelError", "__version__", "parse_quantity", "quantity_in_model_units"]

_LAZY = frozenset({"parse_quantity", "quantity_in_model_units"})


def __getattr__(name: str) -> Any:  # noqa: ANN401  # PEP 562: whatever the attribute is
    """Import a lazily re-exported name on first use."""
    if name == "__version__":
        from importlib.metadata import version  # noqa: PLC0415  # only when asked for

        return version("kmodel")
    if name in _LAZY:
        from kmodel import objects  # noqa: PLC0415  # lazy on purpose (see the module docstring)

        return getattr(objects, name)
    raise AttributeError(f"module 'kmodel' has no attribute {name!r}")
