"""Exploration: scenarios, runs, Hypothesis search, traces and replay."""

from kmodel.explore.run import FAULT_KINDS, Run, Scenario, UserAction
from kmodel.explore.search import ExploreOptions, Finding, explore

__all__ = [
    "FAULT_KINDS",
    "ExploreOptions",
    "Finding",
    "Run",
    "Scenario",
    "UserAction",
    "explore",
]
