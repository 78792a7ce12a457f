import math

import numpy as np
import pytest

from skimbtext.callbacks._dcmi import DomainMaskAnnealing, annealed_temperature
from skimbtext.classifiers._dcmi import DCMIClassifier

NUMERIC = {
    "hidden_layer_sizes": (8,),
    "batch_size": 10,
    "max_epochs": 3,
    "random_state": 0,
    "device": "cpu",
}


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3)).astype(np.float32)
    y = np.array([0, 1] * 20)
    domains = np.array(["a", "b", "c", "d"] * 10)
    return X, y, domains


def test_epoch_schedule_by_hand():
    # HAT: s = 1/s_max + (s_max - 1/s_max) * b / (B - 1), s_max = 1/tau_min = 400.
    taus = [annealed_temperature(b, 5, tau_min=0.0025) for b in range(5)]
    scales = [1 / 400 + (400 - 1 / 400) * b / 4 for b in range(5)]
    assert taus == pytest.approx([1 / s for s in scales], rel=1e-12)
    assert taus[0] == pytest.approx(400.0) and taus[-1] == pytest.approx(0.0025)


def test_training_schedule_is_linear_in_tau():
    taus = [
        annealed_temperature(t, 5, tau_min=0.2, schedule="training") for t in range(5)
    ]
    assert taus == pytest.approx([1.0, 0.8, 0.6, 0.4, 0.2])


@pytest.mark.parametrize("schedule", ["epoch", "training"])
def test_a_single_step_uses_tau_min(schedule):
    assert annealed_temperature(0, 1, tau_min=0.01, schedule=schedule) == 0.01


def test_unknown_schedule_is_named():
    with pytest.raises(ValueError, match="schedule"):
        annealed_temperature(0, 2, tau_min=0.1, schedule="cosine")


def _batch_taus(clf):
    # Validation batches (early stopping) are recorded too, without a temperature.
    return [
        [batch["tau"] for batch in epoch["batches"] if "tau" in batch]
        for epoch in clf.history_
    ]


def test_epoch_schedule_restarts_every_epoch_during_fit(data):
    X, y, domains = data
    clf = DCMIClassifier(**NUMERIC).fit(X, y, domains=domains)
    expected = [annealed_temperature(b, 4, tau_min=0.0025) for b in range(4)]
    assert _batch_taus(clf) == [pytest.approx(expected)] * 3
    callback = next(
        cb for _, cb in clf.net_.callbacks_ if isinstance(cb, DomainMaskAnnealing)
    )
    assert callback.batches_per_epoch_ == 4 and callback.step_ == 12


def test_training_schedule_anneals_once_during_fit(data):
    X, y, domains = data
    clf = DCMIClassifier(tau_schedule="training", tau_min=0.01, **NUMERIC)
    taus = sum(_batch_taus(clf.fit(X, y, domains=domains)), [])
    expected = [1 + (0.01 - 1) * t / 11 for t in range(12)]
    assert taus == pytest.approx(expected)


def test_validation_batches_leave_the_schedule_alone(data):
    X, y, domains = data
    params = {**NUMERIC, "early_stopping": True, "validation_fraction": 0.25}
    clf = DCMIClassifier(tau_schedule="training", **params).fit(X, y, domains=domains)
    # 30 training samples in batches of 10: 3 steps per epoch, 9 in all.
    taus = sum(_batch_taus(clf), [])
    assert len(taus) == 9
    assert taus == pytest.approx([1 + (0.0025 - 1) * t / 8 for t in range(9)])


def test_embeddings_are_clamped_after_every_step(data):
    X, y, domains = data
    # Compensated SGD steps drive the embeddings far out without the clamp.
    clf = DCMIClassifier(optimizer="sgd", lr=0.1, **NUMERIC)
    clf.fit(X, y, domains=domains)
    embedding = clf.net_.module_.domain_masks.embedding.detach()
    assert embedding.abs().max().item() == pytest.approx(6.0)


def test_no_annealing_without_masks(data):
    X, y, domains = data
    clf = DCMIClassifier(use_mask=False, **NUMERIC).fit(X, y, domains=domains)
    assert not any(isinstance(cb, DomainMaskAnnealing) for _, cb in clf.net_.callbacks_)
    assert "tau" not in clf.history_[-1]["batches"][-1]


@pytest.mark.parametrize(
    "params, message",
    [
        ({"schedule": "cosine"}, "schedule"),
        ({"tau_min": 0.0}, "tau_min"),
        ({"tau_min": 2.0}, "tau_min"),
        ({"embedding_bound": -1.0}, "embedding_bound"),
    ],
)
def test_bad_parameters_are_named(params, message):
    with pytest.raises(ValueError, match=message):
        DomainMaskAnnealing(**params).initialize()


def test_tau_min_is_used_at_inference(data):
    X, y, domains = data
    clf = DCMIClassifier(tau_min=0.05, **NUMERIC).fit(X, y, domains=domains)
    layer = clf.net_.module_.domain_masks
    expected = 1 / (1 + np.exp(-layer.embedding.detach().numpy() / 0.05))
    np.testing.assert_allclose(clf.domain_masks_, expected, rtol=1e-5)
    assert layer.tau == pytest.approx(0.05)  # the last training step
    assert math.isclose(layer.eval().temperature, 0.05)
