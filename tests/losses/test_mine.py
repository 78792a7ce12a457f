"""MINE: the Donsker–Varadhan bound and its moving-average gradient correction."""

import math

import pytest
import torch

from skimbtext.losses._mine import MINEBound, donsker_varadhan_bound, shuffle_marginal
from skimbtext.nn._miso import MINECritic


def test_bound_matches_its_formula():
    joint = torch.tensor([1.0, 2.0, 3.0])
    marginal = torch.tensor([0.0, math.log(3.0)])
    # E[T_joint] = 2, log E[e^T_marginal] = log((1 + 3) / 2) = log 2.
    value = donsker_varadhan_bound(joint, marginal)
    assert value.item() == pytest.approx(2.0 - math.log(2.0))


def test_shuffle_marginal_permutes_rows_within_the_batch():
    values = torch.arange(12.0).view(6, 2)
    shuffled = shuffle_marginal(values, generator=torch.Generator().manual_seed(0))
    assert not torch.equal(shuffled, values)
    assert sorted(map(tuple, shuffled.tolist())) == sorted(map(tuple, values.tolist()))


def test_corrected_bound_has_the_plain_value_and_ema_gradient():
    bound = MINEBound(ema_rate=0.5)
    first = torch.zeros(4, requires_grad=True)
    bound(torch.ones(4), first)  # initialises the moving average to E[e^0] = 1
    assert bound.running_mean.item() == pytest.approx(1.0)

    marginal = torch.full((4,), math.log(3.0), requires_grad=True)
    joint = torch.ones(4, requires_grad=True)
    value = bound(joint, marginal)
    plain = donsker_varadhan_bound(joint, marginal)
    assert value.item() == pytest.approx(plain.item())
    # Moving average: 0.5 * 1 + 0.5 * 3 = 2.
    assert bound.running_mean.item() == pytest.approx(2.0)
    value.backward()
    # d/dx log E[e^x] = e^x / (n · running mean) = 3 / (4 · 2), not 3 / (4 · 3).
    expected = torch.full((4,), -3.0 / 8.0)
    torch.testing.assert_close(marginal.grad, expected)
    torch.testing.assert_close(joint.grad, torch.full((4,), 0.25))


def test_a_moving_average_below_one_divides_the_gradient_as_it_is():
    # Marginal scores below 0 give E[e^T] < 1: the floor on the average only
    # guards against 0, it does not round the average up to 1.
    bound = MINEBound()
    marginal = torch.full((4,), math.log(0.25), requires_grad=True)
    bound(torch.zeros(4), marginal).backward()
    assert bound.running_mean.item() == pytest.approx(0.25)
    # e^x / (n · running mean) = 0.25 / (4 · 0.25).
    torch.testing.assert_close(marginal.grad, torch.full((4,), -0.25))


def test_eval_mode_leaves_the_moving_average_alone():
    bound = MINEBound().eval()
    bound(torch.ones(3), torch.zeros(3))
    assert bound.running_mean.item() == 0.0


def _estimate_mutual_information(correlation, seed):
    """Train a critic with the corrected bound on Gaussian pairs; held-out estimate."""
    generator = torch.Generator().manual_seed(seed)

    def draw(n):
        first = torch.randn(n, 1, generator=generator)
        noise = torch.randn(n, 1, generator=generator)
        second = correlation * first + math.sqrt(1 - correlation**2) * noise
        return first, second

    with torch.random.fork_rng():
        torch.manual_seed(seed)
        critic = MINECritic(latent_dim=1, hidden_size=32)
    bound = MINEBound(ema_rate=0.01)
    optimizer = torch.optim.Adam(critic.parameters(), lr=5e-3)
    for _ in range(400):
        first, second = draw(256)
        marginal = shuffle_marginal(second, generator=generator)
        value = bound(critic(first, second), critic(first, marginal))
        optimizer.zero_grad()
        (-value).backward()
        optimizer.step()
    first, second = draw(20000)
    with torch.no_grad():
        marginal = shuffle_marginal(second, generator=generator)
        return donsker_varadhan_bound(
            critic(first, second), critic(first, marginal)
        ).item()


def test_bound_separates_correlated_from_independent_gaussians():
    correlation = 0.9
    analytic = -0.5 * math.log(1 - correlation**2)  # 0.830 nats
    correlated = _estimate_mutual_information(correlation, seed=0)
    independent = _estimate_mutual_information(0.0, seed=0)
    assert correlated > independent + 0.5
    assert correlated == pytest.approx(analytic, abs=0.2)
    assert abs(independent) < 0.05


def test_shuffle_marginal_draws_from_the_given_generator():
    values = torch.arange(20.0)
    torch.manual_seed(1)
    first = shuffle_marginal(values, generator=torch.Generator().manual_seed(0))
    torch.manual_seed(2)  # the global generator plays no part
    second = shuffle_marginal(values, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(first, second)


def test_moving_average_rate_defaults_to_mines_setting():
    assert MINEBound().ema_rate == 0.01  # Belghazi et al. 2018
