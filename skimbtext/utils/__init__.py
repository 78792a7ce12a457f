"""Utilities: device resolution, seeding, input validation, estimator discovery."""

from ._device import resolve_device
from ._discovery import all_estimators
from ._random import draw_seed, make_generator, torch_random_context
from ._validation import check_texts, input_kind

__all__ = [
    "all_estimators",
    "check_texts",
    "draw_seed",
    "input_kind",
    "make_generator",
    "resolve_device",
    "torch_random_context",
]
