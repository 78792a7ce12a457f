"""Loss functions for imbalanced classification, and the methods' objectives.

Every loss for imbalanced classes is a :class:`torch.nn.Module` called as
``loss(logits, target)`` with float logits of shape ``(B, C)`` and integer class
indices of shape ``(B,)``. It returns the per-sample losses (shape ``(B,)``) for
``reduction="none"``, their mean for ``"mean"`` (the default) and their sum for
``"sum"``. Class-dependent tensors
are float32 buffers, so ``.to(device)`` moves them with the module. Plain
cross-entropy is :class:`torch.nn.CrossEntropyLoss`.

The methods' objectives live here too, one file each: DCMI's
(:class:`DCMILoss`, with the soft contrastive loss of its Eq. 5),
SharpReCL's (:class:`SharpReCLLoss`), MISO's (:func:`generator_objective`) and
the MINE bound MISO estimates mutual information with (:class:`MINEBound`).
"""

from ._class_balanced import ClassBalancedLoss, effective_number_weights
from ._dcmi import (
    DCMILoss,
    domain_classification_loss,
    masked_view_similarity,
    soft_contrastive_loss,
)
from ._dice import DiceLoss
from ._focal import FocalLoss
from ._ldam import LDAMLoss
from ._logit_adjusted import LogitAdjustedLoss
from ._mine import MINEBound, donsker_varadhan_bound, shuffle_marginal
from ._miso import generator_objective, real_or_fake_loss
from ._registry import COSINE_LOSSES, LOSSES, make_loss
from ._sharprecl import (
    SharpReCLLoss,
    mix_pairs,
    rebalanced_contrastive_loss,
    split_target_size,
    supervised_contrastive_loss,
)

__all__ = [
    "COSINE_LOSSES",
    "LOSSES",
    "ClassBalancedLoss",
    "DCMILoss",
    "DiceLoss",
    "FocalLoss",
    "LDAMLoss",
    "LogitAdjustedLoss",
    "MINEBound",
    "SharpReCLLoss",
    "domain_classification_loss",
    "donsker_varadhan_bound",
    "effective_number_weights",
    "generator_objective",
    "make_loss",
    "masked_view_similarity",
    "mix_pairs",
    "real_or_fake_loss",
    "rebalanced_contrastive_loss",
    "shuffle_marginal",
    "soft_contrastive_loss",
    "split_target_size",
    "supervised_contrastive_loss",
]
