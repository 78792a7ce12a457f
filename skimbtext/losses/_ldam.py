"""Label-distribution-aware margin loss (Cao et al., 2019)."""

import torch
import torch.nn.functional as F
from torch import nn

from ._common import (
    _as_class_vector,
    _check_inputs,
    _check_non_negative,
    _check_real,
    _check_reduction,
)


class LDAMLoss(nn.Module):
    r"""Label-distribution-aware margin (LDAM) loss of Cao et al. (2019).

    Class :math:`c` gets the margin :math:`m_c \propto n_c^{-1/4}`, rescaled so that
    the largest margin (that of the rarest class) equals ``max_margin``. The margin
    of the gold class is subtracted from the gold logit, every logit is multiplied
    by ``scale``, and the result goes through softmax cross-entropy:

    .. math::

        \ell = -\log \frac{\exp(s (z_y - m_y))}
                          {\exp(s (z_y - m_y)) + \sum_{c \ne y} \exp(s z_c)} .

    Rare classes thus need a larger gap between their gold logit and the others,
    which enlarges their decision margin and improves their generalisation.

    The loss is meant for cosine logits, as in the paper: features and class
    weights are L2-normalised, so logits lie in :math:`[-1, 1]` and the margins
    (a fraction of that range) and ``scale`` are calibrated for it. On unbounded
    logits of a plain linear head the margins are comparatively negligible.

    Parameters
    ----------
    class_counts : array-like of shape (n_classes,)
        Positive number of training samples of each class (index = class index).
    max_margin : float, default=0.5
        Margin of the rarest class, ``>= 0``. The margins are stored as the float32
        buffer ``margins``.
    scale : float, default=30.0
        Factor ``s > 0`` applied to the margin-adjusted logits before the softmax.
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"none"`` returns the per-sample losses (shape ``(B,)``), ``"mean"`` their
        mean and ``"sum"`` their sum.

    References
    ----------
    .. [1] K. Cao, C. Wei, A. Gaidon, N. Arechiga and T. Ma, "Learning Imbalanced
       Datasets with Label-Distribution-Aware Margin Loss", NeurIPS 2019.

    Examples
    --------
    >>> import torch
    >>> from skimbtext.losses import LDAMLoss
    >>> loss = LDAMLoss(class_counts=[16, 1], max_margin=0.5, scale=30.0)
    >>> loss.margins
    tensor([0.2500, 0.5000])
    >>> cosines = torch.tensor([[0.5, 0.2]])
    >>> round(loss(cosines, torch.tensor([0])).item(), 4)  # log(1 + exp(-1.5))
    0.2014
    """

    def __init__(self, *, class_counts, max_margin=0.5, scale=30.0, reduction="mean"):
        super().__init__()
        counts = _as_class_vector("class_counts", class_counts, allow_zero=False)
        self.max_margin = _check_non_negative("max_margin", max_margin)
        self.scale = _check_real("scale", scale)
        if self.scale <= 0:
            raise ValueError(f"scale must be positive; got {scale!r}.")
        self.reduction = _check_reduction(reduction)
        margins = counts.pow(-0.25)
        margins = margins * (self.max_margin / margins.max())
        self.register_buffer("margins", margins.to(torch.float32))

    def forward(self, logits, target):
        """LDAM loss of ``logits`` (B, C), ideally cosines, against ``target`` (B,)."""
        logits = _check_inputs(logits, target, self.margins.shape[0])
        is_gold = torch.zeros_like(logits, dtype=torch.bool)
        is_gold.scatter_(1, target.unsqueeze(1), True)
        gold_margins = self.margins[target].unsqueeze(1)
        adjusted = torch.where(is_gold, logits - gold_margins, logits)
        return F.cross_entropy(self.scale * adjusted, target, reduction=self.reduction)

    def extra_repr(self):
        return (
            f"n_classes={self.margins.shape[0]}, max_margin={self.max_margin}, "
            f"scale={self.scale}, reduction={self.reduction!r}"
        )
