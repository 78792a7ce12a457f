"""The one training loop of skimbtext: skorch's ``NeuralNet`` with weighted losses.

Every estimator builds a :class:`TrainingNet` inside ``fit``; a method adds a module,
a criterion and callbacks, never a loop of its own.
"""

from contextlib import nullcontext

import numpy as np
import torch
from skorch import NeuralNet
from skorch.utils import to_tensor
from torch.utils.data import Sampler

# Inputs that the loss uses but the module never sees.
LOSS_ONLY_INPUTS = ("sample_weight",)


class RebalancingSampler(Sampler):
    """Shuffling sampler whose draw can switch to class-rebalanced sampling.

    While ``weights`` is None it yields a random permutation per epoch (plain
    shuffling); once a callback sets per-sample ``weights`` it draws with
    replacement in proportion to them (deferred re-sampling). All randomness comes
    from ``generator``, so a fit is repeatable.
    """

    def __init__(self, n_samples, generator):
        self.n_samples = n_samples
        self.generator = generator
        self.weights = None

    def __len__(self):
        return self.n_samples

    def __iter__(self):
        if self.weights is None:
            order = torch.randperm(self.n_samples, generator=self.generator)
        else:
            order = torch.multinomial(
                torch.as_tensor(self.weights, dtype=torch.float64),
                self.n_samples,
                replacement=True,
                generator=self.generator,
            )
        return iter(order.tolist())


class TrainingNet(NeuralNet):
    """skorch ``NeuralNet`` that weights per-sample losses and can use autocast.

    The criterion returns one loss per sample (shape ``(B,)``); batch-level terms
    such as a contrastive loss are broadcast over the batch, so the weighted mean
    adds them unchanged. The weight of a sample is its ``sample_weight`` (an input
    field) times ``class_weight[y]``; the batch loss is
    ``sum(weight * loss) / sum(weight)``.

    Parameters
    ----------
    class_weight : array-like of shape (n_classes,), optional
        Per-class loss weights; callbacks may replace it during training (deferred
        re-weighting).
    mixed_precision : bool, default=False
        Run the forward pass under bfloat16 autocast on CUDA. Ignored on CPU.
    **kwargs
        Passed to :class:`skorch.NeuralNet`.
    """

    def __init__(self, *args, class_weight=None, mixed_precision=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.class_weight = class_weight
        self.mixed_precision = mixed_precision

    def _autocast(self):
        device = torch.device(self.device)
        if self.mixed_precision and device.type == "cuda":
            return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
        return nullcontext()

    def infer(self, x, **fit_params):
        if isinstance(x, dict):
            x = {k: v for k, v in x.items() if k not in LOSS_ONLY_INPUTS}
        with self._autocast():
            return super().infer(x, **fit_params)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        y_true = to_tensor(y_true, device=self.device)
        per_sample = self.criterion_(y_pred, y_true)
        if per_sample.ndim != 1:
            raise ValueError(
                "The criterion must return one loss per sample (shape (B,)); got "
                f"shape {tuple(per_sample.shape)}. Build it with reduction='none'."
            )
        per_sample = per_sample.float()
        if isinstance(X, dict) and "sample_weight" in X:
            weight = to_tensor(X["sample_weight"], device=self.device).float()
        else:
            weight = torch.ones_like(per_sample)
        if self.class_weight is not None:
            class_weight = torch.as_tensor(
                np.asarray(self.class_weight, dtype=np.float32),
                device=per_sample.device,
            )
            weight = weight * class_weight[y_true]
        return (weight * per_sample).sum() / weight.sum().clamp_min(1e-12)
