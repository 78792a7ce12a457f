"""SharpReCLModule: views, branches and prototypes."""

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
