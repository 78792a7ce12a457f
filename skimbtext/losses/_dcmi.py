"""DCMI's soft contrastive loss and its joint training objective."""

import torch
import torch.nn.functional as F
from torch import nn

from ._common import _check_non_negative, _check_reduction, _reduce


def _check_positive(name, value):
    value = _check_non_negative(name, value)
    if value == 0:
        raise ValueError(f"{name} must be positive; got {value!r}.")
    return value


def view_cosine_similarity(anchor, views):
    """Cosine of each anchor with each of its views.

    Parameters
    ----------
    anchor : torch.Tensor of shape (B, d)
        One vector per sample (DCMI: the augmented view).
    views : torch.Tensor of shape (B, M, d)
        ``M`` vectors per sample (DCMI: the domain-aware views).

    Returns
    -------
    similarity : torch.Tensor of shape (B, M)
        Dot products of the L2-normalised vectors.

    Examples
    --------
    >>> import torch
    >>> from skimbtext.losses._dcmi import view_cosine_similarity
    >>> view_cosine_similarity(torch.tensor([[1.0, 0.0]]),
    ...                        torch.tensor([[[2.0, 0.0], [0.0, 3.0]]]))
    tensor([[1., 0.]])
    """
    anchor = F.normalize(anchor, dim=-1)
    views = F.normalize(views, dim=-1)
    return torch.einsum("bd,bmd->bm", anchor, views)


def soft_contrastive_loss(similarity, relevance, *, temperature=1.0):
    r"""Per-sample soft contrastive loss of DCMI (Eq. 5) from cosine similarities.

    .. math::

        \ell_i = -\sum_{j=1}^{M} \Big[a_i^j \log \sigma(s_{ij}/t)
                 + (1 - a_i^j) \log\big(1 - \sigma(s_{ij}/t)\big)\Big]

    with :math:`s_{ij}` the cosine of the augmented view of sample ``i`` with its
    view of domain ``j`` and :math:`a_i^j` its relevance to that domain (a soft
    label in [0, 1]). The paper's :math:`L_{con}` is the batch mean of
    :math:`\ell_i`. Computed in a numerically stable way (binary cross-entropy on
    logits).

    Parameters
    ----------
    similarity : torch.Tensor of shape (B, M)
        Cosine similarities in [-1, 1].
    relevance : torch.Tensor of shape (B, M)
        Soft domain assignments in [0, 1]; treated as constants.
    temperature : float, default=1.0
        ``t``: similarities are divided by it before the sigmoid.

    Returns
    -------
    losses : torch.Tensor of shape (B,)

    Examples
    --------
    >>> import torch
    >>> from skimbtext.losses._dcmi import soft_contrastive_loss
    >>> loss = soft_contrastive_loss(torch.tensor([[1.0, 0.0]]),
    ...                              torch.tensor([[1.0, 0.0]]))
    >>> round(loss.item(), 4)  # -log σ(1) - log(1 - σ(0))
    1.0064
    """
    logits = similarity.float() / temperature
    return F.binary_cross_entropy_with_logits(
        logits, relevance.detach().to(logits.dtype), reduction="none"
    ).sum(-1)


def domain_classification_loss(domain_logits, domain):
    """Per-sample binary cross-entropy of the domain head against the one-hot domain.

    Averaged over the ``M`` sigmoid outputs, as ``nn.BCEWithLogitsLoss`` averages.
    A domain id of ``-1`` (unknown) has an all-zero target.

    Parameters
    ----------
    domain_logits : torch.Tensor of shape (B, M)
        Logits of the domain head.
    domain : torch.Tensor of shape (B,)
        Integer dataset domain ids.

    Returns
    -------
    losses : torch.Tensor of shape (B,)

    Examples
    --------
    >>> import torch
    >>> from skimbtext.losses._dcmi import domain_classification_loss
    >>> domain_classification_loss(torch.zeros(1, 3), torch.tensor([1]))
    tensor([0.6931])
    """
    logits = domain_logits.float()
    ids = torch.arange(logits.shape[1], device=logits.device)
    target = (domain[:, None] == ids).to(logits.dtype)
    return F.binary_cross_entropy_with_logits(logits, target, reduction="none").mean(-1)


class SoftContrastiveLoss(nn.Module):
    r"""DCMI's soft contrastive loss on an anchor and its ``M`` views.

    L2-normalises the anchor (the augmented view :math:`\bar h_i`) and every view
    (:math:`\hat h_i^j`), and applies :func:`soft_contrastive_loss` to their
    cosines with the relevance :math:`a_i^j` as soft labels: a view of a relevant
    domain is pulled towards the anchor, a view of an irrelevant one pushed away.

    Parameters
    ----------
    temperature : float, default=1.0
        ``t`` (``> 0``), the paper's value is 1.
    reduction : {"mean", "sum", "none"}, default="mean"
        Over samples; ``"mean"`` is the paper's :math:`L_{con}`.

    Examples
    --------
    >>> import torch
    >>> from skimbtext.losses._dcmi import SoftContrastiveLoss
    >>> anchor = torch.tensor([[1.0, 0.0]])
    >>> views = torch.tensor([[[1.0, 0.0], [0.0, 1.0]]])
    >>> loss = SoftContrastiveLoss()(anchor, views, torch.tensor([[1.0, 0.0]]))
    >>> round(loss.item(), 4)
    1.0064
    """

    def __init__(self, *, temperature=1.0, reduction="mean"):
        super().__init__()
        self.temperature = _check_positive("temperature", temperature)
        self.reduction = _check_reduction(reduction)

    def forward(self, anchor, views, relevance):
        """Loss of ``anchor`` (B, d) against ``views`` (B, M, d) with ``relevance``."""
        if anchor.ndim != 2 or views.ndim != 3 or views.shape[0] != anchor.shape[0]:
            raise ValueError(
                "anchor must have shape (B, d) and views (B, M, d); got "
                f"{tuple(anchor.shape)} and {tuple(views.shape)}."
            )
        if relevance.shape != views.shape[:2]:
            raise ValueError(
                f"relevance must have shape {tuple(views.shape[:2])}; got "
                f"{tuple(relevance.shape)}."
            )
        similarity = view_cosine_similarity(anchor, views)
        losses = soft_contrastive_loss(
            similarity, relevance, temperature=self.temperature
        )
        return _reduce(losses, self.reduction)

    def extra_repr(self):
        return f"temperature={self.temperature}, reduction={self.reduction!r}"


class DCMILoss(nn.Module):
    r"""The joint objective of DCMI, one value per sample (DCMI Eq. 6).

    .. math::

        \ell_i = \ell^{sup}_i + \lambda_1\, \ell^{dom}_i + \lambda_2\, \ell^{con}_i

    - :math:`\ell^{sup}` — the supervised loss of the class logits (cross-entropy or
      any per-sample imbalance loss);
    - :math:`\ell^{dom}` — :func:`domain_classification_loss` of the domain head;
    - :math:`\ell^{con}` — :func:`soft_contrastive_loss` of the view similarities.

    The mean over a batch is the paper's
    :math:`L_{sup} + \lambda_1 L_{dom} + \lambda_2 L_{con}`. Every term is a per-sample
    quantity, so sample weights and deferred re-weighting weight all three, and a
    sample of weight 0 leaves training unchanged. Which parameters each term
    updates is decided by the network (stop-gradients in
    :class:`~skimbtext.nn._dcmi.DCMIModule`), not here.

    Parameters
    ----------
    supervised_loss : nn.Module, optional
        Per-sample loss ``(logits, target) -> (B,)``; cross-entropy when None.
    lambda_dom : float, default=4.0
        :math:`\lambda_1`, weight of the domain classification loss.
    lambda_con : float, default=3.0
        :math:`\lambda_2`, weight of the contrastive loss.
    temperature : float, default=1.0
        Temperature ``t`` of the contrastive loss.

    Examples
    --------
    >>> import torch
    >>> from skimbtext.losses._dcmi import DCMILoss
    >>> output = (torch.zeros(2, 2), torch.zeros(2, 3), torch.ones(2, 3),
    ...           torch.full((2, 3), 0.5), torch.tensor([0, 2]))
    >>> DCMILoss(lambda_dom=1.0, lambda_con=0.0)(output, torch.tensor([0, 1]))
    tensor([1.3863, 1.3863])
    """

    def __init__(
        self, supervised_loss=None, *, lambda_dom=4.0, lambda_con=3.0, temperature=1.0
    ):
        super().__init__()
        self.supervised_loss = (
            nn.CrossEntropyLoss(reduction="none")
            if supervised_loss is None
            else supervised_loss
        )
        self.lambda_dom = _check_non_negative("lambda_dom", lambda_dom)
        self.lambda_con = _check_non_negative("lambda_con", lambda_con)
        self.temperature = _check_positive("temperature", temperature)

    def components(self, output, target):
        """The three per-sample terms, unweighted: ``{"sup", "dom", "con"}``.

        ``output`` is the module output ``(logits, domain_logits, view_similarity,
        relevance, domain, ...)``.
        """
        logits, domain_logits, view_similarity, relevance, domain = output[:5]
        return {
            "sup": self.supervised_loss(logits, target),
            "dom": domain_classification_loss(domain_logits, domain),
            "con": soft_contrastive_loss(
                view_similarity, relevance, temperature=self.temperature
            ),
        }

    def forward(self, output, target):
        logits, domain_logits, view_similarity, relevance, domain = output[:5]
        losses = self.supervised_loss(logits, target).float()
        if self.lambda_dom:
            losses = losses + self.lambda_dom * domain_classification_loss(
                domain_logits, domain
            )
        if self.lambda_con:
            losses = losses + self.lambda_con * soft_contrastive_loss(
                view_similarity, relevance, temperature=self.temperature
            )
        return losses

    def extra_repr(self):
        return (
            f"lambda_dom={self.lambda_dom}, lambda_con={self.lambda_con}, "
            f"temperature={self.temperature}"
        )
