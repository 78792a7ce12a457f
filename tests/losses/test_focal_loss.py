"""FocalLoss: -alpha_y (1 - p_y) ** gamma * log p_y."""

import math

import pytest
import torch
import torch.nn.functional as F

from skimbtext.losses import FocalLoss

LOGITS = torch.tensor([[2.0, 0.0, -1.0], [0.1, 0.2, 0.3], [-3.0, 4.0, 1.0]])
TARGET = torch.tensor([0, 2, 0])


def test_gamma_zero_is_exactly_cross_entropy():
    loss = FocalLoss(gamma=0.0, reduction="none")
    expected = F.cross_entropy(LOGITS, TARGET, reduction="none")
    torch.testing.assert_close(loss(LOGITS, TARGET), expected, rtol=0, atol=0)
    torch.testing.assert_close(
        FocalLoss(gamma=0.0)(LOGITS, TARGET), F.cross_entropy(LOGITS, TARGET)
    )


def test_hand_computed_value_for_gamma_two():
    # Two classes, logits (2, 0), gold 0: p = e^2 / (1 + e^2), 1 - p = 1 / (1 + e^2),
    # -log p = log(1 + e^-2), so the loss is (1 + e^2)^-2 log(1 + e^-2).
    value = FocalLoss(gamma=2.0)(torch.tensor([[2.0, 0.0]]), torch.tensor([0]))
    expected = (1 + math.e**2) ** -2 * math.log(1 + math.e**-2)
    assert value.item() == pytest.approx(expected, rel=1e-5)


def test_hand_computed_value_with_alpha():
    # Gold probability 0.5 (equal logits): 0.75 * 0.5^2 * log 2.
    loss = FocalLoss(gamma=2.0, alpha=[0.25, 0.75])
    value = loss(torch.tensor([[0.0, 0.0]]), torch.tensor([1]))
    assert value.item() == pytest.approx(0.75 * 0.25 * math.log(2), rel=1e-6)


def test_alpha_weights_per_sample_losses_by_gold_class():
    alpha = torch.tensor([0.2, 0.5, 3.0])
    weighted = FocalLoss(gamma=1.5, alpha=alpha, reduction="none")(LOGITS, TARGET)
    unweighted = FocalLoss(gamma=1.5, reduction="none")(LOGITS, TARGET)
    torch.testing.assert_close(weighted, alpha[TARGET] * unweighted)
    torch.testing.assert_close(FocalLoss(gamma=1.5, alpha=alpha).alpha, alpha)


def test_well_classified_examples_are_down_weighted_relative_to_cross_entropy():
    gold_probs = torch.tensor([0.1, 0.3, 0.5, 0.7, 0.9, 0.99])
    logits = torch.stack([gold_probs.log(), (1 - gold_probs).log()], dim=1)
    target = torch.zeros(len(gold_probs), dtype=torch.long)
    focal = FocalLoss(gamma=2.0, reduction="none")(logits, target)
    ce = F.cross_entropy(logits, target, reduction="none")
    ratio = focal / ce
    assert (focal < ce).all()
    # The ratio is (1 - p)^2: it shrinks as the example gets easier.
    torch.testing.assert_close(ratio, (1 - gold_probs) ** 2)
    assert (ratio.diff() < 0).all()


def test_larger_gamma_down_weights_easy_examples_more():
    logits = torch.tensor([[3.0, 0.0]])
    target = torch.tensor([0])
    values = [FocalLoss(gamma=g)(logits, target).item() for g in (0.0, 1.0, 2.0, 5.0)]
    assert values == sorted(values, reverse=True)
    assert len(set(values)) == len(values)


@pytest.mark.parametrize("gap", [3.0, 5.0, 8.0, 10.0])
def test_confident_gold_keeps_relative_accuracy(gap):
    # 1 - p is tiny here (down to 5e-5); the loss (1 - p)^2 (-log p) must keep its
    # relative accuracy instead of collapsing to float32 rounding noise.
    value = FocalLoss(gamma=2.0)(torch.tensor([[gap, 0.0]]), torch.tensor([0]))
    rest = math.exp(-gap)
    expected = (rest / (1 + rest)) ** 2 * math.log1p(rest)
    assert value.item() == pytest.approx(expected, rel=1e-2, abs=0)


def test_gold_probability_rounding_to_one_gives_zero_loss_and_tiny_gradient():
    logits = torch.tensor([[30.0, 0.0]], requires_grad=True)
    value = FocalLoss(gamma=0.5)(logits, torch.tensor([0]))
    value.backward()
    assert value.item() == 0.0
    assert torch.isfinite(logits.grad).all()
    assert logits.grad.abs().max().item() < 1e-20


def test_alpha_may_switch_a_class_off():
    # Class weights may be 0 (a class left out of the loss); only negative
    # weights are refused.
    loss = FocalLoss(gamma=1.5, alpha=[0.0, 1.0, 1.0], reduction="none")
    losses = loss(LOGITS, TARGET)
    assert torch.all(losses[TARGET == 0] == 0)
    assert torch.all(losses[TARGET != 0] > 0)
