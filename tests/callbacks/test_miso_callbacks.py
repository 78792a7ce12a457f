"""TrainingPhases: Algorithm 1's phase from the epoch index."""

from types import SimpleNamespace

from skorch.history import History

from skimbtext.callbacks._miso import TrainingPhases


def test_phases_follow_the_epoch_index_and_are_recorded():
    callback = TrainingPhases(pretrain_epochs=2, mine_pretrain_epochs=1)
    net = SimpleNamespace(history=History())
    phases = []
    for _ in range(5):
        net.history.new_epoch()
        callback.on_epoch_begin(net)
        phases.append(net.training_phase_)
    expected = ["pretrain", "pretrain", "mine_pretrain", "adversarial", "adversarial"]
    assert phases == expected
    assert net.history[:, "phase"] == expected


def test_no_critic_pre_training_goes_straight_to_the_adversarial_phase():
    callback = TrainingPhases(pretrain_epochs=1, mine_pretrain_epochs=0)
    net = SimpleNamespace(history=History())
    phases = []
    for _ in range(3):
        net.history.new_epoch()
        callback.on_epoch_begin(net)
        phases.append(net.training_phase_)
    assert phases == ["pretrain", "adversarial", "adversarial"]
