"""Deferred re-weighting and re-sampling (DRW / DRS, Cao et al. 2019)."""

import math

import numpy as np
from skorch.callbacks import Callback

from ..losses import effective_number_weights

MODES = ("reweight", "resample")


class DeferredRebalancing(Callback):
    """Train on the data as it is first, then rebalance classes for the last epochs.

    Cao et al. (2019) show that rebalancing from the first epoch hurts the learned
    representation, while deferring it to the end of training improves the
    classifier. From epoch ``floor(start * max_epochs) + 1`` on, the callback
    either weights each class's loss (``"reweight"``, DRW) or samples each class
    (``"resample"``, DRS) in proportion to the class-balanced weights of Cui et
    al. (2019),
    ``(1 - beta) / (1 - beta ** n_c)``.

    Parameters
    ----------
    mode : {"reweight", "resample"}, default="reweight"
        Re-weight the loss (replacing the net's ``class_weight``) or re-sample the
        training batches (through the net's :class:`RebalancingSampler`).
    start : float, default=0.8
        Fraction of ``max_epochs`` trained before rebalancing starts.
    beta : float, default=0.9999
        Effective-number hyperparameter; values near 1 approach inverse frequency.

    References
    ----------
    K. Cao, C. Wei, A. Gaidon, N. Arechiga, T. Ma. "Learning Imbalanced Datasets with
    Label-Distribution-Aware Margin Loss". NeurIPS 2019.

    Examples
    --------
    >>> from skimbtext.callbacks import DeferredRebalancing
    >>> DeferredRebalancing(mode="resample", start=0.5).first_rebalanced_epoch(10)
    6
    """

    def __init__(self, mode="reweight", start=0.8, beta=0.9999):
        self.mode = mode
        self.start = start
        self.beta = beta

    def initialize(self):
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {self.mode!r}.")
        if not 0.0 <= self.start <= 1.0:
            raise ValueError(f"start must lie in [0, 1], got {self.start!r}.")
        return self

    def first_rebalanced_epoch(self, max_epochs):
        """The 1-based epoch from which training is rebalanced."""
        return math.floor(self.start * max_epochs) + 1

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        labels = np.asarray(X.y)[X.order]
        counts = np.bincount(labels, minlength=len(net.class_weight))
        self.class_weight_ = effective_number_weights(
            np.maximum(counts, 1), beta=self.beta
        ).numpy()
        self.sample_weight_ = self.class_weight_[labels]
        self.plain_class_weight_ = net.class_weight

    def on_epoch_begin(self, net, **kwargs):
        if len(net.history) < self.first_rebalanced_epoch(net.max_epochs):
            return
        if self.mode == "reweight":
            net.class_weight = self.class_weight_
        else:
            sampler = net.get_params_for("iterator_train")["sampler"]
            sampler.weights = self.sample_weight_
