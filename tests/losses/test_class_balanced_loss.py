"""ClassBalancedLoss and effective_number_weights (Cui et al., 2019)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from skimbtext.losses import ClassBalancedLoss, FocalLoss, effective_number_weights

LOGITS = torch.tensor([[2.0, -1.0], [0.1, 0.3], [-1.5, 0.5], [0.0, 0.0]])
TARGET = torch.tensor([0, 1, 1, 0])


@pytest.mark.parametrize("beta", [0.9, 0.999, 0.9999])
def test_effective_number_weights_match_formula(beta):
    counts = [1000, 10]
    raw = [(1 - beta) / (1 - beta**n) for n in counts]
    expected = [len(counts) * w / sum(raw) for w in raw]
    weights = effective_number_weights(counts, beta=beta)
    assert weights.dtype == torch.float32
    assert weights.shape == (2,)
    np.testing.assert_allclose(weights.numpy(), expected, rtol=1e-6)
    assert weights.sum().item() == pytest.approx(2.0)
    assert weights[1] > weights[0]


def test_effective_number_weights_hand_values():
    # beta = 0.5, counts (1, 2): raw weights 0.5 / 0.5 = 1 and 0.5 / 0.75 = 2/3,
    # normalised to sum 2: (1.2, 0.8).
    weights = effective_number_weights([1, 2], beta=0.5)
    torch.testing.assert_close(weights, torch.tensor([1.2, 0.8]))


def test_effective_number_weights_sum_to_number_of_classes():
    weights = effective_number_weights([5000, 1200, 300, 40, 2], beta=0.999)
    assert weights.sum().item() == pytest.approx(5.0, rel=1e-6)
    assert (weights.diff() > 0).all()


def test_beta_zero_gives_uniform_weights():
    weights = effective_number_weights([1000, 10, 3], beta=0.0)
    torch.testing.assert_close(weights, torch.ones(3))


def test_beta_near_one_approaches_inverse_frequency():
    counts = np.array([400.0, 100.0, 20.0])
    inverse = (1 / counts) * (3 / (1 / counts).sum())
    weights = effective_number_weights(counts, beta=1 - 1e-9)
    np.testing.assert_allclose(weights.numpy(), inverse, rtol=1e-4)


def test_effective_number_weights_default_beta():
    counts = [1000, 10]
    raw = [(1 - 0.9999) / (1 - 0.9999**n) for n in counts]
    np.testing.assert_allclose(
        effective_number_weights(counts).numpy(),
        [2 * w / sum(raw) for w in raw],
        rtol=1e-6,
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"class_counts": [10, 0]}, "class_counts must be positive"),
        ({"class_counts": [10, 5], "beta": 1.0}, r"beta must lie in \[0, 1\)"),
        ({"class_counts": [10, 5], "beta": 1.5}, r"beta must lie in \[0, 1\)"),
        ({"class_counts": [10, 5], "beta": -0.2}, r"beta must lie in \[0, 1\)"),
        ({"class_counts": [10, 5], "beta": None}, "beta must be a finite"),
    ],
)
def test_effective_number_weights_reject_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        effective_number_weights(**kwargs)


def test_loss_buffer_holds_the_effective_number_weights():
    loss = ClassBalancedLoss(class_counts=[1000, 10], beta=0.999)
    torch.testing.assert_close(
        loss.class_weights, effective_number_weights([1000, 10], beta=0.999)
    )


def test_gamma_zero_equals_weighted_cross_entropy():
    counts = [1000, 10]
    weights = effective_number_weights(counts, beta=0.999)
    loss = ClassBalancedLoss(class_counts=counts, beta=0.999, reduction="none")
    expected = F.cross_entropy(LOGITS, TARGET, weight=weights, reduction="none")
    torch.testing.assert_close(loss(LOGITS, TARGET), expected)
    summed = ClassBalancedLoss(class_counts=counts, beta=0.999, reduction="sum")
    torch.testing.assert_close(
        summed(LOGITS, TARGET),
        F.cross_entropy(LOGITS, TARGET, weight=weights, reduction="sum"),
    )


def test_mean_is_plain_batch_mean_not_weight_normalised():
    counts = [1000, 10]
    weights = effective_number_weights(counts, beta=0.999)
    # Three rare golds out of four: the gold weights sum to about 6, not 4.
    target = torch.tensor([0, 1, 1, 1])
    value = ClassBalancedLoss(class_counts=counts, beta=0.999)(LOGITS, target)
    weighted = F.cross_entropy(LOGITS, target, weight=weights, reduction="none")
    torch.testing.assert_close(value, weighted.sum() / len(target))
    # torch divides by the sum of gold weights instead; the two must differ here.
    torch_mean = F.cross_entropy(LOGITS, target, weight=weights)
    assert not torch.isclose(value, torch_mean)


def test_hand_computed_value():
    # beta = 0.5, counts (1, 2): weights (1.2, 0.8). Equal logits: p = 0.5, so the
    # per-sample losses are 1.2 log 2 and 0.8 log 2; with gamma = 1 also times 0.5.
    logits = torch.zeros(2, 2)
    target = torch.tensor([0, 1])
    ce = ClassBalancedLoss(class_counts=[1, 2], beta=0.5, reduction="none")
    focal = ClassBalancedLoss(
        class_counts=[1, 2], beta=0.5, gamma=1.0, reduction="none"
    )
    log2 = float(np.log(2))
    torch.testing.assert_close(ce(logits, target), torch.tensor([1.2, 0.8]) * log2)
    torch.testing.assert_close(focal(logits, target), torch.tensor([0.6, 0.4]) * log2)


def test_gamma_gives_focal_loss_with_class_balanced_alpha():
    counts = [300, 30]
    weights = effective_number_weights(counts, beta=0.99)
    loss = ClassBalancedLoss(
        class_counts=counts, beta=0.99, gamma=2.0, reduction="none"
    )
    expected = FocalLoss(gamma=2.0, alpha=weights, reduction="none")(LOGITS, TARGET)
    torch.testing.assert_close(loss(LOGITS, TARGET), expected)


def test_beta_zero_reduces_to_cross_entropy():
    loss = ClassBalancedLoss(class_counts=[1000, 10], beta=0.0)
    torch.testing.assert_close(loss(LOGITS, TARGET), F.cross_entropy(LOGITS, TARGET))
