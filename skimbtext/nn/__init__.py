"""Torch modules of the methods. They hold no device logic, no seeding, no sklearn."""

from ._classifier import ClassifierModule, CosineLinear, make_head

__all__ = ["ClassifierModule", "CosineLinear", "make_head"]
