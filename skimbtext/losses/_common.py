"""Input checks, reduction and softmax maths shared by the losses of this package."""

import math
import numbers

import torch
import torch.nn.functional as F

_REDUCTIONS = ("none", "mean", "sum")


def _check_reduction(reduction):
    """Return ``reduction`` if it is one of ``"none"``, ``"mean"`` or ``"sum"``."""
    if not isinstance(reduction, str) or reduction not in _REDUCTIONS:
        raise ValueError(
            f"reduction must be one of 'none', 'mean' or 'sum'; got {reduction!r}."
        )
    return reduction


def _check_real(name, value):
    """Return ``value`` as a float, raising ValueError unless it is a finite number."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not math.isfinite(value)
    ):
        raise ValueError(f"{name} must be a finite real number; got {value!r}.")
    return float(value)


def _check_non_negative(name, value):
    """Return ``value`` as a float, raising ValueError unless it is finite and >= 0."""
    value = _check_real(name, value)
    if value < 0:
        raise ValueError(f"{name} must be non-negative; got {value!r}.")
    return value


def _as_class_vector(name, values, *, allow_zero):
    """Validate a per-class array-like and return it as a 1-D float64 CPU tensor.

    Entries must be finite and positive (``allow_zero=False``, class counts) or
    non-negative (``allow_zero=True``, class weights).
    """
    try:
        vector = torch.as_tensor(values, dtype=torch.float64, device="cpu")
    except (TypeError, ValueError, RuntimeError) as exc:
        raise ValueError(
            f"{name} must be a 1-D array-like of numbers, one per class; got "
            f"{type(values).__name__}."
        ) from exc
    if vector.ndim != 1 or vector.numel() == 0:
        raise ValueError(
            f"{name} must be a non-empty 1-D array-like with one entry per class; "
            f"got shape {tuple(vector.shape)}."
        )
    if not torch.isfinite(vector).all():
        raise ValueError(f"{name} must hold finite numbers; got {vector.tolist()}.")
    if allow_zero and (vector < 0).any():
        raise ValueError(f"{name} must be non-negative; got {vector.tolist()}.")
    if not allow_zero and (vector <= 0).any():
        raise ValueError(
            f"{name} must be positive for every class; got {vector.tolist()}."
        )
    return vector


def _check_inputs(logits, target, n_classes=None):
    """Check shapes and return ``logits`` in at least float32.

    Half-precision logits (e.g. from a bfloat16 autocast forward pass) are upcast
    because softmax losses lose most of their precision in 16-bit floats.
    """
    if logits.ndim != 2:
        raise ValueError(
            "logits must have shape (batch_size, n_classes); got shape "
            f"{tuple(logits.shape)}."
        )
    if target.ndim != 1 or target.shape[0] != logits.shape[0]:
        raise ValueError(
            f"target must have shape ({logits.shape[0]},) to match logits; got shape "
            f"{tuple(target.shape)}."
        )
    if n_classes is not None and logits.shape[1] != n_classes:
        raise ValueError(
            f"logits have {logits.shape[1]} classes but the loss was built for "
            f"{n_classes} classes."
        )
    return logits.to(torch.promote_types(logits.dtype, torch.float32))


def _gold_log_prob(logits, target):
    """Log-softmax probability of the gold class, shape (B,)."""
    return F.log_softmax(logits, dim=1).gather(1, target.unsqueeze(1)).squeeze(1)


def _one_minus_prob(log_prob):
    """``1 - p`` from ``log p``, never exactly 0.

    ``-expm1(log p)`` avoids the cancellation of ``1 - exp(log p)`` for ``p`` near
    1. The floor at the smallest normal float keeps ``(1 - p) ** gamma``
    differentiable for ``gamma < 1`` when ``p`` rounds to 1 (saturated logits); the
    floor's gradient is zero, so such samples simply stop contributing through this
    factor.
    """
    return (-torch.expm1(log_prob)).clamp_min(torch.finfo(log_prob.dtype).tiny)


def _focal_per_sample(logits, target, gamma, class_weights):
    """Per-sample ``-w_y (1 - p_y) ** gamma * log p_y``; no weights if None."""
    log_prob = _gold_log_prob(logits, target)
    losses = -log_prob
    # gamma == 0 skips the factor so that the loss is bit-for-bit cross-entropy.
    if gamma != 0:
        losses = _one_minus_prob(log_prob).pow(gamma) * losses
    if class_weights is not None:
        losses = class_weights[target] * losses
    return losses


def _reduce(losses, reduction):
    """Apply ``reduction`` to a (B,) tensor of per-sample losses."""
    if reduction == "mean":
        return losses.mean()
    if reduction == "sum":
        return losses.sum()
    if reduction == "none":
        return losses
    raise ValueError(
        f"reduction must be one of 'none', 'mean' or 'sum'; got {reduction!r}."
    )
