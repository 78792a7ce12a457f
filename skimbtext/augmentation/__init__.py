"""Offline text augmentations: second views of texts for contrastive learning.

Every augmentation is a plain callable ``str -> str`` that needs no network access:
:class:`RandomDeletionSwap` needs no model either, :class:`WordSubstitution` reads
an encoder's embedding table from disk. Estimators such as
:class:`~skimbtext.classifiers.SharpReCLClassifier` accept any such callable.
"""

from ._substitution import WordSubstitution
from ._text import RandomDeletionSwap, augment_texts

__all__ = ["RandomDeletionSwap", "WordSubstitution", "augment_texts"]
