"""skorch callbacks shared by the estimators."""

from ._rebalancing import DeferredRebalancing

__all__ = ["DeferredRebalancing"]
