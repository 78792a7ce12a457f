"""Over-samplers for imbalanced text: MISO anchor instances."""

from ._miso import MISOSampler

__all__ = ["MISOSampler"]
