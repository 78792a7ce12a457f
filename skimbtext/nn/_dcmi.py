"""Torch modules of DCMI: domain masks, per-domain heads and the DCMI network.

DCMI (domain-aware contrastive knowledge transfer for multi-domain imbalanced
learning) gates the encoder output ``h`` with a learned sigmoid mask per domain,
classifies the gated vector with a supervised head, predicts the domain of ``h``
with an auxiliary domain head, and contrasts the domain-aware views of each sample
with their relevance-weighted average. Everything is batched over domains: masks
are an ``(M, d)`` tensor and the ``M`` views of a batch are handled with matrix
products, never with a Python loop over domains.
"""

import math
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from ..losses._dcmi import _NORM_EPS, masked_view_similarity
from ._classifier import LOGITS, CosineLinear, make_head

#: HAT clamps the argument of cosh in the gradient compensation at this value
#: (Serrà et al. 2018; DCMI's first author's HAT-mask code): cosh(50) ~ 2.6e21
#: stays finite in float32.
COSH_BOUND = 50.0
#: ... and clamps the domain embeddings to this range after every optimiser step.
EMBEDDING_BOUND = 6.0


def hat_compensation_factor(embedding, tau, tau_min, cosh_bound=COSH_BOUND):
    r"""Gradient compensation factor of HAT masks (Serrà et al. 2018, DCMI Eq. 3).

    .. math::

        g' = \frac{\tau\,[\cosh(v/\tau) + 1]}{\tau_{\min}\,[\cosh(v) + 1]} \odot g

    The argument of the first cosh is clamped to ``[-cosh_bound, cosh_bound]``.
    Multiplied with the gradient of ``sigmoid(v / tau)``, the factor gives
    ``sigmoid'(v) / tau_min`` times the upstream gradient: the compensated gradient
    no longer depends on the temperature of the step, so masks keep learning while
    ``tau`` is small.

    Parameters
    ----------
    embedding : torch.Tensor
        Domain embeddings ``v`` (any shape).
    tau : float
        Temperature of the step.
    tau_min : float
        Final (inference) temperature.
    cosh_bound : float, default=50.0
        Clamp of ``v / tau`` inside cosh.

    Returns
    -------
    factor : torch.Tensor
        Same shape as ``embedding``.

    Examples
    --------
    >>> import torch
    >>> from skimbtext.nn import hat_compensation_factor
    >>> hat_compensation_factor(torch.tensor([0.0]), tau=0.5, tau_min=0.0025)
    tensor([200.])
    """
    inner = torch.cosh(torch.clamp(embedding / tau, -cosh_bound, cosh_bound)) + 1.0
    return (tau / tau_min) * inner / (torch.cosh(embedding) + 1.0)


class DomainMaskLayer(nn.Module):
    r"""Learnable domain embeddings and their sigmoid masks (DCMI Eq. 1).

    ``forward()`` returns the ``(M, d)`` masks :math:`m_j = \sigma(v_j / \tau)`.
    In training mode ``tau`` is the attribute ``tau``, set before every step by
    :class:`~skimbtext.callbacks._dcmi.DomainMaskAnnealing`; in evaluation mode it
    is ``tau_min`` (near-binary masks).

    The HAT gradient compensation (:func:`hat_compensation_factor`) is a tensor
    hook registered at every forward pass on the view of the embeddings that the
    pass uses, with the ``tau`` of that pass; the hook is not part of the module
    state, so it survives pickling and copying (hooks on parameters do not).

    Parameters
    ----------
    n_domains : int
        Number of domains ``M``.
    width : int
        Width ``d`` of the encoder output.
    tau_min : float, default=0.0025
        Inference temperature, and the denominator of the compensation.
    cosh_bound : float, default=50.0
        Clamp of the cosh argument in the compensation.

    Attributes
    ----------
    embedding : torch.nn.Parameter of shape (n_domains, width)
        Domain embeddings ``V``, initialised from N(0, 1) as ``nn.Embedding`` is in
        the HAT code.
    tau : float
        Temperature used in training mode.

    Examples
    --------
    >>> import torch
    >>> from skimbtext.nn import DomainMaskLayer
    >>> _ = torch.manual_seed(0)
    >>> layer = DomainMaskLayer(n_domains=3, width=4).eval()
    >>> masks = layer()
    >>> masks.shape, bool(((masks < 0.01) | (masks > 0.99)).all())
    (torch.Size([3, 4]), True)
    """

    def __init__(self, n_domains, width, *, tau_min=0.0025, cosh_bound=COSH_BOUND):
        super().__init__()
        self.embedding = nn.Parameter(torch.randn(n_domains, width))
        self.tau_min = float(tau_min)
        self.cosh_bound = float(cosh_bound)
        self.tau = 1.0

    @property
    def temperature(self):
        """The temperature of the current mode."""
        return self.tau if self.training else self.tau_min

    def forward(self):
        tau = self.temperature
        embedding = self.embedding
        if embedding.requires_grad and torch.is_grad_enabled():
            embedding = embedding.view_as(embedding)
            embedding.register_hook(self._compensation_hook(tau))
        return torch.sigmoid(embedding / tau)

    def _compensation_hook(self, tau):
        def compensate(grad):
            factor = hat_compensation_factor(
                self.embedding.detach(), tau, self.tau_min, self.cosh_bound
            )
            return grad * factor

        return compensate

    @torch.no_grad()
    def clamp_embedding_(self, bound=EMBEDDING_BOUND):
        """Clamp the embeddings to ``[-bound, bound]`` in place (HAT)."""
        self.embedding.clamp_(-bound, bound)

    def extra_repr(self):
        n_domains, width = self.embedding.shape
        return f"n_domains={n_domains}, width={width}, tau_min={self.tau_min}"


class PerDomainLinear(nn.Module):
    """One linear (or cosine) classifier per domain, applied by the sample's domain.

    A sample of domain ``j >= 0`` uses head ``j``. A sample of an unknown domain
    (``-1``, only at inference) uses the mixture of all heads weighted by its
    normalised domain relevance.

    Parameters
    ----------
    in_features : int
        Input width.
    out_features : int
        Number of classes.
    n_domains : int
        Number of heads.
    cosine : bool, default=False
        Cosine logits (L2-normalised inputs and weights), for margin losses.

    Examples
    --------
    >>> import torch
    >>> from skimbtext.nn import PerDomainLinear
    >>> head = PerDomainLinear(4, 2, n_domains=3)
    >>> head(torch.ones(5, 4), torch.tensor([0, 1, 2, 0, 1]),
    ...      torch.full((5, 3), 1 / 3)).shape
    torch.Size([5, 2])
    """

    def __init__(self, in_features, out_features, n_domains, cosine=False):
        super().__init__()
        self.cosine = cosine
        # Each head initialised like nn.Linear.
        bound = 1.0 / math.sqrt(in_features)
        self.weight = nn.Parameter(
            torch.empty(n_domains, out_features, in_features).uniform_(-bound, bound)
        )
        self.bias = (
            None
            if cosine
            else nn.Parameter(
                torch.empty(n_domains, out_features).uniform_(-bound, bound)
            )
        )

    def forward(self, features, domain, domain_weights):
        index = domain.clamp_min(0)
        weight = self.weight[index]
        bias = None if self.bias is None else self.bias[index]
        if not self.training and bool((domain < 0).any()):
            unknown = (domain < 0)[:, None]
            weight = torch.where(
                unknown[:, :, None],
                torch.einsum("bm,mcd->bcd", domain_weights, self.weight),
                weight,
            )
            if bias is not None:
                bias = torch.where(unknown, domain_weights @ self.bias, bias)
        if self.cosine:
            features = F.normalize(features, dim=-1)
            weight = F.normalize(weight, dim=-1)
        logits = torch.bmm(weight, features.unsqueeze(-1)).squeeze(-1)
        return logits if bias is None else logits + bias

    def extra_repr(self):
        n_domains, out_features, in_features = self.weight.shape
        return (
            f"in_features={in_features}, out_features={out_features}, "
            f"n_domains={n_domains}, cosine={self.cosine}"
        )


def _gated_cosine(encoded, gate, other_gate):
    """Row-wise cosine of ``h ⊙ gate`` and ``h ⊙ other_gate``, shape (B, 1), with
    the norm floor of :func:`~skimbtext.losses.masked_view_similarity` (the
    float32 gates promote a 16-bit ``h``)."""
    a, b = encoded * gate, encoded * other_gate

    def norm(x):
        return (x * x).sum(1, keepdim=True).clamp_min(_NORM_EPS**2).sqrt()

    return (a * b).sum(1, keepdim=True) / (norm(a) * norm(b))


def own_domain_view_similarity(encoded, masks, domain_weights, domain):
    r""":func:`~skimbtext.losses.masked_view_similarity` whose gradient reaches
    each sample's own domain mask only.

    The values are those of ``masked_view_similarity(encoded, masks,
    domain_weights @ masks)``. In the gradient, sample ``i`` of domain
    :math:`j_i` sees every other mask as a constant, in its augmented view
    :math:`\bar h_i = h_i \odot \sum_j w_{ij} m_j` and in the views
    :math:`h_i \odot m_j`: the mask of a domain is shaped by its own samples,
    however many the other domains have. A sample of an unseen domain
    (``domain = -1``) reaches no mask.

    Parameters
    ----------
    encoded : torch.Tensor of shape (B, d)
    masks : torch.Tensor of shape (M, d)
    domain_weights : torch.Tensor of shape (B, M)
        Weights of the augmented view (normalised relevance).
    domain : torch.Tensor of shape (B,)

    Returns
    -------
    similarity : torch.Tensor of shape (B, M)

    Examples
    --------
    >>> import torch
    >>> from skimbtext.losses import masked_view_similarity
    >>> from skimbtext.nn._dcmi import own_domain_view_similarity
    >>> h, masks, w = torch.randn(3, 4), torch.rand(2, 4), torch.rand(3, 2)
    >>> routed = own_domain_view_similarity(h, masks, w, torch.tensor([0, 1, 1]))
    >>> torch.allclose(routed, masked_view_similarity(h, masks, w @ masks))
    True
    """
    with torch.autocast(encoded.device.type, enabled=False):
        masks = masks.float()
        fixed = masks.detach()
        seen = domain >= 0
        index = domain.clamp_min(0)
        own_mask = masks[index]
        # Zero-valued, but carries the gradient of each sample's own mask.
        live = (own_mask - own_mask.detach()) * seen[:, None].float()
        weights = domain_weights.float()
        own_weight = weights.gather(1, index[:, None])
        anchor_gate = weights @ fixed + own_weight * live
        similarity = masked_view_similarity(encoded, fixed, anchor_gate)
        own_similarity = _gated_cosine(encoded, anchor_gate, fixed[index] + live)
    own = seen[:, None] & (
        index[:, None] == torch.arange(masks.shape[0], device=domain.device)
    )
    return torch.where(own, own_similarity, similarity)


class _Encoded(NamedTuple):
    """Intermediate tensors of a DCMI forward pass."""

    encoded: torch.Tensor  # h
    domain_logits: torch.Tensor
    relevance: torch.Tensor  # a_i^j
    domain_weights: torch.Tensor  # a_i^j / sum_k a_i^k
    masks: torch.Tensor | None  # m_j
    anchor_gate: torch.Tensor | None  # sum_j (normalised a_i^j) m_j
    own_gate: torch.Tensor | None  # m_{j_i}, or anchor_gate for unseen domains


#: Order of the tensors returned by :class:`DCMIModule` (all batch-first):
#: class logits (B, C); domain-head logits on stop_grad(h) (B, M); cosine of the
#: augmented view with each domain-aware view (B, M); domain relevance a_i^j, a
#: constant (B, M); dataset domain ids, -1 for a domain unseen in training (B,).
#: A plain tuple, because skorch rebuilds tuple outputs element by element.
OUTPUT_FIELDS = ("logits", "domain_logits", "view_similarity", "relevance", "domain")
#: Sources of the relevance a_i^j (see :class:`DCMIModule`).
RELEVANCES = ("learned", "dataset", "agreement")
#: Which domain masks ``L_con`` of a sample updates (see :class:`DCMIModule`).
MASK_UPDATES = ("all", "own")


def masked_head_logits(encoded, masks, weight, bias=None, cosine=False):
    r"""Logits of a linear or cosine head on every domain-aware view.

    For the views :math:`\hat h_i^j = h_i \odot m_j`, the logit of class ``c`` is
    :math:`\sum_k h_{ik} m_{jk} w_{ck}` (plus the bias), with :math:`w` the shared
    head's weight or domain ``j``'s own. It is computed as one ``(B·C, d) @ (d, M)``
    (shared head) or ``(B, d) @ (d, M·C)`` (one head per domain) product, never
    building the ``(B, M, d)`` views: memory stays ``O(B·M·C + M·C·d)``. Cosine
    heads divide by the norms of the views,
    :math:`\lVert \hat h_i^j \rVert^2 = \sum_k h_{ik}^2 m_{jk}^2`, and use unit
    weights, as :class:`~skimbtext.nn.CosineLinear` does.

    Parameters
    ----------
    encoded : torch.Tensor of shape (B, d)
        Encoder outputs ``h``.
    masks : torch.Tensor of shape (M, d)
        Domain masks ``m``.
    weight : torch.Tensor of shape (C, d) or (M, C, d)
        A shared head's weight, or one head's per domain (head ``j`` reads the
        view of domain ``j``).
    bias : torch.Tensor of shape (C,) or (M, C), optional
    cosine : bool, default=False

    Returns
    -------
    logits : torch.Tensor of shape (B, M, C)

    Examples
    --------
    >>> import torch
    >>> from skimbtext.nn._dcmi import masked_head_logits
    >>> h, masks, weight = torch.randn(3, 4), torch.rand(2, 4), torch.randn(5, 4)
    >>> views = h[:, None, :] * masks  # (3, 2, 4), built here only to compare
    >>> torch.allclose(masked_head_logits(h, masks, weight), views @ weight.T,
    ...                atol=1e-6)
    True
    """
    if torch.is_autocast_enabled(encoded.device.type):
        # As in masked_view_similarity: squared norms and gated products lose
        # most of their precision in 16-bit floats.
        with torch.autocast(encoded.device.type, enabled=False):
            return masked_head_logits(
                encoded.float(),
                masks.float(),
                weight.float(),
                None if bias is None else bias.float(),
                cosine=cosine,
            )
    if cosine:
        weight = F.normalize(weight, dim=-1)
    n_samples, n_domains = encoded.shape[0], masks.shape[0]
    if weight.dim() == 2:  # shared: (h_i ⊙ w_c) · m_j
        n_classes = weight.shape[0]
        scaled = (encoded[:, None, :] * weight).reshape(-1, weight.shape[1])
        logits = (scaled @ masks.T).reshape(n_samples, n_classes, n_domains)
        logits = logits.transpose(1, 2)
    else:  # one head per domain: h_i · (w_jc ⊙ m_j)
        n_classes = weight.shape[1]
        gated = (weight * masks[:, None, :]).reshape(-1, weight.shape[2])
        logits = (encoded @ gated.T).reshape(n_samples, n_domains, n_classes)
    if cosine:
        norms = ((encoded * encoded) @ (masks * masks).T).clamp_min(_NORM_EPS**2)
        return logits / norms.sqrt()[..., None]
    return logits if bias is None else logits + bias


class DCMIModule(nn.Module):
    r"""The DCMI network on top of an encoder body (and its ablations/baselines).

    For a batch with dataset domains ``j_i``:

    1. ``h = body(**inputs)`` (width ``d``);
    2. domain logits ``domain_head(stop_grad(h))`` (only ``L_dom`` trains that head);
    3. relevance :math:`a_i^j` = sigmoid of the domain logits (``relevance="learned"``),
       the one-hot dataset domain (``"dataset"``), or, in training
       (``"agreement"``), the probability that the supervised head gives sample
       ``i`` its label when it reads :math:`h_i \odot m_j` (1 for the sample's own
       domain); detached;
    4. masks :math:`m_j = \sigma(v_j/\tau)` and the augmented view
       :math:`\bar h_i = \sum_j \bar a_i^j\, h_i \odot m_j`,
       :math:`\bar a_i^j = a_i^j / \sum_k a_i^k`;
    5. cosine of :math:`\bar h_i` with every :math:`\hat h_i^j = h_i \odot m_j`
       (for ``L_con``; the supervised head never sees these; ``h`` is detached
       there unless ``contrastive_updates_body``);
    6. class logits of ``head(dropout(h_i ⊙ m_{j_i}))``; a sample of a domain unseen
       in training (``j_i = -1``) uses :math:`\bar h_i` (and, with per-domain
       heads, the relevance-weighted mixture of the heads).

    ``forward`` returns the tuple described by :data:`OUTPUT_FIELDS`. Without
    masks (``use_mask=False``) every view is ``h`` (domain-agnostic
    learning, or multi-task learning with ``head="per_domain"``).

    Parameters
    ----------
    body : nn.Module
        Encoder with attribute ``output_dim``; called with the batch inputs.
    n_classes : int
        Number of classes ``C``.
    n_domains : int
        Number of training domains ``M``.
    use_mask : bool, default=True
        Use the domain mask layer.
    head : {"shared", "per_domain"}, default="shared"
        One supervised head for all domains, or one per domain (MTL).
    relevance : {"learned", "dataset", "agreement"}, default="learned"
        Source of the relevance of a seen-domain sample (unseen domains always use
        the domain head). ``"agreement"`` needs the labels: ``forward`` reads
        them as ``target`` (:class:`~skimbtext.TrainingNet` passes them in
        training and validation when :attr:`reads_target`); without them it
        falls back to the domain head.
    head_dropout : float, default=0.5
        Dropout before the supervised head.
    logits : {"linear", "cosine"}, default="linear"
        Linear or cosine class logits (cosines for margin losses such as LDAM;
        see :func:`~skimbtext.nn.make_head`).
    tau_min : float, default=0.0025
        Inference temperature of the masks.
    contrastive_updates_body : bool, default=False
        Let ``L_con`` reach the body through the cosines (the paper's routing).
        False detaches ``h`` in the cosines, so that ``L_con`` shapes the domain
        embeddings only: the body then cannot lower the cosines of irrelevant
        views (non-negative masks keep them above 0, out of reach of their
        target) by squeezing its features into a few dimensions.
    contrastive_mask_updates : {"all", "own"}, default="all"
        Which masks ``L_con`` of a sample updates: every domain's (the gradient
        of the paper's loss), or only its own domain's
        (:func:`own_domain_view_similarity`; same loss values). With ``"all"``, a
        domain's mask gets ``L_con`` gradient from every sample of every domain
        but supervised gradient from its own samples only, so the masks of small
        domains follow the large ones.

    Examples
    --------
    >>> import torch
    >>> from skimbtext.encoders import MLPEncoder
    >>> from skimbtext.nn import DCMIModule
    >>> module = DCMIModule(MLPEncoder(4, (8,)), n_classes=2, n_domains=3)
    >>> output = module(domain=torch.tensor([0, 2]), features=torch.ones(2, 4))
    >>> [tuple(tensor.shape) for tensor in output]  # see OUTPUT_FIELDS
    [(2, 2), (2, 3), (2, 3), (2, 3), (2,)]
    """

    def __init__(
        self,
        body,
        n_classes,
        n_domains,
        *,
        use_mask=True,
        head="shared",
        relevance="learned",
        head_dropout=0.5,
        logits="linear",
        tau_min=0.0025,
        contrastive_updates_body=False,
        contrastive_mask_updates="all",
    ):
        super().__init__()
        if head not in ("shared", "per_domain"):
            raise ValueError(f"head must be 'shared' or 'per_domain', got {head!r}.")
        if logits not in LOGITS:
            raise ValueError(f"logits must be one of {LOGITS}, got {logits!r}.")
        if contrastive_mask_updates not in MASK_UPDATES:
            raise ValueError(
                f"contrastive_mask_updates must be one of {MASK_UPDATES}, got "
                f"{contrastive_mask_updates!r}."
            )
        if relevance not in RELEVANCES:
            raise ValueError(
                f"relevance must be one of {RELEVANCES}, got {relevance!r}."
            )
        width = body.output_dim
        self.body = body
        self.n_domains = n_domains
        self.relevance = relevance
        self.contrastive_updates_body = contrastive_updates_body
        self.contrastive_mask_updates = contrastive_mask_updates
        self.domain_masks = (
            DomainMaskLayer(n_domains, width, tau_min=tau_min) if use_mask else None
        )
        self.head_dropout = nn.Dropout(head_dropout)
        if head == "per_domain":
            self.head = PerDomainLinear(
                width, n_classes, n_domains, cosine=logits == "cosine"
            )
        else:
            self.head = make_head(width, n_classes, logits)
        self.domain_head = nn.Linear(width, n_domains)

    @property
    def reads_target(self):
        """Whether ``forward`` uses the labels (``relevance="agreement"``)."""
        return self.relevance == "agreement"

    def _domain_relevance(self, domain_logits, domain, given=None):
        """a_i^j, detached: ``given`` for seen domains where there is one, else
        (and always for unseen domains, -1) the domain head's."""
        learned = torch.sigmoid(domain_logits).detach()
        if given is None:
            return learned
        return torch.where((domain < 0)[:, None], learned, given.to(learned.dtype))

    def _label_agreement(self, encoded, masks, target):
        """p(y_i | h_i ⊙ m_j) under the supervised head, for every domain j."""
        head = self.head
        cosine = getattr(head, "cosine", isinstance(head, CosineLinear))
        with torch.no_grad():
            logits = masked_head_logits(
                encoded.detach(),
                masks,
                head.weight,
                getattr(head, "bias", None),
                cosine=cosine,
            )
            probabilities = torch.softmax(logits.float(), dim=-1)
            index = target.long().view(-1, 1, 1).expand(-1, masks.shape[0], 1)
            return probabilities.gather(-1, index).squeeze(-1)

    def _encode(self, domain, inputs, target=None):
        """Shared part of forward: h, domain logits, relevance, gates, masks."""
        encoded = self.body(**inputs)
        domain_logits = self.domain_head(encoded.detach())
        own = domain[:, None] == torch.arange(self.n_domains, device=domain.device)
        masks = None if self.domain_masks is None else self.domain_masks()
        given = None
        if self.relevance == "dataset":
            given = own
        elif self.reads_target and target is not None and masks is not None:
            # Relevant: the domains whose view leads the head to the sample's
            # label; the sample's own domain always.
            agreement = self._label_agreement(encoded, masks, target)
            given = torch.where(own, torch.ones_like(agreement), agreement)
        relevance = self._domain_relevance(domain_logits, domain, given)
        domain_weights = relevance / relevance.sum(-1, keepdim=True)
        if masks is None:
            return _Encoded(
                encoded, domain_logits, relevance, domain_weights, None, None, None
            )
        anchor_gate = domain_weights.to(masks.dtype) @ masks
        own_gate = torch.where(
            (domain < 0)[:, None], anchor_gate, masks[domain.clamp_min(0)]
        )
        return _Encoded(
            encoded,
            domain_logits,
            relevance,
            domain_weights,
            masks,
            anchor_gate,
            own_gate,
        )

    def forward(self, domain, target=None, **inputs):
        parts = self._encode(domain, inputs, target)
        if parts.masks is None:
            # Every view is h itself: the cosines are 1.
            view_similarity = torch.ones_like(parts.relevance)
            features = parts.encoded
        else:
            encoded = parts.encoded
            if not self.contrastive_updates_body:
                encoded = encoded.detach()
            if self.contrastive_mask_updates == "own" and torch.is_grad_enabled():
                view_similarity = own_domain_view_similarity(
                    encoded, parts.masks, parts.domain_weights, domain
                )
            else:
                view_similarity = masked_view_similarity(
                    encoded, parts.masks, parts.anchor_gate
                )
            features = parts.encoded * parts.own_gate
        features = self.head_dropout(features)
        if isinstance(self.head, PerDomainLinear):
            logits = self.head(features, domain, parts.domain_weights)
        else:
            logits = self.head(features)
        return logits, parts.domain_logits, view_similarity, parts.relevance, domain

    def representations(self, domain, **inputs):
        """Encoder output ``h`` and domain-aware representation, without dropout.

        The domain-aware representation is ``h ⊙ m_j`` for a seen domain ``j`` and
        the relevance-weighted view for an unseen one (``h`` without masks).

        Returns
        -------
        encoded, domain_aware : torch.Tensor of shape (B, d)
        """
        parts = self._encode(domain, inputs)
        if parts.own_gate is None:
            return parts.encoded, parts.encoded
        return parts.encoded, parts.encoded * parts.own_gate
