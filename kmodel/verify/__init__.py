"""``kmodel verify``: Z3 proofs of scheduling properties over every admissible placement.

A placement is admissible when kube-scheduler's default-profile filters accept every pod where
it is, with all the others around it (:mod:`kmodel.verify.model`); :mod:`kmodel.verify.prove`
proves or refutes each :class:`~kmodel.verify.properties.Property` over all of them.
"""

from kmodel.verify.properties import PROPERTY_KINDS, Property, parse_property
from kmodel.verify.prove import PropertyResult, VerifyResult, verify

__all__ = [
    "PROPERTY_KINDS",
    "Property",
    "PropertyResult",
    "VerifyResult",
    "parse_property",
    "verify",
]
