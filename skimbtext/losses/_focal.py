"""Multi-class focal loss (Lin et al., 2017)."""

import torch
from torch import nn

from ._common import (
    _as_class_vector,
    _check_inputs,
    _check_non_negative,
    _check_reduction,
    _focal_per_sample,
    _reduce,
)


class FocalLoss(nn.Module):
    r"""Multi-class (softmax) focal loss of Lin et al. (2017).

    For a sample of gold class :math:`y` with softmax probability :math:`p_y`,

    .. math::

        \ell = -\alpha_y \, (1 - p_y)^\gamma \, \log p_y .

    The modulating factor :math:`(1 - p_y)^\gamma` down-weights well-classified
    examples, so that training concentrates on hard (often minority-class) ones.
    With ``gamma=0`` and ``alpha=None`` the loss is exactly cross-entropy.

    Parameters
    ----------
    gamma : float, default=2.0
        Focusing parameter, ``>= 0``. Larger values down-weight easy examples more.
    alpha : array-like of shape (n_classes,), default=None
        Non-negative per-class weights :math:`\alpha_c`, stored as the float32 buffer
        ``alpha``. ``None`` weights every class by 1.
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"none"`` returns the per-sample losses (shape ``(B,)``), ``"mean"`` their
        plain mean and ``"sum"`` their sum. The mean is not normalised by the
        weights ``alpha_y`` (unlike :class:`torch.nn.CrossEntropyLoss`).

    References
    ----------
    .. [1] T.-Y. Lin, P. Goyal, R. Girshick, K. He and P. Dollár, "Focal Loss for
       Dense Object Detection", ICCV 2017.

    Examples
    --------
    >>> import torch
    >>> from skimbtext.losses import FocalLoss
    >>> logits = torch.tensor([[2.0, 0.0], [0.0, 2.0]])
    >>> target = torch.tensor([0, 0])
    >>> loss = FocalLoss(gamma=2.0, reduction="none")
    >>> [round(value, 4) for value in loss(logits, target).tolist()]
    [0.0018, 1.6501]
    >>> ce = torch.nn.functional.cross_entropy(logits, target, reduction="none")
    >>> [round(value, 4) for value in ce.tolist()]
    [0.1269, 2.1269]
    """

    def __init__(self, *, gamma=2.0, alpha=None, reduction="mean"):
        super().__init__()
        self.gamma = _check_non_negative("gamma", gamma)
        self.reduction = _check_reduction(reduction)
        if alpha is None:
            self.register_buffer("alpha", None)
        else:
            alpha = _as_class_vector("alpha", alpha, allow_zero=True)
            self.register_buffer("alpha", alpha.to(torch.float32))

    def forward(self, logits, target):
        """Focal loss of ``logits`` (B, C) against class indices ``target`` (B,)."""
        n_classes = None if self.alpha is None else self.alpha.shape[0]
        logits = _check_inputs(logits, target, n_classes)
        losses = _focal_per_sample(logits, target, self.gamma, self.alpha)
        return _reduce(losses, self.reduction)

    def extra_repr(self):
        return f"gamma={self.gamma}, reduction={self.reduction!r}"
