"""The deployment and scheduling packages: one module per upstream file, the old paths kept."""

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


@pytest.mark.parametrize("old", ["scheduling_filters", "scheduling_selectors", "scheduling_status"])
def test_the_former_scheduling_modules_are_the_package_s_names(old):
    module = importlib.import_module(f"kmodel.semantics.{old}")
    assert module.__all__
    for name in module.__all__:
        assert getattr(module, name) is getattr(kmodel.semantics.scheduling, name)
