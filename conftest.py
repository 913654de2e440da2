"""Hypothesis profiles shared by tests/ and properties/.

``dev`` is quick, ``ci`` (the default when CI=true) is derandomized and bounded so that the whole
suite stays within minutes, ``nightly`` explores long. Choose one with HYPOTHESIS_PROFILE. The
cluster state machine (``properties/test_cluster_model.py``) takes every setting from the loaded
profile but shrinking, which it does itself in seconds (``properties/tracekit.py``).
"""

from __future__ import annotations

import os
import tempfile

from hypothesis import HealthCheck, Phase, settings

settings.register_profile("dev", max_examples=50, deadline=None)
settings.register_profile(
    "ci",
    max_examples=100,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("nightly", max_examples=5000, deadline=None)
# Looks for failures without shrinking them (fast triage; rerun a failure with its seed).
settings.register_profile(
    "probe", max_examples=200, deadline=None, phases=[Phase.explicit, Phase.generate]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

# Tests never share examples with the user's own database (.kmodel/ or $KMODEL_DATABASE): each
# session starts from an empty one.
os.environ["KMODEL_DATABASE"] = tempfile.mkdtemp(prefix="kmodel-test-examples-")
