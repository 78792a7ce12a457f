"""Torch modules of the methods. They hold no device logic, no seeding, no sklearn."""

from ._classifier import ClassifierModule, CosineLinear, make_head
from ._dcmi import DCMIModule, DomainMaskLayer, PerDomainLinear, hat_compensation_factor
from ._miso import MISONetwork, repeated_ngram_mask
from ._sharprecl import ProjectionHead, SharpReCLModule

__all__ = [
    "ClassifierModule",
    "CosineLinear",
    "DCMIModule",
    "DomainMaskLayer",
    "MISONetwork",
    "PerDomainLinear",
    "ProjectionHead",
    "SharpReCLModule",
    "hat_compensation_factor",
    "make_head",
    "repeated_ngram_mask",
]
