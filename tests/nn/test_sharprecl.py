"""SharpReCLModule: views, branches and prototypes."""

import re

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from skimbtext.encoders import MLPEncoder
from skimbtext.nn._sharprecl import ProjectionHead, SharpReCLModule


class RecordingBody(nn.Module):
    """Sums token embeddings under the mask; records the inputs it was given."""

    def __init__(self, width=4):
        super().__init__()
        self.embedding = nn.Embedding(50, width)
        self.output_dim = width
        self.calls = []

    def forward(self, input_ids, attention_mask):
        self.calls.append((input_ids, attention_mask))
        mask = attention_mask.unsqueeze(-1).float()
        return (self.embedding(input_ids) * mask).sum(1)


def test_training_output_shapes_and_evaluation_logits():
    torch.manual_seed(0)
    module = SharpReCLModule(MLPEncoder(5, (8,)), n_classes=3, projection_dim=6)
    features = torch.randn(4, 5)
    logits, view_logits, projections, prototypes = module(
        features=features, aug_features=torch.randn(4, 5)
    )
    assert logits.shape == (4, 3) and view_logits.shape == (4, 2, 3)
    assert projections.shape == (4, 2, 6) and prototypes.shape == (4, 3, 6)
    torch.testing.assert_close(view_logits[:, 0], logits)
    torch.testing.assert_close(projections.norm(dim=-1), torch.ones(4, 2))
    torch.testing.assert_close(prototypes.norm(dim=-1), torch.ones(4, 3))
    # The prototypes are shared by the batch (a broadcast view, not copies).
    assert prototypes.stride(0) == 0
    module.eval()
    evaluated = module(features=features, aug_features=torch.randn(4, 5))
    assert isinstance(evaluated, torch.Tensor) and evaluated.shape == (4, 3)


def test_views_are_stacked_into_one_body_call_with_padding():
    body = RecordingBody()
    module = SharpReCLModule(body, n_classes=2, projection_dim=3)
    first = torch.tensor([[1, 2, 3], [4, 5, 0]])
    second = torch.tensor([[6, 7], [8, 0]])
    module(
        input_ids=first,
        attention_mask=(first > 0).long(),
        aug_input_ids=second,
        aug_attention_mask=(second > 0).long(),
    )
    assert len(body.calls) == 1
    input_ids, attention_mask = body.calls[0]
    assert input_ids.tolist() == [[1, 2, 3], [4, 5, 0], [6, 7, 0], [8, 0, 0]]
    assert attention_mask.tolist() == [[1, 1, 1], [1, 1, 0], [1, 1, 0], [1, 0, 0]]


def test_prototypes_are_the_projected_classifier_weights_and_learn_from_them():
    torch.manual_seed(0)
    module = SharpReCLModule(MLPEncoder(5, (8,)), n_classes=3, projection_dim=6)
    output = module(features=torch.randn(4, 5), aug_features=torch.randn(4, 5))
    projected = module.prototype_projection(module.classifier.weight)
    expected = F.normalize(projected, dim=-1)
    torch.testing.assert_close(output[3][0], expected)
    output[3].sum().backward()
    assert module.classifier.weight.grad.abs().sum() > 0


def test_repeated_view_differs_by_dropout_noise():
    torch.manual_seed(0)
    module = SharpReCLModule(
        MLPEncoder(5, (8,), dropout=0.0),
        n_classes=2,
        dropout=0.0,
        repeat_view=True,
        view_dropout=0.5,
    )
    _, view_logits, _, _ = module(features=torch.randn(6, 5))
    assert view_logits.shape == (6, 2, 2)
    assert not torch.allclose(view_logits[:, 0], view_logits[:, 1])
    single = SharpReCLModule(MLPEncoder(5, (8,)), n_classes=2, repeat_view=False)
    assert single(features=torch.randn(6, 5))[1].shape == (6, 1, 2)


def test_without_cls_the_probe_sees_stop_gradient_features():
    torch.manual_seed(0)
    module = SharpReCLModule(MLPEncoder(5, (8,)), n_classes=2, use_cls=False)
    logits = module(features=torch.randn(4, 5), aug_features=torch.randn(4, 5))[0]
    logits.sum().backward()
    assert all(p.grad is None for p in module.body.parameters())
    assert module.probe.weight.grad.abs().sum() > 0
    assert module.classifier.weight.grad is None  # W only feeds the prototypes


def test_without_cl_there_are_no_projection_heads():
    module = SharpReCLModule(MLPEncoder(5, (8,)), n_classes=2, use_cl=False)
    output = module(features=torch.randn(4, 5), aug_features=torch.randn(4, 5))
    assert len(output) == 2 and module.feature_projection is None
    with pytest.raises(ValueError, match="use_cl and use_cls"):
        SharpReCLModule(MLPEncoder(5, (8,)), 2, use_cl=False, use_cls=False)
    with pytest.raises(ValueError, match="logits must be"):
        SharpReCLModule(MLPEncoder(5, (8,)), 2, logits="mlp")


def test_projection_head_accepts_a_single_training_row():
    head = ProjectionHead(4, 3)
    assert head(torch.randn(1, 4)).shape == (1, 3)
    assert isinstance(head.norm, nn.BatchNorm1d)


class FeatureBody(nn.Module):
    """A linear map of ``features``; records the (stacked) features it was given."""

    def __init__(self, n_features=5, width=4):
        super().__init__()
        self.linear = nn.Linear(n_features, width)
        self.output_dim = width
        self.calls = []

    def forward(self, features):
        self.calls.append(features)
        return self.linear(features)


class StateBody(nn.Module):
    """Sums precomputed token states (B, T, H) under the mask; records its inputs."""

    output_dim = 3

    def __init__(self):
        super().__init__()
        self.calls = []

    def forward(self, token_states, attention_mask, **per_sample):
        self.calls.append({"token_states": token_states, **per_sample})
        return (token_states * attention_mask.unsqueeze(-1)).sum(1)


def _token_inputs(ids):
    ids = torch.tensor(ids)
    return {"input_ids": ids, "attention_mask": (ids > 0).long()}


def test_projection_head_normalises_a_training_batch_with_its_own_statistics():
    torch.manual_seed(0)
    head = ProjectionHead(4, 3).train()
    inputs = torch.randn(6, 4) * 3 + 2
    with torch.no_grad():
        hidden = F.batch_norm(
            head.hidden(inputs), None, None, head.norm.weight, head.norm.bias, True
        )
        expected = head.output(F.relu(hidden))
    torch.testing.assert_close(head(inputs), expected)
    # ... and updates the running statistics that evaluation will use.
    assert head.norm.running_mean.abs().min() > 0


def test_a_single_training_row_is_normalised_as_in_evaluation():
    torch.manual_seed(0)
    head = ProjectionHead(4, 3).train()
    head(torch.randn(8, 4) * 3 + 2)  # running statistics away from (0, 1)
    with torch.no_grad():  # a learned affine map, away from (1, 0)
        head.norm.weight.copy_(torch.tensor([0.5, 2.0, 1.5, 3.0]))
        head.norm.bias.copy_(torch.tensor([1.0, -1.0, 0.5, -0.5]))
    row = torch.randn(1, 4)
    running_mean = head.norm.running_mean.clone()
    trained = head(row)
    torch.testing.assert_close(head.norm.running_mean, running_mean)
    torch.testing.assert_close(trained, head.eval()(row))


def test_defaults_one_view_and_100_wide_projections_for_token_inputs():
    module = SharpReCLModule(RecordingBody(), n_classes=2)
    _, view_logits, projections, prototypes = module(**_token_inputs([[1, 2], [3, 0]]))
    assert view_logits.shape == (2, 1, 2)
    assert projections.shape == (2, 1, 100) and prototypes.shape == (2, 2, 100)


def test_a_repeated_view_keeps_the_features_without_view_dropout():
    body = FeatureBody()
    module = SharpReCLModule(body, n_classes=2, repeat_view=True)
    features = torch.randn(3, 5)
    module(features=features)
    assert torch.equal(body.calls[0], torch.cat([features, features]))


def test_view_dropout_drops_features_at_its_rate_and_rescales_the_rest():
    torch.manual_seed(0)
    body = FeatureBody(n_features=16)
    module = SharpReCLModule(body, n_classes=2, repeat_view=True, view_dropout=0.25)
    module(features=torch.ones(8, 16))
    first, repeated = body.calls[0].split(8)
    assert torch.equal(first, torch.ones(8, 16))
    kept = repeated != 0
    assert 0 < kept.sum() < kept.numel()
    torch.testing.assert_close(repeated[kept], torch.full_like(repeated[kept], 4 / 3))


def test_view_dropout_leaves_token_ids_and_masks_of_a_repeated_view_alone():
    body = RecordingBody()
    module = SharpReCLModule(body, n_classes=2, repeat_view=True, view_dropout=0.5)
    inputs = _token_inputs([[1, 2, 3], [4, 5, 0]])
    module(**inputs)
    input_ids, attention_mask = body.calls[0]
    assert torch.equal(input_ids, inputs["input_ids"].repeat(2, 1))
    assert torch.equal(attention_mask, inputs["attention_mask"].repeat(2, 1))


def test_token_states_are_padded_along_the_token_axis_only():
    body = StateBody()
    module = SharpReCLModule(body, n_classes=2, projection_dim=3)
    first = torch.arange(1.0, 19.0).reshape(2, 3, 3)
    second = -torch.arange(1.0, 7.0).reshape(2, 1, 3)
    lengths = torch.tensor([3, 2])
    module(
        token_states=first,
        attention_mask=torch.ones(2, 3, dtype=torch.long),
        lengths=lengths,
        aug_token_states=second,
        aug_attention_mask=torch.ones(2, 1, dtype=torch.long),
        aug_lengths=torch.tensor([1, 1]),
    )
    stacked = body.calls[0]["token_states"]
    assert stacked.shape == (4, 3, 3)
    assert torch.equal(stacked[:2], first)
    assert torch.equal(stacked[2:, :1], second)
    assert not stacked[2:, 1:].any()
    # Per-sample (1-D) inputs are concatenated as they are.
    assert body.calls[0]["lengths"].tolist() == [3, 2, 1, 1]


def test_with_cls_the_classifier_gives_the_logits_and_trains_the_body():
    torch.manual_seed(0)
    module = SharpReCLModule(MLPEncoder(5, (8,), dropout=0.0), 2, dropout=0.0)
    features = torch.randn(4, 5)
    logits = module(features=features)[0]
    assert module.probe is None
    torch.testing.assert_close(logits, module.classifier(module.body(features)))
    logits.sum().backward()
    assert all(p.grad.abs().sum() > 0 for p in module.body.parameters())


def test_without_cl_neither_projection_head_is_built():
    module = SharpReCLModule(MLPEncoder(5, (8,)), n_classes=2, use_cl=False)
    assert module.feature_projection is None and module.prototype_projection is None


def test_at_least_one_branch_error_message():
    message = "At least one of use_cl and use_cls must be True."
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        SharpReCLModule(MLPEncoder(5, (8,)), 2, use_cl=False, use_cls=False)
