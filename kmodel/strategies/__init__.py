"""Deployment strategies compared: Kubernetes rollouts beside Elastic Beanstalk's policies.

:mod:`.policies` names the strategies and documents each policy; :mod:`.beanstalk` is the
Elastic Beanstalk platform as a controller over the cluster's pods; :mod:`.kubernetes` the
operator who rolls a timed-out Deployment back; :mod:`.meter` measures a deployment step by step;
:mod:`.run` and :mod:`.spec` build the scenarios; :mod:`.compare` explores them and keeps the
trace that reaches each worst case; :mod:`.trace` saves and replays those traces.
"""
