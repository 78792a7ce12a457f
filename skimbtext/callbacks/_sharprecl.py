"""The per-step schedule of SharpReCL's synthetic share."""

from ._schedule import StepSchedule


class SyntheticShareSchedule(StepSchedule):
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
    >>> from skimbtext.callbacks import SyntheticShareSchedule
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

    def before_step(self, net):
        net.criterion_.synthetic_share = self.share(self.step_, self.total_steps_)
