"""Neural text classifiers: thin estimators over the shared training core."""

from ._base import BaseTextClassifier
from ._dcmi import DCMIClassifier
from ._sharprecl import SharpReCLClassifier
from ._text_classifier import TextClassifier

__all__ = [
    "BaseTextClassifier",
    "DCMIClassifier",
    "SharpReCLClassifier",
    "TextClassifier",
]
