"""MISO's objectives on tensors: the generator's sum and the discriminators' BCE."""

import pytest
import torch

from skimbtext.losses._miso import generator_objective, real_or_fake_loss


def test_generator_objective_is_the_weighted_sum():
    mi_query, mi_key = torch.tensor(0.3), torch.tensor(1.1)
    adversarial, reconstruction = torch.tensor(2.0), torch.tensor(0.5)
    loss, mi_loss = generator_objective(
        mi_query, mi_key, adversarial, reconstruction, alpha=0.2
    )
    assert mi_loss.item() == pytest.approx(1.1 - 0.3)
    assert loss.item() == pytest.approx(0.8 * 0.8 + 0.2 * 2.0 + 0.5)


def test_descending_the_objective_keeps_the_minority_and_drops_the_majority():
    # The gradient raises Î(Q;Q̄) and lowers Î(K;Q̄): L_MI = Î(K;Q̄) − Î(Q;Q̄).
    mi_query = torch.tensor(0.3, requires_grad=True)
    mi_key = torch.tensor(1.1, requires_grad=True)
    adversarial = torch.tensor(2.0, requires_grad=True)
    loss, _ = generator_objective(
        mi_query, mi_key, adversarial, torch.tensor(0.0), alpha=0.25
    )
    loss.backward()
    assert mi_query.grad.item() == pytest.approx(-0.75)
    assert mi_key.grad.item() == pytest.approx(0.75)
    assert adversarial.grad.item() == pytest.approx(0.25)


@pytest.mark.parametrize(("real", "expected"), [(True, 0.126928), (False, 2.126928)])
def test_real_or_fake_loss_is_binary_cross_entropy(real, expected):
    # softplus(-2) = 0.126928 for a real target, softplus(2) = 2.126928 for fake.
    scores = torch.full((3,), 2.0)
    assert real_or_fake_loss(scores, real).item() == pytest.approx(expected, rel=1e-5)
