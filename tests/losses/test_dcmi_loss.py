import math

import pytest
import torch

from skimbtext.losses import FocalLoss
from skimbtext.losses._dcmi import (
    DCMILoss,
    domain_classification_loss,
    masked_view_similarity,
    soft_contrastive_loss,
)


def _log_sigmoid(x):
    return -math.log1p(math.exp(-x))


def _soft_bce(similarity, relevance, t):
    """-[a log σ(s/t) + (1 - a) log(1 - σ(s/t))], by hand."""
    return -(
        relevance * _log_sigmoid(similarity / t)
        + (1 - relevance) * _log_sigmoid(-similarity / t)
    )


def test_soft_contrastive_loss_by_hand():
    similarity = torch.tensor([[0.5, -0.2, 1.0], [0.0, 0.3, -1.0]])
    relevance = torch.tensor([[0.8, 0.1, 1.0], [0.5, 0.0, 0.25]])
    losses = soft_contrastive_loss(similarity, relevance, temperature=0.5)
    expected = [
        sum(_soft_bce(s, a, 0.5) for s, a in zip(row_s, row_a))
        for row_s, row_a in zip(similarity.tolist(), relevance.tolist())
    ]
    torch.testing.assert_close(losses, torch.tensor(expected))


def test_eq5_from_encoder_output_and_masks_by_hand():
    # h = [3, 4]; masks [1, 1] and [1, 0]; the augmented view gated by mask 0:
    # views [3, 4] (cos 1 with the anchor [3, 4]) and [3, 0] (cos 3/5).
    h = torch.tensor([[3.0, 4.0]])
    masks = torch.tensor([[1.0, 1.0], [1.0, 0.0]])
    similarity = masked_view_similarity(h, masks, masks[:1])
    torch.testing.assert_close(similarity, torch.tensor([[1.0, 0.6]]))
    relevance = torch.tensor([[0.9, 0.2]])
    expected = _soft_bce(1.0, 0.9, 1.0) + _soft_bce(0.6, 0.2, 1.0)
    loss = soft_contrastive_loss(similarity, relevance)
    assert loss.item() == pytest.approx(expected, rel=1e-6)
    # Cosines: the scale of h and of the masks does not matter.
    scaled = masked_view_similarity(10 * h, 0.5 * masks, 0.5 * masks[:1])
    torch.testing.assert_close(scaled, similarity)


def test_relevance_is_a_constant_and_similarities_move_with_it():
    similarity = torch.tensor([[0.3, 0.3]], requires_grad=True)
    relevance = torch.tensor([[1.0, 0.0]], requires_grad=True)
    soft_contrastive_loss(similarity, relevance).sum().backward()
    assert relevance.grad is None
    # The relevant view is pulled towards the anchor, the irrelevant one away.
    assert similarity.grad[0, 0] < 0 < similarity.grad[0, 1]


def test_domain_classification_loss_by_hand():
    logits = torch.tensor([[2.0, -1.0, 0.0], [0.5, 0.5, 0.5]])
    losses = domain_classification_loss(logits, torch.tensor([0, -1]))
    first = -(_log_sigmoid(2.0) + _log_sigmoid(1.0) + _log_sigmoid(0.0)) / 3
    second = -_log_sigmoid(-0.5)  # unknown domain: all-zero target
    torch.testing.assert_close(losses, torch.tensor([first, second]))


def _output(batch=3, n_domains=4):
    torch.manual_seed(1)
    return (
        torch.randn(batch, 2),
        torch.randn(batch, n_domains),
        torch.rand(batch, n_domains),
        torch.rand(batch, n_domains),
        torch.randint(0, n_domains, (batch,)),
    )


def test_dcmi_loss_is_the_weighted_sum_per_sample():
    output, target = _output(), torch.tensor([0, 1, 1])
    criterion = DCMILoss(lambda_dom=30.0, lambda_con=15.0, temperature=2.0)
    parts = criterion.components(output, target)
    losses = criterion(output, target)
    assert losses.shape == (3,)
    torch.testing.assert_close(
        losses, parts["sup"] + 30 * parts["dom"] + 15 * parts["con"]
    )
    torch.testing.assert_close(
        parts["con"], soft_contrastive_loss(output[2], output[3], temperature=2.0)
    )
    plain = DCMILoss(lambda_dom=0.0, lambda_con=0.0)(output, target)
    torch.testing.assert_close(plain, parts["sup"])


def test_dcmi_loss_takes_any_per_sample_supervised_loss():
    output, target = _output(), torch.tensor([0, 1, 1])
    focal = FocalLoss(gamma=2.0, reduction="none")
    losses = DCMILoss(focal, lambda_dom=0.0, lambda_con=0.0)(output, target)
    torch.testing.assert_close(losses, focal(output[0], target))


@pytest.mark.parametrize("name", ["lambda_dom", "lambda_con"])
def test_negative_weights_are_refused(name):
    with pytest.raises(ValueError, match=name):
        DCMILoss(**{name: -1.0})


def test_dcmi_loss_defaults_are_the_papers_weights():
    # DCMI (Eq. 6): lambda_1 = 4 for L_dom, lambda_2 = 3 for L_con, t = 1.
    criterion = DCMILoss()
    assert (criterion.lambda_dom, criterion.lambda_con, criterion.temperature) == (
        4.0,
        3.0,
        1.0,
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lambda_dom": -1.0}, "lambda_dom must be non-negative"),
        ({"lambda_con": -1.0}, "lambda_con must be non-negative"),
        ({"temperature": 0.0}, "temperature must be positive; got 0.0"),
        ({"temperature": "t"}, "temperature must be a finite"),
    ],
)
def test_bad_weights_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DCMILoss(**kwargs)


def test_view_cosines_are_float32_whatever_the_input_precision():
    torch.manual_seed(0)
    h, masks = torch.randn(4, 8), torch.rand(3, 8)
    gate = torch.softmax(torch.randn(4, 3), -1) @ masks
    expected = masked_view_similarity(h, masks, gate)
    half = masked_view_similarity(h.half(), masks.half(), gate.half())
    assert half.dtype == torch.float32
    torch.testing.assert_close(half, expected, atol=2e-3, rtol=0)
    # Under autocast the squared norms stay in float32, not bfloat16.
    with torch.autocast("cpu", dtype=torch.bfloat16):
        autocast = masked_view_similarity(h, masks, gate)
    assert autocast.dtype == torch.float32
    torch.testing.assert_close(autocast, expected, atol=1e-6, rtol=0)


def test_relevance_of_another_precision_is_accepted():
    similarity = torch.tensor([[0.5, -0.2]])
    relevance = torch.tensor([[1.0, 0.0]], dtype=torch.float64)
    loss = soft_contrastive_loss(similarity, relevance)
    assert loss.dtype == torch.float32
