"""skorch callbacks shared by the estimators."""

from ._progress import EpochProgress
from ._rebalancing import DeferredRebalancing

__all__ = ["DeferredRebalancing", "EpochProgress"]
