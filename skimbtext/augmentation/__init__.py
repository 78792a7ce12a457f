"""Offline text augmentations: second views of texts for contrastive learning.

Every augmentation is a plain callable ``str -> str`` that needs no network access
or model; estimators such as :class:`~skimbtext.classifiers.SharpReCLClassifier`
accept any such callable.
"""

from ._text import RandomDeletionSwap, augment_texts

__all__ = ["RandomDeletionSwap", "augment_texts"]
