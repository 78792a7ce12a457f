"""A skorch callback that counts training steps, for per-step schedules."""

from skorch.callbacks import Callback

__all__ = ["StepSchedule"]


class StepSchedule(Callback):
    """Base of the callbacks that change something at every training step.

    Keeps ``step_`` (0-based, over the whole training), ``epoch_step_`` (within
    the epoch), ``batches_per_epoch_`` (of the training split) and
    ``total_steps_`` (``max_epochs`` times the batches per epoch). The step is
    derived from the epochs in the history at every epoch start, so a fit
    resumed from a checkpoint continues the schedule where it stopped.
    Subclasses implement :meth:`before_step` and/or :meth:`after_step`;
    validation batches are left alone.
    """

    def on_epoch_begin(self, net, dataset_train=None, **kwargs):
        # Counted on the training split: with a validation split, the data
        # given to fit hold more samples than an epoch trains on.
        self.batches_per_epoch_ = len(net.get_iterator(dataset_train, training=True))
        self.total_steps_ = net.max_epochs * self.batches_per_epoch_
        # The current history row is already open.
        self.step_ = (len(net.history) - 1) * self.batches_per_epoch_
        self.epoch_step_ = 0

    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        if training:
            self.before_step(net)

    def on_batch_end(self, net, batch=None, training=False, **kwargs):
        if training:
            self.after_step(net)
            self.step_ += 1
            self.epoch_step_ += 1

    def before_step(self, net):
        """Called before every training step, at ``step_``."""

    def after_step(self, net):
        """Called after every training step (and optimiser update), at ``step_``."""
