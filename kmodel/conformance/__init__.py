"""Conformance: run pod scenarios on a real container engine and check the model against it.

:mod:`~kmodel.conformance.scenarios` reads scenario files, :mod:`~kmodel.conformance.model_side`
runs them in the cluster model, :mod:`~kmodel.conformance.driver` runs them on a Docker engine
(the ``docker`` package is imported only there, and only when a run starts), and
:mod:`~kmodel.conformance.compare` reports where the two disagree.
"""
