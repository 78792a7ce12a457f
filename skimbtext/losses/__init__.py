"""Loss functions for imbalanced classification.

Every loss is a :class:`torch.nn.Module` called as ``loss(logits, target)`` with
float logits of shape ``(B, C)`` and integer class indices of shape ``(B,)``. It
returns the per-sample losses (shape ``(B,)``) for ``reduction="none"``, their mean
for ``"mean"`` (the default) and their sum for ``"sum"``. Class-dependent tensors
are float32 buffers, so ``.to(device)`` moves them with the module. Plain
cross-entropy is :class:`torch.nn.CrossEntropyLoss`.
"""

from ._class_balanced import ClassBalancedLoss, effective_number_weights
from ._dice import DiceLoss
from ._focal import FocalLoss
from ._ldam import LDAMLoss
from ._logit_adjusted import LogitAdjustedLoss
from ._registry import COSINE_LOSSES, LOSSES, make_loss

__all__ = [
    "COSINE_LOSSES",
    "LOSSES",
    "ClassBalancedLoss",
    "DiceLoss",
    "FocalLoss",
    "LDAMLoss",
    "LogitAdjustedLoss",
    "effective_number_weights",
    "make_loss",
]
