"""MISO's training phases (the paper's Algorithm 1) as a skorch callback."""

from skorch.callbacks import Callback

__all__ = ["PHASES", "TrainingPhases"]

PHASES = ("pretrain", "mine_pretrain", "adversarial")


class TrainingPhases(Callback):
    """Set ``net.training_phase_`` from the epoch index (Algorithm 1's order).

    Epochs ``1..pretrain_epochs`` pre-train the encoder–decoders, the next
    ``mine_pretrain_epochs`` the MINE critics, and the rest are adversarial. The
    phase is also recorded in the history. It depends only on the epoch index,
    so a resumed fit continues in the right phase.

    Parameters
    ----------
    pretrain_epochs : int
    mine_pretrain_epochs : int
    """

    def __init__(self, pretrain_epochs, mine_pretrain_epochs):
        self.pretrain_epochs = pretrain_epochs
        self.mine_pretrain_epochs = mine_pretrain_epochs

    def on_epoch_begin(self, net, **kwargs):
        epoch = len(net.history)  # 1-based: the net has already opened the row
        if epoch <= self.pretrain_epochs:
            phase = "pretrain"
        elif epoch <= self.pretrain_epochs + self.mine_pretrain_epochs:
            phase = "mine_pretrain"
        else:
            phase = "adversarial"
        net.training_phase_ = phase
        net.history.record("phase", phase)
