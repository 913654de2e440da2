"""The deployment and scheduling packages: one module per upstream file, all re-exported."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import kmodel.semantics.deployment
import kmodel.semantics.scheduling


@pytest.mark.parametrize("package", [kmodel.semantics.deployment, kmodel.semantics.scheduling])
def test_the_package_re_exports_every_public_name_of_its_modules(package):
    exported = set(package.__all__)
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for name in module.__all__:
            assert name in exported, f"{info.name}.{name}"
            assert getattr(package, name) is getattr(module, name)
