"""Neural text classifiers: thin estimators over the shared training core."""

from ._base import BaseTextClassifier
from ._text_classifier import TextClassifier

__all__ = ["BaseTextClassifier", "TextClassifier"]
