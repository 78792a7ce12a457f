"""skorch callbacks shared by the estimators, and those of the methods."""

from ._dcmi import DomainMaskAnnealing, annealed_temperature
from ._miso import TrainingPhases
from ._progress import EpochProgress
from ._rebalancing import DeferredRebalancing
from ._schedule import StepSchedule
from ._sharprecl import SyntheticShareSchedule

__all__ = [
    "DeferredRebalancing",
    "DomainMaskAnnealing",
    "EpochProgress",
    "StepSchedule",
    "SyntheticShareSchedule",
    "TrainingPhases",
    "annealed_temperature",
]
