"""MINE: the Donsker–Varadhan lower bound on mutual information (Belghazi et al., 2018).

Pure tensor maths on critic scores, testable without any network: the critic ``T``
scores joint pairs ``(a, b)`` and marginal pairs ``(a, b')`` (``b'`` shuffled within
the batch), and

    Î(A; B) = E_joint[T(a, b)] − log E_marginal[e^{T(a, b')}].

The gradient of the log term is biased on mini-batches; MINE corrects it by dividing
the gradient of ``E_marginal[e^T]`` by a moving average of that expectation instead
of its mini-batch value (as in gtegner/mine-pytorch, rate 0.01).
"""

import math

import torch
from torch import nn

__all__ = ["MINEBound", "donsker_varadhan_bound", "shuffle_marginal"]


def donsker_varadhan_bound(joint_scores, marginal_scores):
    """Donsker–Varadhan estimate ``E[T_joint] − log E[exp(T_marginal)]``.

    Parameters
    ----------
    joint_scores : Tensor of shape (B,)
        Critic scores of pairs drawn from the joint distribution.
    marginal_scores : Tensor of shape (B',)
        Critic scores of pairs drawn from the product of the marginals.

    Returns
    -------
    bound : Tensor of shape ()
        Lower bound on the mutual information, in nats.

    Examples
    --------
    >>> import torch
    >>> from skimbtext.losses import donsker_varadhan_bound
    >>> float(donsker_varadhan_bound(torch.tensor([1.0, 1.0]), torch.zeros(2)))
    1.0
    """
    log_mean_exp = torch.logsumexp(marginal_scores, dim=0) - math.log(
        marginal_scores.shape[0]
    )
    return joint_scores.mean() - log_mean_exp


def shuffle_marginal(values, generator=None):
    """Samples of the product of marginals: ``values`` permuted within the batch.

    Paired with the unshuffled partner, a permuted batch breaks the dependence
    between the two variables while keeping each marginal.

    Examples
    --------
    >>> import torch
    >>> from skimbtext.losses import shuffle_marginal
    >>> values = torch.arange(4.0)
    >>> sorted(shuffle_marginal(values).tolist())
    [0.0, 1.0, 2.0, 3.0]
    """
    order = torch.randperm(values.shape[0], generator=generator, device="cpu")
    return values[order.to(values.device)]


class _CorrectedLogMeanExp(torch.autograd.Function):
    """``log mean exp(x)`` whose gradient uses a moving-average denominator."""

    @staticmethod
    def forward(ctx, scores, running_mean):
        ctx.save_for_backward(scores, running_mean)
        return torch.logsumexp(scores, dim=0) - math.log(scores.shape[0])

    @staticmethod
    def backward(ctx, grad_output):
        scores, running_mean = ctx.saved_tensors
        # d/dx log E[e^x] = e^x / (n E[e^x]); E[e^x] replaced by its moving average.
        grad = grad_output * scores.exp() / (running_mean * scores.shape[0])
        return grad, None


class MINEBound(nn.Module):
    """Donsker–Varadhan bound with MINE's moving-average gradient correction.

    The forward value is the plain bound :func:`donsker_varadhan_bound`; in
    training mode, its gradient with respect to the marginal scores is divided by
    an exponential moving average of ``E[exp(T_marginal)]`` (updated in each
    training-mode call with rate ``ema_rate``) rather than by the mini-batch mean,
    which removes the bias of the mini-batch gradient.

    Parameters
    ----------
    ema_rate : float, default=0.01
        Weight of the newest mini-batch in the moving average.

    Attributes
    ----------
    running_mean : Tensor of shape ()
        Moving average of ``E[exp(T_marginal)]``; 0 before the first update.

    Examples
    --------
    >>> import torch
    >>> from skimbtext.losses import MINEBound
    >>> bound = MINEBound()
    >>> joint = torch.tensor([2.0, 2.0], requires_grad=True)
    >>> marginal = torch.tensor([0.0, 0.0], requires_grad=True)
    >>> value = bound(joint, marginal)
    >>> float(value.detach()), float(bound.running_mean)
    (2.0, 1.0)
    """

    def __init__(self, ema_rate=0.01):
        super().__init__()
        self.ema_rate = ema_rate
        self.register_buffer("running_mean", torch.zeros(()))

    def forward(self, joint_scores, marginal_scores):
        if not self.training or not torch.is_grad_enabled():
            return donsker_varadhan_bound(joint_scores, marginal_scores)
        batch_mean = marginal_scores.detach().float().exp().mean()
        if float(self.running_mean) == 0.0:
            self.running_mean.copy_(batch_mean)
        else:
            self.running_mean.mul_(1.0 - self.ema_rate).add_(self.ema_rate * batch_mean)
        log_mean_exp = _CorrectedLogMeanExp.apply(
            marginal_scores, self.running_mean.clamp_min(1e-12).to(marginal_scores)
        )
        return joint_scores.mean() - log_mean_exp
