"""Hypothesis profiles shared by tests/ and properties/ (the table is :mod:`kmodel.profiles`).

``dev`` is quick, ``ci`` (the default when CI=true) is derandomized and bounded so that the whole
suite stays within minutes, ``nightly`` explores long, ``probe`` looks for failures without
shrinking them. Choose one with HYPOTHESIS_PROFILE. The cluster state machine
(``properties/test_cluster_model.py``) takes every setting from the loaded profile but shrinking,
which it does itself in seconds (``properties/tracekit.py``).
"""

from __future__ import annotations

import os
import tempfile

from hypothesis import settings

from kmodel.profiles import register_hypothesis_profiles

register_hypothesis_profiles()
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

# Tests never share examples with the user's own database (.kmodel/ or $KMODEL_DATABASE): each
# session starts from an empty one.
os.environ["KMODEL_DATABASE"] = tempfile.mkdtemp(prefix="kmodel-test-examples-")
