"""kube-scheduler, as pure functions over manifests: one module per upstream plugin.

Mirrors ``pkg/scheduler/framework/plugins/`` at kubernetes master after v1.35:
:mod:`~kmodel.semantics.scheduling.noderesources` (NodeResourcesFit and
NodeResourcesBalancedAllocation),
:mod:`~.nodeunschedulable`, :mod:`~.nodename`, :mod:`~.tainttoleration`, :mod:`~.nodeaffinity`,
:mod:`~.nodeports`, :mod:`~.volumebinding` (bound volumes only), :mod:`~.volumezone`,
:mod:`~.podtopologyspread`, :mod:`~.interpodaffinity` and :mod:`~.schedulinggates`; with the
plugins' shared :mod:`~.helper` (``plugins/helper``), their arguments in :mod:`~.config`
(``pkg/scheduler/apis/config``), what they read of pods and nodes in :mod:`~.objects`, and the
cycle that runs the default profile's filters and scores in :mod:`~.framework`.
``k8s-semantics.md`` section 6 holds the decision tables. Each plugin returns its failure
reason(s) exactly as upstream formats them, or ``[]`` when the node passes.

Every public name is re-exported here; callers import from the package.
"""

from __future__ import annotations

import kmodel.semantics.scheduling.config as _config
import kmodel.semantics.scheduling.framework as _framework
import kmodel.semantics.scheduling.helper as _helper
import kmodel.semantics.scheduling.interpodaffinity as _interpodaffinity
import kmodel.semantics.scheduling.nodeaffinity as _nodeaffinity
import kmodel.semantics.scheduling.nodename as _nodename
import kmodel.semantics.scheduling.nodeports as _nodeports
import kmodel.semantics.scheduling.noderesources as _noderesources
import kmodel.semantics.scheduling.nodeunschedulable as _nodeunschedulable
import kmodel.semantics.scheduling.objects as _objects
import kmodel.semantics.scheduling.podtopologyspread as _podtopologyspread
import kmodel.semantics.scheduling.schedulinggates as _schedulinggates
import kmodel.semantics.scheduling.tainttoleration as _tainttoleration
import kmodel.semantics.scheduling.volumebinding as _volumebinding
import kmodel.semantics.scheduling.volumezone as _volumezone
from kmodel.semantics.scheduling.config import *  # noqa: F403  (its __all__)
from kmodel.semantics.scheduling.framework import *  # noqa: F403  (its __all__)
from kmodel.semantics.scheduling.helper import *  # noqa: F403  (its __all__)
from kmodel.semantics.scheduling.interpodaffinity import *  # noqa: F403  (its __all__)
from kmodel.semantics.scheduling.nodeaffinity import *  # noqa: F403  (its __all__)
from kmodel.semantics.scheduling.nodename import *  # noqa: F403  (its __all__)
from kmodel.semantics.scheduling.nodeports import *  # noqa: F403  (its __all__)
from kmodel.semantics.scheduling.noderesources import *  # noqa: F403  (its __all__)
from kmodel.semantics.scheduling.nodeunschedulable import *  # noqa: F403  (its __all__)
from kmodel.semantics.scheduling.objects import *  # noqa: F403  (its __all__)
from kmodel.semantics.scheduling.podtopologyspread import *  # noqa: F403  (its __all__)
from kmodel.semantics.scheduling.schedulinggates import *  # noqa: F403  (its __all__)
from kmodel.semantics.scheduling.tainttoleration import *  # noqa: F403  (its __all__)
from kmodel.semantics.scheduling.volumebinding import *  # noqa: F403  (its __all__)
from kmodel.semantics.scheduling.volumezone import *  # noqa: F403  (its __all__)

#: Every module's public names (each module's ``__all__`` is the one list of them).
__all__: list[str] = []
__all__ += _config.__all__
__all__ += _framework.__all__
__all__ += _helper.__all__
__all__ += _interpodaffinity.__all__
__all__ += _nodeaffinity.__all__
__all__ += _nodename.__all__
__all__ += _nodeports.__all__
__all__ += _noderesources.__all__
__all__ += _nodeunschedulable.__all__
__all__ += _objects.__all__
__all__ += _podtopologyspread.__all__
__all__ += _schedulinggates.__all__
__all__ += _tainttoleration.__all__
__all__ += _volumebinding.__all__
__all__ += _volumezone.__all__
