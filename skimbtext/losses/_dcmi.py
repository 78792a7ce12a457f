"""DCMI's objective: the soft contrastive loss (Eq. 5), from the cosines of the
augmented view with the domain-aware views to the binary cross-entropy on them,
the domain classification loss and their weighted sum (Eq. 6)."""

from contextlib import nullcontext

import torch
import torch.nn.functional as F
from torch import nn

from ._common import _check_non_negative

# F.normalize's floor on a vector norm; squared for the factorised norms.
_NORM_EPS = 1e-12


def _check_positive(name, value):
    value = _check_non_negative(name, value)
    if value == 0:
        raise ValueError(f"{name} must be positive; got {value!r}.")
    return value


def masked_view_similarity(encoded, masks, anchor_gate):
    r"""Cosine similarity of the augmented view with every domain-aware view
    (the :math:`s_{ij}` of DCMI's Eq. 5).

    With the domain-aware views :math:`\hat h_i^j = h_i \odot m_j` and the augmented
    view :math:`\bar h_i = h_i \odot g_i` (``g_i`` = ``anchor_gate[i]``, e.g. the
    relevance-weighted average of the masks), returns
    :math:`\cos(\bar h_i, \hat h_i^j)` for every sample ``i`` and domain ``j``, as
    ``F.normalize`` would on the explicit ``(B, M, d)`` tensor of views. It is
    computed from two ``(B, d) @ (d, M)`` products instead:

    - :math:`\bar h_i \cdot \hat h_i^j = \sum_k h_{ik}^2 g_{ik} m_{jk}`,
    - :math:`\lVert \hat h_i^j \rVert^2 = \sum_k h_{ik}^2 m_{jk}^2`,

    so memory stays ``O(B·M + M·d)`` with thousands of domains.

    Parameters
    ----------
    encoded : torch.Tensor of shape (B, d)
        Encoder outputs ``h``.
    masks : torch.Tensor of shape (M, d)
        Domain masks ``m``.
    anchor_gate : torch.Tensor of shape (B, d)
        Gate of the augmented view of each sample.

    Returns
    -------
    similarity : torch.Tensor of shape (B, M)

    Examples
    --------
    >>> import torch
    >>> from skimbtext.losses import masked_view_similarity
    >>> masks = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    >>> masked_view_similarity(torch.ones(1, 2), masks, masks[:1])
    tensor([[1., 0.]])
    """
    autocast = torch.is_autocast_enabled(encoded.device.type)
    # Squared norms lose most of their precision in 16-bit floats.
    context = (
        torch.autocast(encoded.device.type, enabled=False)
        if autocast
        else nullcontext()
    )
    with context:
        dtype = torch.promote_types(encoded.dtype, torch.float32)
        encoded, masks, anchor_gate = (
            encoded.to(dtype),
            masks.to(dtype),
            anchor_gate.to(dtype),
        )
        squared = encoded * encoded
        weighted = squared * anchor_gate
        dot = weighted @ masks.T
        view_norm = (squared @ (masks * masks).T).clamp_min(_NORM_EPS**2).sqrt()
        anchor_norm = (
            (weighted * anchor_gate)
            .sum(-1, keepdim=True)
            .clamp_min(_NORM_EPS**2)
            .sqrt()
        )
        return dot / (anchor_norm * view_norm)


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
    >>> from skimbtext.losses import soft_contrastive_loss
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
    >>> from skimbtext.losses import domain_classification_loss
    >>> domain_classification_loss(torch.zeros(1, 3), torch.tensor([1]))
    tensor([0.6931])
    """
    logits = domain_logits.float()
    ids = torch.arange(logits.shape[1], device=logits.device)
    target = (domain[:, None] == ids).to(logits.dtype)
    return F.binary_cross_entropy_with_logits(logits, target, reduction="none").mean(-1)


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
    >>> from skimbtext.losses import DCMILoss
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
        parts = self.components(output, target)
        losses = parts["sup"].float()
        for term, weight in (("dom", self.lambda_dom), ("con", self.lambda_con)):
            if weight:  # a term of weight 0 never reaches the sum (no 0 * NaN)
                losses = losses + weight * parts[term]
        return losses

    def extra_repr(self):
        return (
            f"lambda_dom={self.lambda_dom}, lambda_con={self.lambda_con}, "
            f"temperature={self.temperature}"
        )
