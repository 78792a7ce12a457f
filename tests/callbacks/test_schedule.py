"""Per-step schedules: the step counter they share and SharpReCL's share."""

import numpy as np
import pytest
import torch
from skorch import NeuralNetClassifier
from skorch.callbacks import Callback
from skorch.dataset import ValidSplit

from skimbtext.callbacks._schedule import StepSchedule
from skimbtext.callbacks._sharprecl import SyntheticShareSchedule
from skimbtext.classifiers import SharpReCLClassifier


class StepRecorder(StepSchedule):
    def initialize(self):
        self.before, self.after = [], []
        return self

    def before_step(self, net):
        self.before.append((self.step_, self.epoch_step_))

    def after_step(self, net):
        self.after.append(self.step_)


def _net(callback, max_epochs=2):
    return NeuralNetClassifier(
        torch.nn.Linear(2, 2),
        max_epochs=max_epochs,
        batch_size=4,
        train_split=ValidSplit(5, stratified=False),
        callbacks=[callback],
    )


def test_steps_count_the_batches_of_the_training_split_only():
    X = np.random.RandomState(0).normal(size=(15, 2)).astype(np.float32)
    y = np.array([0, 1] * 7 + [0])
    recorder = StepRecorder()
    _net(recorder).fit(X, y)  # 12 training samples: 3 batches; 1 validation
    assert recorder.total_steps_ == 6 and recorder.batches_per_epoch_ == 3
    assert recorder.before == [(0, 0), (1, 1), (2, 2), (3, 0), (4, 1), (5, 2)]
    assert recorder.after == list(range(6))


def test_a_resumed_fit_continues_the_schedule():
    X = np.random.RandomState(0).normal(size=(15, 2)).astype(np.float32)
    y = np.array([0, 1] * 7 + [0])
    recorder = StepRecorder()
    net = _net(recorder, max_epochs=1).fit(X, y)
    recorder.before.clear()
    net.partial_fit(X, y)  # the history holds one epoch already
    assert recorder.before == [(3, 0), (4, 1), (5, 2)]


class ShareRecorder(Callback):
    def initialize(self):
        self.shares = []
        return self

    def on_batch_end(self, net, batch=None, training=False, **kwargs):
        if training:
            self.shares.append(net.criterion_.synthetic_share)


class RecordingSharpReCL(SharpReCLClassifier):
    def _build_callbacks(self):
        return [*super()._build_callbacks(), self.recorder]


def test_synthetic_share_grows_linearly_over_the_training_steps():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(93, 3)).astype(np.float32)
    y = np.repeat(["common", "medium", "rare"], (60, 25, 8))
    clf = RecordingSharpReCL(
        max_epochs=3,
        batch_size=31,
        hidden_layer_sizes=(16,),
        n_negatives=40,
        random_state=0,
        device="cpu",
    )
    clf.recorder = ShareRecorder()
    clf.fit(X, y)
    total_steps = 3 * 3  # 93 samples in batches of 31
    expected = [0.5 + 0.5 * step / total_steps for step in range(total_steps)]
    np.testing.assert_allclose(clf.recorder.shares, expected)
    assert SyntheticShareSchedule().share(10, total_steps=10) == 1.0


@pytest.mark.parametrize("bound", ["start", "end"])
def test_shares_outside_the_unit_interval_are_named(bound):
    with pytest.raises(ValueError, match=f"{bound} must lie in"):
        SyntheticShareSchedule(**{bound: 1.5}).initialize()
