"""Logit-adjusted cross-entropy (Menon et al., 2021)."""

import torch
import torch.nn.functional as F
from torch import nn

from ._common import (
    _as_class_vector,
    _check_inputs,
    _check_non_negative,
    _check_reduction,
)


class LogitAdjustedLoss(nn.Module):
    r"""Logit-adjusted softmax cross-entropy of Menon et al. (2021).

    Each logit is shifted by ``tau`` times the log prior of its class before the
    cross-entropy:

    .. math::

        \ell = -\log \frac{\exp(z_y + \tau \log \pi_y)}
                          {\sum_c \exp(z_c + \tau \log \pi_c)},
        \qquad \pi_c = \frac{n_c}{\sum_k n_k} .

    Frequent classes get a head start inside the loss, so the model must push the
    raw logits of rare classes further to reach the same loss: a rare-class gold
    label costs more than under plain cross-entropy, a frequent-class one less.

    The adjustment is applied only inside the loss. Predictions are made on the
    *unadjusted* logits (``argmax_c z_c``), which with ``tau=1`` estimates the
    Bayes-optimal classifier for the balanced error; nothing has to change at
    inference time.

    Parameters
    ----------
    class_counts : array-like of shape (n_classes,)
        Positive number of training samples of each class (index = class index).
        Their log prior is stored as the float32 buffer ``log_prior``.
    tau : float, default=1.0
        Strength of the adjustment, ``>= 0``. ``tau=0`` (or a uniform prior) gives
        plain cross-entropy.
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"none"`` returns the per-sample losses (shape ``(B,)``), ``"mean"`` their
        mean and ``"sum"`` their sum.

    References
    ----------
    .. [1] A. K. Menon, S. Jayasumana, A. S. Rawat, H. Jain, A. Veit and S. Kumar,
       "Long-tail learning via logit adjustment", ICLR 2021.

    Examples
    --------
    >>> import torch
    >>> from skimbtext.losses import LogitAdjustedLoss
    >>> loss = LogitAdjustedLoss(class_counts=[90, 10])
    >>> logits = torch.tensor([[2.0, 0.0]])
    >>> round(loss(logits, torch.tensor([1])).item(), 4)  # log(1 + 9 e^2)
    4.2122
    >>> round(torch.nn.functional.cross_entropy(logits, torch.tensor([1])).item(), 4)
    2.1269
    """

    def __init__(self, *, class_counts, tau=1.0, reduction="mean"):
        super().__init__()
        counts = _as_class_vector("class_counts", class_counts, allow_zero=False)
        self.tau = _check_non_negative("tau", tau)
        self.reduction = _check_reduction(reduction)
        log_prior = torch.log(counts / counts.sum())
        self.register_buffer("log_prior", log_prior.to(torch.float32))

    def forward(self, logits, target):
        """Logit-adjusted cross-entropy of ``logits`` (B, C) against ``target`` (B,)."""
        logits = _check_inputs(logits, target, self.log_prior.shape[0])
        adjusted = logits + self.tau * self.log_prior
        return F.cross_entropy(adjusted, target, reduction=self.reduction)

    def extra_repr(self):
        return (
            f"n_classes={self.log_prior.shape[0]}, tau={self.tau}, "
            f"reduction={self.reduction!r}"
        )
