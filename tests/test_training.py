"""The training core (``skimbtext._training``): weighted losses, divergence
reports and the sampler, on a bare ``TrainingNet``."""

import numpy as np
import pytest
import torch
from torch import nn

from skimbtext._training import RebalancingSampler, TrainingNet


def _net(**params):
    return TrainingNet(
        nn.Linear(2, 3),
        criterion=nn.CrossEntropyLoss(reduction="none"),
        device="cpu",
        **params,
    ).initialize()


def test_training_loss_is_the_weighted_mean_of_the_per_sample_losses():
    # The batch loss is sum(w * l) / sum(w), w = sample_weight * class_weight[y]:
    # a plain mean of w * l would scale the step with the batch's weights.
    net = _net(class_weight=[1.0, 3.0, 0.5])
    logits = torch.tensor([[2.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.5, 0.5, 3.0]])
    target = np.array([0, 1, 2])
    sample_weight = torch.tensor([2.0, 1.0, 4.0])
    per_sample = nn.functional.cross_entropy(
        logits, torch.as_tensor(target), reduction="none"
    )
    weight = sample_weight * torch.tensor([1.0, 3.0, 0.5])
    expected = (weight * per_sample).sum() / weight.sum()
    loss = net.get_loss(logits, target, X={"sample_weight": sample_weight})
    torch.testing.assert_close(loss, expected)
    class_only = torch.tensor([1.0, 3.0, 0.5])
    torch.testing.assert_close(
        net.get_loss(logits, target, X={"sample_weight": torch.ones(3)}),
        (class_only * per_sample).sum() / class_only.sum(),
    )
    # Without weights, the plain mean.
    torch.testing.assert_close(_net().get_loss(logits, target), per_sample.mean())


def test_a_criterion_must_give_one_loss_per_sample():
    net = TrainingNet(
        nn.Linear(2, 3), criterion=nn.CrossEntropyLoss(), device="cpu"
    ).initialize()
    with pytest.raises(ValueError, match=r"one loss per sample .*reduction='none'"):
        net.get_loss(torch.zeros(2, 3), np.array([0, 1]))


@pytest.mark.parametrize(("value", "shown"), [(float("nan"), "NaN"), (np.inf, "inf")])
def test_a_non_finite_training_loss_names_where_it_happened(value, shown):
    net = _net()
    net.history.new_epoch()
    net.history.new_batch()
    with pytest.raises(
        FloatingPointError, match=f"loss is {shown} at epoch 1, batch 1"
    ):
        net.check_finite(torch.tensor(value))
    net.check_finite(torch.tensor(1.0))  # a finite loss passes


def test_sampler_is_reproducible_from_its_generator_and_reseeds_per_epoch():
    first = RebalancingSampler(10, torch.Generator().manual_seed(0))
    second = RebalancingSampler(10, torch.Generator().manual_seed(0))
    assert list(first) == list(second)
    assert sorted(first) == list(range(10))
    first.reseed(3)
    order = list(first)
    second.reseed(3)
    assert list(second) == order  # an epoch's draw depends only on its index
    first.weights = np.r_[np.zeros(9), 1.0]
    assert list(first) == [9] * 10  # weighted draws, with replacement
