"""Class-balanced loss with the effective number of samples (Cui et al., 2019)."""

import torch
from torch import nn

from ._common import (
    _as_class_vector,
    _check_inputs,
    _check_non_negative,
    _check_real,
    _check_reduction,
    _focal_per_sample,
    _reduce,
)


def effective_number_weights(class_counts, beta=0.9999):
    r"""Class-balanced weights from the effective number of samples (Cui et al.).

    The effective number of samples of a class with :math:`n_c` samples is
    :math:`E_c = (1 - \beta^{n_c}) / (1 - \beta)`; its weight is the inverse,
    normalised so that the weights sum to the number of classes :math:`C`:

    .. math::

        w_c = C \, \frac{(1 - \beta) / (1 - \beta^{n_c})}
                        {\sum_k (1 - \beta) / (1 - \beta^{n_k})} .

    ``beta=0`` gives uniform weights; as ``beta`` approaches 1 the weights approach
    inverse class frequency.

    Parameters
    ----------
    class_counts : array-like of shape (n_classes,)
        Positive number of training samples of each class (index = class index).
    beta : float, default=0.9999
        Hyperparameter in ``[0, 1)``.

    Returns
    -------
    weights : torch.Tensor of shape (n_classes,)
        float32 weights on the CPU, summing to ``n_classes``.

    References
    ----------
    .. [1] Y. Cui, M. Jia, T.-Y. Lin, Y. Song and S. Belongie, "Class-Balanced Loss
       Based on Effective Number of Samples", CVPR 2019.

    Examples
    --------
    >>> from skimbtext.losses import effective_number_weights
    >>> weights = effective_number_weights([1000, 10], beta=0.999)
    >>> [round(weight, 4) for weight in weights.tolist()]
    [0.031, 1.969]
    >>> effective_number_weights([1000, 10], beta=0.0)
    tensor([1., 1.])
    """
    counts = _as_class_vector("class_counts", class_counts, allow_zero=False)
    beta = _check_real("beta", beta)
    if not 0.0 <= beta < 1.0:
        raise ValueError(f"beta must lie in [0, 1); got {beta!r}.")
    # float64 keeps 1 - beta ** n accurate for beta close to 1 and small counts.
    weights = (1.0 - beta) / (1.0 - torch.pow(beta, counts))
    weights = weights * (counts.numel() / weights.sum())
    return weights.to(torch.float32)


class ClassBalancedLoss(nn.Module):
    r"""Class-balanced softmax loss of Cui et al. (2019).

    A focal loss whose per-class weights are the effective-number weights of
    :func:`effective_number_weights`:

    .. math::

        \ell = -w_y \, (1 - p_y)^\gamma \, \log p_y .

    With ``gamma=0`` it is weighted cross-entropy.

    Parameters
    ----------
    class_counts : array-like of shape (n_classes,)
        Positive number of training samples of each class (index = class index).
        The resulting weights are stored as the float32 buffer ``class_weights``.
    beta : float, default=0.9999
        Effective-number hyperparameter in ``[0, 1)``; 0 gives uniform weights.
    gamma : float, default=0.0
        Focal focusing parameter, ``>= 0``; 0 gives weighted cross-entropy.
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"none"`` returns the weighted per-sample losses (shape ``(B,)``),
        ``"sum"`` their sum and ``"mean"`` their plain mean over the batch, i.e. the
        sum divided by the batch size. This differs from
        ``torch.nn.CrossEntropyLoss(weight=...)``, which divides by the sum of the
        gold-class weights instead.

    References
    ----------
    .. [1] Y. Cui, M. Jia, T.-Y. Lin, Y. Song and S. Belongie, "Class-Balanced Loss
       Based on Effective Number of Samples", CVPR 2019.

    Examples
    --------
    >>> import torch
    >>> from skimbtext.losses import ClassBalancedLoss
    >>> loss = ClassBalancedLoss(class_counts=[1000, 10], beta=0.999, reduction="none")
    >>> logits = torch.tensor([[0.0, 0.0], [0.0, 0.0]])
    >>> [round(value, 4) for value in loss(logits, torch.tensor([0, 1])).tolist()]
    [0.0215, 1.3648]
    """

    def __init__(self, *, class_counts, beta=0.9999, gamma=0.0, reduction="mean"):
        super().__init__()
        self.beta = _check_real("beta", beta)
        self.gamma = _check_non_negative("gamma", gamma)
        self.reduction = _check_reduction(reduction)
        self.register_buffer(
            "class_weights", effective_number_weights(class_counts, beta=self.beta)
        )

    def forward(self, logits, target):
        """Class-balanced loss of ``logits`` (B, C) against ``target`` (B,)."""
        logits = _check_inputs(logits, target, self.class_weights.shape[0])
        losses = _focal_per_sample(logits, target, self.gamma, self.class_weights)
        return _reduce(losses, self.reduction)

    def extra_repr(self):
        return (
            f"n_classes={self.class_weights.shape[0]}, beta={self.beta}, "
            f"gamma={self.gamma}, reduction={self.reduction!r}"
        )
