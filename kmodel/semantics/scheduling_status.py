"""Re-exports of :mod:`kmodel.semantics.scheduling`: its names before the split."""

from __future__ import annotations

from kmodel.semantics.scheduling.framework import (
    fit_error_message,
)
from kmodel.semantics.scheduling.schedulinggates import (
    scheduling_gates,
)

__all__ = ["fit_error_message", "scheduling_gates"]
