"""Where the repository's specs, fixtures and shared data are, wherever a test file sits."""

from __future__ import annotations

from pathlib import Path

#: The repository's root (the folder with pyproject.toml).
ROOT = Path(__file__).resolve().parents[2]
#: The bundled specs.
SPECS = ROOT / "specs"
#: Manifests and repositories the tests read (tests/fixtures).
FIXTURES = ROOT / "tests" / "fixtures"
#: BPPLIB's bin-packing instances, shared beside the repository when they are there.
BPPLIB = ROOT.parent / "shared" / "benchmarks" / "bpplib"
