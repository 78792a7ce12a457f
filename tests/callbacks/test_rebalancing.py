import numpy as np
import pytest
from skorch.callbacks import Callback

from skimbtext import TextClassifier
from skimbtext.callbacks import DeferredRebalancing
from skimbtext.losses import effective_number_weights

NUMERIC = {
    "hidden_layer_sizes": (8,),
    "batch_size": 20,
    "random_state": 0,
    "device": "cpu",
}


@pytest.fixture
def long_tailed():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 3)).astype(np.float32)
    y = np.array([0] * 180 + [1] * 20)
    return X, y


class Recorder(Callback):
    """Records, per epoch, the class weights and the labels drawn for training."""

    def __init__(self, labels):
        self.labels = labels

    def initialize(self):
        self.class_weights, self.drawn = [], []
        return self

    def on_epoch_end(self, net, **kwargs):
        self.class_weights.append(np.array(net.class_weight))
        sampler = net.get_params_for("iterator_train")["sampler"]
        self.drawn.append(self.labels[list(iter(sampler))])


class RecordingClassifier(TextClassifier):
    def _build_callbacks(self):
        return [self.recorder]


def _fit(X, y, **params):
    clf = RecordingClassifier(**NUMERIC, **params)
    clf.recorder = Recorder(y)
    return clf.fit(X, y), clf.recorder


def test_first_rebalanced_epoch():
    assert DeferredRebalancing(start=0.8).first_rebalanced_epoch(10) == 9
    assert DeferredRebalancing(start=0.0).first_rebalanced_epoch(10) == 1
    assert DeferredRebalancing(start=1.0).first_rebalanced_epoch(10) == 11


def test_reweighting_starts_at_the_deferred_epoch(long_tailed):
    X, y = long_tailed
    _, recorder = _fit(
        X, y, max_epochs=5, deferred_rebalancing="reweight", deferred_start=0.6
    )
    expected = effective_number_weights([180, 20], beta=0.9999).numpy()
    for epoch, weights in enumerate(recorder.class_weights, start=1):
        if epoch < 4:
            np.testing.assert_array_equal(weights, [1.0, 1.0])
        else:
            np.testing.assert_allclose(weights, expected, rtol=1e-6)
    assert expected[1] > 5 * expected[0]


def test_resampling_balances_the_drawn_classes_after_the_deferred_epoch(long_tailed):
    X, y = long_tailed
    _, recorder = _fit(
        X, y, max_epochs=4, deferred_rebalancing="resample", deferred_start=0.5
    )
    minority_share = [np.mean(drawn == 1) for drawn in recorder.drawn]
    assert minority_share[0] == pytest.approx(0.1)  # plain shuffling: all once
    assert sorted(recorder.drawn[0].tolist()) == sorted(y.tolist())
    assert minority_share[3] > 0.35  # balanced sampling, ~0.5 in expectation
    np.testing.assert_array_equal(recorder.class_weights[3], [1.0, 1.0])


def test_bad_mode_is_named(long_tailed):
    X, y = long_tailed
    with pytest.raises(ValueError, match="deferred_rebalancing"):
        TextClassifier(deferred_rebalancing="upsample", **NUMERIC).fit(X, y)
