"""kmodel: an executable formal model of Kubernetes, and the tools to check it.

The public API is re-exported here; private machinery lives in :mod:`kmodel.internal`.
"""

from kmodel.errors import InputError, KmodelError
from kmodel.objects import parse_quantity, quantity_in_model_units

__all__ = ["InputError", "KmodelError", "__version__", "parse_quantity", "quantity_in_model_units"]

__version__ = "0.1.0"
