r"""The rebalanced contrastive objective of SharpReCL (Li et al., 2024).

Pure tensor functions for the steps of the contrastive branch, in the order they run
on a mini-batch, plus the criterion that adds them to the classification loss:

1. :func:`simple_sampling_indices` — Eq. 8: members of each class (and of the other
   classes) of :math:`\hat D = Z \cup proto`, drawn at random;
2. :func:`hard_example_pools` — Eq. 9: per class, the ``k`` members least similar
   to the class prototype (hard positives) and the ``k`` non-members most similar
   to it (hard negatives);
3. :func:`draw_mixup_pairs` / :func:`mix_pairs` — Eq. 10: random pairs inside each
   hard pool mixed with :math:`\alpha \sim Beta(\lambda, \lambda)` and
   L2-normalised;
4. :func:`rebalanced_target_sets` — the balanced per-class target sets
   :math:`\tilde D_c^+` and :math:`\tilde D_c^-` with a given synthetic share;
5. :func:`rebalanced_contrastive_loss` — Eq. 11, weighted by
   :math:`w_y = -\log P_y` over every anchor of :math:`\hat D`.

Every target member is kept as a *pair* of rows of :math:`\hat D` and a mixing
weight (a sampled member is the pair ``(i, i)`` with weight 1). Its similarity with
an anchor then follows from the Gram matrix of :math:`\hat D` alone,
``(a G[i, f] + (1 - a) G[i, s]) / ||a z_f + (1 - a) z_s||``, so the loss never
materialises the ``C x (n_positives + n_negatives)`` synthetic vectors per anchor;
:func:`mix_pairs` gives the same vectors explicitly.
"""

import math
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from ._common import _as_class_vector


class TargetSets(NamedTuple):
    """Per-class target sets :math:`\\tilde D_c = \\tilde D_c^+ \\cup \\tilde D_c^-`.

    Member ``j`` of class ``c`` is ``normalize(weight[c, j] * z[first[c, j]] +
    (1 - weight[c, j]) * z[second[c, j]])`` with ``z`` the rows of
    :math:`\\hat D`; the first ``n_positives`` columns are the positives.
    """

    first: torch.Tensor
    second: torch.Tensor
    weight: torch.Tensor
    n_positives: int


def _at_least_float32(tensor):
    """Upcast half-precision tensors (autocast): exponentials need the range."""
    return tensor.to(torch.promote_types(tensor.dtype, torch.float32))


def class_membership(labels, n_classes):
    """Boolean ``(n_classes, N)`` mask: ``mask[c, i]`` is ``labels[i] == c``."""
    classes = torch.arange(n_classes, device=labels.device)
    return classes[:, None] == labels[None, :]


def split_target_size(size, synthetic_share, *, simple_sampling=True, hard_mixup=True):
    """Split a target-set size into sampled and synthetic members.

    Parameters
    ----------
    size : int
        :math:`|\\tilde D_c^+|` or :math:`|\\tilde D_c^-|`.
    synthetic_share : float
        Share of synthetic (mixup) members, in [0, 1].
    simple_sampling, hard_mixup : bool, default=True
        With one of them off, the other fills the whole set; with both off the
        set is empty.

    Returns
    -------
    n_sampled, n_synthetic : int

    Examples
    --------
    >>> from skimbtext.losses import split_target_size
    >>> split_target_size(10, 0.5), split_target_size(500, 0.75)
    ((5, 5), (125, 375))
    """
    if not hard_mixup:
        return (size, 0) if simple_sampling else (0, 0)
    if not simple_sampling:
        return 0, size
    n_synthetic = min(size, math.floor(synthetic_share * size + 0.5))
    return size - n_synthetic, n_synthetic


def simple_sampling_indices(mask, n_samples):
    """Eq. 8: draw ``n_samples`` rows per class uniformly, with replacement.

    Parameters
    ----------
    mask : bool tensor of shape (n_classes, N)
        Rows allowed for each class (members for positives, non-members for
        negatives); every row must allow at least one.
    n_samples : int
        Draws per class.

    Returns
    -------
    indices : long tensor of shape (n_classes, n_samples)
    """
    n_classes = mask.shape[0]
    counts = mask.sum(dim=1, keepdim=True)
    # A uniform rank among the allowed rows of each class, then its row index
    # (allowed rows sorted first, in order).
    ranks = (torch.rand(n_classes, n_samples, device=mask.device) * counts).long()
    ranks = torch.minimum(ranks, counts - 1)
    allowed_first = torch.argsort((~mask).to(torch.int8), dim=1, stable=True)
    return allowed_first.gather(1, ranks)


def hard_example_pools(prototypes, embeddings, labels, k):
    """Eq. 9: the hard positives and hard negatives of every class.

    Hard positives of class ``c``: the ``k`` members of ``c`` least similar to
    ``proto_c``; hard negatives: the ``k`` members of other classes most similar to
    it. Classes with fewer candidates keep all of them.

    Parameters
    ----------
    prototypes : tensor of shape (n_classes, dim)
        L2-normalised class prototypes.
    embeddings : tensor of shape (N, dim)
        L2-normalised rows of :math:`\\hat D` (prototypes included).
    labels : long tensor of shape (N,)
        Class of each row.
    k : int
        Pool size per class.

    Returns
    -------
    positives : long tensor of shape (n_classes, min(k, N))
        Row indices, hardest first; only the first ``n_positives[c]`` are valid.
    n_positives : long tensor of shape (n_classes,)
    negatives : long tensor of shape (n_classes, min(k, N))
        Row indices, hardest first; only the first ``n_negatives[c]`` are valid.
    n_negatives : long tensor of shape (n_classes,)
    """
    with torch.no_grad():
        similarity = prototypes @ embeddings.T
        member = class_membership(labels, prototypes.shape[0])
        pool_size = min(k, embeddings.shape[0])
        positive_scores = (-similarity).masked_fill(~member, -math.inf)
        positives = positive_scores.topk(pool_size, dim=1).indices
        negative_scores = similarity.masked_fill(member, -math.inf)
        negatives = negative_scores.topk(pool_size, dim=1).indices
        n_positives = member.sum(dim=1).clamp(max=pool_size)
        n_negatives = (~member).sum(dim=1).clamp(max=pool_size)
    return positives, n_positives, negatives, n_negatives


def draw_mixup_pairs(pools, pool_sizes, n_pairs, mixup_alpha):
    """Eq. 10: random pairs inside each class's pool and Beta(λ, λ) weights.

    Parameters
    ----------
    pools : long tensor of shape (n_classes, pool_width)
        Row indices per class; the first ``pool_sizes[c]`` are valid.
    pool_sizes : long tensor of shape (n_classes,)
        Valid entries per class, at least 1.
    n_pairs : int
        Pairs (synthetic members) per class.
    mixup_alpha : float
        λ of the Beta(λ, λ) distribution of the mixing weight.

    Returns
    -------
    first, second : long tensor of shape (n_classes, n_pairs)
        Row indices of the two members of each pair.
    weight : tensor of shape (n_classes, n_pairs)
        Mixing weight α of ``first``.
    """
    n_classes = pools.shape[0]
    sizes = pool_sizes[:, None, None]
    uniform = torch.rand(n_classes, n_pairs, 2, device=pools.device)
    positions = torch.minimum((uniform * sizes).long(), sizes - 1)
    first = pools.gather(1, positions[..., 0])
    second = pools.gather(1, positions[..., 1])
    return first, second, _symmetric_beta(mixup_alpha, (n_classes, n_pairs), pools)


def _symmetric_beta(concentration, shape, like):
    """Draw Beta(λ, λ) samples of ``shape`` on the device of ``like``."""
    if concentration == 0.5:
        # Beta(1/2, 1/2) is the arcsine law: sin^2(πU/2) is exact, and far cheaper
        # than the two gamma draws of the general sampler.
        uniform = torch.rand(shape, device=like.device)
        return torch.sin(0.5 * math.pi * uniform) ** 2
    concentration = torch.tensor(float(concentration), device=like.device)
    return torch.distributions.Beta(concentration, concentration).sample(shape)


def mix_pairs(embeddings, first, second, weight):
    """Eq. 10: the synthetic vectors ``normalize(α z_f + (1 - α) z_s)``.

    Parameters
    ----------
    embeddings : tensor of shape (N, dim)
        Rows of :math:`\\hat D`.
    first, second : long tensor of any shape S
        Row indices of each pair.
    weight : tensor of shape S
        Mixing weights α.

    Returns
    -------
    mixed : tensor of shape S + (dim,)
        Unit-norm mixtures.

    Examples
    --------
    >>> import torch
    >>> from skimbtext.losses import mix_pairs
    >>> z = torch.eye(2)
    >>> mix_pairs(z, torch.tensor([0]), torch.tensor([1]), torch.tensor([0.5]))
    tensor([[0.7071, 0.7071]])
    """
    weight = weight.unsqueeze(-1)
    mixed = weight * embeddings[first] + (1 - weight) * embeddings[second]
    return F.normalize(mixed, dim=-1)


def rebalanced_target_sets(
    embeddings,
    labels,
    prototypes,
    *,
    n_positives=10,
    n_negatives=500,
    k=20,
    synthetic_share=0.5,
    mixup_alpha=0.5,
    simple_sampling=True,
    hard_mixup=True,
):
    """Build the balanced target sets of every class (steps 5–8 of the method).

    For every class ``c``, :math:`\\tilde D_c^+` holds ``n_positives`` members and
    :math:`\\tilde D_c^-` holds ``n_negatives``, whatever the class's frequency; of
    each, a share ``synthetic_share`` (rounded) comes from hard mixup and the rest
    from simple sampling.

    Parameters
    ----------
    embeddings : tensor of shape (N, dim)
        L2-normalised rows of :math:`\\hat D = Z \\cup proto`.
    labels : long tensor of shape (N,)
        Their classes; every class must have a row (its prototype).
    prototypes : tensor of shape (n_classes, dim)
        L2-normalised prototypes (also rows of ``embeddings``).
    n_positives, n_negatives : int, default=10, 500
        :math:`|\\tilde D_c^+|` and :math:`|\\tilde D_c^-|`.
    k : int, default=20
        Size of the hard pools (Eq. 9).
    synthetic_share : float, default=0.5
        Share of synthetic members.
    mixup_alpha : float, default=0.5
        λ of Beta(λ, λ).
    simple_sampling, hard_mixup : bool, default=True
        Ablation switches; with both off this function is not needed (the loss
        runs on :math:`\\hat D` alone).

    Returns
    -------
    targets : TargetSets
        Tensors of shape ``(n_classes, n_positives + n_negatives)``.
    """
    n_classes = prototypes.shape[0]
    member = class_membership(labels, n_classes)
    # (hard positives, their count, hard negatives, their count) per class
    pools = (None,) * 4
    if hard_mixup:
        pools = hard_example_pools(prototypes, embeddings.detach(), labels, k)
    parts = []
    sizes = []
    for size, mask, pool, pool_sizes in (
        (n_positives, member, pools[0], pools[1]),
        (n_negatives, ~member, pools[2], pools[3]),
    ):
        n_sampled, n_synthetic = split_target_size(
            size,
            synthetic_share,
            simple_sampling=simple_sampling,
            hard_mixup=hard_mixup,
        )
        sampled = simple_sampling_indices(mask, n_sampled)
        parts.append((sampled, sampled, torch.ones(sampled.shape, device=mask.device)))
        if n_synthetic:
            parts.append(draw_mixup_pairs(pool, pool_sizes, n_synthetic, mixup_alpha))
        sizes.append(n_sampled + n_synthetic)
    first, second, weight = (torch.cat(column, dim=1) for column in zip(*parts))
    return TargetSets(first, second, weight.to(embeddings.dtype), sizes[0])


def _target_similarities(gram, labels, targets):
    """Cosine of each anchor with every member of its class's target set."""
    first = targets.first[labels]
    second = targets.second[labels]
    weight = targets.weight[labels]
    # ||a z_f + (1 - a) z_s||^2 for unit rows, from the Gram matrix.
    pair_cosine = gram[targets.first, targets.second][labels]
    squared_norm = (
        weight**2 + (1 - weight) ** 2 + 2 * weight * (1 - weight) * pair_cosine
    )
    norm = squared_norm.clamp_min(0).sqrt().clamp_min(1e-12)
    mixed = weight * gram.gather(1, first) + (1 - weight) * gram.gather(1, second)
    return mixed / norm


def rebalanced_contrastive_loss(
    embeddings, labels, class_weight, temperature, targets=None, *, reduction="sum"
):
    r"""Eq. 11: class-weighted supervised contrastive loss with target sets.

    For every anchor ``i`` of :math:`\hat D` (``N`` rows) with class ``y``,

    .. math::

        L_i = \frac{w_y}{N} \sum_{p \in \tilde D_y^+ \cup \hat D_y \setminus \{i\}}
              -\log \frac{\exp(z_i \cdot z_p / \tau)}
                         {\sum_{k \in \tilde D_y \cup \hat D \setminus \{i\}}
                          \exp(z_i \cdot z_k / \tau)},
        \qquad L = \sum_i L_i .

    The weight is indexed by the class of each anchor row (samples of both views
    and prototypes alike).

    Parameters
    ----------
    embeddings : tensor of shape (N, dim)
        L2-normalised rows of :math:`\hat D`.
    labels : long tensor of shape (N,)
        Class of each row.
    class_weight : tensor of shape (n_classes,)
        :math:`w_c`, e.g. :math:`-\log P_c`.
    temperature : float
        τ.
    targets : TargetSets, optional
        The target sets :math:`\tilde D`; None uses :math:`\hat D` alone (the
        ablation without simple sampling and hard mixup).
    reduction : {"sum", "mean"}, default="sum"
        How an anchor's terms over its positives combine: ``"sum"`` as printed in
        Eq. 11, ``"mean"`` divides by the number of positives (as in SupCon).

    Returns
    -------
    loss : scalar tensor

    Examples
    --------
    >>> import torch
    >>> from skimbtext.losses import rebalanced_contrastive_loss
    >>> z = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    >>> loss = rebalanced_contrastive_loss(z, torch.tensor([0, 0, 1]),
    ...                                    torch.tensor([1.0, 1.0]), 1.0)
    >>> round(loss.item(), 4)  # anchors 0 and 1: log(1 + e^-1); anchor 2: none
    0.2088
    """
    if reduction not in ("sum", "mean"):
        raise ValueError(f"reduction must be 'sum' or 'mean', got {reduction!r}.")
    embeddings = _at_least_float32(embeddings)
    n_rows = embeddings.shape[0]
    gram = embeddings @ embeddings.T
    self_mask = torch.eye(n_rows, dtype=torch.bool, device=embeddings.device)
    logits = (gram / temperature).masked_fill(self_mask, -math.inf)
    positive = (labels[:, None] == labels[None, :]) & ~self_mask
    positive_logit_sum = torch.where(positive, logits, 0.0).sum(dim=1)
    n_positive = positive.sum(dim=1).float()
    if targets is not None:
        target_logits = _target_similarities(gram, labels, targets) / temperature
        target_positives = target_logits[:, : targets.n_positives]
        positive_logit_sum = positive_logit_sum + target_positives.sum(dim=1)
        n_positive = n_positive + targets.n_positives
        logits = torch.cat([logits, target_logits], dim=1)
    log_partition = torch.logsumexp(logits, dim=1)
    # sum over positives of -log softmax = |P| log Z - sum of positive logits
    per_anchor = torch.where(
        n_positive > 0, n_positive * log_partition - positive_logit_sum, 0.0
    )
    if reduction == "mean":
        per_anchor = per_anchor / n_positive.clamp_min(1)
    weight = class_weight.to(per_anchor.dtype)[labels]
    return (weight * per_anchor).sum() / n_rows


def supervised_contrastive_loss(embeddings, labels, temperature):
    r"""Supervised contrastive loss (Khosla et al. 2020; SCLCE of Gunel et al. 2021).

    .. math::

        L = \frac{1}{|A|} \sum_{i \in A} \frac{-1}{|P(i)|} \sum_{p \in P(i)}
            \log \frac{\exp(z_i \cdot z_p / \tau)}
                      {\sum_{k \ne i} \exp(z_i \cdot z_k / \tau)}

    over the batch rows, with :math:`P(i)` the other rows of the class of ``i`` and
    :math:`A` the anchors that have at least one positive.

    Parameters
    ----------
    embeddings : tensor of shape (N, dim)
        L2-normalised rows.
    labels : long tensor of shape (N,)
    temperature : float

    Returns
    -------
    loss : scalar tensor (0 when no row has a positive)

    Examples
    --------
    >>> import torch
    >>> from skimbtext.losses import supervised_contrastive_loss
    >>> z = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    >>> round(supervised_contrastive_loss(z, torch.tensor([0, 0, 1]), 1.0).item(), 4)
    0.3133
    """
    embeddings = _at_least_float32(embeddings)
    n_rows = embeddings.shape[0]
    self_mask = torch.eye(n_rows, dtype=torch.bool, device=embeddings.device)
    logits = (embeddings @ embeddings.T / temperature).masked_fill(self_mask, -math.inf)
    log_prob = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    positive = (labels[:, None] == labels[None, :]) & ~self_mask
    n_positive = positive.sum(dim=1)
    has_positive = n_positive > 0
    if not has_positive.any():
        return embeddings.sum() * 0.0
    per_anchor = -torch.where(positive, log_prob, 0.0).sum(dim=1)
    per_anchor = per_anchor[has_positive] / n_positive[has_positive]
    return per_anchor.mean()


class SharpReCLLoss(nn.Module):
    r"""SharpReCL criterion: :math:`L = L_{CLS} + \mu L_{CL}`, one value per sample.

    Takes the output of :class:`~skimbtext.nn.SharpReCLModule`:

    * a logits tensor (evaluation): returns the classification loss only;
    * ``(logits, view_logits)`` (training without the CL branch): the
      classification loss averaged over the views of each sample;
    * ``(logits, view_logits, projections, prototypes)`` (training): the
      classification loss plus ``mu`` times the contrastive loss of the batch,
      broadcast to every sample (so that the training core's weighted mean adds it
      unchanged).

    The contrastive loss is the rebalanced loss of Eq. 11 (``contrastive="sharp"``,
    with :math:`w_y \propto -\log P_y`) on :math:`\hat D` = both views of the batch and
    the ``C`` prototypes, or the plain supervised contrastive loss on the views of
    the batch (``contrastive="scl"``, the SCLCE baseline).

    Parameters
    ----------
    class_counts : array-like of shape (n_classes,)
        Training samples per class (their prior gives :math:`w_y`).
    classification_loss : nn.Module, optional
        Per-sample (``reduction="none"``) loss of ``(logits, target)``; plain
        cross-entropy by default.
    mu : float, default=1.0
        Weight μ of the contrastive loss.
    temperature : float, default=0.3
        τ.
    contrastive : {"sharp", "scl"}, default="sharp"
        The contrastive loss.
    k : int, default=20
        Hard pool size per class.
    n_positives, n_negatives : int, default=10, 500
        Target-set sizes per class.
    mixup_alpha : float, default=0.5
        λ of Beta(λ, λ).
    simple_sampling, hard_mixup : bool, default=True
        Ablation switches.
    positive_reduction : {"mean", "sum"}, default="mean"
        See :func:`rebalanced_contrastive_loss`. With ``"mean"`` (the authors'
        code) the class weights are also scaled to average 1 over the classes;
        ``"sum"`` keeps the raw :math:`-\log P_y` of the paper's Eq. 11.
    synthetic_share : float, default=0.5
        Share of synthetic target members; a callback raises it during training.

    Examples
    --------
    >>> import torch
    >>> from skimbtext.losses import SharpReCLLoss
    >>> criterion = SharpReCLLoss(class_counts=[30, 10], n_negatives=20)
    >>> _ = torch.manual_seed(0)
    >>> logits = torch.randn(4, 2)
    >>> views = torch.nn.functional.normalize(torch.randn(4, 2, 8), dim=-1)
    >>> prototypes = torch.nn.functional.normalize(torch.randn(2, 8), dim=-1)
    >>> output = (logits, torch.stack([logits, logits], 1), views,
    ...           prototypes.expand(4, 2, 8))
    >>> criterion(output, torch.tensor([0, 0, 1, 0])).shape
    torch.Size([4])
    """

    def __init__(
        self,
        *,
        class_counts,
        classification_loss=None,
        mu=1.0,
        temperature=0.3,
        contrastive="sharp",
        k=20,
        n_positives=10,
        n_negatives=500,
        mixup_alpha=0.5,
        simple_sampling=True,
        hard_mixup=True,
        positive_reduction="mean",
        synthetic_share=0.5,
    ):
        super().__init__()
        if contrastive not in ("sharp", "scl"):
            raise ValueError(
                f"contrastive must be 'sharp' or 'scl', got {contrastive!r}."
            )
        counts = _as_class_vector("class_counts", class_counts, allow_zero=False)
        prior = counts / counts.sum()
        # w_y = -log P_y: rare classes weigh more (the paper's -δ_y). With the mean
        # over positives (the authors' code) the weights average 1 over classes, so
        # that L_CL keeps the scale of one supervised contrastive term.
        weight = -torch.log(prior)
        if positive_reduction == "mean":
            weight = weight / weight.mean()
        self.register_buffer("class_weight", weight.to(torch.float32))
        self.classification_loss = (
            nn.CrossEntropyLoss(reduction="none")
            if classification_loss is None
            else classification_loss
        )
        self.mu = mu
        self.temperature = temperature
        self.contrastive = contrastive
        self.k = k
        self.n_positives = n_positives
        self.n_negatives = n_negatives
        self.mixup_alpha = mixup_alpha
        self.simple_sampling = simple_sampling
        self.hard_mixup = hard_mixup
        self.positive_reduction = positive_reduction
        self.synthetic_share = synthetic_share

    def contrastive_loss(self, projections, labels, prototypes):
        """:math:`L_{CL}` of the batch rows ``projections`` (both views)."""
        if self.contrastive == "scl":
            return supervised_contrastive_loss(projections, labels, self.temperature)
        n_classes = prototypes.shape[0]
        rows = _at_least_float32(torch.cat([projections, prototypes]))
        prototypes = rows[-n_classes:]
        row_labels = torch.cat([labels, torch.arange(n_classes, device=labels.device)])
        targets = None
        if self.simple_sampling or self.hard_mixup:
            targets = rebalanced_target_sets(
                rows,
                row_labels,
                prototypes,
                n_positives=self.n_positives,
                n_negatives=self.n_negatives,
                k=self.k,
                synthetic_share=self.synthetic_share,
                mixup_alpha=self.mixup_alpha,
                simple_sampling=self.simple_sampling,
                hard_mixup=self.hard_mixup,
            )
        return rebalanced_contrastive_loss(
            rows,
            row_labels,
            self.class_weight,
            self.temperature,
            targets,
            reduction=self.positive_reduction,
        )

    def forward(self, output, target):
        """Per-sample loss of shape ``(B,)``."""
        if isinstance(output, torch.Tensor):
            return self.classification_loss(output, target)
        view_logits = output[1]
        batch_size, n_views, n_classes = view_logits.shape
        view_target = target.repeat_interleave(n_views)
        per_sample = (
            self.classification_loss(
                view_logits.reshape(batch_size * n_views, n_classes), view_target
            )
            .view(batch_size, n_views)
            .mean(dim=1)
        )
        if len(output) < 4 or self.mu == 0:
            return per_sample
        projections = output[2].reshape(batch_size * n_views, -1)
        prototypes = output[3][0]
        contrastive = self.contrastive_loss(projections, view_target, prototypes)
        return per_sample + self.mu * contrastive

    def extra_repr(self):
        return (
            f"contrastive={self.contrastive!r}, mu={self.mu}, "
            f"temperature={self.temperature}, k={self.k}, "
            f"n_positives={self.n_positives}, n_negatives={self.n_negatives}"
        )
