"""Self-adjusting dice loss (Li et al., 2020)."""

from torch import nn

from ._common import (
    _check_inputs,
    _check_non_negative,
    _check_reduction,
    _gold_log_prob,
    _one_minus_prob,
    _reduce,
)


class DiceLoss(nn.Module):
    r"""Self-adjusting dice loss of Li et al. (2020), one term per sample.

    With :math:`p` the softmax probability of the gold class, :math:`\alpha` the
    self-adjusting exponent and :math:`s` the smoothing constant, the loss of a
    sample is

    .. math::

        \ell = 1 - \frac{2 (1 - p)^\alpha p + s}{(1 - p)^\alpha p + 1 + s} .

    This is one minus the dice coefficient between the down-weighted prediction
    :math:`(1 - p)^\alpha p` and the one-hot gold label (whose gold entry is 1).
    The factor :math:`(1 - p)^\alpha` pushes down the contribution of confident
    predictions, as in the focal loss, so easy majority-class examples stop
    dominating training. The loss always lies in :math:`[0, 1]`.

    Because of that factor the loss is not monotone in :math:`p`: it decreases as
    the gold probability rises up to :math:`p = 1 / (1 + \alpha)` and rises again
    above it, and :math:`p = 0` and :math:`p = 1` both give :math:`1 / (1 + s)`.
    With ``alpha=1`` training therefore holds gold probabilities near 0.5 (on a
    toy 3-class problem it reached 73% accuracy where cross-entropy reached 100%),
    so the default is a small ``alpha=0.1``, whose optimum is at :math:`p = 0.91`.
    With ``alpha=0`` it decreases all the way to :math:`p = 1`.

    Parameters
    ----------
    alpha : float, default=0.1
        Self-adjusting exponent :math:`\alpha`, ``>= 0``.
    smooth : float, default=1.0
        Smoothing constant :math:`s`, ``>= 0``, added to numerator and denominator.
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"none"`` returns the per-sample losses (shape ``(B,)``), ``"mean"`` their
        mean and ``"sum"`` their sum.

    References
    ----------
    .. [1] X. Li, X. Sun, Y. Meng, J. Liang, F. Wu and J. Li, "Dice Loss for
       Data-imbalanced NLP Tasks", ACL 2020.

    Examples
    --------
    >>> import math
    >>> import torch
    >>> from skimbtext.losses import DiceLoss
    >>> logits = torch.tensor([[math.log(3.0), 0.0]])  # gold probability 0.75
    >>> round(DiceLoss(alpha=1.0)(logits, torch.tensor([0])).item(), 4)  # 13 / 35
    0.3714
    """

    def __init__(self, *, alpha=0.1, smooth=1.0, reduction="mean"):
        super().__init__()
        self.alpha = _check_non_negative("alpha", alpha)
        self.smooth = _check_non_negative("smooth", smooth)
        self.reduction = _check_reduction(reduction)

    def forward(self, logits, target):
        """Dice loss of ``logits`` (B, C) against class indices ``target`` (B,)."""
        logits = _check_inputs(logits, target)
        log_prob = _gold_log_prob(logits, target)
        weighted_prob = _one_minus_prob(log_prob).pow(self.alpha) * log_prob.exp()
        dice = (2.0 * weighted_prob + self.smooth) / (weighted_prob + 1.0 + self.smooth)
        return _reduce(1.0 - dice, self.reduction)

    def extra_repr(self):
        return f"alpha={self.alpha}, smooth={self.smooth}, reduction={self.reduction!r}"
