"""Loss construction by name, shared by every estimator that exposes ``loss=...``."""

import inspect

from torch import nn

from ._class_balanced import ClassBalancedLoss
from ._dice import DiceLoss
from ._focal import FocalLoss
from ._ldam import LDAMLoss
from ._logit_adjusted import LogitAdjustedLoss

#: Loss classes by the name accepted in ``TextClassifier(loss=...)``.
LOSSES = {
    "ce": nn.CrossEntropyLoss,
    "logit_adjusted": LogitAdjustedLoss,
    "focal": FocalLoss,
    "dice": DiceLoss,
    "ldam": LDAMLoss,
    "class_balanced": ClassBalancedLoss,
}
#: Losses whose maths assumes cosine logits in [-1, 1] (they apply their own
#: scale); estimators pair them with a cosine head.
COSINE_LOSSES = frozenset({"ldam"})


def make_loss(loss, *, class_counts, reduction="none", **params):
    """Build a loss module from a name or a class.

    Parameters
    ----------
    loss : str or type
        A key of ``LOSSES`` (``"ce"``, ``"logit_adjusted"``, ``"focal"``, ``"dice"``,
        ``"ldam"``, ``"class_balanced"``) or an ``nn.Module`` subclass taking
        ``(logits, target)``.
    class_counts : array-like of shape (n_classes,)
        Training class counts, passed to losses whose constructor accepts
        ``class_counts``.
    reduction : str, default="none"
        Passed on; the training core needs one loss per sample.
    **params
        Further constructor arguments (e.g. ``gamma`` for the focal loss).

    Returns
    -------
    criterion : nn.Module

    Examples
    --------
    >>> from skimbtext.losses import make_loss
    >>> type(make_loss("focal", class_counts=[90, 10], gamma=1.0)).__name__
    'FocalLoss'
    """
    if isinstance(loss, str):
        if loss not in LOSSES:
            raise ValueError(f"loss must be one of {sorted(LOSSES)}, got {loss!r}.")
        loss = LOSSES[loss]
    accepted = inspect.signature(loss).parameters
    if "class_counts" in accepted:
        params["class_counts"] = class_counts
    try:
        return loss(reduction=reduction, **params)
    except TypeError as exc:
        raise ValueError(
            f"Cannot build {loss.__name__} with parameters {sorted(params)}: {exc}"
        ) from exc
