"""TrainingPhases: Algorithm 1's phase from the epoch index."""

from types import SimpleNamespace

import pytest
from skorch.history import History

from skimbtext.callbacks._miso import TrainingPhases


@pytest.mark.parametrize(
    ("pretrain_epochs", "mine_pretrain_epochs", "expected"),
    [
        (2, 1, ["pretrain"] * 2 + ["mine_pretrain"] + ["adversarial"] * 2),
        # No critic pre-training: straight to the adversarial phase.
        (1, 0, ["pretrain"] + ["adversarial"] * 4),
    ],
)
def test_phases_follow_the_epoch_index_and_are_recorded(
    pretrain_epochs, mine_pretrain_epochs, expected
):
    callback = TrainingPhases(pretrain_epochs, mine_pretrain_epochs)
    net = SimpleNamespace(history=History())
    phases = []
    for _ in expected:
        net.history.new_epoch()
        callback.on_epoch_begin(net)
        phases.append(net.training_phase_)
    assert phases == expected
    assert net.history[:, "phase"] == expected
