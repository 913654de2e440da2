"""Deployment controller arithmetic, as pure functions over manifests.

One module per upstream file: :mod:`~kmodel.semantics.deployment.util`
(``pkg/controller/deployment/util/deployment_util.go``), :mod:`~.sync` (``sync.go``),
:mod:`~.rolling` (``rolling.go``), :mod:`~.recreate` (``recreate.go``), :mod:`~.rollback`
(``rollback.go``), :mod:`~.progress` (``progress.go``), :mod:`~.controller`
(``deployment_controller.go``); ``k8s-semantics.md`` section 5. The apps/v1 defaults
(``SetDefaults_Deployment``) are in :mod:`kmodel.objects.defaults`, the strategy's validation
(``ValidateDeploymentStrategy``) in :mod:`kmodel.objects.validate`.
Upstream: kubernetes master after v1.35. Every public name is re-exported here.

Inputs are Deployment and ReplicaSet manifests (camelCase keys). A field the manifest leaves out
reads as its apps/v1 default (``spec.replicas`` 1, strategy RollingUpdate with 25%/25%,
``revisionHistoryLimit`` 10, ``progressDeadlineSeconds`` 600), as the API server would have
defaulted it. Controller actions are returned as plans (:class:`ScaleAction` lists, names to
delete, decisions) instead of being performed.

Times follow :mod:`kmodel.semantics.replicaset`: logical seconds (int or float) or RFC 3339
strings, compared as exact nanoseconds; a condition this module writes carries ``now`` exactly
as the caller gave it.
"""

from __future__ import annotations

import kmodel.semantics.deployment.controller as _controller
import kmodel.semantics.deployment.progress as _progress
import kmodel.semantics.deployment.recreate as _recreate
import kmodel.semantics.deployment.rollback as _rollback
import kmodel.semantics.deployment.rolling as _rolling
import kmodel.semantics.deployment.sync as _sync
import kmodel.semantics.deployment.util as _util
from kmodel.semantics.deployment.controller import *  # noqa: F403  (its __all__)
from kmodel.semantics.deployment.progress import *  # noqa: F403  (its __all__)
from kmodel.semantics.deployment.recreate import *  # noqa: F403  (its __all__)
from kmodel.semantics.deployment.rollback import *  # noqa: F403  (its __all__)
from kmodel.semantics.deployment.rolling import *  # noqa: F403  (its __all__)
from kmodel.semantics.deployment.sync import *  # noqa: F403  (its __all__)
from kmodel.semantics.deployment.util import *  # noqa: F403  (its __all__)

#: Every module's public names (each module's ``__all__`` is the one list of them).
__all__: list[str] = []
__all__ += _controller.__all__
__all__ += _progress.__all__
__all__ += _recreate.__all__
__all__ += _rollback.__all__
__all__ += _rolling.__all__
__all__ += _sync.__all__
__all__ += _util.__all__
