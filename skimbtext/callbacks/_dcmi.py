"""Temperature annealing and embedding clamp of DCMI's domain masks."""

from numbers import Real

from ..nn._dcmi import EMBEDDING_BOUND, DomainMaskLayer
from ._schedule import StepSchedule

SCHEDULES = ("epoch", "training")


def annealed_temperature(step, n_steps, *, tau_min, schedule="epoch"):
    r"""Mask temperature ``τ`` for a training step.

    - ``"epoch"`` (HAT, and the HAT-mask code of DCMI's first author): within every
      epoch the scale :math:`s = 1/\tau` grows linearly over the epoch's batches,
      :math:`s = 1/s_{max} + (s_{max} - 1/s_{max})\, b/(B-1)` with
      :math:`s_{max} = 1/\tau_{min}`; ``step`` is the batch index ``b`` in the
      epoch and ``n_steps`` the number of batches ``B`` per epoch. ``τ`` thus falls
      from :math:`s_{max}` to ``tau_min`` in every epoch.
    - ``"training"`` (the paper's text): ``τ`` falls linearly from 1 to ``tau_min``
      once over all training steps; ``step`` is the global step and ``n_steps``
      their total.

    With a single step the temperature is ``tau_min``.

    Parameters
    ----------
    step : int
        0-based step index, ``0 <= step < n_steps``.
    n_steps : int
        Number of steps of the schedule.
    tau_min : float
        Final temperature, in (0, 1].
    schedule : {"epoch", "training"}, default="epoch"
        The schedule.

    Returns
    -------
    tau : float

    Examples
    --------
    >>> from skimbtext.callbacks import annealed_temperature
    >>> [annealed_temperature(b, 3, tau_min=0.5) for b in range(3)]
    [2.0, 0.8, 0.5]
    >>> [annealed_temperature(t, 3, tau_min=0.5, schedule="training")
    ...  for t in range(3)]
    [1.0, 0.75, 0.5]
    """
    if schedule not in SCHEDULES:
        raise ValueError(f"schedule must be one of {SCHEDULES}, got {schedule!r}.")
    progress = step / (n_steps - 1) if n_steps > 1 else 1.0
    if progress >= 1.0:
        return float(tau_min)
    if schedule == "epoch":
        scale_max = 1.0 / tau_min
        return 1.0 / (1.0 / scale_max + (scale_max - 1.0 / scale_max) * progress)
    return 1.0 + (tau_min - 1.0) * progress


class DomainMaskAnnealing(StepSchedule):
    """Anneal the temperature of DCMI's domain masks and clamp their embeddings.

    Before every training batch, sets ``tau`` of each
    :class:`~skimbtext.nn._dcmi.DomainMaskLayer` of the module to
    :func:`annealed_temperature` of the step (and records it in the batch history
    as ``"tau"``); after every optimiser step, clamps the domain embeddings to
    ``[-embedding_bound, embedding_bound]`` as HAT does. Evaluation batches are left
    alone: in evaluation mode the masks use ``tau_min``.

    Parameters
    ----------
    schedule : {"epoch", "training"}, default="epoch"
        See :func:`annealed_temperature`.
    tau_min : float, default=0.0025
        Final temperature.
    embedding_bound : float or None, default=6.0
        Clamp of the embeddings after each step; None disables it.

    Examples
    --------
    >>> from skimbtext.callbacks import DomainMaskAnnealing
    >>> DomainMaskAnnealing(schedule="training", tau_min=0.01).initialize().tau_min
    0.01
    """

    def __init__(
        self, schedule="epoch", tau_min=0.0025, embedding_bound=EMBEDDING_BOUND
    ):
        self.schedule = schedule
        self.tau_min = tau_min
        self.embedding_bound = embedding_bound

    def initialize(self):
        if self.schedule not in SCHEDULES:
            raise ValueError(
                f"schedule must be one of {SCHEDULES}, got {self.schedule!r}."
            )
        if not isinstance(self.tau_min, Real) or not 0 < self.tau_min <= 1:
            raise ValueError(f"tau_min must lie in (0, 1], got {self.tau_min!r}.")
        if self.embedding_bound is not None and not self.embedding_bound > 0:
            raise ValueError(
                "embedding_bound must be positive or None, got "
                f"{self.embedding_bound!r}."
            )
        return self

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self.mask_layers_ = [
            layer
            for layer in net.module_.modules()
            if isinstance(layer, DomainMaskLayer)
        ]

    def current_temperature(self):
        """The temperature of the next training step."""
        if self.schedule == "epoch":
            return annealed_temperature(
                min(self.epoch_step_, self.batches_per_epoch_ - 1),
                self.batches_per_epoch_,
                tau_min=self.tau_min,
                schedule="epoch",
            )
        return annealed_temperature(
            min(self.step_, self.total_steps_ - 1),
            self.total_steps_,
            tau_min=self.tau_min,
            schedule="training",
        )

    def before_step(self, net):
        tau = self.current_temperature()
        for layer in self.mask_layers_:
            layer.tau = tau
        net.history.record_batch("tau", tau)

    def after_step(self, net):
        if self.embedding_bound is not None:
            for layer in self.mask_layers_:
                layer.clamp_embedding_(self.embedding_bound)
