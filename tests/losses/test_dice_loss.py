"""DiceLoss: 1 - (2 (1-p)^a p + s) / ((1-p)^a p + 1 + s), p the gold probability."""

import pytest
import torch

from skimbtext.losses import DiceLoss


def _logits_with_gold_probability(gold_probs):
    """Two-class logits whose softmax gives class 0 exactly ``gold_probs``."""
    gold_probs = torch.as_tensor(gold_probs, dtype=torch.float64)
    return torch.stack([gold_probs.log(), (1 - gold_probs).log()], dim=1)


def _dice_formula(p, alpha, smooth):
    weighted = (1 - p) ** alpha * p
    return 1 - (2 * weighted + smooth) / (weighted + 1 + smooth)


def test_hand_computed_values():
    # p = 0.75, alpha = 1, smooth = 1: weighted = 0.1875, loss = 1 - 1.375 / 2.1875.
    logits = _logits_with_gold_probability([0.75, 0.5]).float()
    losses = DiceLoss(alpha=1.0, reduction="none")(logits, torch.tensor([0, 0]))
    torch.testing.assert_close(losses, torch.tensor([13 / 35, 1 / 3]))


@pytest.mark.parametrize(("alpha", "smooth"), [(0.0, 1.0), (0.5, 0.1), (2.0, 0.0)])
def test_matches_formula(alpha, smooth):
    gold_probs = [0.02, 0.3, 0.6, 0.95]
    logits = _logits_with_gold_probability(gold_probs)
    losses = DiceLoss(alpha=alpha, smooth=smooth, reduction="none")(
        logits, torch.zeros(4, dtype=torch.long)
    )
    expected = torch.tensor([_dice_formula(p, alpha, smooth) for p in gold_probs])
    torch.testing.assert_close(losses, expected.double())


def test_gold_class_is_picked_by_target():
    # Three classes, probabilities (0.2, 0.5, 0.3): each target gives its own p.
    logits = torch.tensor([[0.2, 0.5, 0.3]]).log().repeat(3, 1)
    losses = DiceLoss(alpha=1.0, reduction="none")(logits, torch.tensor([0, 1, 2]))
    expected = torch.tensor([_dice_formula(p, 1.0, 1.0) for p in (0.2, 0.5, 0.3)])
    torch.testing.assert_close(losses, expected)


@pytest.mark.parametrize("alpha", [0.5, 1.0, 2.0])
def test_loss_decreases_as_gold_probability_rises_from_low_values(alpha):
    # The loss falls while p < 1 / (1 + alpha), where (1 - p)^alpha p peaks.
    peak = 1 / (1 + alpha)
    gold_probs = torch.linspace(0.01, peak - 0.01, 20)
    logits = _logits_with_gold_probability(gold_probs)
    losses = DiceLoss(alpha=alpha, reduction="none")(
        logits, torch.zeros(len(gold_probs), dtype=torch.long)
    )
    assert (losses.diff() < 0).all()


def test_without_self_adjustment_loss_decreases_up_to_certainty():
    gold_probs = torch.linspace(0.01, 0.99, 50)
    logits = _logits_with_gold_probability(gold_probs)
    losses = DiceLoss(alpha=0.0, reduction="none")(
        logits, torch.zeros(len(gold_probs), dtype=torch.long)
    )
    assert (losses.diff() < 0).all()


@pytest.mark.parametrize(("alpha", "smooth"), [(1.0, 1.0), (0.0, 0.0), (3.0, 10.0)])
def test_bounded_in_unit_interval(alpha, smooth):
    generator = torch.Generator().manual_seed(0)
    logits = 10.0 * torch.randn(256, 5, generator=generator)
    logits[:8] = torch.tensor([1e4, -1e4, 0.0, 0.0, 0.0])
    target = torch.randint(0, 5, (256,), generator=generator)
    losses = DiceLoss(alpha=alpha, smooth=smooth, reduction="none")(logits, target)
    assert (losses >= 0).all()
    assert (losses <= 1).all()


def test_saturated_probabilities_give_the_smoothing_limit():
    # p = 0 and p = 1 both make (1 - p)^alpha p vanish: loss = 1 / (1 + smooth).
    logits = torch.tensor([[1e4, -1e4], [-1e4, 1e4]])
    losses = DiceLoss(alpha=1.0, smooth=1.0, reduction="none")(
        logits, torch.tensor([0, 0])
    )
    torch.testing.assert_close(losses, torch.tensor([0.5, 0.5]))
    without_smoothing = DiceLoss(alpha=1.0, smooth=0.0)(logits, torch.tensor([0, 0]))
    assert without_smoothing.item() == pytest.approx(1.0)


def test_default_alpha_keeps_confident_gold_predictions_near_optimal():
    # The default must reward p = 0.9 over p = 0.5 (alpha=1 would not).
    logits = torch.log(torch.tensor([[0.9, 0.1], [0.5, 0.5]]))
    losses = DiceLoss(reduction="none")(logits, torch.tensor([0, 0]))
    assert losses[0] < losses[1]
