"""LDAMLoss: margins proportional to n^(-1/4) on the gold logit, then scaled CE."""

import math

import pytest
import torch
import torch.nn.functional as F

from skimbtext.losses import LDAMLoss


def test_margins_are_proportional_to_inverse_fourth_root_of_counts():
    # 81^-1/4 = 1/3, 16^-1/4 = 1/2, 1^-1/4 = 1; the largest is rescaled to 0.6.
    loss = LDAMLoss(class_counts=[81, 16, 1], max_margin=0.6)
    torch.testing.assert_close(loss.margins, torch.tensor([0.2, 0.3, 0.6]))
    assert loss.margins.dtype == torch.float32


def test_largest_margin_is_max_margin_and_belongs_to_the_rarest_class():
    counts = [120, 7, 3000, 45, 600]
    loss = LDAMLoss(class_counts=counts, max_margin=0.35)
    assert loss.margins.max().item() == pytest.approx(0.35)
    assert loss.margins.argmax().item() == counts.index(min(counts))
    assert loss.margins.argmin().item() == counts.index(max(counts))
    # Margin ratios follow (n_i / n_j)^(-1/4) for every pair.
    expected = torch.tensor(counts, dtype=torch.float64).pow(-0.25)
    torch.testing.assert_close(
        loss.margins.double() / loss.margins[0], expected / expected[0]
    )


def test_equal_counts_give_equal_margins():
    loss = LDAMLoss(class_counts=[10, 10, 10], max_margin=0.5)
    torch.testing.assert_close(loss.margins, torch.full((3,), 0.5))


def test_hand_computed_value():
    # margins (0.25, 0.5); gold 0: scaled logits 30 * (0.5 - 0.25, 0.2) = (7.5, 6),
    # loss = log(1 + exp(-1.5)). Gold 1: 30 * (0.5, 0.2 - 0.5) = (15, -9),
    # loss = log(1 + exp(24)).
    loss = LDAMLoss(class_counts=[16, 1], max_margin=0.5, scale=30.0, reduction="none")
    cosines = torch.tensor([[0.5, 0.2], [0.5, 0.2]])
    losses = loss(cosines, torch.tensor([0, 1]))
    expected = torch.tensor(
        [math.log1p(math.exp(-1.5)), 24 + math.log1p(math.exp(-24))]
    )
    torch.testing.assert_close(losses, expected)


def test_equals_scaled_cross_entropy_with_gold_margin_subtracted():
    counts = [500, 50, 5]
    loss = LDAMLoss(class_counts=counts, max_margin=0.4, scale=16.0, reduction="none")
    cosines = torch.tensor([[0.9, -0.2, 0.1], [0.3, 0.3, 0.3], [-0.5, 0.4, 0.8]])
    target = torch.tensor([0, 1, 2])
    margins = loss.margins
    adjusted = cosines.clone()
    adjusted[torch.arange(3), target] -= margins[target]
    expected = F.cross_entropy(16.0 * adjusted, target, reduction="none")
    torch.testing.assert_close(loss(cosines, target), expected)


def test_zero_margin_and_unit_scale_reduce_to_cross_entropy():
    cosines = torch.tensor([[0.9, -0.2, 0.1], [0.3, 0.3, 0.3]])
    target = torch.tensor([2, 1])
    loss = LDAMLoss(class_counts=[500, 50, 5], max_margin=0.0, scale=1.0)
    torch.testing.assert_close(loss(cosines, target), F.cross_entropy(cosines, target))


def test_rare_gold_costs_more_than_frequent_gold_at_equal_cosines():
    loss = LDAMLoss(class_counts=[1000, 10], reduction="none")
    cosines = torch.tensor([[0.4, 0.4], [0.4, 0.4]])
    losses = loss(cosines, torch.tensor([0, 1]))
    assert losses[1] > losses[0]
    # Non-gold logits are untouched: only the gold margin enters the loss.
    plain = F.cross_entropy(30.0 * cosines, torch.tensor([0, 1]), reduction="none")
    assert (losses > plain).all()
