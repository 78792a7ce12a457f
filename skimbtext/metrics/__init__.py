"""Metrics for imbalanced and multi-domain text classification.

:func:`domain_roc_auc_score`, :func:`difficult_sample_ratio` and
:func:`difficult_sample_mask` are skimbtext's own; the other functions are
re-exported unchanged from :mod:`imblearn.metrics` for convenience.
"""

from imblearn.metrics import (
    classification_report_imbalanced,
    geometric_mean_score,
    macro_averaged_mean_absolute_error,
    sensitivity_score,
    sensitivity_specificity_support,
    specificity_score,
)

from ._domain import (
    difficult_sample_mask,
    difficult_sample_ratio,
    domain_roc_auc_score,
)

__all__ = [
    "domain_roc_auc_score",
    "difficult_sample_ratio",
    "difficult_sample_mask",
    "classification_report_imbalanced",
    "geometric_mean_score",
    "sensitivity_specificity_support",
    "sensitivity_score",
    "specificity_score",
    "macro_averaged_mean_absolute_error",
]
