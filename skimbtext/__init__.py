"""skimbtext: imbalanced and multi-domain imbalanced text classification.

Estimators follow the scikit-learn API and train PyTorch modules through skorch.
Heavy dependencies (torch, transformers, skorch) load on first use of an estimator,
so ``import skimbtext.datasets`` stays fast.
"""

import importlib

from ._version import __version__

_LAZY = {
    "DCMIClassifier": "skimbtext.classifiers",
    "MISOSampler": "skimbtext.over_sampling",
    "SharpReCLClassifier": "skimbtext.classifiers",
    "TextClassifier": "skimbtext.classifiers",
    "TextEmbedder": "skimbtext.feature_extraction",
}

__all__ = [
    "DCMIClassifier",
    "MISOSampler",
    "SharpReCLClassifier",
    "TextClassifier",
    "TextEmbedder",
    "__version__",
]


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'skimbtext' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
