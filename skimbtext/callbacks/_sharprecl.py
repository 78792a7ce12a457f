"""The per-step schedule of SharpReCL's synthetic share."""

from skorch.callbacks import Callback


class SyntheticShareSchedule(Callback):
    """Raise the criterion's ``synthetic_share`` linearly over the training steps.

    SharpReCL (Li et al., 2024, Sec. 3.5) lets the share of synthetic (hard-mixup)
    members in every class's target set grow as ``start + (end - start) * t / T``,
    with ``t`` the current step (0-based) and ``T = max_epochs × batches per
    epoch`` the total, so that the target sets get harder as the encoder gets
    better. Before every training batch the callback sets
    ``net.criterion_.synthetic_share``; validation batches leave it alone. Training
    that stops early never reaches ``end``.

    Parameters
    ----------
    start : float, default=0.5
        Share at the first step.
    end : float, default=1.0
        Share the schedule reaches after ``T`` steps.

    Examples
    --------
    >>> from skimbtext.callbacks._sharprecl import SyntheticShareSchedule
    >>> schedule = SyntheticShareSchedule()
    >>> [schedule.share(step, total_steps=4) for step in range(4)]
    [0.5, 0.625, 0.75, 0.875]
    """

    def __init__(self, start=0.5, end=1.0):
        self.start = start
        self.end = end

    def initialize(self):
        for name in ("start", "end"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must lie in [0, 1], got {value!r}.")
        self.step_ = 0
        self.total_steps_ = None
        return self

    def share(self, step, total_steps):
        """The synthetic share at 0-based ``step`` of ``total_steps``."""
        progress = min(step / max(total_steps, 1), 1.0)
        return self.start + (self.end - self.start) * progress

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self.batches_per_epoch_ = len(net.get_iterator(X, training=True))
        self.total_steps_ = net.max_epochs * self.batches_per_epoch_
        self.step_ = 0

    def on_epoch_begin(self, net, **kwargs):
        # The step follows the epochs in the history (the current row is
        # open), so a fit resumed from a checkpoint continues the schedule.
        self.step_ = (len(net.history) - 1) * self.batches_per_epoch_

    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        if not training:
            return
        net.criterion_.synthetic_share = self.share(self.step_, self.total_steps_)
        self.step_ += 1
