"""MISO's objectives: the generator's ``(1 − α)·L_MI + α·L_adv + rec`` and the
discriminators' real-or-generated loss (Tian et al., EMNLP 2021, Eq. 9–11)."""

import torch
import torch.nn.functional as F

__all__ = ["generator_objective", "real_or_fake_loss"]


def real_or_fake_loss(scores, real):
    """Binary cross-entropy of discriminator ``scores`` (logits) against one
    target for the whole batch: 1 for real samples, 0 for generated ones.

    Examples
    --------
    >>> import torch
    >>> from skimbtext.losses import real_or_fake_loss
    >>> round(real_or_fake_loss(torch.zeros(4), real=True).item(), 4)  # log 2
    0.6931
    """
    target = torch.full_like(scores, 1.0 if real else 0.0)
    return F.binary_cross_entropy_with_logits(scores, target)


def generator_objective(mi_query, mi_key, adversarial, reconstruction, alpha):
    """MISO's generator loss and its mutual-information term.

    ``L_MI = Î(K;Q̄) − Î(Q;Q̄)`` lowers what the fused representation ``Q̄``
    shares with the majority ``K`` and raises what it keeps of the minority
    ``Q``; the generator descends ``(1 − α)·L_MI + α·L_adv + rec`` with
    ``α = 1/τ``, τ = #majority / #minority.

    Parameters
    ----------
    mi_query, mi_key : Tensor
        Estimates of ``I(Q;Q̄)`` and ``I(K;Q̄)`` (scalars).
    adversarial : Tensor
        ``L_adv⁺ + L_adv⁻``: the generated minority and majority samples scored
        as real by their discriminators.
    reconstruction : Tensor
        Reconstruction loss of both decoders.
    alpha : float
        Weight α of the adversarial term.

    Returns
    -------
    loss, mi_loss : Tensor

    Examples
    --------
    >>> import torch
    >>> from skimbtext.losses import generator_objective
    >>> loss, mi = generator_objective(torch.tensor(0.3), torch.tensor(1.1),
    ...                                torch.tensor(2.0), torch.tensor(0.5), 0.25)
    >>> round(mi.item(), 4), round(loss.item(), 4)  # 0.75·0.8 + 0.25·2 + 0.5
    (0.8, 1.6)
    """
    mi_loss = mi_key - mi_query
    return (1 - alpha) * mi_loss + alpha * adversarial + reconstruction, mi_loss
