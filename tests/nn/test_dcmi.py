import copy
import math
import pickle
import re

import pytest
import torch
import torch.nn.functional as F

from skimbtext.encoders import MLPEncoder
from skimbtext.losses._dcmi import (
    DCMILoss,
    domain_classification_loss,
    masked_view_similarity,
    soft_contrastive_loss,
)
from skimbtext.nn._dcmi import (
    OUTPUT_FIELDS,
    DCMIModule,
    DomainMaskLayer,
    PerDomainLinear,
    hat_compensation_factor,
    masked_head_logits,
    own_domain_view_similarity,
)

LOGITS, DOMAIN_LOGITS, SIMILARITY, RELEVANCE, DOMAIN = range(5)


class Identity(torch.nn.Module):
    """A body returning its features, so tests control h exactly."""

    def __init__(self, width):
        super().__init__()
        self.output_dim = width

    def forward(self, features):
        return features


def _module(n_domains=3, width=4, n_classes=2, body=None, **params):
    torch.manual_seed(0)
    body = MLPEncoder(5, (width,)) if body is None else body
    return DCMIModule(body, n_classes, n_domains, **params)


def test_output_fields_are_batch_first():
    module = _module()
    output = module(domain=torch.tensor([0, 1, 2, 0]), features=torch.randn(4, 5))
    assert len(output) == len(OUTPUT_FIELDS) == 5
    assert [tuple(t.shape) for t in output] == [(4, 2), (4, 3), (4, 3), (4, 3), (4,)]
    module.eval()
    assert len(module(domain=torch.tensor([0]), features=torch.randn(1, 5))) == 5


# ---------------------------------------------------------------- masks and HAT


def test_masks_use_the_training_temperature_then_tau_min():
    layer = DomainMaskLayer(2, 3, tau_min=0.01)
    layer.tau = 0.5
    expected = torch.sigmoid(layer.embedding.detach() / 0.5)
    torch.testing.assert_close(layer.train()(), expected)
    expected = torch.sigmoid(layer.embedding.detach() / 0.01)
    torch.testing.assert_close(layer.eval()(), expected)


@pytest.mark.parametrize(
    "value, tau, expected",
    [
        (0.0, 0.5, 200.0),  # (0.5 / 0.0025) * (cosh 0 + 1) / (cosh 0 + 1)
        (1.0, 0.5, 200.0 * (math.cosh(2.0) + 1) / (math.cosh(1.0) + 1)),
        (-1.0, 1.0, 400.0),
        # v / tau = 100 is clamped to 50 inside cosh
        (1.0, 0.01, 4.0 * (math.cosh(50.0) + 1) / (math.cosh(1.0) + 1)),
    ],
)
def test_compensation_factor_by_hand(value, tau, expected):
    factor = hat_compensation_factor(
        torch.tensor([value], dtype=torch.float64), tau=tau, tau_min=0.0025
    )
    assert factor.item() == pytest.approx(expected, rel=1e-9)


def _sigmoid_slope(x):
    return torch.sigmoid(x) * (1 - torch.sigmoid(x))


@pytest.mark.parametrize("tau", [1.0, 0.3, 0.02])
def test_compensated_gradient_does_not_depend_on_tau(tau):
    # d sigmoid(v / tau) / dv = sigmoid'(v / tau) / tau; times the factor this is
    # sigmoid'(v) / tau_min whatever tau is.
    layer = DomainMaskLayer(2, 5, tau_min=0.0025).double().train()
    with torch.no_grad():
        layer.embedding.copy_(torch.linspace(-0.2, 0.2, 10).reshape(2, 5))
    layer.tau = tau
    layer().sum().backward()
    expected = _sigmoid_slope(layer.embedding.detach()) / 0.0025
    torch.testing.assert_close(layer.embedding.grad, expected, rtol=1e-9, atol=0)


def test_compensation_survives_pickling_and_copying():
    layer = DomainMaskLayer(2, 3, tau_min=0.0025).train()
    layer.tau = 0.5
    for clone in (pickle.loads(pickle.dumps(layer)), copy.deepcopy(layer)):
        clone().sum().backward()
        expected = _sigmoid_slope(clone.embedding.detach()) / 0.0025
        torch.testing.assert_close(clone.embedding.grad, expected, rtol=1e-4, atol=1e-6)


def test_no_hook_without_gradients():
    layer = DomainMaskLayer(2, 3)
    with torch.no_grad():
        masks = layer()
    assert masks.grad_fn is None


def test_clamp_embedding():
    layer = DomainMaskLayer(1, 3)
    with torch.no_grad():
        layer.embedding.copy_(torch.tensor([[-9.0, 0.5, 7.0]]))
    layer.clamp_embedding_(6.0)
    assert layer.embedding.tolist() == [[-6.0, 0.5, 6.0]]


# ---------------------------------------------------------- views and heads


def test_augmented_view_and_similarity_by_hand():
    # h = [1, 2]; masks m_0 = [1, 0], m_1 = [0.5, 1]; relevance a = [1, 0.5]:
    # weights [2/3, 1/3], augmented view h_bar = 2/3 [1, 0] + 1/3 [0.5, 2]
    # = [5/6, 2/3]; views h_0 = [1, 0], h_1 = [0.5, 2].
    module = _module(n_domains=2, width=2, body=Identity(2)).eval()
    with torch.no_grad():
        module.domain_masks.embedding.copy_(torch.tensor([[6.0, -6.0], [0.0, 6.0]]))
        module.domain_head.weight.zero_()
        module.domain_head.bias.copy_(torch.tensor([30.0, 0.0]))
        h = torch.tensor([[1.0, 2.0]])
        parts = module._encode(torch.tensor([1]), {"features": h})
        similarity = module(domain=torch.tensor([1]), features=h)[SIMILARITY]
    torch.testing.assert_close(parts.masks, torch.tensor([[1.0, 0.0], [0.5, 1.0]]))
    torch.testing.assert_close(parts.relevance, torch.tensor([[1.0, 0.5]]))
    torch.testing.assert_close(h * parts.anchor_gate, torch.tensor([[5 / 6, 2 / 3]]))
    norm = math.hypot(5 / 6, 2 / 3)
    expected = [(5 / 6) / norm, (5 / 12 + 4 / 3) / (norm * math.hypot(0.5, 2.0))]
    torch.testing.assert_close(similarity, torch.tensor([expected]))


def test_module_uses_the_relevance_weighted_view():
    module = _module(n_domains=3, width=4, body=Identity(4)).eval()
    h = torch.randn(5, 4)
    domain = torch.tensor([0, 1, 2, 1, 0])
    with torch.no_grad():
        parts = module._encode(domain, {"features": h})
        masks = module.domain_masks()
        relevance = torch.sigmoid(module.domain_head(h))
        weights = relevance / relevance.sum(-1, keepdim=True)
        views = h[:, None, :] * masks[None]
        augmented = (weights[:, :, None] * views).sum(1)
    torch.testing.assert_close(parts.relevance, relevance)
    torch.testing.assert_close(h * parts.anchor_gate, augmented)
    torch.testing.assert_close(h * parts.own_gate, views[torch.arange(5), domain])


def test_factorised_similarity_equals_explicit_views():
    torch.manual_seed(0)
    h = torch.randn(6, 8, dtype=torch.float64)
    h[2] = 0.0  # a dead encoder output: all cosines 0, as with F.normalize
    masks = torch.rand(4, 8, dtype=torch.float64)
    gate = torch.softmax(torch.randn(6, 4, dtype=torch.float64), -1) @ masks
    views = h[:, None, :] * masks[None]
    expected = torch.einsum(
        "bd,bmd->bm", F.normalize(h * gate, dim=-1), F.normalize(views, dim=-1)
    )
    torch.testing.assert_close(masked_view_similarity(h, masks, gate), expected)
    assert masked_view_similarity(h, masks, gate)[2].abs().max() == 0


def test_factorised_similarity_gradient_is_finite_for_zero_rows():
    h = torch.zeros(2, 3, requires_grad=True)
    masks = torch.rand(2, 3, requires_grad=True)
    masked_view_similarity(h, masks, masks[:1].expand(2, 3)).sum().backward()
    assert torch.isfinite(h.grad).all() and torch.isfinite(masks.grad).all()


def test_supervised_head_sees_the_own_domain_view_without_dropout_at_eval():
    module = _module(n_domains=3, width=4, body=Identity(4)).eval()
    h = torch.randn(3, 4)
    domain = torch.tensor([2, 0, 1])
    with torch.no_grad():
        logits = module(domain=domain, features=h)[LOGITS]
        expected = module.head(h * module.domain_masks()[domain])
    torch.testing.assert_close(logits, expected)


def test_unseen_domain_uses_the_augmented_view():
    module = _module(n_domains=3, width=4, body=Identity(4)).eval()
    h = torch.randn(2, 4)
    with torch.no_grad():
        logits = module(domain=torch.tensor([-1, 1]), features=h)[LOGITS]
        relevance = torch.sigmoid(module.domain_head(h))
        gate = (relevance / relevance.sum(-1, keepdim=True)) @ module.domain_masks()
        expected = module.head(h * gate)
    torch.testing.assert_close(logits[0], expected[0])
    assert not torch.allclose(logits[1], expected[1])


def test_dataset_relevance_is_one_hot_and_learned_for_unseen_domains():
    module = _module(n_domains=3, body=Identity(4), relevance="dataset").eval()
    h = torch.randn(3, 4)
    with torch.no_grad():
        output = module(domain=torch.tensor([2, 0, -1]), features=h)
    relevance = output[RELEVANCE]
    assert relevance[:2].tolist() == [[0, 0, 1], [1, 0, 0]]
    torch.testing.assert_close(relevance[2], torch.sigmoid(module.domain_head(h[2])))


@pytest.mark.parametrize("logits", ["linear", "cosine"])
@pytest.mark.parametrize("head", ["shared", "per_domain"])
def test_agreement_relevance_is_the_heads_probability_of_the_label(head, logits):
    module = _module(
        n_domains=3, body=Identity(4), relevance="agreement", head=head, logits=logits
    )
    module.train()
    h, domain, target = (
        torch.randn(3, 4),
        torch.tensor([2, 0, -1]),
        torch.tensor([1, 0, 1]),
    )
    with torch.no_grad():
        relevance = module(domain=domain, features=h, target=target)[RELEVANCE]
        masks = module.domain_masks()
        expected = torch.empty(3, 3)
        for i in range(3):
            for j in range(3):
                view = (h[i] * masks[j])[None]
                if head == "shared":
                    scores = module.head(view)
                elif logits == "linear":  # head j reads domain j's view
                    scores = view @ module.head.weight[j].T + module.head.bias[j]
                else:
                    weight = F.normalize(module.head.weight[j], dim=-1)
                    scores = F.normalize(view, dim=-1) @ weight.T
                expected[i, j] = torch.softmax(scores, -1)[0, target[i]]
        learned = torch.sigmoid(module.domain_head(h))
    assert module.reads_target
    # own domain 1; other domains p(y | h ⊙ m_j); an unseen domain the domain head
    torch.testing.assert_close(
        relevance[0], torch.cat([expected[0, :2], torch.ones(1)])
    )
    torch.testing.assert_close(
        relevance[1], torch.cat([torch.ones(1), expected[1, 1:]])
    )
    torch.testing.assert_close(relevance[2], learned[2])
    # Without labels (prediction) the domain head gives every relevance.
    with torch.no_grad():
        unlabelled = module(domain=domain, features=h)[RELEVANCE]
    torch.testing.assert_close(unlabelled, learned)
    assert not _module(relevance="learned").reads_target


@pytest.mark.parametrize("cosine", [False, True])
@pytest.mark.parametrize("per_domain", [False, True])
@pytest.mark.parametrize("with_bias", [False, True])
def test_masked_head_logits_equal_the_head_on_explicit_views(
    per_domain, cosine, with_bias
):
    torch.manual_seed(0)
    h, masks = torch.randn(5, 4), torch.rand(3, 4)
    weight = torch.randn(3, 2, 4) if per_domain else torch.randn(2, 4)
    bias = (torch.randn(3, 2) if per_domain else torch.randn(2)) if with_bias else None
    views = h[:, None, :] * masks  # (B, M, d)
    w = F.normalize(weight, dim=-1) if cosine else weight
    v = F.normalize(views, dim=-1) if cosine else views
    if per_domain:
        expected = torch.einsum("bmd,mcd->bmc", v, w)
    else:
        expected = v @ w.T
    if bias is not None and not cosine:
        expected = expected + bias
    logits = masked_head_logits(h, masks, weight, bias, cosine=cosine)
    torch.testing.assert_close(logits, expected)
    if not cosine:  # linear is the default
        default = masked_head_logits(h, masks, weight, bias)
        torch.testing.assert_close(default, expected)
    # Under 16-bit autocast the products still run in float32.
    with torch.autocast("cpu", dtype=torch.bfloat16):
        mixed = masked_head_logits(h, masks, weight, bias, cosine=cosine)
    assert mixed.dtype == torch.float32
    torch.testing.assert_close(mixed, expected)


def test_per_domain_heads_and_their_mixture_for_unseen_domains():
    torch.manual_seed(0)
    head = PerDomainLinear(4, 2, n_domains=3).eval()
    x = torch.randn(4, 4)
    weights = torch.softmax(torch.randn(4, 3), -1)
    logits = head(x, torch.tensor([0, 2, 1, -1]), weights)
    for row, j in enumerate([0, 2, 1]):
        expected = x[row] @ head.weight[j].T + head.bias[j]
        torch.testing.assert_close(logits[row], expected)
    mixed = sum(
        weights[3, j] * (x[3] @ head.weight[j].T + head.bias[j]) for j in range(3)
    )
    torch.testing.assert_close(logits[3], mixed)


def test_cosine_per_domain_head_gives_cosines():
    head = PerDomainLinear(4, 2, n_domains=2, cosine=True)
    logits = head(torch.randn(3, 4) * 10, torch.tensor([0, 1, 0]), None)
    assert logits.abs().max() <= 1.0 + 1e-6 and head.bias is None


def test_without_masks_every_view_is_h():
    module = _module(body=Identity(4), use_mask=False).eval()
    h = torch.randn(3, 4)
    output = module(domain=torch.tensor([0, 1, -1]), features=h)
    assert module.domain_masks is None
    assert torch.equal(output[SIMILARITY], torch.ones(3, 3))
    torch.testing.assert_close(output[LOGITS], module.head(h))


def test_representations_before_and_after_the_mask_layer():
    module = _module(body=Identity(4)).eval()
    h = torch.randn(2, 4)
    encoded, domain_aware = module.representations(
        domain=torch.tensor([1, 2]), features=h
    )
    torch.testing.assert_close(encoded, h)
    torch.testing.assert_close(domain_aware, h * module.domain_masks()[[1, 2]])


def test_many_domains_without_a_views_tensor():
    # 5000 domains x width 256 x batch 64 would be a 330 MB (B, M, d) tensor.
    module = _module(n_domains=5000, width=256, body=Identity(256))
    output = module(domain=torch.randint(0, 5000, (64,)), features=torch.rand(64, 256))
    output[SIMILARITY].sum().backward()
    assert output[SIMILARITY].shape == (64, 5000)


# ---------------------------------------------------------- gradient routing


def _grads(module):
    return {
        name: (None if p.grad is None else p.grad.abs().sum().item())
        for name, p in module.named_parameters()
    }


def _routing(loss_term, **params):
    module = _module(n_domains=3, width=6, **params).train()
    module.domain_masks.tau = 0.5
    target = torch.tensor([0, 1, 1, 0])
    labels = {"target": target} if module.reads_target else {}
    output = module(
        domain=torch.tensor([0, 1, 2, 1]), features=torch.randn(4, 5), **labels
    )
    DCMILoss().components(output, target)[loss_term].sum().backward()
    return _grads(module)


def _is_zero(grad):
    return grad is None or grad == 0.0


def _groups(grads):
    groups = {"body": [], "domain_masks": [], "head": [], "domain_head": []}
    for name, grad in grads.items():
        groups[name.split(".")[0]].append(grad)
    return groups


@pytest.mark.parametrize("relevance", ["learned", "dataset", "agreement"])
def test_supervised_loss_never_reaches_the_domain_head(relevance):
    groups = _groups(_routing("sup", relevance=relevance))
    assert all(_is_zero(g) for g in groups["domain_head"])
    assert all(not _is_zero(g) for g in groups["head"] + groups["domain_masks"])
    assert any(not _is_zero(g) for g in groups["body"])


def test_domain_loss_updates_only_the_domain_head():
    groups = _groups(_routing("dom"))
    assert all(not _is_zero(g) for g in groups["domain_head"])
    others = groups["body"] + groups["domain_masks"] + groups["head"]
    assert all(_is_zero(g) for g in others)


@pytest.mark.parametrize("relevance", ["learned", "agreement"])
@pytest.mark.parametrize("head", ["shared", "per_domain"])
def test_contrastive_loss_never_reaches_either_head(head, relevance):
    # With label agreement the head gives the relevance, as a constant.
    groups = _groups(_routing("con", head=head, relevance=relevance))
    assert all(_is_zero(g) for g in groups["head"] + groups["domain_head"])
    assert all(not _is_zero(g) for g in groups["domain_masks"])


def test_contrastive_loss_reaches_the_body_only_when_asked():
    # By default L_con shapes the domain embeddings only: through the body it
    # would squeeze h into a few dimensions (see DCMIClassifier).
    default = _groups(_routing("con"))
    assert all(_is_zero(g) for g in default["body"])
    paper = _groups(_routing("con", contrastive_updates_body=True))
    assert any(not _is_zero(g) for g in paper["body"])
    assert all(not _is_zero(g) for g in paper["domain_masks"])


def _mask_gradients(similarity_of, domain):
    """Gradient of each sample's summed similarities on every mask row: (B, M)."""
    torch.manual_seed(0)
    h, masks = torch.randn(len(domain), 4), torch.rand(3, 4, requires_grad=True)
    weights = torch.softmax(torch.randn(len(domain), 3), -1)
    rows = []
    for i in range(len(domain)):
        similarity = similarity_of(h, masks, weights, domain)
        (grad,) = torch.autograd.grad(similarity[i].sum(), masks)
        rows.append(grad.abs().sum(-1) > 0)
    return torch.stack(rows)


def test_own_domain_similarity_updates_only_the_samples_own_mask():
    domain = torch.tensor([0, 2, 2, -1])
    routed = _mask_gradients(own_domain_view_similarity, domain)
    expected = torch.tensor(
        [[True, False, False], [False, False, True], [False, False, True]]
        + [[False, False, False]]  # an unseen domain reaches no mask
    )
    assert torch.equal(routed, expected)
    # The paper's gradient reaches every mask from every sample.
    everywhere = _mask_gradients(
        lambda h, masks, w, d: masked_view_similarity(h, masks, w @ masks), domain
    )
    assert everywhere.all()


def test_own_domain_similarity_keeps_the_values_and_the_own_masks_gradient():
    torch.manual_seed(1)
    h, weights = torch.randn(6, 4), torch.softmax(torch.randn(6, 3), -1)
    domain = torch.tensor([0, 1, 2, 2, 1, 0])
    masks = torch.rand(3, 4, requires_grad=True)
    routed = own_domain_view_similarity(h, masks, weights, domain)
    paper = masked_view_similarity(h, masks, weights @ masks)
    torch.testing.assert_close(routed, paper)
    # Summed over the samples of domain 2, the gradient on mask 2 is the paper's
    # gradient of those samples' losses on mask 2.
    keep = domain == 2
    (routed_grad,) = torch.autograd.grad(routed[keep].sum(), masks)
    (paper_grad,) = torch.autograd.grad(paper[keep].sum(), masks)
    torch.testing.assert_close(routed_grad[2], paper_grad[2])
    assert torch.count_nonzero(routed_grad[:2]) == 0
    # Under 16-bit autocast, with a 16-bit h, the products still run in float32.
    half = h.bfloat16()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        autocast = own_domain_view_similarity(half, masks, weights, domain)
    assert autocast.dtype == torch.float32
    expected = masked_view_similarity(half.float(), masks, weights @ masks)
    torch.testing.assert_close(autocast, expected, atol=1e-6, rtol=1e-6)


@pytest.mark.parametrize("updates", ["all", "own"])
def test_module_routes_the_contrastive_loss_to_the_masks_it_is_told(updates):
    # An identity body: no dropout between the two forward passes compared below.
    module = _module(body=Identity(4), contrastive_mask_updates=updates).train()
    features = torch.randn(2, 4)
    output = module(domain=torch.tensor([1, 1]), features=features)
    soft_contrastive_loss(output[SIMILARITY], output[RELEVANCE]).sum().backward()
    touched = module.domain_masks.embedding.grad.abs().sum(-1) > 0
    assert touched.tolist() == ([True] * 3 if updates == "all" else [0, 1, 0])
    # In training, with gradients on, the routed cosines are the paper's values.
    module.contrastive_mask_updates = "all"
    paper = module(domain=torch.tensor([1, 1]), features=features)
    torch.testing.assert_close(output[SIMILARITY], paper[SIMILARITY])


def test_joint_loss_matches_its_components():
    module = _module().train()
    output = module(domain=torch.tensor([0, 2]), features=torch.randn(2, 5))
    target = torch.tensor([1, 0])
    criterion = DCMILoss(lambda_dom=2.0, lambda_con=0.5, temperature=0.7)
    parts = criterion.components(output, target)
    expected = F.cross_entropy(output[LOGITS], target, reduction="none")
    expected = expected + 2.0 * domain_classification_loss(
        output[DOMAIN_LOGITS], output[DOMAIN]
    )
    expected = expected + 0.5 * soft_contrastive_loss(
        output[SIMILARITY], output[RELEVANCE], temperature=0.7
    )
    torch.testing.assert_close(criterion(output, target), expected)
    torch.testing.assert_close(
        parts["sup"] + 2.0 * parts["dom"] + 0.5 * parts["con"], expected
    )


# ---------------------------------------------------------- defaults and heads


def test_fresh_masks_train_at_temperature_1_and_infer_at_0_0025():
    torch.manual_seed(0)
    layer = DomainMaskLayer(2, 3)
    v = layer.embedding.detach()
    torch.testing.assert_close(layer.train()(), torch.sigmoid(v))
    torch.testing.assert_close(layer.eval()(), torch.sigmoid(v / 0.0025))


def test_frozen_embeddings_give_masks_without_a_hook():
    layer = DomainMaskLayer(2, 3).train()
    layer.embedding.requires_grad_(False)
    masks = layer()  # gradients enabled, but nothing to compensate
    torch.testing.assert_close(masks, torch.sigmoid(layer.embedding))
    assert masks.grad_fn is None


def test_compensation_clamps_at_the_layers_cosh_bound():
    layer = DomainMaskLayer(1, 2, tau_min=0.0025, cosh_bound=2.0).double().train()
    with torch.no_grad():
        layer.embedding.copy_(torch.tensor([[1.0, -0.5]]))
    layer.tau = 0.1  # v / tau = 10 and -5, clamped to 2 and -2 inside cosh
    layer().sum().backward()
    v = layer.embedding.detach()
    factor = (0.1 / 0.0025) * (math.cosh(2.0) + 1) / (torch.cosh(v) + 1)
    expected = _sigmoid_slope(v / 0.1) / 0.1 * factor
    torch.testing.assert_close(layer.embedding.grad, expected, rtol=1e-9, atol=0)


def test_per_domain_heads_are_initialised_like_nn_linear():
    torch.manual_seed(0)
    head = PerDomainLinear(16, 8, n_domains=4)  # nn.Linear's bound: 1 / sqrt(16)
    for parameter in (head.weight, head.bias):
        assert parameter.abs().max() <= 0.25
        assert parameter.min() < -0.125 and parameter.max() > 0.125


def test_known_domains_need_no_domain_weights():
    torch.manual_seed(0)
    head = PerDomainLinear(4, 2, n_domains=3)
    x = torch.randn(3, 4)
    domain = torch.tensor([0, 2, 1])
    expected = torch.stack(
        [x[row] @ head.weight[j].T + head.bias[j] for row, j in enumerate(domain)]
    )
    for mode in (head.train(), head.eval()):
        torch.testing.assert_close(mode(x, domain, None), expected)


def _cosines(features, weight):
    """Cosine of every row of features with every row of weight (per row if 3-D)."""
    return F.cosine_similarity(features[:, None, :], weight, dim=-1)


def test_cosine_per_domain_head_gives_the_cosine_with_the_domain_head():
    torch.manual_seed(0)
    head = PerDomainLinear(4, 2, n_domains=2, cosine=True)
    x = torch.randn(3, 4) * 10
    domain = torch.tensor([0, 1, 0])
    torch.testing.assert_close(head(x, domain, None), _cosines(x, head.weight[domain]))


def test_per_domain_module_classifies_with_the_head_of_each_domain():
    module = _module(n_domains=3, body=Identity(4), head="per_domain").eval()
    h = torch.randn(3, 4)
    domain = torch.tensor([2, 0, 1])
    with torch.no_grad():
        logits = module(domain=domain, features=h)[LOGITS]
        view = h * module.domain_masks()[domain]
        weight, bias = module.head.weight[domain], module.head.bias[domain]
    expected = torch.einsum("bcd,bd->bc", weight, view) + bias
    torch.testing.assert_close(logits, expected)


@pytest.mark.parametrize("head", ["shared", "per_domain"])
def test_cosine_logits_are_cosines_of_the_own_domain_view(head):
    module = _module(n_domains=3, body=Identity(4), head=head, logits="cosine")
    module.eval()
    h = torch.randn(3, 4) * 5
    domain = torch.tensor([2, 0, 1])
    with torch.no_grad():
        logits = module(domain=domain, features=h)[LOGITS]
        view = h * module.domain_masks()[domain]
    weight = module.head.weight
    weight = weight[domain] if head == "per_domain" else weight
    torch.testing.assert_close(logits, _cosines(view, weight))


@pytest.mark.parametrize("use_mask", [True, False])
def test_per_domain_module_mixes_the_heads_for_an_unseen_domain(use_mask):
    module = _module(
        n_domains=3, body=Identity(4), head="per_domain", use_mask=use_mask
    ).eval()
    h = torch.randn(2, 4)
    with torch.no_grad():
        logits = module(domain=torch.tensor([-1, 1]), features=h)[LOGITS]
        relevance = torch.sigmoid(module.domain_head(h[:1]))
        weights = (relevance / relevance.sum())[0]
        view = h[0]
        if use_mask:
            view = h[0] * (weights @ module.domain_masks())
        W, b = module.head.weight, module.head.bias
        mixed = sum(weights[j] * (W[j] @ view + b[j]) for j in range(3))
    torch.testing.assert_close(logits[0], mixed)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"head": "mlp"}, "head must be 'shared' or 'per_domain', got 'mlp'."),
        ({"logits": "mlp"}, "logits must be one of ('linear', 'cosine'), got 'mlp'."),
        (
            {"relevance": "oracle"},
            "relevance must be one of ('learned', 'dataset', 'agreement'), got "
            "'oracle'.",
        ),
        (
            {"contrastive_mask_updates": "some"},
            "contrastive_mask_updates must be one of ('all', 'own'), got 'some'.",
        ),
    ],
)
def test_invalid_choices_are_named_in_the_error(params, message):
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        _module(**params)


def test_reprs_give_the_shapes():
    assert repr(DomainMaskLayer(3, 4)) == (
        "DomainMaskLayer(n_domains=3, width=4, tau_min=0.0025)"
    )
    assert repr(PerDomainLinear(4, 2, n_domains=3, cosine=True)) == (
        "PerDomainLinear(in_features=4, out_features=2, n_domains=3, cosine=True)"
    )
