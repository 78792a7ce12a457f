"""LogitAdjustedLoss: cross-entropy on logits shifted by tau * log prior."""

import math

import pytest
import torch
import torch.nn.functional as F

from skimbtext.losses import LogitAdjustedLoss


def test_hand_computed_two_class_value():
    # prior = (0.9, 0.1); adjusted logits (2 + log 0.9, log 0.1); gold = class 1:
    # loss = log(1 + exp(2 + log 0.9 - log 0.1)) = log(1 + 9 e^2).
    loss = LogitAdjustedLoss(class_counts=[90, 10], tau=1.0)
    value = loss(torch.tensor([[2.0, 0.0]]), torch.tensor([1]))
    assert value.item() == pytest.approx(math.log(1 + 9 * math.e**2), rel=1e-6)


def test_hand_computed_value_with_tau():
    # tau = 0.5 halves the log-prior gap: log(1 + exp(2 + 0.5 log 9)) = log(1 + 3 e^2).
    loss = LogitAdjustedLoss(class_counts=[90, 10], tau=0.5)
    value = loss(torch.tensor([[2.0, 0.0]]), torch.tensor([1]))
    assert value.item() == pytest.approx(math.log(1 + 3 * math.e**2), rel=1e-6)


def test_equals_cross_entropy_on_adjusted_logits():
    counts = torch.tensor([70.0, 20.0, 10.0])
    tau = 1.5
    logits = torch.tensor([[0.3, -1.2, 2.0], [1.0, 1.0, 1.0], [-0.5, 0.8, 0.1]])
    target = torch.tensor([2, 0, 1])
    loss = LogitAdjustedLoss(class_counts=counts, tau=tau, reduction="none")
    expected = F.cross_entropy(
        logits + tau * torch.log(counts / counts.sum()), target, reduction="none"
    )
    torch.testing.assert_close(loss(logits, target), expected)
    torch.testing.assert_close(loss.log_prior, torch.log(counts / counts.sum()))


@pytest.mark.parametrize("tau", [0.5, 1.0, 2.0])
def test_uniform_prior_reduces_to_cross_entropy(tau):
    logits = torch.tensor([[0.3, -1.2, 2.0], [1.0, 0.0, -1.0]])
    target = torch.tensor([1, 2])
    loss = LogitAdjustedLoss(class_counts=[40, 40, 40], tau=tau, reduction="none")
    torch.testing.assert_close(
        loss(logits, target), F.cross_entropy(logits, target, reduction="none")
    )


def test_zero_tau_reduces_to_cross_entropy():
    logits = torch.tensor([[0.3, -1.2, 2.0], [1.0, 0.0, -1.0]])
    target = torch.tensor([1, 0])
    loss = LogitAdjustedLoss(class_counts=[100, 10, 1], tau=0.0)
    torch.testing.assert_close(loss(logits, target), F.cross_entropy(logits, target))


def test_rare_gold_costs_more_and_frequent_gold_less_than_cross_entropy():
    loss = LogitAdjustedLoss(class_counts=[900, 90, 10], reduction="none")
    logits = torch.tensor([[0.5, 0.2, -0.1], [0.5, 0.2, -0.1]])
    target = torch.tensor([2, 0])  # rarest class, most frequent class
    adjusted = loss(logits, target)
    plain = F.cross_entropy(logits, target, reduction="none")
    assert adjusted[0] > plain[0]
    assert adjusted[1] < plain[1]


def test_larger_tau_penalises_rare_gold_more():
    logits = torch.tensor([[1.0, 0.0]])
    target = torch.tensor([1])
    values = [
        LogitAdjustedLoss(class_counts=[90, 10], tau=tau)(logits, target).item()
        for tau in (0.0, 0.5, 1.0, 2.0)
    ]
    assert values == sorted(values)
    assert len(set(values)) == len(values)
