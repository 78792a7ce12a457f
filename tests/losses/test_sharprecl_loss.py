"""SharpReCL's contrastive maths on bare tensors: mining, mixup, target sets, loss."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from skimbtext.losses._sharprecl import (
    SharpReCLLoss,
    TargetSets,
    draw_mixup_pairs,
    hard_example_pools,
    mix_pairs,
    rebalanced_contrastive_loss,
    rebalanced_target_sets,
    simple_sampling_indices,
    split_target_size,
    supervised_contrastive_loss,
)


def _unit(*shape, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return F.normalize(torch.randn(*shape, generator=generator), dim=-1)


@pytest.fixture
def batch():
    """D̂ of 3 classes: 14 sample rows (class 2 has only two) and 3 prototypes."""
    labels = torch.tensor([0] * 7 + [1] * 5 + [2] * 2 + [0, 1, 2])
    embeddings = _unit(len(labels), 6)
    prototypes = embeddings[-3:]
    return embeddings, labels, prototypes


def test_hard_mining_picks_exactly_the_least_and_most_prototype_similar(batch):
    embeddings, labels, prototypes = batch
    k = 4
    positives, n_positives, negatives, n_negatives = hard_example_pools(
        prototypes, embeddings, labels, k
    )
    similarity = (prototypes @ embeddings.T).numpy()
    for c in range(3):
        members = np.flatnonzero(labels.numpy() == c)
        others = np.flatnonzero(labels.numpy() != c)
        expected_positives = members[np.argsort(similarity[c, members])[:k]]
        expected_negatives = others[np.argsort(-similarity[c, others])[:k]]
        assert n_positives[c] == min(k, len(members))
        assert n_negatives[c] == min(k, len(others))
        assert set(positives[c, : n_positives[c]].tolist()) == set(expected_positives)
        assert set(negatives[c, : n_negatives[c]].tolist()) == set(expected_negatives)
    # Class 2 has three rows (two samples and its prototype): all of them are kept,
    # and the prototype, most similar to itself, is the least hard.
    assert n_positives[2] == 3
    assert positives[2, 2].item() == len(labels) - 1


def test_simple_sampling_draws_only_allowed_rows(batch):
    _, labels, _ = batch
    member = torch.arange(3)[:, None] == labels[None, :]
    torch.manual_seed(0)
    positives = simple_sampling_indices(member, 200)
    negatives = simple_sampling_indices(~member, 200)
    assert positives.shape == negatives.shape == (3, 200)
    assert (labels[positives] == torch.arange(3)[:, None]).all()
    assert (labels[negatives] != torch.arange(3)[:, None]).all()
    # Uniform over the allowed rows: class 2 draws each of its 3 rows.
    class_2_rows = torch.nonzero(labels == 2).flatten()
    assert set(positives[2].tolist()) == set(class_2_rows.tolist())
    assert simple_sampling_indices(member, 0).shape == (3, 0)


def test_mixup_outputs_are_unit_norm_and_inside_the_pairs_span():
    embeddings = _unit(10, 5)
    torch.manual_seed(0)
    pools = torch.stack([torch.arange(0, 5), torch.arange(5, 10)])
    first, second, weight = draw_mixup_pairs(
        pools, torch.tensor([5, 3]), n_pairs=50, mixup_alpha=0.5
    )
    mixed = mix_pairs(embeddings, first, second, weight)
    assert mixed.shape == (2, 50, 5)
    torch.testing.assert_close(mixed.norm(dim=-1), torch.ones(2, 50))
    # Each output is the convex combination of its pair, rescaled: the residual
    # of mixed * ||combination|| against the combination vanishes.
    combination = (
        weight[..., None] * embeddings[first]
        + (1 - weight[..., None]) * embeddings[second]
    )
    torch.testing.assert_close(
        mixed * combination.norm(dim=-1, keepdim=True), combination
    )
    assert ((weight >= 0) & (weight <= 1)).all()
    # Pairs come from the valid part of each pool only.
    assert set(first[1].tolist()) | set(second[1].tolist()) <= {5, 6, 7}
    assert set(first[0].tolist()) | set(second[0].tolist()) <= set(range(5))


def test_mixup_weights_follow_beta_lambda_lambda():
    torch.manual_seed(0)
    pools = torch.zeros(1, 1, dtype=torch.long)
    _, _, weight = draw_mixup_pairs(pools, torch.tensor([1]), 20000, mixup_alpha=0.5)
    # Beta(0.5, 0.5): mean 1/2, variance 1 / (4 (2 * 0.5 + 1)) = 1/8.
    assert weight.mean().item() == pytest.approx(0.5, abs=0.01)
    assert weight.var().item() == pytest.approx(1 / 8, abs=0.005)


@pytest.mark.parametrize(
    "size, share, switches, expected",
    [
        (10, 0.5, {}, (5, 5)),
        (500, 0.5, {}, (250, 250)),
        (500, 0.9, {}, (50, 450)),
        (10, 1.0, {}, (0, 10)),
        (10, 0.5, {"simple_sampling": False}, (0, 10)),
        (10, 0.5, {"hard_mixup": False}, (10, 0)),
        (10, 0.5, {"simple_sampling": False, "hard_mixup": False}, (0, 0)),
    ],
)
def test_split_target_size(size, share, switches, expected):
    assert split_target_size(size, share, **switches) == expected


@pytest.mark.parametrize("share", [0.5, 0.8, 1.0])
def test_target_sets_are_balanced_with_the_scheduled_synthetic_share(batch, share):
    embeddings, labels, prototypes = batch
    torch.manual_seed(0)
    targets = rebalanced_target_sets(
        embeddings,
        labels,
        prototypes,
        n_positives=10,
        n_negatives=40,
        k=3,
        synthetic_share=share,
    )
    assert targets.first.shape == targets.second.shape == targets.weight.shape
    assert targets.first.shape == (3, 50) and targets.n_positives == 10
    n_sampled_pos, _ = split_target_size(10, share)
    n_sampled_neg, _ = split_target_size(40, share)
    classes = torch.arange(3)[:, None]
    # Sampled members: a single row (weight 1) of the right side of the class.
    sampled_pos = targets.first[:, :n_sampled_pos]
    assert (targets.first[:, :n_sampled_pos] == targets.second[:, :n_sampled_pos]).all()
    assert (targets.weight[:, :n_sampled_pos] == 1).all()
    assert (labels[sampled_pos] == classes).all()
    negatives = slice(10, 10 + n_sampled_neg)
    assert (labels[targets.first[:, negatives]] != classes).all()
    # Synthetic members: pairs from the class's hard pools.
    pools = hard_example_pools(prototypes, embeddings, labels, 3)
    for c in range(3):
        hard_pos = set(pools[0][c, : pools[1][c]].tolist())
        hard_neg = set(pools[2][c, : pools[3][c]].tolist())
        synthetic_pos = targets.first[c, n_sampled_pos:10].tolist()
        synthetic_pos += targets.second[c, n_sampled_pos:10].tolist()
        synthetic_neg = targets.first[c, 10 + n_sampled_neg :].tolist()
        synthetic_neg += targets.second[c, 10 + n_sampled_neg :].tolist()
        assert set(synthetic_pos) <= hard_pos
        assert set(synthetic_neg) <= hard_neg


def test_target_sets_without_one_part(batch):
    embeddings, labels, prototypes = batch
    only_sampled = rebalanced_target_sets(
        embeddings, labels, prototypes, n_negatives=20, hard_mixup=False
    )
    assert (only_sampled.weight == 1).all() and only_sampled.first.shape == (3, 30)
    only_synthetic = rebalanced_target_sets(
        embeddings, labels, prototypes, n_negatives=20, simple_sampling=False, k=2
    )
    assert only_synthetic.first.shape == (3, 30)
    pools = hard_example_pools(prototypes, embeddings, labels, 2)
    assert set(only_synthetic.first[0, :10].tolist()) <= set(pools[0][0].tolist())


def _hand_loss(embeddings, labels, class_weight, tau, target_vectors, n_pos, mean):
    """Eq. 11 term by term with Python loops over anchors and targets."""
    n_rows = len(labels)
    total = 0.0
    for i in range(n_rows):
        y = int(labels[i])
        z_i = embeddings[i]
        others = [k for k in range(n_rows) if k != i]
        denominator = sum(math.exp(z_i @ embeddings[k] / tau) for k in others)
        positives = [embeddings[p] for p in others if labels[p] == y]
        if target_vectors is not None:
            members = target_vectors[y]
            denominator += sum(math.exp(z_i @ member / tau) for member in members)
            positives += list(members[:n_pos])
        terms = [
            -math.log(math.exp(z_i @ positive / tau) / denominator)
            for positive in positives
        ]
        anchor_loss = sum(terms)
        if mean and terms:
            anchor_loss /= len(terms)
        total += class_weight[y] * anchor_loss / n_rows
    return total


@pytest.mark.parametrize("reduction", ["sum", "mean"])
@pytest.mark.parametrize("with_targets", [True, False])
def test_contrastive_loss_matches_a_hand_computation(batch, reduction, with_targets):
    embeddings, labels, prototypes = batch
    embeddings = embeddings.double()
    class_weight = torch.tensor([0.3, 1.2, 2.5], dtype=torch.float64)
    tau = 0.5
    targets = None
    target_vectors = None
    if with_targets:
        torch.manual_seed(0)
        targets = rebalanced_target_sets(
            embeddings, labels, prototypes.double(), n_positives=4, n_negatives=6, k=3
        )
        assert (targets.first != targets.second).any()  # some members are mixed
        target_vectors = mix_pairs(
            embeddings, targets.first, targets.second, targets.weight
        ).numpy()
    loss = rebalanced_contrastive_loss(
        embeddings, labels, class_weight, tau, targets, reduction=reduction
    )
    expected = _hand_loss(
        embeddings.numpy(),
        labels.numpy(),
        class_weight.numpy(),
        tau,
        target_vectors,
        4,
        reduction == "mean",
    )
    assert loss.item() == pytest.approx(expected, rel=1e-5)


def test_contrastive_loss_hand_value_on_a_tiny_case():
    # Rows: two of class 0 along e1 and a prototype of class 1 along e2; one target
    # positive per class (the other row), no negatives; tau = 1, weights 1.
    z = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    labels = torch.tensor([0, 0, 1])
    targets = TargetSets(
        first=torch.tensor([[1], [2]]),
        second=torch.tensor([[1], [2]]),
        weight=torch.ones(2, 1),
        n_positives=1,
    )
    loss = rebalanced_contrastive_loss(z, labels, torch.ones(2), 1.0, targets)
    e = math.e
    # Anchor 0: positives {1 in D̂, target 1}: each -log(e / (e + 1 + e)).
    # Anchor 2: positive {target 2}: -log(e / (1 + 1 + e)).
    expected = (2 * 2 * math.log((2 * e + 1) / e) + math.log((e + 2) / e)) / 3
    assert loss.item() == pytest.approx(expected, rel=1e-6)


def test_prototypes_stand_in_for_a_class_absent_from_the_batch():
    torch.manual_seed(0)
    criterion = SharpReCLLoss(class_counts=[50, 30, 20], n_negatives=20, k=3)
    batch_size = 4
    target = torch.tensor([0, 1, 0, 1])  # class 2 is absent from the batch
    projections = F.normalize(torch.randn(batch_size, 2, 8), dim=-1)
    prototypes = F.normalize(torch.randn(3, 8), dim=-1).requires_grad_()
    rows = torch.cat([projections.reshape(-1, 8), prototypes])
    row_labels = torch.cat([target.repeat_interleave(2), torch.arange(3)])
    targets = rebalanced_target_sets(
        rows.detach(), row_labels, prototypes.detach(), n_negatives=20, k=3
    )
    # Every positive target of class 2 is (a mixture of) its prototype, the last row.
    assert (targets.first[2, :10] == len(rows) - 1).all()
    assert (targets.second[2, :10] == len(rows) - 1).all()
    # The prototype is an anchor of class 2 and receives a gradient.
    logits = torch.zeros(batch_size, 3)
    output = (
        logits,
        torch.stack([logits, logits], 1),
        projections,
        prototypes.expand(batch_size, 3, 8),
    )
    criterion(output, target).sum().backward()
    assert prototypes.grad[2].abs().sum() > 0


def test_class_weights_are_minus_log_prior_indexed_by_every_row():
    printed = SharpReCLLoss(
        class_counts=[80, 20], hard_mixup=False, n_negatives=4, positive_reduction="sum"
    )
    minus_log_prior = -torch.log(torch.tensor([0.8, 0.2]))
    torch.testing.assert_close(printed.class_weight, minus_log_prior)
    # The default (the authors' scale) keeps their ratio with a mean of 1.
    default = SharpReCLLoss(class_counts=[80, 20], hard_mixup=False, n_negatives=4)
    torch.testing.assert_close(
        default.class_weight, minus_log_prior / minus_log_prior.mean()
    )
    # With the weight of class 1 at zero, moving the rows of class 1 (samples and
    # prototype) changes the loss only through the other anchors' terms.
    z = _unit(5, 4)
    labels = torch.tensor([0, 0, 1, 0, 1])
    only_class_1 = rebalanced_contrastive_loss(z, labels, torch.tensor([0.0, 1.0]), 1)
    only_class_0 = rebalanced_contrastive_loss(z, labels, torch.tensor([1.0, 0.0]), 1)
    both = rebalanced_contrastive_loss(z, labels, torch.tensor([1.0, 1.0]), 1)
    torch.testing.assert_close(only_class_0 + only_class_1, both)
    assert only_class_1 > 0  # the prototype row (index 4) counts as an anchor


def test_supervised_contrastive_loss_matches_a_loop():
    z = _unit(6, 4).double()
    labels = torch.tensor([0, 0, 1, 1, 1, 2])  # class 2 has no positive
    tau = 0.3
    per_anchor = []
    for i in range(6):
        others = [k for k in range(6) if k != i]
        positives = [p for p in others if labels[p] == labels[i]]
        if not positives:
            continue
        log_z = torch.logsumexp(torch.stack([z[i] @ z[k] / tau for k in others]), 0)
        per_anchor.append(
            sum(-(z[i] @ z[p] / tau - log_z) for p in positives) / len(positives)
        )
    expected = torch.stack(per_anchor).mean()
    torch.testing.assert_close(supervised_contrastive_loss(z, labels, tau), expected)
    assert supervised_contrastive_loss(z, torch.arange(6), tau).item() == 0.0


def _training_output(batch_size=6, n_classes=3, dim=8, seed=0):
    torch.manual_seed(seed)
    logits = torch.randn(batch_size, n_classes)
    view_logits = torch.stack([logits, torch.randn(batch_size, n_classes)], 1)
    projections = F.normalize(torch.randn(batch_size, 2, dim), dim=-1)
    prototypes = F.normalize(torch.randn(n_classes, dim), dim=-1)
    return (
        logits,
        view_logits,
        projections,
        prototypes.expand(batch_size, n_classes, dim),
    )


def test_criterion_adds_mu_times_the_batch_contrastive_loss_to_every_sample():
    output = _training_output()
    target = torch.tensor([0, 1, 2, 0, 0, 1])
    classification = torch.nn.CrossEntropyLoss(reduction="none")
    expected_cls = (
        classification(output[1].reshape(12, 3), target.repeat_interleave(2))
        .view(6, 2)
        .mean(1)
    )
    criterion = SharpReCLLoss(class_counts=[3, 2, 1], mu=0.7, n_negatives=12)
    torch.manual_seed(1)
    per_sample = criterion(output, target)
    assert per_sample.shape == (6,)
    offset = per_sample - expected_cls
    torch.testing.assert_close(offset, offset[:1].expand(6))
    torch.manual_seed(1)
    contrastive = criterion.contrastive_loss(
        output[2].reshape(12, 8), target.repeat_interleave(2), output[3][0]
    )
    torch.testing.assert_close(offset[0], 0.7 * contrastive)
    # Evaluation output (logits only) and the CLS-only branch.
    torch.testing.assert_close(
        criterion(output[0], target), classification(output[0], target)
    )
    torch.testing.assert_close(criterion(output[:2], target), expected_cls)
    torch.testing.assert_close(
        SharpReCLLoss(class_counts=[3, 2, 1], mu=0.0)(output, target), expected_cls
    )


def test_criterion_scl_mode_is_supervised_contrastive_on_the_views():
    output = _training_output()
    target = torch.tensor([0, 1, 2, 0, 0, 1])
    criterion = SharpReCLLoss(class_counts=[3, 2, 1], contrastive="scl", mu=1.0)
    offset = criterion(output, target) - criterion(output[:2], target)
    expected = supervised_contrastive_loss(
        output[2].reshape(12, 8), target.repeat_interleave(2), 0.3
    )
    torch.testing.assert_close(offset, expected.expand(6))


def test_criterion_is_differentiable_and_finite_for_every_ablation():
    target = torch.tensor([0, 1, 2, 0, 0, 1])
    for switches in (
        {},
        {"simple_sampling": False},
        {"hard_mixup": False},
        {"simple_sampling": False, "hard_mixup": False},
    ):
        logits, view_logits, projections, prototypes = _training_output()
        projections.requires_grad_()
        criterion = SharpReCLLoss(class_counts=[3, 2, 1], n_negatives=30, **switches)
        loss = criterion((logits, view_logits, projections, prototypes), target)
        loss.sum().backward()
        assert torch.isfinite(loss).all() and projections.grad.abs().sum() > 0


def test_criterion_rejects_unknown_contrastive():
    with pytest.raises(ValueError, match="contrastive"):
        SharpReCLLoss(class_counts=[1, 1], contrastive="simclr")
    with pytest.raises(ValueError, match="reduction"):
        rebalanced_contrastive_loss(
            _unit(3, 2), torch.tensor([0, 0, 1]), torch.ones(2), 1.0, reduction="max"
        )


@pytest.mark.parametrize("mixup_alpha", [0.5, 2.0])
def test_mixup_weight_distribution_matches_beta_quantiles(mixup_alpha):
    torch.manual_seed(0)
    pools = torch.zeros(1, 1, dtype=torch.long)
    _, _, weight = draw_mixup_pairs(pools, torch.tensor([1]), 20000, mixup_alpha)
    reference = torch.distributions.Beta(
        torch.tensor(mixup_alpha), torch.tensor(mixup_alpha)
    ).sample((20000,))
    quantiles = torch.tensor([0.1, 0.25, 0.5, 0.75, 0.9])
    torch.testing.assert_close(
        weight.quantile(quantiles), reference.quantile(quantiles), atol=0.02, rtol=0
    )


@pytest.mark.parametrize("concentration", [0.5, 1.5, 3.0])
def test_mixup_weights_follow_the_symmetric_beta_law(concentration):
    from skimbtext.losses._sharprecl import _symmetric_beta

    torch.manual_seed(0)
    draws = _symmetric_beta(concentration, (20000,), torch.zeros(1))
    # Beta(λ, λ): mean 1/2, variance 1 / (4 (2λ + 1)).
    assert draws.mean().item() == pytest.approx(0.5, abs=0.01)
    expected = 1 / (4 * (2 * concentration + 1))
    assert draws.var().item() == pytest.approx(expected, rel=0.05)


def test_hard_pools_hold_k_rows_whatever_the_embedding_dimension(batch):
    # Two-dimensional embeddings: the pool size is bounded by the number of rows
    # of D̂, not by their dimension.
    _, labels, _ = batch
    embeddings = _unit(len(labels), 2, seed=3)
    positives, n_positives, negatives, n_negatives = hard_example_pools(
        embeddings[-3:], embeddings, labels, 5
    )
    assert positives.shape == negatives.shape == (3, 5)
    assert n_positives.tolist() == [5, 5, 3]
    assert n_negatives.tolist() == [5, 5, 5]


def test_simple_sampling_draws_classes_independently():
    # Two classes of ten allowed rows each: the rank drawn for one class says
    # nothing about the rank drawn for the other (equal one time in ten).
    mask = torch.zeros(2, 20, dtype=torch.bool)
    mask[0, :10] = True
    mask[1, 10:] = True
    torch.manual_seed(0)
    draws = simple_sampling_indices(mask, 4000)
    assert (draws[0] < 10).all() and (draws[1] >= 10).all()
    same_rank = (draws[1] - 10 == draws[0]).float().mean().item()
    assert same_rank == pytest.approx(0.1, abs=0.03)


def test_mixup_pairs_are_drawn_independently_per_class():
    pools = torch.stack([torch.arange(0, 5), torch.arange(5, 10)])
    torch.manual_seed(0)
    first, second, _ = draw_mixup_pairs(pools, torch.tensor([5, 5]), 4000, 0.5)
    # Equal pool sizes: the two classes pick the same positions one time in five.
    assert (first[1] - 5 == first[0]).float().mean().item() == pytest.approx(
        0.2, abs=0.04
    )
    assert (second[1] - 5 == second[0]).float().mean().item() == pytest.approx(
        0.2, abs=0.04
    )


def test_target_set_defaults_are_the_documented_ones():
    # 25 rows per class: more candidates than the default pool size k=20.
    labels = torch.tensor([0] * 24 + [1] * 24 + [0, 1])
    embeddings = _unit(len(labels), 8, seed=1)
    prototypes = embeddings[-2:]
    torch.manual_seed(0)
    default = rebalanced_target_sets(embeddings, labels, prototypes)
    torch.manual_seed(0)
    documented = rebalanced_target_sets(
        embeddings,
        labels,
        prototypes,
        n_positives=10,
        n_negatives=500,
        k=20,
        synthetic_share=0.5,
        mixup_alpha=0.5,
    )
    assert default.n_positives == 10 and default.first.shape == (2, 510)
    for got, expected in zip(default, documented):
        torch.testing.assert_close(got, expected)
    # Half of each set is sampled (single rows, weight 1), half is mixed.
    assert (default.weight[:, :5] == 1).all() and (default.weight[:, 10:260] == 1).all()
    assert (default.weight[:, 5:10] < 1).all() and (default.weight[:, 260:] < 1).all()


def test_target_set_weights_have_the_dtype_of_the_embeddings(batch):
    embeddings, labels, prototypes = batch
    torch.manual_seed(0)
    targets = rebalanced_target_sets(
        embeddings.double(), labels, prototypes.double(), n_negatives=6, k=3
    )
    assert targets.weight.dtype == torch.float64


def test_half_precision_rows_give_a_float32_loss(batch):
    embeddings, labels, _ = batch
    half = embeddings.to(torch.bfloat16)
    class_weight = torch.tensor([0.3, 1.2, 2.5])
    loss = rebalanced_contrastive_loss(half, labels, class_weight, 0.5)
    assert loss.dtype == torch.float32
    torch.testing.assert_close(
        loss, rebalanced_contrastive_loss(half.float(), labels, class_weight, 0.5)
    )
    # The loss follows the rows, not the class weights.
    double_weight = rebalanced_contrastive_loss(
        embeddings, labels, class_weight.double(), 0.5
    )
    assert double_weight.dtype == torch.float32


def test_an_anchor_without_positives_adds_nothing():
    # Anchor 2 is alone in class 1: its class weight does not matter.
    z = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    labels = torch.tensor([0, 0, 1])
    for reduction in ("sum", "mean"):
        light = rebalanced_contrastive_loss(
            z, labels, torch.tensor([1.0, 0.1]), 1.0, reduction=reduction
        )
        heavy = rebalanced_contrastive_loss(
            z, labels, torch.tensor([1.0, 7.0]), 1.0, reduction=reduction
        )
        # Anchors 0 and 1: -log(e / (e + 1)) each, over 3 rows.
        expected = 2 * math.log((math.e + 1) / math.e) / 3
        assert light.item() == heavy.item() == pytest.approx(expected, rel=1e-6)
    # A single row has neither positives nor anything to contrast with: 0, not NaN.
    single = rebalanced_contrastive_loss(z[:1], labels[:1], torch.ones(2), 1.0)
    assert single.item() == 0.0


def test_mean_and_sum_agree_when_every_anchor_has_one_positive():
    z = _unit(4, 3, seed=2)
    labels = torch.tensor([0, 0, 1, 1])
    class_weight = torch.tensor([0.7, 1.9])
    torch.testing.assert_close(
        rebalanced_contrastive_loss(z, labels, class_weight, 0.5, reduction="mean"),
        rebalanced_contrastive_loss(z, labels, class_weight, 0.5, reduction="sum"),
    )


def _classification_part(output, target):
    batch_size, n_views, n_classes = output[1].shape
    return (
        F.cross_entropy(
            output[1].reshape(-1, n_classes),
            target.repeat_interleave(n_views),
            reduction="none",
        )
        .view(batch_size, n_views)
        .mean(1)
    )


def _eq11_of_the_batch(output, target, class_counts, tau, reduction, target_kwargs):
    """L_CL from the public functions: D̂ = both views and the prototypes."""
    batch_size, n_views, dim = output[2].shape
    n_classes = output[3].shape[1]
    rows = torch.cat([output[2].reshape(-1, dim), output[3][0]])
    labels = torch.cat([target.repeat_interleave(n_views), torch.arange(n_classes)])
    counts = torch.tensor(class_counts, dtype=torch.float64)
    weight = -torch.log(counts / counts.sum())
    if reduction == "mean":
        weight = weight / weight.mean()
    targets = None
    if target_kwargs is not None:
        targets = rebalanced_target_sets(
            rows, labels, rows[-n_classes:], **target_kwargs
        )
    return rebalanced_contrastive_loss(
        rows, labels, weight.float(), tau, targets, reduction=reduction
    )


def test_criterion_defaults_are_the_documented_ones():
    # 25 rows per class in D̂, more than the default pool size k=20.
    output = _training_output(batch_size=24, n_classes=2)
    target = torch.tensor([0, 1] * 12)
    torch.manual_seed(3)
    per_sample = SharpReCLLoss(class_counts=[30, 10])(output, target)
    torch.manual_seed(3)
    contrastive = _eq11_of_the_batch(
        output,
        target,
        [30, 10],
        0.3,
        "mean",
        {
            "n_positives": 10,
            "n_negatives": 500,
            "k": 20,
            "synthetic_share": 0.5,
            "mixup_alpha": 0.5,
            "simple_sampling": True,
            "hard_mixup": True,
        },
    )
    expected = _classification_part(output, target) + 1.0 * contrastive
    torch.testing.assert_close(per_sample, expected)


def test_criterion_passes_its_settings_to_the_target_sets_and_the_loss():
    output = _training_output()
    target = torch.tensor([0, 1, 2, 0, 0, 1])
    settings = {
        "n_positives": 3,
        "n_negatives": 12,
        "k": 4,
        "synthetic_share": 0.8,
        "mixup_alpha": 2.0,
    }
    criterion = SharpReCLLoss(
        class_counts=[5, 3, 2],
        mu=0.4,
        temperature=0.5,
        positive_reduction="sum",
        **settings,
    )
    torch.manual_seed(4)
    per_sample = criterion(output, target)
    torch.manual_seed(4)
    contrastive = _eq11_of_the_batch(output, target, [5, 3, 2], 0.5, "sum", settings)
    torch.testing.assert_close(
        per_sample, _classification_part(output, target) + 0.4 * contrastive
    )


@pytest.mark.parametrize(
    "switches",
    [
        {"simple_sampling": False},
        {"hard_mixup": False},
        {"simple_sampling": False, "hard_mixup": False},
    ],
)
def test_criterion_ablations_build_the_matching_target_sets(switches):
    output = _training_output()
    target = torch.tensor([0, 1, 2, 0, 0, 1])
    criterion = SharpReCLLoss(class_counts=[5, 3, 2], n_negatives=12, k=3, **switches)
    torch.manual_seed(5)
    per_sample = criterion(output, target)
    target_kwargs = None  # both off: the loss runs on D̂ alone
    if len(switches) == 1:
        target_kwargs = dict(n_negatives=12, k=3, **switches)
    torch.manual_seed(5)
    contrastive = _eq11_of_the_batch(
        output, target, [5, 3, 2], 0.3, "mean", target_kwargs
    )
    torch.testing.assert_close(
        per_sample, _classification_part(output, target) + contrastive
    )


def test_criterion_handles_a_batch_of_one_sample():
    # The last batch of an epoch can hold a single sample.
    output = _training_output(batch_size=1)
    target = torch.tensor([2])
    criterion = SharpReCLLoss(class_counts=[5, 3, 2], n_negatives=12, k=3)
    torch.manual_seed(6)
    per_sample = criterion(output, target)
    torch.manual_seed(6)
    contrastive = _eq11_of_the_batch(
        output, target, [5, 3, 2], 0.3, "mean", {"n_negatives": 12, "k": 3}
    )
    assert per_sample.shape == (1,)
    torch.testing.assert_close(
        per_sample, _classification_part(output, target) + contrastive
    )


def test_criterion_uses_the_given_classification_loss():
    output = _training_output()
    target = torch.tensor([0, 1, 2, 0, 0, 1])
    smoothed = torch.nn.CrossEntropyLoss(reduction="none", label_smoothing=0.3)
    criterion = SharpReCLLoss(class_counts=[5, 3, 2], classification_loss=smoothed)
    torch.testing.assert_close(
        criterion(output[0], target), smoothed(output[0], target)
    )
    expected = smoothed(output[1].reshape(12, 3), target.repeat_interleave(2))
    torch.testing.assert_close(
        criterion(output[:2], target), expected.view(6, 2).mean(1)
    )


@pytest.mark.parametrize("class_counts", [[4, 0], [4, -1], [[4, 2]]])
def test_criterion_rejects_bad_class_counts_by_name(class_counts):
    # The message opens with the parameter's name, as the user spelled it.
    with pytest.raises(ValueError, match=r"^class_counts must"):
        SharpReCLLoss(class_counts=class_counts)
